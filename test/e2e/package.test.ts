// The package as a user gets it: built by `scripts/build.ts`, packed by `npm pack`, installed into a
// fresh project outside the repository and run by plain Node — no tsx, no Vite, no sources.
//
// Installing: the tarball is extracted to PROJECT/node_modules/groundwork and each of its runtime
// `dependencies` is symlinked from this repository's node_modules. `npm install TARBALL` would
// rebuild better-sqlite3 from source (about 130 s here: no prebuilt download) and query the
// registry; the symlinks give the same module layout with the versions the lock file pins, and
// devDependencies (tsx, vite, typescript) stay out of the project's reach.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'gw-package-'));
const project = join(work, 'project');
const installed = join(project, 'node_modules', 'groundwork');

interface PackedFile {
  path: string;
  size: number;
}
let packed: { filename: string; size: number; unpackedSize: number; files: PackedFile[] };

/** Plain Node in the project: no loader flags inherited from this test process (it runs under tsx). */
function nodeIn(cwd: string, args: string[]) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

before(() => {
  // Stage a copy of what `files` may ship, so the shared dist/ of the working tree is never touched.
  const stage = join(work, 'stage');
  mkdirSync(stage);
  for (const entry of ['package.json', 'README.md', 'bin', 'docs']) cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build.ts'), '--out-dir', join(stage, 'dist')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage, encoding: 'utf8' });
  [packed] = JSON.parse(out);

  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies)) {
    mkdirSync(dirname(join(project, 'node_modules', name)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name), 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball ships dist, bin, docs and the prebuilt viewer; no sources, tests or node_modules', () => {
  const paths = packed.files.map((file) => file.path);
  for (const required of [
    'package.json',
    'README.md',
    'bin/groundwork.js',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/testing/index.js',
    'dist/testing/index.d.ts',
    'dist/cli/main.js',
    'dist/domains/helpdesk/policy.md',
    'dist/viewer-app/index.html',
    'dist/.build-stamp',
  ]) {
    assert.ok(paths.includes(required), `missing ${required}`);
  }
  assert.deepEqual(
    paths.filter((path) => path.startsWith('src/') || path.includes('node_modules/') || /\.test\.|fixture/.test(path)),
    [],
  );
  assert.ok(
    paths.some((path) => path.startsWith('dist/viewer-app/assets/') && path.endsWith('.js')),
    'viewer bundle script',
  );
  // Sizes: a few MB unpacked at most (today ≈ 1.5 MB); a megabyte-sized file would be an accident.
  assert.ok(packed.unpackedSize > 200_000 && packed.unpackedSize < 5_000_000, `unpacked ${packed.unpackedSize}`);
  assert.ok(packed.size < 1_500_000, `tarball ${packed.size}`);
  const largest = packed.files.reduce((a, b) => (a.size > b.size ? a : b));
  assert.ok(largest.size < 500_000, `largest file ${largest.path} ${largest.size}`);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  for (const devOnly of ['tsx', 'vite', 'typescript', '@preact/preset-vite', 'preact'])
    assert.ok(!(devOnly in manifest.dependencies), `${devOnly} is a runtime dependency`);
});

test('plain Node imports groundwork and groundwork/testing by name; internals are not exported', () => {
  const script = `Promise.all([import('groundwork'), import('groundwork/testing')]).then(([m, t]) => console.log(JSON.stringify({ names: Object.keys(m), testing: Object.keys(t), tiny: t.createTinyDomain().name })))`;
  const { status, stdout, stderr } = nodeIn(project, ['-e', script]);
  assert.equal(status, 0, stderr);
  const { names, testing, tiny } = JSON.parse(stdout) as { names: string[]; testing: string[]; tiny: string };
  for (const name of [
    'createDomain',
    'checkDomain',
    'createBuiltInAgent',
    'createScriptedUser',
    'runEpisode',
    'gradeEpisode',
    'passHatK',
    'summarise',
    'auditEpisode',
    'createRun',
    'executeRun',
    'SqliteStore',
    'renderHtmlReport',
    'collectReportData',
    'regradeTauResults',
    'startViewer',
    'ModelHub',
    'parseModelSpec',
    'GroundworkError',
    'createDomainRegistry',
    'builtInDomains',
    'genericClaimRules',
  ]) {
    assert.ok(names.includes(name), `groundwork exports ${name}`);
  }
  for (const internal of ['tokenize', 'bm25Scores', 'openAIMessages', 'formatZodIssues', 'claimClauses', 'startOpenAIPeer'])
    assert.ok(!names.includes(internal), `${internal} is internal`);
  assert.ok(testing.includes('startOpenAIPeer') && testing.includes('createTinyDomain'));
  assert.ok(tiny.length > 0);
});

test("the README's library example runs in plain Node and prints the graded rewards", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it as a library'));
  const [, code, expected] = /```js\n([\s\S]*?)```\n\n```\n([\s\S]*?)```/.exec(section) ?? [];
  assert.ok(code && expected, 'README has the example and its output');
  writeFileSync(join(project, 'example.mjs'), code);
  const { status, stdout, stderr } = nodeIn(project, ['example.mjs']);
  assert.equal(status, 0, stderr);
  assert.equal(stdout, expected);
  assert.match(stdout, /^oracle on \S+: reward 1\nnaive on \S+: reward 0\n$/);
});

test('the installed CLI runs from compiled JS: --help, a run stored in SQLite, and the shipped viewer bundle', () => {
  const bin = join(installed, 'bin', 'groundwork.js');
  const help = nodeIn(project, [bin, '--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: groundwork/);
  const db = join(work, 'runs.db');
  const run = nodeIn(project, [bin, 'run', '--json', '--agent', 'oracle', '--tasks', '2', '--trials', '1', '--db', db]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).agents.oracle.meanReward, 1);
  const viewer = nodeIn(project, [
    '-e',
    "import('groundwork').then(async (m) => console.log(JSON.stringify(await m.ensureViewerBundle())))",
  ]);
  assert.equal(viewer.status, 0, viewer.stderr);
  const bundle = JSON.parse(viewer.stdout) as { dir: string; built: boolean };
  assert.equal(bundle.built, false, 'an installed package serves the bundle it shipped, without Vite');
  assert.equal(resolve(bundle.dir), join(installed, 'dist', 'viewer-app'));
});

test('the type declarations resolve for a TypeScript consumer', () => {
  writeFileSync(
    join(project, 'check.ts'),
    [
      "import { createDomain, type Outcome } from 'groundwork';",
      "import { createTinyDomain } from 'groundwork/testing';",
      "const task = createDomain('helpdesk').tasks({ split: 'test', count: 1 })[0]!;",
      "const reward: Outcome['reward'] = 1;",
      '// Each line below is an error only when the declarations resolved to real types (not any).',
      '// @ts-expect-error a task id is a string',
      'const id: number = task.id;',
      '// @ts-expect-error a domain name is a string',
      'const name: boolean = createTinyDomain().name;',
      '// @ts-expect-error internal helpers are not exported',
      "import { tokenize } from 'groundwork';",
      'export { reward, id, name, tokenize };',
    ].join('\n'),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['check.ts'],
    }),
  );
  const tsc = nodeIn(project, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
