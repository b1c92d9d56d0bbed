import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { ModelHub } from '../models/model-hub.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { startAnthropicPeer } from '../testing/anthropic-peer.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../testing/peer-server.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { createLlmUser } from '../users/llm-user.ts';
import { agentMessages, createLlmAgent } from './llm-agent.ts';

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-peers', ANTHROPIC_API_KEY: 'sk-ant-test-key-for-peers' };
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));
const domain = createTinyDomain();
const [setColor, readSize] = domain.tasks({});

/** True when the last message of a request (either wire format) carries tool results. */
function afterToolResult(request: PeerRequest): boolean {
  const last = request.body.messages.at(-1);
  return (
    last.role === 'tool' || (Array.isArray(last.content) && last.content.some((block: { type: string }) => block.type === 'tool_result'))
  );
}

/** An agent that sets color=blue, then reports it. */
const colorAgent = (request: PeerRequest): PeerReply =>
  afterToolResult(request)
    ? { kind: 'message', text: 'Done: color is now blue.' }
    : { kind: 'message', toolCalls: [{ name: 'set', arguments: { key: 'color', value: 'blue' } }] };

/** Messages of a request other than the system prompt (OpenAI sends it as a message). */
const turns = (request: PeerRequest): number => request.body.messages.filter((m: { role: string }) => m.role !== 'system').length;

/** A user that asks once, then stops. */
const colorUser = (request: PeerRequest): PeerReply =>
  turns(request) === 1
    ? { kind: 'message', text: 'Hi, please set color to blue.' }
    : { kind: 'message', text: 'Great, thanks! ###STOP###' };

async function start(kind: 'openai' | 'anthropic', script: (request: PeerRequest) => PeerReply | Promise<PeerReply>) {
  const peer = kind === 'openai' ? await startOpenAIPeer(script) : await startAnthropicPeer(script);
  peers.push(peer);
  return peer;
}

function hubWith(
  agentPeer: { kind: 'openai' | 'anthropic'; peer: ModelPeer },
  userPeer: { kind: 'openai' | 'anthropic'; peer: ModelPeer },
  maxRetries = 2,
) {
  return new ModelHub({
    env: ENV,
    models: {
      agent: {
        provider: agentPeer.kind,
        model: `${agentPeer.kind}-agent`,
        baseURL: agentPeer.peer.url,
        limits: { maxRetries },
        pricePerMillion: { input: 1, output: 2 },
      },
      user: { provider: userPeer.kind, model: `${userPeer.kind}-user`, baseURL: userPeer.peer.url, limits: { maxRetries } },
    },
    retry: { initialDelayMs: 5, maxDelayMs: 10 },
  });
}

describe('LLM agent and LLM user, end to end through runEpisode', () => {
  for (const [agentKind, userKind] of [
    ['openai', 'anthropic'],
    ['anthropic', 'openai'],
  ] as const) {
    it(`agent on ${agentKind}, user on ${userKind}: completes and is graded 1`, async () => {
      const agentPeer = await start(agentKind, colorAgent);
      const userPeer = await start(userKind, colorUser);
      const hub = hubWith({ kind: agentKind, peer: agentPeer }, { kind: userKind, peer: userPeer });
      const result = await runEpisode({
        domain,
        task: setColor,
        agent: createLlmAgent('agent', hub),
        user: createLlmUser('user', hub),
        episodeId: 'e1',
        trial: 0,
        seed: 7,
      });
      const { trajectory } = result;
      assert.equal(trajectory.termination.reason, 'user_stop');
      assert.deepEqual(
        trajectory.events.map((e) => e.type + (e.type === 'message' ? `:${e.role}` : '')),
        ['message:user', 'tool_call', 'tool_result', 'message:agent', 'message:user'],
      );
      assert.deepEqual(trajectory.finalChanges, { kv: { color: { value: 'blue' } } });
      const outcome = gradeEpisode({
        domain,
        task: setColor,
        initialState: result.initialState,
        finalState: result.finalState,
        trajectory,
      });
      assert.equal(outcome.reward, 1);
      // Usage by role, priced for the agent.
      assert.equal(trajectory.usage.agent.calls, 2);
      assert.equal(trajectory.usage.user.calls, 2);
      assert.ok(trajectory.usage.agent.costUsd > 0);
      assert.equal(trajectory.usage.user.costUsd, 0);
      // The agent's second request carries its tool call and the result, ids preserved.
      const callId = (trajectory.events[1] as { id: string }).id;
      assert.ok(JSON.stringify(agentPeer.requests[1].body).includes(callId));
      // System prompt = policy; tools published with their JSON schema.
      const body = agentPeer.requests[0].body;
      if (agentKind === 'openai') {
        assert.equal(body.messages[0].content, domain.policy);
        assert.deepEqual(
          body.tools.map((t: { function: { name: string } }) => t.function.name),
          ['get', 'set'],
        );
        assert.deepEqual(body.tools[1].function.parameters.required, ['key', 'value']);
      } else {
        assert.equal(body.system[0].text, domain.policy);
        assert.deepEqual(body.tools[0].input_schema.required, ['key']);
      }
      const participants = trajectory.participants as Record<string, Record<string, unknown>>;
      assert.equal(participants.agent.model, 'agent');
      assert.equal(participants.agent.temperature, 0);
      assert.equal(participants.user.model, 'user');
      assert.equal(participants.user.temperature, 1);
      assert.equal(typeof participants.user.promptHash, 'string');
    });
  }

  it('runs several tool calls of one reply in order; malformed ones become error results the model sees', async () => {
    const agentPeer = await start('openai', (request): PeerReply => {
      if (!afterToolResult(request)) {
        return {
          kind: 'message',
          text: 'Let me look.',
          toolCalls: [
            { id: 'c1', name: 'drop_table', arguments: {} },
            { id: 'c2', name: 'get', arguments: '{"key": "si' },
            { id: 'c3', name: 'set', arguments: { key: 'size' } },
            { id: 'c4', name: 'get', arguments: { key: 'size' } },
          ],
        };
      }
      return { kind: 'message', text: 'The size is large.' };
    });
    const userPeer = await start('anthropic', (request) =>
      turns(request) === 1 ? { kind: 'message', text: 'What is the size?' } : { kind: 'message', text: '###STOP###' },
    );
    const hub = hubWith({ kind: 'openai', peer: agentPeer }, { kind: 'anthropic', peer: userPeer });
    const result = await runEpisode({
      domain,
      task: readSize,
      agent: createLlmAgent('agent', hub),
      user: createLlmUser('user', hub),
      episodeId: 'e2',
      trial: 0,
      seed: 1,
    });
    const events = result.trajectory.events;
    const calls = events.filter((e) => e.type === 'tool_call');
    assert.deepEqual(
      calls.map((c) => [c.id, c.name, c.arguments]),
      [
        ['c1', 'drop_table', {}],
        ['c2', 'get', '{"key": "si'],
        ['c3', 'set', { key: 'size' }],
        ['c4', 'get', { key: 'size' }],
      ],
    );
    const results = events.filter((e) => e.type === 'tool_result');
    assert.deepEqual(
      results.map((r) => r.isError),
      [true, true, true, false],
    );
    assert.equal(result.trajectory.termination.reason, 'user_stop');
    // The second request shows the model one assistant message with all four calls, then the results.
    const messages = agentPeer.requests[1].body.messages;
    const assistant = messages.find((m: { role: string }) => m.role === 'assistant');
    assert.equal(assistant.content, 'Let me look.');
    assert.deepEqual(
      assistant.tool_calls.map((c: { id: string }) => c.id),
      ['c1', 'c2', 'c3', 'c4'],
    );
    const tools = messages.filter((m: { role: string }) => m.role === 'tool');
    assert.deepEqual(
      tools.map((m: { tool_call_id: string }) => m.tool_call_id),
      ['c1', 'c2', 'c3', 'c4'],
    );
    assert.match(tools[0].content, /unknown tool/);
    assert.match(tools[1].content, /not valid JSON/);
    assert.match(tools[2].content, /invalid arguments/);
    const outcome = gradeEpisode({
      domain,
      task: readSize,
      initialState: result.initialState,
      finalState: result.finalState,
      trajectory: result.trajectory,
    });
    assert.equal(outcome.reward, 1);
  });

  it('makes reused tool-call ids unique so results pair with their calls', async () => {
    const agentPeer = await start('openai', (request): PeerReply => {
      const results = request.body.messages.filter((m: { role: string }) => m.role === 'tool').length;
      if (results === 0) return { kind: 'message', toolCalls: [{ id: 'same', name: 'get', arguments: { key: 'size' } }] };
      if (results === 1) return { kind: 'message', toolCalls: [{ id: 'same', name: 'get', arguments: { key: 'color' } }] };
      return { kind: 'message', text: 'size is large, color is red' };
    });
    const userPeer = await start('openai', (request) =>
      turns(request) === 1 ? { kind: 'message', text: 'What is the size?' } : { kind: 'message', text: '###STOP###' },
    );
    const hub = hubWith({ kind: 'openai', peer: agentPeer }, { kind: 'openai', peer: userPeer });
    const result = await runEpisode({
      domain,
      task: readSize,
      agent: createLlmAgent('agent', hub),
      user: createLlmUser('user', hub),
      episodeId: 'e6',
      trial: 0,
      seed: 1,
    });
    const ids = result.trajectory.events.filter((e) => e.type === 'tool_call').map((e) => (e as { id: string }).id);
    assert.deepEqual(ids, ['same', 'same-t2-0']);
    const third = agentPeer.requests[2].body.messages;
    assert.deepEqual(
      third.filter((m: { role: string }) => m.role === 'tool').map((m: { tool_call_id: string }) => m.tool_call_id),
      ['same', 'same-t2-0'],
    );
  });

  it('too many malformed calls end the episode with agent_error', async () => {
    const agentPeer = await start('openai', () => ({ kind: 'message', toolCalls: [{ name: 'get', arguments: '{"key": ' }] }));
    const userPeer = await start('openai', () => ({ kind: 'message', text: 'What is the size?' }));
    const hub = hubWith({ kind: 'openai', peer: agentPeer }, { kind: 'openai', peer: userPeer });
    const result = await runEpisode({
      domain,
      task: readSize,
      agent: createLlmAgent('agent', hub),
      user: createLlmUser('user', hub),
      episodeId: 'e3',
      trial: 0,
      seed: 1,
      maxInvalidToolCalls: 2,
    });
    assert.equal(result.trajectory.termination.reason, 'agent_error');
    assert.equal(agentPeer.requests.length, 3);
  });

  it('empty replies count toward agent_error; they are not a crash', async () => {
    const agentPeer = await start('openai', () => ({ kind: 'message', text: '' }));
    const userPeer = await start('openai', () => ({ kind: 'message', text: 'What is the size?' }));
    const hub = hubWith({ kind: 'openai', peer: agentPeer }, { kind: 'openai', peer: userPeer });
    const result = await runEpisode({
      domain,
      task: readSize,
      agent: createLlmAgent('agent', hub),
      user: createLlmUser('user', hub),
      episodeId: 'e4',
      trial: 0,
      seed: 1,
      maxInvalidToolCalls: 1,
    });
    assert.equal(result.trajectory.termination.reason, 'agent_error');
  });

  it('a provider answering garbage after every retry makes the episode infra_error', async () => {
    const agentPeer = await start('openai', () => ({ kind: 'raw', body: '{"choices": [' }));
    const userPeer = await start('anthropic', () => ({ kind: 'message', text: 'What is the size?' }));
    const hub = hubWith({ kind: 'openai', peer: agentPeer }, { kind: 'anthropic', peer: userPeer }, 2);
    const result = await runEpisode({
      domain,
      task: readSize,
      agent: createLlmAgent('agent', hub),
      user: createLlmUser('user', hub),
      episodeId: 'e5',
      trial: 0,
      seed: 1,
    });
    assert.equal(result.trajectory.termination.reason, 'infra_error');
    assert.match(result.trajectory.termination.detail ?? '', /unreadable reply.*after 3 attempts/);
    assert.equal(agentPeer.requests.length, 3);
  });
});

describe('LLM agent on the built-in helpdesk domain', () => {
  for (const kind of ['openai', 'anthropic'] as const) {
    it(`publishes every helpdesk tool over ${kind} and stops on its terminal tool`, async () => {
      const helpdesk = createDomain('helpdesk');
      const task = helpdesk.tasks({ split: 'test', count: 1 })[0];
      const agentPeer = await start(kind, (request) =>
        afterToolResult(request)
          ? { kind: 'message', toolCalls: [{ name: 'transfer_to_human', arguments: { summary: 'needs a human' } }] }
          : { kind: 'message', text: 'Let me look you up.', toolCalls: [{ name: 'find_person', arguments: { query: 'a' } }] },
      );
      const userPeer = await start(kind, () => ({ kind: 'message', text: 'Hello, I need help with an account.' }));
      const hub = hubWith({ kind, peer: agentPeer }, { kind, peer: userPeer });
      const result = await runEpisode({
        domain: helpdesk,
        task,
        agent: createLlmAgent('agent', hub),
        user: createLlmUser('user', hub),
        episodeId: 'hd',
        trial: 0,
        seed: 1,
      });
      assert.equal(result.trajectory.termination.reason, 'agent_stop');
      const tools = agentPeer.requests[0].body.tools as { name?: string; function?: { name: string } }[];
      assert.deepEqual(
        tools.map((t) => t.name ?? t.function!.name),
        helpdesk.tools.map((t) => t.name),
      );
      const results = result.trajectory.events.filter((e) => e.type === 'tool_result');
      assert.equal(results.length, 2);
      assert.equal(
        results.every((r) => !r.isError),
        true,
      );
    });
  }
});

describe('agentMessages', () => {
  it('groups the calls of one reply and keeps separate replies apart', () => {
    const events: TrajectoryEvent[] = [
      { type: 'message', role: 'user', content: 'hi' },
      { type: 'message', role: 'agent', content: 'checking' },
      { type: 'tool_call', id: 'a', name: 'get', arguments: { key: 'x' } },
      { type: 'tool_result', callId: 'a', name: 'get', content: '1', isError: false },
      { type: 'tool_call', id: 'b', name: 'get', arguments: { key: 'y' } },
      { type: 'tool_result', callId: 'b', name: 'get', content: 'Error: no', isError: true },
      { type: 'tool_call', id: 'c', name: 'get', arguments: { key: 'z' } },
      { type: 'tool_result', callId: 'c', name: 'get', content: '3', isError: false },
      { type: 'note', content: 'ignored' },
      { type: 'message', role: 'agent', content: 'done' },
    ];
    const memory = {
      turnOfCall: new Map([
        ['a', 1],
        ['b', 1],
        ['c', 2],
      ]),
      textOfTurn: new Map([[1, 'checking']]),
    };
    const shape = agentMessages(events, memory).map(
      (m) =>
        `${m.role}:${Array.isArray(m.content) ? m.content.map((p) => ('toolCallId' in p ? p.toolCallId : p.type)).join(',') : m.content}`,
    );
    assert.deepEqual(shape, ['user:hi', 'assistant:text,a,b', 'tool:a,b', 'assistant:c', 'tool:c', 'assistant:text']);
  });
});
