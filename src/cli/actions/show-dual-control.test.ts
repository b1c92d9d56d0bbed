import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldChange } from '../../schema/outcome.ts';
import type { Trajectory } from '../../schema/trajectory.ts';
import type { EpisodeRecord } from '../../store/store.ts';
import { formatEpisode } from './show.ts';

/** A stored τ² mock episode: the user dismissed its notification on its side, the agent completed task_1. */
function dualEpisode(userTables: string[] | undefined): EpisodeRecord {
  const diff: FieldChange[] = [
    { table: 'tasks', key: 'task_1', op: 'update', path: 'status', before: 'pending', after: 'completed', verdict: 'required' },
    { table: 'notifications', key: 'notif_1', op: 'update', path: 'status', before: 'unread', after: 'read', verdict: 'allowed' },
  ];
  const trajectory = {
    events: [
      { type: 'tool_call', id: 'u1', actor: 'user', name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } },
      {
        type: 'tool_result',
        callId: 'u1',
        actor: 'user',
        name: 'dismiss_notification',
        content: 'Notification notif_1 dismissed',
        isError: false,
        stateHash: 'h1',
      },
      { type: 'message', role: 'user', content: 'Please complete task_1.' },
      { type: 'tool_call', id: 'a1', name: 'update_task_status', arguments: { task_id: 'task_1', status: 'completed' } },
      {
        type: 'tool_result',
        callId: 'a1',
        name: 'update_task_status',
        content: '{"status": "completed"}',
        isError: false,
        stateHash: 'h2',
      },
      { type: 'message', role: 'agent', content: 'Done.' },
    ],
    termination: { reason: 'user_stop' },
    participants: { episode: { wrappers: [], ...(userTables ? { userTables } : {}) } },
  } as unknown as Trajectory;
  return {
    id: 'ep-1',
    runId: 'run-1',
    agent: 'oracle',
    taskId: 'update_task_with_user_tools',
    trial: 0,
    seed: 1,
    family: 'mock',
    split: 'base',
    reward: 1,
    termination: 'user_stop',
    trajectory,
    outcome: {
      reward: 1,
      state: { pass: true, predicates: [] },
      collateral: { pass: true, changes: [] },
      communication: { pass: true, items: [] },
      diff,
    } as unknown as EpisodeRecord['outcome'],
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

test("show --episode labels the user's own tool calls and results as the user's", () => {
  const text = formatEpisode(dualEpisode(['notifications']));
  assert.match(text, /^ {4}USER → dismiss_notification\(\{"notification_id":"notif_1"\}\)$/m);
  assert.match(text, /^ {4}USER ← Notification notif_1 dismissed {2}\[state h1\]$/m);
  assert.match(text, /^ {4}→ update_task_status\(/m, "the agent's call is unlabelled");
  assert.match(text, /^ {4}← \{"status": "completed"\}/m);
});

test('show --episode splits the state diff into the agent’s side and the user’s side when the episode recorded user tables', () => {
  const text = formatEpisode(dualEpisode(['notifications']));
  const diff = text.slice(text.indexOf('State diff'));
  assert.equal(
    diff,
    [
      'State diff (initial → final):',
      '  Agent side (the service’s records):',
      '    [required] tasks/task_1.status: "pending" → "completed"',
      '  User side (the user’s own state):',
      '    [allowed] notifications/notif_1.status: "unread" → "read"',
    ].join('\n'),
  );
  // Without a user side the diff stays one list.
  const single = formatEpisode(dualEpisode(undefined));
  assert.equal(
    single.slice(single.indexOf('State diff')),
    [
      'State diff (initial → final):',
      '  [required] tasks/task_1.status: "pending" → "completed"',
      '  [allowed] notifications/notif_1.status: "unread" → "read"',
    ].join('\n'),
  );
});
