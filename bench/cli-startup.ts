/**
 * CLI startup, side by side: `groundwork --help` and `groundwork run --help`, each timed as
 *   - today: bin/groundwork.js of the baseline commit (the TypeScript sources through tsx, every
 *     command module and its dependencies loaded up front), with tsx's transform cache warm (a
 *     user's second run, the fair reference) and cold (a first run, or after an edit);
 *   - sources now: the current sources through tsx (what bin/groundwork.js falls back to without a
 *     current build): command definitions only, implementations imported when a command runs;
 *   - compiled: the current sources built to dist/ (what the package ships and bin/ runs).
 * Runs are interleaved, so load from other processes falls on all alike; medians are reported with
 * the load average before and after. The baseline is read with `git archive` (read-only) and the
 * build goes to a temp dir, so neither the working tree nor its dist/ is touched.
 *
 * Run: node --import tsx bench/cli-startup.ts [--runs N] [--baseline REV]
 *   --baseline REV  the "today" of issue 12 (default: cf85af8, the last commit before the build)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from '../scripts/build.ts';

const flag = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const runs = Number(flag('--runs') ?? 9);
const baseline = flag('--baseline') ?? 'cf85af8e4a21f44e94368e8b4f672da040e44744';
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const root = fileURLToPath(new URL('../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gw-startup-'));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();

// Today: the baseline commit's tree as it was, run by its own bin/groundwork.js.
const today = join(work, 'today');
mkdirSync(today);
const archive = spawnSync('git', ['-C', root, 'archive', '--format=tar', baseline, 'bin', 'src', 'package.json'], { maxBuffer: 1 << 30 });
if (archive.status !== 0) throw new Error(`git archive ${baseline} failed: ${archive.stderr}`);
execFileSync('tar', ['-x', '-C', today], { input: archive.stdout });
symlinkSync(join(root, 'node_modules'), join(today, 'node_modules'), 'dir');

// Now: the current sources built into a temp dist/.
const built = join(work, 'built');
mkdirSync(built);
await build(join(built, 'dist'));
symlinkSync(join(root, 'node_modules'), join(built, 'node_modules'), 'dir');
const compiled = join(work, 'compiled.mjs');
writeFileSync(
  compiled,
  `const { main } = await import(${JSON.stringify(pathToFileURL(join(built, 'dist/cli/main.js')).href)});\nawait main(process.argv);\n`,
);
const sources = join(work, 'sources.mjs');
writeFileSync(
  sources,
  `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nregister();\nconst { main } = await import(${JSON.stringify(pathToFileURL(join(root, 'src/cli/main.ts')).href)});\nawait main(process.argv);\n`,
);

const variants: { name: string; script: string; env?: Record<string, string> }[] = [
  { name: 'today: tsx, warm cache', script: join(today, 'bin/groundwork.js') },
  { name: 'today: tsx, cold cache', script: join(today, 'bin/groundwork.js'), env: { TSX_DISABLE_CACHE: '1' } },
  { name: 'sources now: tsx, warm', script: sources },
  { name: 'compiled dist/', script: compiled },
];
const commands: { name: string; args: string[]; usage: string }[] = [
  { name: 'groundwork --help', args: ['--help'], usage: 'Usage: groundwork [options] [command]' },
  { name: 'groundwork run --help', args: ['run', '--help'], usage: 'Usage: groundwork run [options] [runFile]' },
];

function time(script: string, args: string[], usage: string, env: Record<string, string> = {}): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 || !result.stdout.startsWith(usage))
    throw new Error(`${script} ${args.join(' ')} failed: ${result.stderr || result.stdout.slice(0, 200)}`);
  return ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const measured = new Map<string, number[]>();
const key = (command: string, variant: string) => `${command}\u0000${variant}`;
// One untimed round fills tsx's cache for the warm variants and warms the file cache for all.
for (const c of commands) for (const v of variants) time(v.script, c.args, c.usage, v.env);
for (let i = 0; i < runs; i++) {
  for (const c of commands) {
    for (const v of variants) {
      const k = key(c.name, v.name);
      measured.set(k, [...(measured.get(k) ?? []), time(v.script, c.args, c.usage, v.env)]);
    }
  }
}
const loadAfter = load();

const out: string[] = [
  `CLI startup, median of ${runs} interleaved runs (node ${process.version}, ${cpus().length} cores; baseline ${baseline.slice(0, 7)})`,
  `load average (1, 5, 15 min): before ${loadBefore}, after ${loadAfter}`,
];
for (const c of commands) {
  const ref = median(measured.get(key(c.name, 'today: tsx, warm cache'))!);
  out.push(
    '',
    `${c.name}`,
    `  ${'variant'.padEnd(24)} ${'median'.padStart(8)}  ${'min'.padStart(6)}  ${'max'.padStart(6)}  speed-up vs today (warm)`,
  );
  for (const v of variants) {
    const values = measured.get(key(c.name, v.name))!;
    const m = median(values);
    out.push(
      `  ${v.name.padEnd(24)} ${`${m.toFixed(0)} ms`.padStart(8)}  ${Math.min(...values)
        .toFixed(0)
        .padStart(6)}  ${Math.max(...values)
        .toFixed(0)
        .padStart(6)}  ${(ref / m).toFixed(1)}×`,
    );
  }
}
process.stdout.write(`${out.join('\n')}\n`);
rmSync(work, { recursive: true, force: true });
