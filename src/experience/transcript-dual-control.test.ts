import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { EpisodeRecord } from '../store/store.ts';
import { reflectionPrompt } from './reflexion.ts';
import { compactTurns, renderTurns, transcriptTurns } from './transcript.ts';

// τ²'s mock domain: the user checks its inbox on its side, the agent updates a task.
const events: TrajectoryEvent[] = [
  { type: 'tool_call', id: 'u1', actor: 'user', name: 'check_notifications', arguments: {} },
  {
    type: 'tool_result',
    callId: 'u1',
    actor: 'user',
    name: 'check_notifications',
    content: '[{"notification_id": "notif_1"}]',
    isError: false,
  },
  { type: 'message', role: 'user', content: 'Please mark task_1 completed.' },
  { type: 'tool_call', id: 'a1', name: 'update_task_status', arguments: { task_id: 'task_1', status: 'completed' } },
  { type: 'tool_result', callId: 'a1', name: 'update_task_status', content: '{"status": "completed"}', isError: false },
  { type: 'tool_call', id: 'u2', actor: 'user', name: 'dismiss_notification', arguments: { notification_id: 'notif_9' } },
  {
    type: 'tool_result',
    callId: 'u2',
    actor: 'user',
    name: 'dismiss_notification',
    content: 'Error: Notification notif_9 not found',
    isError: true,
  },
  { type: 'message', role: 'agent', content: 'Done.' },
];

test("what the agent did leaves out the user's own tool calls", () => {
  assert.deepEqual(compactTurns(events), [
    { role: 'user', content: 'Please mark task_1 completed.' },
    { role: 'tool_call', name: 'update_task_status', arguments: { task_id: 'task_1', status: 'completed' } },
    { role: 'tool_result', name: 'update_task_status', content: '{"status": "completed"}', isError: false },
    { role: 'agent', content: 'Done.' },
  ]);
});

test("a transcript for a critic keeps the user's own tool calls in place, labelled as the user's", () => {
  const text = renderTurns(transcriptTurns(events));
  assert.equal(
    text,
    [
      '  [user] -> check_notifications({})',
      '  [user] <- [{"notification_id": "notif_1"}]',
      'USER: Please mark task_1 completed.',
      '  -> update_task_status({"task_id":"task_1","status":"completed"})',
      '  <- {"status": "completed"}',
      '  [user] -> dismiss_notification({"notification_id":"notif_9"})',
      '  [user] <- [error] Error: Notification notif_9 not found',
      'AGENT: Done.',
    ].join('\n'),
  );
  const episode = {
    trajectory: { events },
    outcome: { state: { predicates: [] }, communication: { items: [] }, diff: [] },
  } as unknown as EpisodeRecord;
  assert.match(reflectionPrompt('policy', episode, false), /\[user\] -> dismiss_notification/);
});
