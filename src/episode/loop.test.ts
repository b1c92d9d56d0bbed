import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentSession } from '../agents/agent.ts';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { createScriptedUser } from '../users/scripted.ts';
import type { UserSession } from '../users/user.ts';
import { ConversationEnv } from './conversation-env.ts';
import { playEpisode } from './loop.ts';
import { StepLimit } from './wrappers/step-limit.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' })[0];
const scripted = () => createScriptedUser().start({ task, seed: 1, trial: 0 });

test('plays agent and user turns until a termination, and returns the last step', async () => {
  const env = new ConversationEnv(domain, initialStateFor(domain, task));
  const seen: (readonly TrajectoryEvent[])[] = [];
  const agent: AgentSession = {
    async next(events) {
      seen.push(events);
      return seen.length === 1
        ? {
            toolCalls: [
              { id: 'a', name: 'think', arguments: { thought: 'x' } },
              { id: 'b', name: 'think', arguments: { thought: 'y' } },
            ],
          }
        : { message: 'Done, everything has been completed.' };
    },
  };
  const last = await playEpisode(env, agent, scripted());
  assert.equal(last.termination.reason, 'user_stop');
  assert.deepEqual(
    last.observation.map((e) => (e.type === 'message' ? `${e.role}` : e.type)),
    ['user', 'tool_call', 'tool_result', 'tool_call', 'tool_result', 'agent', 'user'],
  );
  assert.ok(Object.isFrozen(seen[1]) && Object.isFrozen(seen[1][1]), 'the agent gets a frozen copy');
  assert.notEqual(seen[1], last.observation, 'never the record itself');
  assert.equal(env.record.steps, 4);
});

test('participants that throw end the episode through the environment; the loop resolves', async () => {
  const env = new ConversationEnv(domain, initialStateFor(domain, task));
  const broken: UserSession = { next: async () => Promise.reject(new Error('no')) };
  const idle: AgentSession = { next: async () => ({ message: 'hi' }) };
  assert.deepEqual((await playEpisode(env, idle, broken)).termination, { reason: 'user_error', detail: 'no' });

  const crashing: AgentSession = { next: async () => Promise.reject(new Error('agent bug')) };
  assert.equal((await playEpisode(env, crashing, scripted())).termination.reason, 'agent_error');
});

test('a wrapped environment is played the same way: the step limit ends an endless conversation', async () => {
  const env = new StepLimit(new ConversationEnv(domain, initialStateFor(domain, task)), 5);
  const thinker: AgentSession = { next: async () => ({ toolCalls: [{ id: '', name: 'think', arguments: { thought: 'hmm' } }] }) };
  const last = await playEpisode(env, thinker, scripted());
  assert.equal(last.termination.reason, 'max_steps');
  assert.equal(last.truncated, true);
  assert.equal(env.record.steps, 5);
});
