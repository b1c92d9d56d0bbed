import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHelpdeskDomain } from '../../domains/helpdesk/index.ts';
import { initialStateFor } from '../../domains/initial-state.ts';
import { ConversationEnv } from '../conversation-env.ts';
import { InvalidCallBudget } from './invalid-call-budget.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' })[0];

function opened(budget: number) {
  const env = new InvalidCallBudget(new ConversationEnv(domain, initialStateFor(domain, task)), budget);
  env.reset();
  env.step({ type: 'user_turn', turn: { content: 'hello' } });
  return env;
}

test('one invalid call more than the budget ends the episode with agent_error at once', () => {
  const env = opened(1);
  assert.deepEqual(env.wrappers, [{ name: 'invalid-call-budget', args: { maxInvalidToolCalls: 1 } }]);
  env.step({ type: 'agent_turn', turn: { toolCalls: [] } });
  const first = env.step({ type: 'tool_call', call: { id: 'a', name: 'no_such_tool', arguments: {} } });
  assert.equal(first.invalid, 'tool_call');
  assert.equal(first.terminated, false, 'within the budget');
  // A refusal by a real tool is a valid call: it costs nothing.
  assert.equal(
    env.step({ type: 'tool_call', call: { id: 'b', name: 'disable_account', arguments: { account_id: 'acct-none' } } }).invalid,
    undefined,
  );
  const second = env.step({ type: 'tool_call', call: { id: 'c', name: 'get_person', arguments: '{"person_id": ' } });
  assert.equal(second.terminated, true);
  assert.deepEqual(second.termination, { reason: 'agent_error', detail: 'more than 1 invalid tool calls' });
  assert.match(
    (second.observation.at(-1) as { content: string }).content,
    /not valid JSON/,
    'the invalid call is recorded before the episode ends',
  );
});

test('replies with neither text nor calls count as invalid replies; reset refills the budget', () => {
  const env = opened(0);
  env.step({ type: 'agent_turn', turn: { message: '  ' } });
  const empty = env.step({ type: 'agent_turn_end' });
  assert.deepEqual(empty.termination, { reason: 'agent_error', detail: 'more than 0 invalid replies' });
  assert.equal(empty.observation.at(-1)?.type, 'note');

  const refilled = new InvalidCallBudget(new ConversationEnv(domain, initialStateFor(domain, task)), 1);
  for (let round = 0; round < 2; round++) {
    refilled.reset();
    refilled.step({ type: 'agent_turn', turn: {} });
    assert.equal(refilled.step({ type: 'agent_turn_end' }).terminated, false, `round ${round}: the first empty reply is tolerated`);
  }
});
