import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { EpisodeAuditInput } from './audit.ts';
import { toolErrorAudit } from './tool-error-audit.ts';

test("tool errors count the agent's calls only: the simulated user's own calls (dual control) are not the agent's", () => {
  const events: TrajectoryEvent[] = [
    { type: 'tool_call', id: 'a', name: 'get_users', arguments: {} },
    { type: 'tool_result', callId: 'a', name: 'get_users', content: 'Error: nope', isError: true },
    { type: 'tool_call', id: 'u', actor: 'user', name: 'dismiss_notification', arguments: { notification_id: 'n9' } },
    {
      type: 'tool_result',
      callId: 'u',
      actor: 'user',
      name: 'dismiss_notification',
      content: 'Error: Notification n9 not found',
      isError: true,
    },
    { type: 'tool_call', id: 'u2', actor: 'user', name: 'check_notifications', arguments: {} },
    { type: 'tool_result', callId: 'u2', actor: 'user', name: 'check_notifications', content: '[]', isError: false },
  ];
  const input = { episode: { trajectory: { events } } } as unknown as EpisodeAuditInput;
  assert.deepEqual(toolErrorAudit.audit(input, {}), { toolErrors: { calls: 1, errors: 1, byTool: { get_users: 1 } } });
});
