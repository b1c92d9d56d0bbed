import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { GroundworkError } from '../errors.ts';
import { TERMINATION_REASONS } from '../schema/trajectory.ts';
import { ConversationEnv } from './conversation-env.ts';
import { ends } from './env.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' })[0];
const fresh = () => new ConversationEnv(domain, initialStateFor(domain, task));

test('the user opens; a turn with calls goes back to the agent, a message to the user, nothing at all is an invalid reply', () => {
  const env = fresh();
  assert.throws(() => env.step({ type: 'agent_turn_end' }), /before reset/);
  assert.deepEqual(env.reset(), { observation: [], terminated: false, truncated: false, next: 'user' });
  assert.equal(env.step({ type: 'user_turn', turn: { content: 'Please disable my account' } }).next, 'agent');

  const call = { id: '', name: 'list_accounts', arguments: { person_id: 'p-002' } };
  assert.equal(
    env.step({ type: 'agent_turn', turn: { message: ' Looking. ', toolCalls: [call] } }).next,
    undefined,
    'the turn is still open',
  );
  assert.equal(env.step({ type: 'tool_call', call }).next, undefined);
  assert.equal(env.step({ type: 'agent_turn_end' }).next, 'agent');

  env.step({ type: 'agent_turn', turn: { message: 'Which account?' } });
  assert.equal(env.step({ type: 'agent_turn_end' }).next, 'user');

  env.step({ type: 'agent_turn', turn: { message: '' } });
  const empty = env.step({ type: 'agent_turn_end' });
  assert.equal(empty.invalid, 'reply');
  assert.equal(empty.next, 'agent');
  assert.equal(env.record.steps, 4);
  assert.deepEqual(
    empty.observation.map((e) => e.type),
    ['message', 'message', 'tool_call', 'tool_result', 'message', 'note'],
  );
  assert.equal((empty.observation[2] as { id: string }).id, 'call-1', 'calls without an id are numbered');
});

test('terminal tools, explicit ends, stop tokens and failures end the episode with their reason', () => {
  const env = fresh();
  env.reset();
  const transfer = { id: 't', name: 'transfer_to_human', arguments: { summary: 'x' } };
  env.step({ type: 'agent_turn', turn: { toolCalls: [transfer] } });
  assert.deepEqual(env.step({ type: 'tool_call', call: transfer }).termination, {
    reason: 'agent_stop',
    detail: 'terminal tool transfer_to_human',
  });

  env.reset();
  env.step({ type: 'agent_turn', turn: { end: true } });
  assert.deepEqual(env.step({ type: 'agent_turn_end' }).termination, { reason: 'agent_stop', detail: 'agent ended the conversation' });

  env.reset();
  const stop = env.step({ type: 'user_turn', turn: { content: 'Thanks! ###STOP###' } });
  assert.deepEqual([stop.terminated, stop.truncated, stop.termination], [true, false, { reason: 'user_stop', detail: '###STOP###' }]);
  assert.deepEqual(stop.observation.at(-1), { type: 'message', role: 'user', content: 'Thanks!', control: '###STOP###' });

  env.reset();
  assert.deepEqual(env.step({ type: 'user_turn', turn: { content: undefined as unknown as string } }).termination, {
    reason: 'user_error',
    detail: 'user simulator returned no text',
  });
  assert.equal(env.step({ type: 'failure', actor: 'agent', error: new Error('bug') }).termination?.reason, 'agent_error');
  assert.equal(env.step({ type: 'failure', actor: 'user', error: new TypeError('bug') }).termination?.reason, 'user_error');
  assert.equal(
    env.step({ type: 'failure', actor: 'agent', error: new GroundworkError('PROVIDER_FAILED', '503') }).termination?.reason,
    'infra_error',
  );
});

test('each reset works on a fresh fork of the initial state', () => {
  const env = fresh();
  env.reset();
  const write = { id: 'w', name: 'disable_account', arguments: { account_id: 'acct-0001' } };
  env.step({ type: 'tool_call', call: write });
  assert.equal(env.state.get('accounts', 'acct-0001')!.status, 'disabled');
  assert.equal(env.initialState.get('accounts', 'acct-0001')!.status, 'active');
  env.reset();
  assert.equal(env.state.get('accounts', 'acct-0001')!.status, 'active');
  assert.deepEqual(env.record.events, []);
});

test('every termination reason is exactly one of terminated (the episode ended) or truncated (a limit)', () => {
  for (const reason of TERMINATION_REASONS) {
    const step = ends([], reason, 'x');
    assert.notEqual(step.terminated, step.truncated, reason);
    assert.equal(step.truncated, reason === 'max_steps', reason);
  }
});
