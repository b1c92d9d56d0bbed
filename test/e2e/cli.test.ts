import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'gw-e2e-')), 'groundwork.db');

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('`groundwork run --json` with no other arguments: oracle 1.0, noop 0 where a change is needed, naive clearly below', () => {
  const db = tempDb();
  const { status, stdout, stderr } = cli(['run', '--json', '--db', db]);
  assert.equal(status, 0, stderr);
  const out = JSON.parse(stdout);
  assert.equal(out.domain, 'helpdesk');
  assert.equal(out.split, 'test');
  assert.deepEqual(Object.keys(out.agents), ['oracle', 'naive', 'noop']);
  assert.equal(out.episodes, out.tasks * 3 * 3);
  const { oracle, naive, noop } = out.agents;
  assert.equal(oracle.meanReward, 1);
  assert.deepEqual(Object.keys(oracle.passHatK), ['1', '2', '3']);
  assert.equal(oracle.passHatK['3'], 1);
  assert.equal(noop.meanReward, 0);
  assert.ok(naive.meanReward < 0.5, `naive ${naive.meanReward}`);
  assert.ok(naive.ci95[1] < oracle.ci95[0]);
  for (const metrics of Object.values(out.agents) as Record<string, unknown>[]) {
    for (const field of ['episodes', 'meanReward', 'passHatK', 'ci95', 'flipRate', 'terminations', 'families'])
      assert.ok(field in metrics, field);
  }
  assert.equal(oracle.terminations.infra_error, 0);
  assert.ok(Object.keys(oracle.families).length >= 6);

  // The stored run can be listed and shown, as text and JSON.
  const runs = JSON.parse(cli(['runs', '--json', '--db', db]).stdout);
  assert.equal(runs.runs[0].runId, out.runId);
  const shown = JSON.parse(cli(['show', out.runId, '--json', '--db', db]).stdout);
  assert.ok(shown.failedEpisodes.length > 0);
  const naiveFail = shown.failedEpisodes.find((e: { agent: string; family: string }) => e.agent === 'naive' && e.family === 'erase');
  const text = cli(['show', out.runId, '--episode', naiveFail.id, '--db', db]);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /→ delete_file_copy/);
  assert.match(text.stdout, /\[required\] file_copies\/c-\d+: deleted/);
  assert.match(text.stdout, /✗ no copy of .* data is reachable/);
});

test('`groundwork tasks lint` finds no problem in the train and test splits', () => {
  for (const split of ['train', 'test']) {
    const { status, stdout, stderr } = cli(['tasks', 'lint', '--split', split, '--json']);
    assert.equal(status, 0, stderr);
    const out = JSON.parse(stdout);
    assert.ok(out.tasks > 0);
    assert.deepEqual(out.problems, []);
  }
});

test('`groundwork tasks lint --mutations`: every mutation of the helpdesk test split is graded as its expected outcome implies', () => {
  const { status, stdout, stderr } = cli(['tasks', 'lint', '--split', 'test', '--mutations', '--json']);
  assert.equal(status, 0, stderr);
  const { mutations } = JSON.parse(stdout);
  assert.equal(mutations.score, 1);
  assert.ok(mutations.total > 1000);
  assert.deepEqual(mutations.disagreements, []);
  const text = cli(['tasks', 'lint', '--split', 'test', '--mutations']);
  assert.match(text.stdout, /Mutation check of helpdesk\/test: (\d+)\/\1 mutations .*\(100\.0%\)/);
  assert.match(text.stdout, /access_request +\d+ +\d+ +\d+ +100\.0%/);
});

test('a run killed with SIGKILL resumes to exactly tasks × agents × trials episodes, none repeated', async () => {
  const db = tempDb();
  const child = spawn(process.execPath, [BIN, 'run', '--tasks', '700', '--trials', '5', '--concurrency', '2', '--db', db, '--json'], {
    stdio: 'ignore',
  });
  const count = () => {
    try {
      const reader = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (reader.prepare('SELECT count(*) AS n FROM episodes').get() as { n: number }).n;
      } finally {
        reader.close();
      }
    } catch {
      return 0;
    }
  };
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const deadline = Date.now() + 60_000;
  while (count() < 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
  const atKill = count();
  assert.ok(atKill >= 500, 'the run stored episodes before it was killed');
  const planned = 700 * 3 * 5;
  assert.ok(atKill < planned, 'the run was killed mid-way');

  const runId = JSON.parse(cli(['runs', '--json', '--db', db]).stdout).runs[0].runId;
  const resumed = cli(['run', '--resume', runId, '--json', '--db', db]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const out = JSON.parse(resumed.stdout);
  assert.equal(out.skipped, atKill);
  assert.equal(out.ran + out.skipped, planned);
  assert.equal(out.episodes, planned);
  assert.equal(out.status, 'finished');
  const reader = new Database(db, { readonly: true });
  const distinct = reader.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT agent, task_id, trial FROM episodes)').get() as { n: number };
  reader.close();
  assert.equal(distinct.n, planned);
});

test('bad input: one clear error line, non-zero exit, nothing stored is damaged', () => {
  const db = tempDb();
  assert.equal(cli(['run', '--tasks', '2', '--trials', '1', '--db', db]).status, 0);
  const cases: [string[], RegExp][] = [
    [['run', '--agent', 'gpt-9000', '--db', db], /unknown agent "gpt-9000".*built-in agents: oracle, noop, naive/],
    [['run', '--domain', 'nowhere', '--db', db], /unknown domain "nowhere".*known domains: helpdesk/],
    [['run', '--trials', '0', '--db', db], /--trials must be an integer >= 1/],
    [['run', '--split', 'nope', '--db', db], /helpdesk has no split "nope"/],
    [['run', '--tasks', 'hd-test-1x', '--db', db], /unknown helpdesk task/],
    [['show', 'run-missing', '--db', db], /no run "run-missing"/],
    [['run', '--resume', 'run-missing', '--db', db], /no run "run-missing"/],
    [['run', '--retry-errors', '--db', db], /--retry-errors needs --resume/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr, stdout } = cli(args);
    assert.notEqual(status, 0, args.join(' '));
    assert.equal(stdout, '', args.join(' '));
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${stderr}`);
    assert.match(lines[0], /^groundwork: error: /);
    assert.match(lines[0], message);
  }
  const runs = JSON.parse(cli(['runs', '--json', '--db', db]).stdout).runs;
  assert.equal(runs.length, 1, 'failed commands stored no run');
  assert.equal(runs[0].episodes, 6);

  const file = join(mkdtempSync(join(tmpdir(), 'gw-e2e-')), 'plain-file');
  writeFileSync(file, 'not a directory');
  const unwritable = cli(['run', '--db', join(file, 'sub', 'x.db')]);
  assert.equal(unwritable.status, 1);
  assert.match(unwritable.stderr.trim(), /^groundwork: error: cannot open the database .*\(choose a writable path with --db PATH\)$/);
});

test('resume refuses options that would change the stored plan', () => {
  const db = tempDb();
  const out = JSON.parse(cli(['run', '--tasks', '1', '--trials', '1', '--json', '--db', db]).stdout);
  const { status, stderr } = cli(['run', '--resume', out.runId, '--trials', '5', '--db', db]);
  assert.equal(status, 2);
  assert.match(stderr, /drop --trials/);
});

test('Ctrl-C stops scheduling, stores the episodes in flight, and marks the run interrupted', async () => {
  const db = tempDb();
  const child = spawn(process.execPath, [BIN, 'run', '--tasks', '700', '--trials', '5', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/progress: [1-9]\d*\//.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /SIGINT: finishing the episodes in flight/);
  assert.match(stdout, /\[interrupted\]/);
  assert.match(stdout, /groundwork run --resume run-/);
  const runs = JSON.parse(cli(['runs', '--json', '--db', db]).stdout).runs;
  assert.equal(runs[0].status, 'interrupted');
  assert.ok(runs[0].episodes > 0 && runs[0].episodes < runs[0].planned);
});
