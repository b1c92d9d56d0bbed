import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchmarksDir } from '../domains/tau-bench/data.ts';
import { createDomain } from '../domains/registry.ts';
import { GroundworkError } from '../errors.ts';
import { canonicalJson } from '../schema/json.ts';
import { parseTauResults, readTauResultsFile, regradeTauResults, type TauMessage } from './tau-bench-results.ts';

const HISTORICAL = join(benchmarksDir(), 'tau-bench', 'airline', 'historical_gpt-4o.json');
const airline = createDomain('tau-bench/airline');

test("re-grading τ-bench's 200 published gpt-4o airline records reproduces every recorded reward", () => {
  const started = Date.now();
  const records = readTauResultsFile(HISTORICAL);
  const result = regradeTauResults(records, { domain: airline, agent: 'imported:gpt-4o' });
  const { summary } = result;
  assert.equal(summary.records, 200);
  assert.deepEqual(summary.disagreements, []);
  assert.equal(summary.agreement, 200);
  assert.deepEqual(summary.passHatK, summary.recordedPassHatK);
  assert.equal(summary.passHatK['1'], 0.42);
  assert.equal(summary.tasksDifferingFromDomain, 0);
  // Both ways of ending an episode occur, and τ-bench's 30-action limit gives reward 0.
  const terminations = new Map<string, number>();
  for (const e of result.episodes)
    terminations.set(e.trajectory.termination.reason, (terminations.get(e.trajectory.termination.reason) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(terminations), { user_stop: 147, agent_stop: 48, max_steps: 5 });
  // Task 46 trial 3 reached the gold state but never ended: τ-bench recorded 0, and so do we.
  const unfinished = result.episodes.find((e) => e.taskId === '46' && e.trial === 3)!;
  assert.equal(unfinished.outcome.state.pass, true);
  assert.equal(unfinished.reward, 0);
  assert.match(unfinished.outcome.note ?? '', /did not end/);

  // Every differing tool output is explained: the historical run predates τ-bench's rename of
  // users' address field `province` to `state` (commit 404f33e); the remaining two differ only in
  // the key order of flights the agent passed with extra keys (same JSON value).
  const mismatches = result.episodes.flatMap((e) => e.toolOutputMismatches);
  assert.equal(summary.toolOutputMismatches, mismatches.length);
  const renamed = mismatches.filter((m) => m.recorded.replaceAll('"province"', '"state"') === m.ours);
  const reordered = mismatches.filter((m) => !renamed.includes(m));
  assert.equal(renamed.length, 120);
  assert.ok(renamed.every((m) => m.tool === 'get_user_details'));
  assert.deepEqual(reordered.map((m) => m.tool).sort(), ['update_reservation_baggages', 'update_reservation_flights']);
  for (const m of reordered) assert.equal(canonicalJson(JSON.parse(m.ours)), canonicalJson(JSON.parse(m.recorded)));
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

const user = (content: string): TauMessage => ({ role: 'user', content });
const say = (content: string): TauMessage => ({ role: 'assistant', content, tool_calls: null });
let ids = 0;
const call = (name: string, args: string, content: string | null = null): TauMessage => ({
  role: 'assistant',
  content,
  tool_calls: [{ id: `c${++ids}`, type: 'function', function: { name, arguments: args } }],
});
const result = (name: string, content: string): TauMessage => ({ role: 'tool', content, name, tool_call_id: `c${ids}` });

test('a hand-made results file: malformed calls, unknown tools and invalid JSON never crash; τ-bench semantics hold', () => {
  const stop = user('Thanks! ###STOP###');
  const records = parseTauResults([
    // Gold action, then a stop: reward 1. The recorded output is wrong on purpose: one mismatch.
    {
      task_id: 1,
      trial: 0,
      reward: 1,
      info: {},
      traj: [
        { role: 'system', content: 'policy' },
        user('Cancel Z7GOZK please.'),
        call('cancel_reservation', '{"reservation_id": "Z7GOZK"}'),
        result('cancel_reservation', 'not what we return'),
        say('It is cancelled.'),
        stop,
      ],
    },
    // Invalid JSON, an unknown tool, a null function, absent arguments, then two calls in one
    // message: only the first (the gold cancel) runs, so the second's collateral never happens.
    {
      task_id: 1,
      trial: 1,
      reward: 1,
      info: {},
      traj: [
        user('Cancel Z7GOZK please.'),
        call('cancel_reservation', '{"reservation_id": "Z7G'),
        result('cancel_reservation', 'Error'),
        call('teleport', '{}'),
        { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'x', function: null }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'y', function: { name: 'get_reservation_details' } }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', function: { name: 'cancel_reservation', arguments: '{"reservation_id": "Z7GOZK"}' } },
            { id: 'b', function: { name: 'cancel_reservation', arguments: '{"reservation_id": "JG7FMM"}' } },
          ],
        },
        say('Done.'),
        stop,
      ],
    },
    // A transfer ends the episode: the cancel recorded after it is not replayed (task 13: no change).
    {
      task_id: 13,
      trial: 0,
      reward: 1,
      info: {},
      traj: [
        user('Change my flight.'),
        call('transfer_to_human_agents', '{"summary": "wants a nonstop"}'),
        result('transfer_to_human_agents', 'Transfer successful'),
        call('cancel_reservation', '{"reservation_id": "XEWRD9"}'),
      ],
    },
    // Task 44 must tell the user "4": said only beside a tool call it was never sent (0); said in a reply, 1.
    {
      task_id: 44,
      trial: 0,
      reward: 0,
      info: {},
      traj: [
        user('How many?'),
        call('get_reservation_details', '{"reservation_id": "JMO1MG"}', 'You have 4 bags.'),
        say('Here you go.'),
        stop,
      ],
    },
    {
      task_id: 44,
      trial: 1,
      reward: 1,
      info: {},
      traj: [user('How many?'), call('get_reservation_details', '{"reservation_id": "JMO1MG"}'), say('You have 4 bags.'), stop],
    },
    // τ-bench crashed on this one and recorded no trajectory.
    { task_id: 1, trial: 2, reward: 0, info: { error: 'litellm.RateLimitError: boom\nTraceback…' }, traj: [] },
    // Gold state reached, but 30 actions and no stop: τ-bench's reward is 0.
    {
      task_id: 1,
      trial: 3,
      reward: 0,
      info: {},
      traj: [
        user('Cancel Z7GOZK.'),
        call('cancel_reservation', '{"reservation_id": "Z7GOZK"}'),
        ...Array.from({ length: 29 }, () => call('think', '{"thought": "hm"}')),
      ],
    },
  ]);
  const { episodes, summary } = regradeTauResults(records, { domain: airline });
  const byKey = new Map(episodes.map((e) => [`${e.taskId}/${e.trial}`, e]));
  assert.deepEqual(
    episodes.map((e) => [`${e.taskId}/${e.trial}`, e.reward, e.trajectory.termination.reason]),
    [
      ['1/0', 1, 'user_stop'],
      ['1/1', 1, 'user_stop'],
      ['13/0', 1, 'agent_stop'],
      ['44/0', 0, 'user_stop'],
      ['44/1', 1, 'user_stop'],
      ['1/2', 0, 'infra_error'],
      ['1/3', 0, 'max_steps'],
    ],
  );
  assert.equal(summary.agreement, 7);
  assert.equal(summary.toolOutputMismatches, 2); // the wrong recorded output, and 'Error' vs our JSON error text
  assert.deepEqual(
    byKey.get('1/0')!.toolOutputMismatches.map((m) => m.recorded),
    ['not what we return'],
  );

  const messy = byKey.get('1/1')!.trajectory.events;
  const results = messy.filter((e) => e.type === 'tool_result');
  assert.match(results[0].type === 'tool_result' ? results[0].content : '', /not valid JSON/);
  assert.match(results[1].type === 'tool_result' ? results[1].content : '', /unknown tool "teleport"/);
  assert.match(results[2].type === 'tool_result' ? results[2].content : '', /invalid arguments/);
  assert.equal(results.length, 4);
  assert.ok(messy.some((e) => e.type === 'message' && e.role === 'agent' && e.content === 'Let me check.'));
  assert.ok(messy.some((e) => e.type === 'note' && /first of 2 tool calls/.test(e.content)));
  // The raw string is kept when the arguments are not JSON.
  assert.ok(messy.some((e) => e.type === 'tool_call' && e.arguments === '{"reservation_id": "Z7G'));
  assert.equal(byKey.get('1/1')!.outcome.collateral.pass, true);

  const transfer = byKey.get('13/0')!;
  assert.ok(transfer.trajectory.events.some((e) => e.type === 'note' && /1 recorded message\(s\) after the end/.test(e.content)));
  assert.deepEqual(transfer.trajectory.finalChanges, {});

  assert.equal(byKey.get('44/0')!.outcome.communication.pass, false);
  assert.equal(byKey.get('44/0')!.outcome.state.pass, true);
  assert.equal(byKey.get('1/3')!.outcome.state.pass, true);
  assert.match(byKey.get('1/2')!.trajectory.termination.detail ?? '', /RateLimitError/);

  // pass^k over the tasks: task 1 has 4 trials (2 passes), 44 two (1 pass), 13 one (1 pass).
  assert.equal(summary.passHatK['1'], (2 / 4 + 1 / 2 + 1) / 3);
  assert.equal(summary.passHatK['4'], 0);
});

test('bad files are refused with one clear error', () => {
  for (const [value, pattern] of [
    [{ not: 'a list' }, /not a τ-bench results file/],
    [[{ task_id: 0, reward: 1, info: {} }], /traj/],
    [[{ task_id: 0, reward: 1, traj: [{ role: 'wizard', content: 'x' }] }], /0\.traj\.0\.role/],
    [[{ task_id: 'zero', reward: 1, traj: [] }], /task_id/],
  ] as const) {
    assert.throws(
      () => parseTauResults(value, 'f.json'),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'INVALID_ARGUMENT' && pattern.test(error.message),
    );
  }
  assert.throws(
    () => regradeTauResults([], { domain: createDomain('helpdesk') }),
    /tau-bench\/airline or tau-bench\/retail|can be re-graded/,
  );
  assert.throws(
    () => regradeTauResults(parseTauResults([{ task_id: 999, reward: 0, traj: [] }]), { domain: airline }),
    (error: unknown) => GroundworkError.isInstance(error) && error.code === 'UNKNOWN_TASK',
  );
});

test('every retail test task, played by its gold actions as a τ-bench trajectory, re-grades to 1 (and without its outputs said, to 0)', () => {
  const retail = createDomain('tau-bench/retail');
  const tasks = retail.tasks({ split: 'test' });
  const terminal = new Set(retail.tools.filter((t) => t.terminal).map((t) => t.name));
  const recordsFor = (sayOutputs: boolean) =>
    parseTauResults(
      tasks.map((task) => {
        const actions = task.expected.kind === 'gold-replay' ? task.expected.actions : [];
        const outputs = task.expected.communicate.map((item) => item.anyOf![0]);
        const traj: TauMessage[] = [user(task.user.instructions)];
        for (const action of actions.filter((a) => !terminal.has(a.name))) traj.push(call(action.name, JSON.stringify(action.arguments)));
        traj.push(say(sayOutputs && outputs.length ? `Here you are: ${outputs.join(' ; ')}` : 'Done.'));
        const transfer = actions.find((a) => terminal.has(a.name));
        traj.push(transfer ? call(transfer.name, JSON.stringify(transfer.arguments)) : user('ok ###STOP###'));
        return { task_id: Number(task.id), trial: 0, reward: sayOutputs || outputs.length === 0 ? 1 : 0, traj };
      }),
    );
  for (const sayOutputs of [true, false]) {
    const { summary, episodes } = regradeTauResults(recordsFor(sayOutputs), { domain: retail });
    assert.equal(summary.records, tasks.length);
    assert.deepEqual(summary.disagreements, [], `sayOutputs=${sayOutputs}`);
    assert.ok(
      episodes.every((e) =>
        e.trajectory.events.every((ev) => ev.type !== 'tool_result' || !/^Error: (unknown tool|invalid arguments)/.test(ev.content)),
      ),
    );
  }
});
