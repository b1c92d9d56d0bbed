import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrajectoryEvent } from '../../schema/trajectory.ts';
import { chatMessages } from './chat-format.ts';

test("exported conversations are the agent's: the simulated user's own tool traffic (dual control) is left out", () => {
  const events: TrajectoryEvent[] = [
    { type: 'tool_call', id: 'u1', actor: 'user', name: 'check_notifications', arguments: {} },
    { type: 'tool_result', callId: 'u1', actor: 'user', name: 'check_notifications', content: '[]', isError: false },
    { type: 'message', role: 'user', content: 'Please mark task_1 completed.' },
    { type: 'tool_call', id: 'a1', name: 'update_task_status', arguments: { task_id: 'task_1', status: 'completed' } },
    { type: 'tool_result', callId: 'a1', name: 'update_task_status', content: '{"status": "completed"}', isError: false },
    { type: 'message', role: 'agent', content: 'Done.' },
  ];
  assert.deepEqual(chatMessages('policy', events), [
    { role: 'system', content: 'policy' },
    { role: 'user', content: 'Please mark task_1 completed.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'a1', type: 'function', function: { name: 'update_task_status', arguments: '{"task_id":"task_1","status":"completed"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'a1', content: '{"status": "completed"}' },
    { role: 'assistant', content: 'Done.' },
  ]);
});
