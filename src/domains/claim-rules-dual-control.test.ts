import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { pairResults, toolCallsOf } from './claim-rules.ts';

// τ²'s mock domain: the user dismisses a notification on its side, the agent updates a task. The
// user's call reuses the agent's call id, as ids in imported τ² trajectories may.
const events: TrajectoryEvent[] = [
  { type: 'message', role: 'user', content: 'Please mark task_1 completed.' },
  { type: 'tool_call', id: 'c1', name: 'update_task_status', arguments: { task_id: 'task_1', status: 'completed' } },
  { type: 'tool_call', id: 'c1', actor: 'user', name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } },
  {
    type: 'tool_result',
    callId: 'c1',
    actor: 'user',
    name: 'dismiss_notification',
    content: 'Notification notif_1 dismissed',
    isError: false,
  },
  {
    type: 'tool_result',
    callId: 'c1',
    name: 'update_task_status',
    content: '{"task_id": "task_1", "status": "completed"}',
    isError: false,
  },
  { type: 'tool_call', id: 'u2', actor: 'user', name: 'check_notifications', arguments: {} },
  { type: 'tool_result', callId: 'u2', actor: 'user', name: 'check_notifications', content: '[]', isError: false },
  { type: 'message', role: 'agent', content: 'Task task_1 is completed.' },
];

test("the agent's evidence leaves out the user's own tool calls, and never pairs an agent call with a user's result", () => {
  const pairs = pairResults(events);
  assert.deepEqual(
    [...pairs].map(([index, result]) => [index, result.name]),
    [[1, 'update_task_status']],
  );
  assert.deepEqual(
    toolCallsOf(events).map((c) => ({ name: c.name, result: c.result, isError: c.isError })),
    [{ name: 'update_task_status', result: { task_id: 'task_1', status: 'completed' }, isError: false }],
  );
});
