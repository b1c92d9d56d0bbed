import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { createOracleAgent } from '../agents/oracle.ts';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { createDomain } from '../domains/registry.ts';
import { benchmarksDir } from '../domains/tau-bench/data.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import type { Task } from '../schema/task.ts';
import type { TableState } from '../state/table-state.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { mutationCheck, referenceEndState } from './mutation-check.ts';

const helpdesk = createHelpdeskDomain();
const testTasks = helpdesk.tasks({ split: 'test' });

test('helpdesk test split: every mutation gets the grade its expected outcome implies', () => {
  const started = performance.now();
  const report = mutationCheck(helpdesk, testTasks);
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(report.baselineFailures, []);
  assert.deepEqual(report.disagreements.slice(0, 5), []);
  assert.equal(report.score, 1);
  assert.deepEqual(Object.keys(report.byFamily).sort(), [
    'access_request',
    'clarify',
    'erase',
    'feature_off',
    'legal_hold',
    'offboard',
    'unauthorized',
  ]);
  for (const kind of ['undo', 'undo_after_allowed', 'allowed_extra', 'delete_record', 'add_record', 'change_value'])
    assert.ok(report.byKind[kind]?.total > 0, kind);
  // Both sides are exercised: changes that must keep passing, and many that must fail.
  assert.ok(report.impliedPass >= 20 && report.total - report.impliedPass > 1000, `${report.impliedPass} of ${report.total} must pass`);
  assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
});

test('the reference end state is the state the real oracle episode ends in', async () => {
  const user = createScriptedUser();
  for (const task of testTasks.slice(0, 7)) {
    const result = await runEpisode({
      domain: helpdesk,
      task,
      agent: createOracleAgent(),
      user,
      episodeId: `mc-${task.id}`,
      trial: 0,
      seed: 1,
    });
    assert.equal(referenceEndState(helpdesk, task, initialStateFor(helpdesk, task)).hash(), result.finalState.hash(), task.id);
  }
});

/** The tasks with allowed-change rules that constrain fields only, as before grader 3. */
function withoutValueRules(tasks: readonly Task[]): Task[] {
  return tasks.map((task) => {
    if (task.expected.kind !== 'declared') return task;
    const alternatives = task.expected.alternatives.map((a) => ({
      ...a,
      allowed: a.allowed.map(({ values: _values, maxRecords: _max, ...rule }) => rule),
    }));
    return { ...task, expected: { ...task.expected, alternatives } };
  });
}

test('it fails when a declaration allows values that break the requirement', () => {
  const report = mutationCheck(
    helpdesk,
    withoutValueRules(testTasks.filter((t) => t.family === 'access_request' || t.family === 'offboard')),
  );
  assert.ok(report.score < 1);
  // The grant may be created "at any level", yet another level fails: the declaration is too loose.
  assert.ok(
    report.disagreements.some(
      (d) => d.family === 'access_request' && /^grants\/.*\.level: /.test(d.mutation) && d.expected === 1 && d.got === 0,
    ),
    JSON.stringify(report.disagreements.slice(0, 3)),
  );
});

test('it fails when erasure reachability depends on the file rows still existing', () => {
  // The reachability query as it was: only copies of files whose row still exists count.
  const rowBound = (state: TableState, args: Record<string, unknown>) => {
    const files = state.rows('files').filter((f) => f.customerId === args.customer_id);
    return state.rows('file_copies').some((c) => files.some((f) => f.id === c.fileId));
  };
  const broken = { ...helpdesk, queries: { ...helpdesk.queries, customerDataReachable: rowBound } };
  const report = mutationCheck(
    broken,
    testTasks.filter((t) => t.family === 'erase'),
  );
  assert.ok(report.disagreements.length > 0);
  assert.ok(report.disagreements.every((d) => d.kind === 'undo_after_allowed' && d.expected === 0 && d.got === 1));
});

test('the check is deterministic', () => {
  const tasks = testTasks.slice(0, 4);
  assert.deepEqual(mutationCheck(helpdesk, tasks), mutationCheck(helpdesk, tasks));
});

test('τ-bench airline: every mutation of the gold end state fails', {
  skip: !existsSync(`${benchmarksDir()}/tau-bench/airline`) && 'no benchmark data',
}, () => {
  const airline = createDomain('tau-bench/airline');
  const report = mutationCheck(airline, airline.tasks({ split: 'test' }).slice(0, 8));
  assert.equal(report.impliedPass, 0);
  assert.ok(report.total > 100);
  assert.equal(report.score, 1, JSON.stringify(report.disagreements.slice(0, 3)));
});
