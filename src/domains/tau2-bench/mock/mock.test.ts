import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { JsonValue } from '../../../schema/json.ts';
import { checkDomain } from '../../check-domain.ts';
import { initialStateFor } from '../../initial-state.ts';
import { executeSideToolCall, runEnvFunction } from '../../tools.ts';
import type { Side } from '../../domain.ts';
import { tau2StateHash } from '../canonical.ts';
import { databaseOf } from './tools.ts';
import { createTau2MockDomain, MOCK_UPSTREAM_DEFECTS, tau2DbDump } from './index.ts';

/** Values produced by running τ²'s own mock code (how: the file's `how`). */
interface Call {
  side: Side;
  name: string;
  arguments: Record<string, JsonValue>;
  content: string;
  error: boolean;
}
interface Dumps {
  agent: JsonValue;
  user: JsonValue;
}
const reference = JSON.parse(readFileSync(new URL('./tau2-reference.json', import.meta.url), 'utf8')) as {
  tasks: Record<
    string,
    { initial: Dumps; gold: Call[]; final: Dumps; offPath?: { calls: Call[]; final: Dumps }; rewards: { oracle: { reward?: number } } }
  >;
};

const domain = createTau2MockDomain();
const tasks = domain.tasks({});

const dumps = (state: Parameters<typeof tau2DbDump>[0]): Dumps => ({ agent: tau2DbDump(state, 'agent'), user: tau2DbDump(state, 'user') });

function replay(state: Parameters<typeof tau2DbDump>[0], calls: readonly Call[]) {
  return calls.map((call) => {
    const result = executeSideToolCall(domain, state, call.side, call.name, call.arguments);
    return { content: result.content, error: result.isError };
  });
}

test('every task of the base split is τ²’s, in τ²’s order', () => {
  assert.deepEqual(
    tasks.map((t) => t.id),
    Object.keys(reference.tasks),
  );
  assert.deepEqual(domain.splits, ['base']);
  assert.equal(domain.defaultSplit, 'base');
});

test('initial states, gold replay outputs and final states of both sides equal τ²’s', () => {
  let outputs = 0;
  for (const task of tasks) {
    const expected = reference.tasks[task.id];
    const state = initialStateFor(domain, task);
    assert.deepEqual(dumps(state), expected.initial, `${task.id}: initial`);
    assert.deepEqual(
      replay(state, expected.gold),
      expected.gold.map((c) => ({ content: c.content, error: c.error })),
      `${task.id}: outputs`,
    );
    outputs += expected.gold.length;
    assert.deepEqual(dumps(state), expected.final, `${task.id}: final`);
  }
  assert.equal(outputs, 8);
});

test('off-path calls (errors, unicode, numbering, the user inbox, a re-pointed user database) give τ²’s outputs and states', () => {
  let calls = 0;
  for (const task of tasks) {
    const offPath = reference.tasks[task.id].offPath;
    if (!offPath) continue;
    const state = initialStateFor(domain, task);
    assert.deepEqual(
      replay(state, offPath.calls),
      offPath.calls.map((c) => ({ content: c.content, error: c.error })),
      task.id,
    );
    assert.deepEqual(dumps(state), offPath.final, `${task.id}: final`);
    calls += offPath.calls.length;
  }
  assert.equal(calls, 19);
});

test('environment functions: initialisation and assertions on either side', () => {
  const task = tasks.find((t) => t.id === 'update_task_with_user_tools')!;
  const state = initialStateFor(domain, task);
  const assertRead = {
    side: 'user' as const,
    name: 'assert_notification_status',
    arguments: { notification_id: 'notif_1', expected_status: 'read' },
  };
  assert.equal(runEnvFunction(domain, state, assertRead), false);
  executeSideToolCall(domain, state, 'user', 'dismiss_notification', { notification_id: 'notif_1' });
  assert.equal(runEnvFunction(domain, state, assertRead), true);
  assert.equal(
    runEnvFunction(domain, state, { side: 'agent', name: 'assert_number_of_tasks', arguments: { user_id: 'user_1', expected_number: 1 } }),
    true,
  );
  assert.throws(
    () =>
      runEnvFunction(domain, state, {
        side: 'agent',
        name: 'assert_task_status',
        arguments: { task_id: 'task_2', expected_status: 'pending' },
      }),
    /Task task_2 not found/,
  );
});

test('the domain is well formed and both sides are declared', () => {
  const problems = checkDomain(domain);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    domain.user?.tools.map((t) => t.name),
    ['check_notifications', 'dismiss_notification'],
  );
  assert.deepEqual(domain.user?.tables, ['notifications']);
});

/** The reference engineer's parity fixture (hashes from running τ²'s code), when it has been produced. */
const PARITY = new URL('../../../../test/fixtures/tau2-parity/mock.json', import.meta.url);
const parity = existsSync(PARITY)
  ? (JSON.parse(readFileSync(PARITY, 'utf8')) as {
      tasks: Record<
        string,
        {
          initial: { agent: string; user: string | null };
          gold: { outputs: string[]; errors: boolean[]; agent: string; user: string | null };
        }
      >;
    })
  : undefined;

test('parity fixture: initial and gold states of both sides and gold outputs hash as τ²’s', {
  skip: parity ? false : 'test/fixtures/tau2-parity/mock.json not produced yet',
}, () => {
  const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  // The fixture writes null for a user toolkit that shares the agent's database object (τ²'s
  // set_state after agent initialization_data), whose dump is the agent's.
  const hashes = (state: Parameters<typeof tau2DbDump>[0]) => ({
    agent: tau2StateHash(tau2DbDump(state, 'agent')),
    user: databaseOf(state, 'user') === 'user' ? tau2StateHash(tau2DbDump(state, 'user')) : null,
  });
  const expected = parity!.tasks;
  assert.deepEqual(Object.keys(expected).sort(), tasks.map((t) => t.id).sort());
  for (const task of tasks) {
    const { initial, gold } = expected[task.id];
    const state = initialStateFor(domain, task);
    assert.deepEqual(hashes(state), initial, `${task.id}: initial`);
    const criteria = task.expected.kind === 'tau2' ? task.expected : undefined;
    const results = (criteria?.actions ?? []).map((action) =>
      executeSideToolCall(domain, state, action.side, action.name, action.arguments),
    );
    assert.deepEqual(
      results.map((r) => sha(r.content)),
      gold.outputs,
      `${task.id}: outputs`,
    );
    assert.deepEqual(
      results.map((r) => r.isError),
      gold.errors,
      `${task.id}: errors`,
    );
    assert.deepEqual(hashes(state), { agent: gold.agent, user: gold.user }, `${task.id}: gold`);
  }
});

test('the tasks τ²’s own evaluator fails with the gold actions are exactly the ones tagged as upstream defects', () => {
  const failedByTau2 = Object.entries(reference.tasks)
    .filter(([, entry]) => entry.rewards.oracle.reward !== 1)
    .map(([id]) => id);
  assert.deepEqual(failedByTau2, Object.keys(MOCK_UPSTREAM_DEFECTS));
  assert.deepEqual(
    tasks.filter((t) => t.tags.includes('upstream-defect')).map((t) => t.id),
    failedByTau2,
  );
});
