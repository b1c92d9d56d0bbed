import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHelpdeskDomain } from '../../domains/helpdesk/index.ts';
import { initialStateFor } from '../../domains/initial-state.ts';
import { ConversationEnv } from '../conversation-env.ts';
import { StepLimit } from './step-limit.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' })[0];
const think = (id: string) => ({ type: 'tool_call' as const, call: { id, name: 'think', arguments: { thought: id } } });

test('truncates with max_steps once the limit is reached at the end of a turn, never mid-turn', () => {
  const env = new StepLimit(new ConversationEnv(domain, initialStateFor(domain, task)), 2);
  assert.deepEqual(env.wrappers, [{ name: 'step-limit', args: { maxSteps: 2 } }]);
  env.reset();
  assert.equal(env.step({ type: 'user_turn', turn: { content: 'hello' } }).next, 'agent', 'one step of two');
  // The second step is an agent turn with three calls: all of them run before the limit applies.
  env.step({ type: 'agent_turn', turn: { toolCalls: [think('a').call, think('b').call, think('c').call] } });
  for (const id of ['a', 'b', 'c']) assert.equal(env.step(think(id)).truncated, false);
  const end = env.step({ type: 'agent_turn_end' });
  assert.equal(end.truncated, true);
  assert.equal(end.terminated, false);
  assert.deepEqual(end.termination, { reason: 'max_steps', detail: 'reached 2 steps' });
  assert.equal(end.observation.filter((e) => e.type === 'tool_result').length, 3);
});

test('a participant failure is not a step, a termination is never turned into a truncation, reset starts over', () => {
  const env = new StepLimit(new ConversationEnv(domain, initialStateFor(domain, task)), 1);
  env.reset();
  const stop = env.step({ type: 'user_turn', turn: { content: 'bye ###STOP###' } });
  assert.deepEqual(stop.termination, { reason: 'user_stop', detail: '###STOP###' });
  assert.equal(stop.truncated, false);

  env.reset();
  const failed = env.step({ type: 'failure', actor: 'user', error: new Error('down') });
  assert.equal(failed.termination?.reason, 'user_error');
  env.reset();
  assert.equal(
    env.step({ type: 'user_turn', turn: { content: 'hi' } }).termination?.reason,
    'max_steps',
    'the counter restarted at 0 on reset',
  );
});
