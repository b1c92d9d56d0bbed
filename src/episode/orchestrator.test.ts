import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Agent, AgentTurn } from '../agents/agent.ts';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { GroundworkError } from '../errors.ts';
import { canonicalJson } from '../schema/json.ts';
import { createScriptedUser } from '../users/scripted.ts';
import type { UserSimulator } from '../users/user.ts';
import { runEpisode } from './orchestrator.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' })[0];
const user = createScriptedUser();

/** An agent that plays fixed turns, then ends. */
function turns(list: AgentTurn[], name = 'fixed'): Agent {
  return {
    name,
    start() {
      let i = 0;
      return { next: async () => list[i++] ?? { end: true } };
    },
  };
}

const run = (agent: Agent, options: Partial<Parameters<typeof runEpisode>[0]> = {}) =>
  runEpisode({ domain, task, agent, user, episodeId: 'e1', trial: 0, seed: 1, ...options });

test('malformed tool calls become error results the agent sees; too many end with agent_error', async () => {
  const r = await run(
    turns([
      { toolCalls: [{ id: 'a', name: 'no_such_tool', arguments: {} }] },
      { toolCalls: [{ id: 'b', name: 'get_person', arguments: '{"person_id": ' }] },
      { toolCalls: [{ id: 'c', name: 'get_person', arguments: { person_id: 42 } }] },
      { toolCalls: [{ id: 'd', name: 'get_person', arguments: { person_id: 'p-001' } }] },
    ]),
  );
  const results = r.trajectory.events.filter((e) => e.type === 'tool_result');
  assert.equal(results.length, 4);
  assert.match(results[0].content, /^Error: unknown tool "no_such_tool"/);
  assert.match(results[1].content, /^Error: arguments of get_person are not valid JSON/);
  assert.match(results[2].content, /^Error: invalid arguments for get_person: person_id/);
  assert.equal(results[3].isError, false);
  assert.equal(r.trajectory.termination.reason, 'agent_stop');

  const bad = Array.from({ length: 10 }, (_, i): AgentTurn => ({ toolCalls: [{ id: `x${i}`, name: 'nope', arguments: {} }] }));
  const limited = await run(turns(bad), { maxInvalidToolCalls: 2 });
  assert.equal(limited.trajectory.termination.reason, 'agent_error');
  assert.equal(limited.trajectory.events.filter((e) => e.type === 'tool_result').length, 3);
});

test('a state hash is recorded after each write, and the episode works on its own copy', async () => {
  const before = canonicalJson(domain.base().tables);
  const r = await run(
    turns([
      { toolCalls: [{ id: 'r', name: 'list_accounts', arguments: { person_id: 'p-002' } }] },
      { toolCalls: [{ id: 'w', name: 'disable_account', arguments: { account_id: 'acct-0001' } }] },
    ]),
  );
  const [read, write] = r.trajectory.events.filter((e) => e.type === 'tool_result') as { stateHash?: string }[];
  assert.equal(read.stateHash, undefined);
  assert.equal(write.stateHash, r.finalState.hash());
  assert.notEqual(r.trajectory.initialStateHash, r.trajectory.finalStateHash);
  assert.deepEqual(Object.keys(r.trajectory.finalChanges), ['accounts']);
  assert.equal(r.initialState.get('accounts', 'acct-0001')!.status, 'active');
  assert.equal(canonicalJson(domain.base().tables), before, 'the shared base is untouched');
});

test('concurrent episodes do not see each other', async () => {
  const writer = turns([
    { toolCalls: [{ id: 'w', name: 'disable_account', arguments: { account_id: 'acct-0001' } }] },
    { message: 'done' },
  ]);
  const reader = turns([{ message: 'hello' }, { toolCalls: [{ id: 'r', name: 'list_accounts', arguments: { person_id: 'p-001' } }] }]);
  const [w, r] = await Promise.all([run(writer), run(reader)]);
  assert.equal(w.finalState.get('accounts', 'acct-0001')!.status, 'disabled');
  assert.equal(r.finalState.get('accounts', 'acct-0001')!.status, 'active');
});

test('a terminal tool ends the episode with agent_stop', async () => {
  const r = await run(
    turns([
      {
        toolCalls: [
          { id: 't', name: 'transfer_to_human', arguments: { summary: 'x' } },
          { id: 'u', name: 'disable_account', arguments: { account_id: 'acct-0001' } },
        ],
      },
    ]),
  );
  assert.equal(r.trajectory.termination.reason, 'agent_stop');
  assert.equal(r.trajectory.events.filter((e) => e.type === 'tool_call').length, 1, 'calls after the terminal one are not run');
});

test('max_steps stops an endless conversation', async () => {
  const chatty: Agent = {
    name: 'chatty',
    start: () => ({ next: async () => ({ toolCalls: [{ id: '', name: 'think', arguments: { thought: 'hmm' } }] }) }),
  };
  const r = await run(chatty, { maxSteps: 7 });
  assert.equal(r.trajectory.termination.reason, 'max_steps');
  assert.equal(r.trajectory.steps, 7);
});

test('failures of participants become agent_error, infra_error or user_error, never a crash', async () => {
  const crash = (error: unknown): Agent => ({ name: 'crash', start: () => ({ next: async () => Promise.reject(error) }) });
  assert.equal((await run(crash(new Error('bug')))).trajectory.termination.reason, 'agent_error');
  const infra = await run(crash(new GroundworkError('PROVIDER_FAILED', 'HTTP 503 after 5 retries')));
  assert.equal(infra.trajectory.termination.reason, 'infra_error');
  assert.match(infra.trajectory.termination.detail!, /503/);
  const brokenUser: UserSimulator = { name: 'broken', start: () => ({ next: async () => Promise.reject(new Error('no')) }) };
  assert.equal((await run(turns([]), { user: brokenUser })).trajectory.termination.reason, 'user_error');
});

test('the user stop token is stripped and recorded as control', async () => {
  const r = await run(turns([{ message: 'Done, everything has been completed.' }]));
  const last = r.trajectory.events.at(-1)!;
  assert.equal(r.trajectory.termination.reason, 'user_stop');
  assert.ok(last.type === 'message' && last.control === '###STOP###' && !last.content.includes('###'));
});

test('domains that execute one call per turn keep only the first', async () => {
  const single = { ...domain, options: { ...domain.options, singleToolCallPerTurn: true } };
  const r = await runEpisode({
    domain: single,
    task,
    agent: turns([
      {
        toolCalls: [
          { id: 'a', name: 'think', arguments: { thought: '1' } },
          { id: 'b', name: 'think', arguments: { thought: '2' } },
        ],
      },
    ]),
    user,
    episodeId: 'e',
    trial: 0,
    seed: 1,
  });
  assert.equal(r.trajectory.events.filter((e) => e.type === 'tool_call').length, 1);
  assert.ok(r.trajectory.events.some((e) => e.type === 'note'));
});
