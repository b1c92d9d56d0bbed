import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

// Bad input is refused before a run is created: one error line, exit 2, nothing stored (issue 13).
const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const BENCH = resolve(import.meta.dirname, '../../../shared/benchmarks');
const dir = mkdtempSync(join(tmpdir(), 'gw-input-'));
const db = join(dir, 'groundwork.db');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function storedRuns(): string[] {
  const listed = cli(['runs', '--json', '--db', db]);
  assert.equal(listed.status, 0, listed.stderr);
  return JSON.parse(listed.stdout).runs.map((r: { runId: string }) => r.runId);
}

/** Asserts one `groundwork: error:` line matching `pattern`, exit 2, and no run added to the database. */
function refused(args: string[], pattern: RegExp, label: string): void {
  const before = storedBefore;
  const started = Date.now();
  const { status, stdout, stderr } = cli([...args, '--db', db]);
  assert.equal(status, 2, `${label}: exit ${status}\n${stderr}`);
  assert.equal(stdout, '', label);
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `${label}: one line expected, got:\n${stderr}`);
  assert.match(lines[0], /^groundwork: error: .+ \(.+\)$/, label);
  assert.match(lines[0], pattern, label);
  assert.ok(Date.now() - started < 30_000, `${label}: took ${Date.now() - started} ms`);
  assert.deepEqual(storedRuns(), before, `${label}: a run was stored`);
}

/** Two published v1 tasks, `change` applied to the second (record 1). */
function v1File(name: string, change: (records: Record<string, unknown>[]) => void): string {
  const records = JSON.parse(readFileSync(join(BENCH, 'tau-bench/retail/tasks_test.json'), 'utf8')).slice(0, 2);
  change(records);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(records));
  return file;
}

type Action = { name: unknown; kwargs: unknown };
const actionsOf = (record: Record<string, unknown>) => record.actions as Action[];

let storedBefore: string[] = [];

test('setup: a database holding one good run', () => {
  const { status, stderr } = cli(['run', '--tasks', '1', '--trials', '1', '--agent', 'noop', '--json', '--db', db]);
  assert.equal(status, 0, stderr);
  storedBefore = storedRuns();
  assert.equal(storedBefore.length, 1);
});

test('malformed τ-bench task files: one line naming file, record and field; exit 2; no run stored', () => {
  const cases: [string, (records: Record<string, unknown>[]) => void, RegExp][] = [
    ['actions-numbers', (r) => void (r[1].actions = [1, 2]), /record 1: actions\[0\]: .*expected object/],
    ['numeric-tool-name', (r) => void (actionsOf(r[1])[0].name = 7), /record 1: actions\[0\]\.name: .*expected string/],
    ['numeric-instruction', (r) => void (r[1].instruction = 42), /record 1: instruction: .*expected string/],
    ['no-instruction', (r) => void delete r[1].instruction, /record 1: instruction: /],
    ['non-string-outputs', (r) => void (r[1].outputs = [1, { a: 2 }]), /record 1: outputs\[0\]: .*expected string/],
    ['outputs-not-a-list', (r) => void (r[1].outputs = 'done'), /record 1: outputs: .*expected array/],
    ['array-kwargs', (r) => void (actionsOf(r[1])[0].kwargs = [1, 2]), /record 1: actions\[0\]\.kwargs: .*expected record/],
    ['duplicate-ids', (r) => void (r[1].index = r[0].index), /record 1: index: duplicate task id 0 \(also record 0\)/],
  ];
  for (const [name, change, pattern] of cases) {
    const file = v1File(name, change);
    refused(
      ['run', '--domain', 'tau-bench/retail', '--task-file', file, '--agent', 'oracle', '--trials', '1'],
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${pattern.source}`),
      name,
    );
  }
  const notArray = join(dir, 'not-array.json');
  writeFileSync(notArray, JSON.stringify({ index: 0 }));
  refused(
    ['run', '--domain', 'tau-bench/retail', '--task-file', notArray, '--agent', 'oracle'],
    /not-array\.json: .*not a JSON array/,
    'not-array',
  );
  const invalid = join(dir, 'invalid.json');
  writeFileSync(invalid, '[{"index": 0,');
  refused(
    ['run', '--domain', 'tau-bench/retail', '--task-file', invalid, '--agent', 'oracle'],
    /invalid\.json is not valid JSON/,
    'invalid',
  );
  // τ²-bench files are checked the same way.
  const tau2 = JSON.parse(readFileSync(join(BENCH, 'tau2-bench/retail/tasks.json'), 'utf8')).slice(0, 2);
  tau2[1].evaluation_criteria.communicate_info = [3];
  const tau2File = join(dir, 'tau2.json');
  writeFileSync(tau2File, JSON.stringify(tau2));
  refused(
    ['run', '--domain', 'tau2-bench/retail', '--task-file', tau2File, '--agent', 'oracle'],
    /tau2\.json: record 1: evaluation_criteria\.communicate_info\[0\]: .*expected string/,
    'tau2',
  );
  // A task id selected twice used to fail inside the store (UNIQUE constraint).
  refused(['run', '--domain', 'tau-bench/retail', '--tasks', '0,0', '--agent', 'oracle'], /task "0" selected twice/, 'ids-twice');
});

test('size limits: huge plans, concurrency and run files are refused in seconds', () => {
  const yaml = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  refused(['run', yaml('tasks.yaml', 'tasks: 100000000\n')], /would select 100000000 tasks, more than the limit of 50000/, 'tasks');
  refused(['run', '--tasks', '40000', '--trials', '30', '--agent', 'noop'], /would plan 1200000 episodes .*limit of 1000000/, 'episodes');
  refused(['run', yaml('trials.yaml', 'trials: 100000000\n')], /would plan 300000000 episodes .*limit of 1000000/, 'trials');
  refused(['run', '--trials', '100000000', '--agent', 'noop'], /would plan .*limit of 1000000/, 'trials flag');
  refused(['run', '--domain', 'tau-bench/retail', '--trials', '100000000'], /would plan .*limit/, 'tau trials');
  refused(['run', yaml('concurrency.yaml', 'concurrency: 1000000000\n')], /concurrency\.yaml:1: concurrency: .*4096/, 'concurrency');
  refused(['run', '--concurrency', '5000'], /concurrency 5000 is more than the limit of 4096/, 'concurrency flag');
  refused(['run', yaml('empty.yaml', '')], /empty\.yaml:1: the run file is empty/, 'empty');
  refused(['run', yaml('comments.yaml', '# nothing but a comment\n')], /comments\.yaml:1: the run file is empty/, 'comments only');
  refused(
    ['run', yaml('big.yaml', `domain: helpdesk\n${'# padding\n'.repeat(1_000_000)}`)],
    /big\.yaml is larger than 1048576 bytes/,
    'big',
  );
  // The limit is a default, not a wall: an explicit one applies (here lower, so nothing runs).
  refused(
    ['run', '--tasks', '2', '--trials', '3', '--agent', 'noop', '--max-episodes', '5'],
    /would plan 6 episodes .*limit of 5/,
    'max-episodes',
  );
  refused(
    ['run', yaml('max.yaml', 'maxEpisodes: 5\ntasks: 2\nagents: [noop]\n')],
    /would plan 6 episodes .*limit of 5/,
    'maxEpisodes field',
  );
});
