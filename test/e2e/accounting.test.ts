// Issue 11, items 5 and 6: runs compared only on tasks of equal content, and honest accounting
// (nothing graded is no reward, a dead server fails fast, partial pass^k columns are flagged).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { Domain } from '../../src/domains/domain.ts';
import { createDomain, createDomainRegistry } from '../../src/domains/registry.ts';
import { createRun, executeRun } from '../../src/runner/local-runner.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { ViewerApi } from '../../src/viewer/api.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const tempDir = () => mkdtempSync(join(tmpdir(), 'gw-acct-'));

function cli(args: string[]) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started };
}

/** A local port with nothing listening: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('groundwork: error:'));

test('a run against a closed port ends within seconds, shows no reward, says why, and exits non-zero', async () => {
  const dir = tempDir();
  const db = join(dir, 'g.db');
  const port = await closedPort();
  const agent = `ollama:qwen3:8b@http://127.0.0.1:${port}/v1`;
  const run = cli(['run', '--agent', agent, '--json', '--db', db]);
  // 63 episodes; each used to spend about 23 s retrying the refused connection.
  console.log(`closed-port run: ${run.ms.toFixed(0)} ms wall for 63 episodes`);
  assert.ok(run.ms < 15_000, `took ${run.ms} ms`);
  assert.equal(run.status, 1, run.stderr);
  const lines = errorLines(run.stderr);
  assert.equal(lines.length, 1, run.stderr);
  assert.match(
    lines[0],
    new RegExp(
      `^groundwork: error: nothing graded: all 63 episodes ended in infra_error: .*connection refused at http://127\\.0\\.0\\.1:${port}/v1.*is the server running`,
    ),
  );
  const out = JSON.parse(run.stdout);
  const metrics = out.agents[agent];
  assert.equal(metrics.episodes, 63);
  assert.equal(metrics.graded, 0);
  assert.equal(metrics.meanReward, null);
  assert.equal(metrics.ci95, null);
  assert.equal(metrics.flipRate, null);
  assert.deepEqual(metrics.passHatK, {});
  assert.equal(out.graded, 0);
  assert.equal(out.statusText, 'finished, nothing graded');
  assert.match(out.notes[0], /nothing graded, no reward: all 63 episodes ended in infra_error/);

  // The same in text: the status says so and no number stands in for the missing reward.
  const show = cli(['show', out.runId, '--db', db]);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /\[finished, nothing graded\]/);
  const row = show.stdout.split('\n').find((line) => line.startsWith(agent) && / 63 +- +- +- +63$/.test(line));
  assert.ok(row, show.stdout);
  assert.doesNotMatch(show.stdout.split('Termination reasons')[0], /0\.000/);
  const runs = cli(['runs', '--db', db]);
  assert.match(runs.stdout, new RegExp(`finished, nothing graded .* ${agent.replace(/[.]/g, '\\.')} -`));
  const listed = JSON.parse(cli(['runs', '--json', '--db', db]).stdout).runs[0];
  assert.equal(listed.meanReward[agent], null);
  assert.equal(listed.graded, 0);

  // Resuming changes nothing and fails the same way; an agent beside it that ran keeps its reward.
  assert.equal(cli(['run', '--resume', out.runId, '--db', db]).status, 1);
  const mixed = cli(['run', '--agent', 'oracle', '--agent', agent, '--tasks', '3', '--trials', '1', '--json', '--db', db]);
  assert.equal(mixed.status, 1);
  assert.match(
    errorLines(mixed.stderr)[0],
    new RegExp(`nothing graded for ${agent.replace(/[.]/g, '\\.')}: all 3 episodes ended in infra_error`),
  );
  const both = JSON.parse(mixed.stdout);
  assert.equal(both.agents.oracle.meanReward, 1);
  assert.equal(both.agents[agent].meanReward, null);
  assert.equal(both.statusText, 'finished');
});

test('learn stops at the first phase that is mostly infra errors, quickly and with a non-zero exit', async () => {
  const db = join(tempDir(), 'g.db');
  const port = await closedPort();
  const learn = cli([
    'learn',
    '--agent',
    `ollama:qwen3:8b@http://127.0.0.1:${port}/v1`,
    '--rounds',
    '2',
    '--train-tasks',
    '3',
    '--test-tasks',
    '2',
    '--db',
    db,
  ]);
  console.log(`closed-port learn: ${learn.ms.toFixed(0)} ms wall`);
  assert.ok(learn.ms < 15_000, `took ${learn.ms} ms`);
  assert.equal(learn.status, 1, learn.stderr);
  const lines = errorLines(learn.stderr);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /learning stopped in test-before .*: 2 of 2 episodes ended in infra_error \(more than 50%\): .*connection refused/,
  );
  assert.doesNotMatch(learn.stderr, /success 0\.000/);
});

test('compare pairs tasks by content: different --domain-seed is refused, shared tasks only otherwise', async () => {
  const dir = tempDir();
  const db = join(dir, 'g.db');
  const runId = (args: string[]) => {
    const run = cli(['run', ...args, '--json', '--db', db]);
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout).runId as string;
  };
  const plain = runId(['--agent', 'naive', '--trials', '2']);
  const seven = runId(['--agent', 'naive', '--trials', '2', '--domain-seed', '7']);
  // Same task ids (hd-test-000…), different worlds: no flip may be reported, the runs are refused.
  for (const json of [[], ['--json']]) {
    const compare = cli(['compare', plain, seven, ...json, '--db', db]);
    assert.equal(compare.status, 2);
    assert.equal(compare.stdout, '');
    assert.deepEqual(errorLines(compare.stderr), [
      `groundwork: error: runs ${plain} and ${seven} share no task (21 task id(s) are in both runs but differ in content), so they cannot be compared (the worlds or task data differ: compare runs made with the same --domain-seed and task files)`,
    ]);
  }

  // Some tasks shared: B's first 9 tasks carry an extra requirement nobody can meet, so the
  // oracle fails them in B. Paired by id they would be 9 flips; by content they are left out.
  const store = SqliteStore.open(db);
  try {
    const changed = (domain: Domain): Domain => {
      const wrapped = Object.create(domain) as Domain;
      wrapped.tasks = (selection) =>
        domain.tasks(selection).map((task, i) => {
          if (i >= 9 || task.expected.kind !== 'declared') return task;
          const impossible = { kind: 'present' as const, table: 'no_such_table', key: 'x', description: 'impossible' };
          return {
            ...task,
            expected: {
              ...task.expected,
              alternatives: task.expected.alternatives.map((alt) => ({ ...alt, required: [...alt.required, impossible] })),
            },
          };
        });
      return wrapped;
    };
    const a = (await createRun(store, { domain: 'helpdesk', agents: ['oracle'], trials: 2 })).runId;
    // The same name, other tasks: a registry of its own whose helpdesk is the changed one.
    const domains = createDomainRegistry([['helpdesk', (options) => changed(createDomain('helpdesk', options))]]);
    const b = (await createRun(store, { domain: 'helpdesk', agents: ['oracle'], trials: 2 }, { domains })).runId;
    await executeRun(a, { store });
    await executeRun(b, { store, domains });
    assert.equal((await store.listEpisodes(b, { result: 'fail' })).length, 18, 'the changed tasks do fail in B');

    const text = cli(['compare', a, b, '--db', db]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /comparing 12 of 21 tasks: 9 differ in content; only shared tasks are compared\./);
    assert.doesNotMatch(text.stdout, /flipped/);
    const json = JSON.parse(cli(['compare', a, b, '--json', '--db', db]).stdout);
    assert.deepEqual(json.tasks, {
      tasksA: 21,
      tasksB: 21,
      shared: 12,
      differ: 9,
      onlyA: 0,
      onlyB: 0,
      note: 'comparing 12 of 21 tasks: 9 differ in content',
    });
    const [c] = json.comparisons;
    assert.equal(c.tasks, 12);
    assert.equal(c.pairs, 24);
    assert.equal(c.passA, 1);
    assert.equal(c.passB, 1);
    assert.deepEqual(c.flips, []);

    // The viewer's compare page reads the same pairing.
    const api = new ViewerApi(store);
    const page = await api.compare(a, b);
    assert.equal(page.tasks.note, 'comparing 12 of 21 tasks: 9 differ in content');
    assert.equal(page.pairs[0].tasks, 12);
    assert.equal(page.pairs[0].flipsTotal, 0);
    const refused = await api.compare(plain, seven);
    assert.deepEqual(refused.pairs, []);
    assert.match(refused.refused ?? '', /share no task \(21 task id\(s\) are in both runs but differ in content/);
  } finally {
    await store.close();
  }
});

test('an interrupted run notes that its pass^k columns cover different tasks (text, JSON, report)', async () => {
  const dir = tempDir();
  const db = join(dir, 'g.db');
  const store = SqliteStore.open(db);
  let runId: string;
  try {
    runId = (await createRun(store, { domain: 'helpdesk', agents: ['naive'], trials: 3, concurrency: 1 })).runId;
    // Trials are the outer loop: stopping after 50 of 63 (or 51: the episode in flight when it stops
    // is stored too) leaves 8 (or 9) of the 21 tasks with a third trial.
    const controller = new AbortController();
    const result = await executeRun(runId, { store, signal: controller.signal, onProgress: (p) => p.done >= 50 && controller.abort() });
    assert.equal(result.status, 'interrupted');
  } finally {
    await store.close();
  }
  const json = JSON.parse(cli(['show', runId, '--json', '--db', db]).stdout);
  assert.ok(json.episodes === 50 || json.episodes === 51, `${json.episodes} episodes stored`);
  const third = json.episodes - 42;
  assert.deepEqual(json.agents.naive.passKTasks, { '1': 21, '2': 21, '3': third });
  const note = `naive: pass^k columns cover different tasks (pass^3 over ${third} tasks, pass^1–2 over 21 tasks)`;
  assert.deepEqual(json.notes, [`${note}; compare columns only over the same tasks`]);
  const text = cli(['show', runId, '--db', db]);
  assert.match(text.stdout, /\[interrupted\]/);
  assert.ok(text.stdout.includes(`Note: ${note}`), text.stdout);
  const report = join(dir, 'report.html');
  const written = cli(['report', runId, '--output', report, '--db', db]);
  assert.equal(written.status, 0, written.stderr);
  assert.ok(readFileSync(report, 'utf8').includes(`Note: ${note}`));
});
