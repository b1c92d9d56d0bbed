import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';

/**
 * `groundwork --help` (and `groundwork COMMAND --help`) loads the command definitions with
 * commander only; each command imports its implementation when it runs. A structural check, not a
 * timing one: an ESM resolve hook records every module the CLI resolves, and none of the heavy
 * dependencies may be among them. Someone adding `import … from 'zod'` (or from a module that
 * imports it) to main.ts, src/cli/options.ts or a file in src/cli/commands/ fails this test.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/groundwork.js');
/** Packages `--help` must not load: each costs tens to hundreds of milliseconds at startup. */
const HEAVY = ['ai', '@ai-sdk', '@opentelemetry', 'better-sqlite3', 'zod', 'pino', 'vega', 'vega-lite', 'yaml', 'pg', 'bullmq', 'ioredis'];

const work = mkdtempSync(join(tmpdir(), 'gw-lazy-'));
after(() => rmSync(work, { recursive: true, force: true }));

// The hook runs on the loader thread and appends each resolved URL to $GW_RESOLVE_TRACE.
const hook = join(work, 'trace-hook.mjs');
writeFileSync(
  hook,
  `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(process.env.GW_RESOLVE_TRACE, result.url + '\\n');\n  return result;\n}\n`,
);
const register = join(work, 'register-trace.mjs');
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
// The sources through tsx, whatever bin/groundwork.js would pick.
const fromSources = join(work, 'from-sources.mjs');
writeFileSync(
  fromSources,
  `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nregister();\nconst { main } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/cli/main.ts')).href)});\nawait main(process.argv);\n`,
);

let traces = 0;
/** Runs the CLI with the trace hook; returns its output and the npm packages it resolved. */
function traced(
  script: string,
  args: string[],
): { status: number | null; stdout: string; stderr: string; urls: string[]; packages: Set<string> } {
  const trace = join(work, `trace-${traces++}.txt`);
  writeFileSync(trace, '');
  const result = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, script, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '', GW_RESOLVE_TRACE: trace },
  });
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const packages = new Set(urls.flatMap((url) => [...url.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/@][^/]*)\//g)].map((m) => m[1])));
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, urls, packages };
}

function heavyIn(packages: Set<string>): string[] {
  return [...packages].filter((name) => HEAVY.some((heavy) => name === heavy || name.startsWith(`${heavy}/`))).sort();
}

const compiledCurrent = existsSync(join(ROOT, 'dist/cli/main.js'));

for (const [label, script] of [
  [`bin/groundwork.js (${compiledCurrent ? 'dist/ if current, else' : 'no build:'} the sources through tsx)`, BIN],
  ['the sources through tsx', fromSources],
] as const) {
  describe(`help loads no command implementation: ${label}`, () => {
    for (const args of [
      ['--help'],
      ['run', '--help'],
      ['help', 'run'],
      ['tau', 'replay', '--help'],
      ['experience', 'list', '--help'],
      ['export', '--help'],
      ['view', '--help'],
      ['--version'],
    ]) {
      it(`groundwork ${args.join(' ')}`, () => {
        const result = traced(script, args);
        assert.equal(result.status, 0, result.stderr);
        assert.ok(result.packages.has('commander'), `the hook saw the CLI load (resolved: ${[...result.packages].join(', ')})`);
        assert.deepEqual(
          heavyIn(result.packages),
          [],
          `--help resolved heavy packages; a command definition imports its implementation (or something heavy) at the top`,
        );
        const actions = result.urls.filter((url) => /\/cli\/actions\//.test(url));
        assert.deepEqual(actions, [], 'no command implementation is loaded for help');
      });
    }
  });
}

describe('the trace sees what a command loads when it runs (the check above is not vacuous)', () => {
  it('`groundwork schema` imports its implementation, and with it zod', () => {
    const result = traced(BIN, ['schema']);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(
      result.urls.some((url) => /\/cli\/actions\/init\.[jt]s$/.test(url)),
      'the init/schema implementation',
    );
    assert.ok(result.packages.has('zod'), `zod (resolved: ${[...result.packages].join(', ')})`);
  });
});
