import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { createNoopAgent, createOracleAgent } from '../agents/oracle.ts';
import type { AgentSession } from '../agents/agent.ts';
import type { Domain, DomainTool } from '../domains/domain.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { ToolError } from '../errors.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { freezeTables, hashTables } from '../state/table-state.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { createScriptedUser } from '../users/scripted.ts';
import type { UserSession } from '../users/user.ts';
import { ConversationEnv } from './conversation-env.ts';
import { playEpisode } from './loop.ts';
import { makeEpisodeEnv } from './make.ts';
import { runEpisode, userContextFor } from './orchestrator.ts';

/** The tiny key-value store plus a user side: a phone whose airplane mode only the user can switch. */
function createDualDomain(): Domain {
  const tiny = createTinyDomain();
  const userTools: DomainTool[] = [
    {
      name: 'check_phone',
      description: 'Shows whether airplane mode is on.',
      kind: 'read',
      input: z.object({}),
      execute: (state) => ({ airplane: state.get('phone', 'me')!.airplane as boolean }),
    },
    {
      name: 'toggle_airplane_mode',
      description: 'Toggles Airplane Mode ON or OFF.',
      kind: 'write',
      input: z.object({}),
      execute(state) {
        const phone = state.mutable('phone', 'me')!;
        phone.airplane = !phone.airplane;
        return `Airplane mode is now ${phone.airplane ? 'ON' : 'OFF'}`;
      },
    },
    {
      name: 'dismiss_notification',
      description: 'Dismiss (mark as read) a notification.',
      kind: 'write',
      input: z.object({ notification_id: z.string() }),
      execute(_state, input: { notification_id: string }) {
        if (input.notification_id !== 'n1') throw new ToolError(`Notification ${input.notification_id} not found`);
        return 'dismissed';
      },
    },
  ];
  let base: { tables: ReturnType<typeof freezeTables>; hash: string } | undefined;
  const turnOff: Task = {
    ...tiny.tasks({})[0],
    id: 'dual-airplane-off',
    domain: 'dual',
    user: {
      ...tiny.tasks({})[0].user,
      openings: ['My phone has no signal, and please set color to blue.'],
      actions: [{ name: 'toggle_airplane_mode', arguments: {} }],
    },
    oracle: [
      { kind: 'ask_user', call: { name: 'toggle_airplane_mode', arguments: {} } },
      { kind: 'call', call: { name: 'set', arguments: { key: 'color', value: 'blue' } } },
      { kind: 'say', text: 'Done: color is now blue.' },
    ],
  };
  return {
    ...tiny,
    name: 'dual',
    tables: { ...tiny.tables, phone: z.object({ airplane: z.boolean() }) },
    user: { tools: userTools, tables: ['phone'], guide: 'You hold the phone.' },
    base() {
      if (!base) {
        const tables = freezeTables({ ...tiny.base().tables, phone: { me: { airplane: true } } });
        base = { tables, hash: hashTables(tables) };
      }
      return base;
    },
    tasks: () => [turnOff],
  };
}

const domain = createDualDomain();
const [task] = domain.tasks({});

test('a user turn with tool calls runs them on the user tools only, records them as the user, and the user speaks next', () => {
  const env = new ConversationEnv(domain, initialStateFor(domain, task));
  env.reset();
  env.step({ type: 'user_turn', turn: { content: 'hi' } });
  const step = env.step({
    type: 'user_turn',
    turn: {
      content: 'ignored',
      toolCalls: [
        { name: 'toggle_airplane_mode', arguments: {} },
        { name: 'set', arguments: { key: 'color', value: 'blue' } },
        { name: 'dismiss_notification', arguments: { notification_id: 'n9' } },
      ],
    },
  });
  assert.equal(step.next, 'user');
  assert.equal(step.invalid, undefined, "a user's bad call is not an invalid agent step");
  const traffic = step.observation.slice(1);
  assert.deepEqual(
    traffic.map((e) => [
      e.type,
      'actor' in e ? e.actor : undefined,
      e.type === 'tool_result' ? e.content : e.type === 'tool_call' ? e.name : '',
    ]),
    [
      ['tool_call', 'user', 'toggle_airplane_mode'],
      ['tool_result', 'user', 'Airplane mode is now OFF'],
      ['tool_call', 'user', 'set'],
      ['tool_result', 'user', 'Error: unknown tool "set"; available tools: check_phone, toggle_airplane_mode, dismiss_notification'],
      ['tool_call', 'user', 'dismiss_notification'],
      ['tool_result', 'user', 'Error: Notification n9 not found'],
    ],
  );
  assert.equal(env.state.get('phone', 'me')!.airplane, false);
  assert.equal(env.state.get('kv', 'color')!.value, 'red', 'an agent tool is never run for the user');
  assert.ok((traffic[1] as { stateHash?: string }).stateHash, 'a user write records the state hash');
  assert.equal(env.record.steps, 2, 'a user tool turn is a step');

  // The agent cannot reach the user's tools either.
  env.step({ type: 'agent_turn', turn: { toolCalls: [{ id: 'a', name: 'toggle_airplane_mode', arguments: {} }] } });
  const agentTry = env.step({ type: 'tool_call', call: { id: 'a', name: 'toggle_airplane_mode', arguments: {} } });
  assert.equal(agentTry.invalid, 'tool_call');
  assert.equal(env.state.get('phone', 'me')!.airplane, false);
});

test('a user that only calls tools is stopped by the step limit, as τ² counts its turns as steps', async () => {
  const looping: UserSession = { next: async () => ({ content: '', toolCalls: [{ name: 'check_phone', arguments: {} }] }) };
  const agent: AgentSession = { next: async () => ({ message: 'never asked' }) };
  const env = makeEpisodeEnv(new ConversationEnv(domain, initialStateFor(domain, task)), { domain, maxSteps: 7 });
  const last = await playEpisode(env, agent, looping);
  assert.deepEqual(last.termination, { reason: 'max_steps', detail: 'reached 7 steps' });
  assert.equal(env.record.steps, 7);
  assert.equal(env.record.events.filter((e) => e.type === 'tool_call').length, 7);
});

test('the agent never sees the user tool traffic; the user gets its tools and the guide', async () => {
  const seen: TrajectoryEvent[][] = [];
  const user: UserSession = {
    async next(events) {
      const calls = events.filter((e) => e.type === 'tool_call').length;
      if (calls === 0) return { content: '', toolCalls: [{ name: 'check_phone', arguments: {} }] };
      if (events.at(-1)?.type === 'tool_result') return { content: 'airplane is on' };
      return { content: 'bye ###STOP###' };
    },
  };
  const agent: AgentSession = {
    async next(events) {
      seen.push([...events]);
      return { message: 'ok' };
    },
  };
  const env = makeEpisodeEnv(new ConversationEnv(domain, initialStateFor(domain, task)), { domain });
  await playEpisode(env, agent, user);
  assert.deepEqual(
    seen.map((events) => events.map((e) => e.type)),
    [['message']],
    'the agent saw only the message, not the check_phone call and result before it',
  );
  assert.equal(env.record.events.filter((e) => e.type === 'tool_call').length, 1);

  const context = userContextFor(domain, task, 1, 0);
  assert.deepEqual(
    context.tools?.map((t) => t.name),
    ['check_phone', 'toggle_airplane_mode', 'dismiss_notification'],
  );
  assert.equal(context.guide, 'You hold the phone.');
  assert.equal(userContextFor(createTinyDomain(), task, 1, 0).tools, undefined);
});

test('oracle and scripted user: the oracle asks, the user acts on its side and reports, the agent carries on', async () => {
  const { trajectory, finalState } = await runEpisode({
    domain,
    task,
    agent: createOracleAgent(),
    user: createScriptedUser(),
    episodeId: 'd1',
    trial: 0,
    seed: 1,
  });
  const shown = trajectory.events.map((e) =>
    e.type === 'message'
      ? `${e.role}: ${e.content}`
      : e.type === 'tool_call' || e.type === 'tool_result'
        ? `${e.type}${e.actor ? ':user' : ''} ${e.name}`
        : e.type,
  );
  assert.deepEqual(shown, [
    'user: My phone has no signal, and please set color to blue.',
    'agent: Please do this on your side: toggle_airplane_mode({})',
    'tool_call:user toggle_airplane_mode',
    'tool_result:user toggle_airplane_mode',
    'user: I did toggle_airplane_mode({}) on my side. It showed: Airplane mode is now OFF',
    'tool_call set',
    'tool_result set',
    'agent: Done: color is now blue.',
    "user: Great, thanks! That's all I needed.",
  ]);
  assert.equal(trajectory.termination.reason, 'user_stop');
  assert.deepEqual(trajectory.finalChanges, { kv: { color: { value: 'blue' } }, phone: { me: { airplane: false } } });
  assert.equal(finalState.get('phone', 'me')!.airplane, false);

  const noop = await runEpisode({ domain, task, agent: createNoopAgent(), user: createScriptedUser(), episodeId: 'd2', trial: 0, seed: 1 });
  assert.deepEqual(noop.trajectory.finalChanges, {});
});
