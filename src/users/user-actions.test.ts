import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oracleStepMessage } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { createTau2MockDomain } from '../domains/tau2-bench/mock/index.ts';
import { createScriptedUser } from './scripted.ts';
import { describeUserToolResults, exactRequests, pendingActions, refersToTool, requestedUserCalls } from './user-actions.ts';
import type { UserToolSpec } from './user.ts';

const spec = (name: string, description: string): UserToolSpec => ({ name, description, parameters: { type: 'object', properties: {} } });
// Names and first sentences as τ²-bench telecom's user tools have them.
const TOOLS = [
  spec('toggle_airplane_mode', 'Toggles Airplane Mode ON or OFF. When ON, it disconnects all wireless communications.'),
  spec('reboot_device', 'Restarts your phone completely. This can help resolve many temporary software glitches.'),
  spec('check_network_status', "Checks your phone's connection status to cellular networks and Wi-Fi."),
  spec('reseat_sim_card', 'Simulates removing and reinserting your SIM card.'),
];

test('a request in words names a tool by the distinctive words of its name or of its description', () => {
  assert.ok(refersToTool('Could you please turn off airplane mode?', TOOLS[0]));
  assert.ok(refersToTool('Please restart your phone and tell me what you see.', TOOLS[1]));
  assert.ok(refersToTool('Can you reboot the device?', TOOLS[1]));
  assert.ok(refersToTool('Try taking the SIM card out and putting it back (reseat it).', TOOLS[3]));
  assert.ok(!refersToTool('Please restart the conversation.', TOOLS[1]));
  assert.ok(!refersToTool('Is your phone on?', TOOLS[0]));
});

test('the oracle’s exact form runs exactly the named call when it is one of the user’s tools', () => {
  const message = oracleStepMessage({ kind: 'ask_user', call: { name: 'reseat_sim_card', arguments: { note: 'a (b) "c"' } } });
  assert.deepEqual(exactRequests(message, TOOLS), [{ name: 'reseat_sim_card', arguments: { note: 'a (b) "c"' } }]);
  assert.deepEqual(exactRequests('Please do this on your side: create_task({"title":"x"})', TOOLS), [], 'not a user tool');
  // The exact form wins over anything pending.
  assert.deepEqual(requestedUserCalls(message, TOOLS, [{ name: 'reboot_device', arguments: {} }]), [
    { name: 'reseat_sim_card', arguments: { note: 'a (b) "c"' } },
  ]);
});

test('in words, the first pending planned action whose tool is named is performed; done ones are used up', () => {
  const planned = [
    { name: 'reboot_device', arguments: {} },
    { name: 'toggle_airplane_mode', arguments: {} },
    { name: 'toggle_airplane_mode', arguments: {} },
  ];
  const call = (name: string): TrajectoryEvent => ({ type: 'tool_call', id: name, actor: 'user', name, arguments: {} });
  assert.deepEqual(requestedUserCalls('Please toggle airplane mode.', TOOLS, planned), [{ name: 'toggle_airplane_mode', arguments: {} }]);
  assert.deepEqual(requestedUserCalls('Please check your network status.', TOOLS, planned), [], 'not planned: not done');
  const events = [call('toggle_airplane_mode'), { ...call('toggle_airplane_mode'), actor: undefined } as TrajectoryEvent];
  assert.deepEqual(pendingActions(planned, events), [planned[0], planned[2]], "only the user's own calls use up its actions");
});

test('the scripted user acts when asked in words, then reports what it did and saw', async () => {
  const domain = createTau2MockDomain();
  const [task] = domain.tasks({ ids: ['update_task_with_user_tools'] });
  const tools = domain.user!.tools.map((t) => spec(t.name, t.description));
  const scenario = {
    ...task,
    user: { ...task.user, actions: [{ name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } }] },
  };
  const session = createScriptedUser().start({ task: scenario, seed: 1, trial: 0, tools });
  const events: TrajectoryEvent[] = [
    { type: 'message', role: 'user', content: 'Hi' },
    { type: 'message', role: 'agent', content: 'Done. Could you now dismiss the notification on your side?' },
  ];
  const turn = await session.next(events);
  assert.deepEqual(turn.toolCalls, [{ name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } }]);
  events.push(
    { type: 'tool_call', id: 'call-1', actor: 'user', name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } },
    {
      type: 'tool_result',
      callId: 'call-1',
      actor: 'user',
      name: 'dismiss_notification',
      content: 'Notification notif_1 dismissed',
      isError: false,
    },
  );
  const report = await session.next(events);
  assert.equal(report.toolCalls, undefined);
  assert.equal(
    report.content,
    'I did dismiss_notification({"notification_id":"notif_1"}) on my side. It showed: Notification notif_1 dismissed',
  );
  assert.equal(report.content, describeUserToolResults(events.slice(2)));
  // Without tools (a domain with no user side) the same request is just words.
  const plain = await createScriptedUser().start({ task: scenario, seed: 1, trial: 0 }).next(events.slice(0, 2));
  assert.equal(plain.toolCalls, undefined);
});
