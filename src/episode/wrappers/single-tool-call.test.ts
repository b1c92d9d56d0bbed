import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHelpdeskDomain } from '../../domains/helpdesk/index.ts';
import { initialStateFor } from '../../domains/initial-state.ts';
import { ConversationEnv } from '../conversation-env.ts';
import { SingleToolCallPerTurn } from './single-tool-call.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' })[0];
const disable = (id: string, account: string) => ({ id, name: 'disable_account', arguments: { account_id: account } });

test('only the first call of a turn runs; the others never reach the state; a note follows the message', () => {
  const core = new ConversationEnv(domain, initialStateFor(domain, task));
  const env = new SingleToolCallPerTurn(core);
  assert.deepEqual(env.wrappers, [{ name: 'single-tool-call-per-turn', args: {} }]);
  env.reset();
  const calls = [disable('a', 'acct-0001'), disable('b', 'acct-0002'), disable('c', 'acct-0003')];
  env.step({ type: 'agent_turn', turn: { message: 'On it.', toolCalls: calls } });
  for (const call of calls) env.step({ type: 'tool_call', call });
  const end = env.step({ type: 'agent_turn_end' });
  assert.equal(end.next, 'agent', 'a turn with a call is followed by another agent turn');
  assert.deepEqual(
    end.observation.map((e) => e.type),
    ['message', 'note', 'tool_call', 'tool_result'],
  );
  assert.equal((end.observation[1] as { content: string }).content, 'kept the first of 3 tool calls (domain executes one call per turn)');
  assert.equal(core.state.get('accounts', 'acct-0001')!.status, 'disabled');
  assert.equal(core.state.get('accounts', 'acct-0002')!.status, 'active');
  assert.equal(core.state.get('accounts', 'acct-0003')!.status, 'active');
});

test('a turn with one call is left as it is', () => {
  const env = new SingleToolCallPerTurn(new ConversationEnv(domain, initialStateFor(domain, task)));
  env.reset();
  const call = disable('a', 'acct-0001');
  env.step({ type: 'agent_turn', turn: { toolCalls: [call] } });
  env.step({ type: 'tool_call', call });
  const end = env.step({ type: 'agent_turn_end' });
  assert.deepEqual(
    end.observation.map((e) => e.type),
    ['tool_call', 'tool_result'],
  );
});
