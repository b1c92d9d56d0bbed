import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createOracleAgent } from '../agents/oracle.ts';
import { createTau2MockDomain } from '../domains/tau2-bench/mock/index.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { ModelHub } from '../models/model-hub.ts';
import { startAnthropicPeer } from '../testing/anthropic-peer.ts';
import { openAIMessages, startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../testing/peer-server.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { createLlmUser, LLM_USER_GREETING, userSystemPrompt } from './llm-user.ts';

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-peers', ANTHROPIC_API_KEY: 'sk-ant-test-key-for-peers' };
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));
const domain = createTinyDomain();
const [setColor, readSize] = domain.tasks({});

async function userHub(kind: 'openai' | 'anthropic', script: (request: PeerRequest) => PeerReply) {
  const peer = kind === 'openai' ? await startOpenAIPeer(script) : await startAnthropicPeer(script);
  peers.push(peer);
  const hub = new ModelHub({
    env: ENV,
    models: { sim: { provider: kind, model: 'sim-model', baseURL: peer.url, temperature: 0.7, limits: { maxRetries: 1 } } },
    retry: { initialDelayMs: 5 },
  });
  return { peer, hub };
}

const dialogue = (request: PeerRequest) => request.body.messages.filter((m: { role: string }) => m.role !== 'system');

describe('LLM user simulator', () => {
  it('plays the scenario with roles flipped and ends with the stop token (oracle agent)', async () => {
    const { peer, hub } = await userHub('openai', (request) =>
      dialogue(request).length === 1
        ? { kind: 'message', text: 'Could you set color to blue?' }
        : { kind: 'message', text: 'Thank you! ###STOP###' },
    );
    const result = await runEpisode({
      domain,
      task: setColor,
      agent: createOracleAgent(),
      user: createLlmUser('sim', hub),
      episodeId: 'u1',
      trial: 0,
      seed: 3,
    });
    const { trajectory } = result;
    assert.equal(trajectory.termination.reason, 'user_stop');
    assert.equal(trajectory.termination.detail, '###STOP###');
    const last = trajectory.events.at(-1)!;
    assert.deepEqual(last, { type: 'message', role: 'user', content: 'Thank you!', control: '###STOP###' });
    assert.deepEqual(trajectory.finalChanges, { kv: { color: { value: 'blue' } } });

    // First request: system prompt from the scenario, then the agent greeting as "user".
    const first = peer.requests[0].body.messages;
    assert.equal(first[0].role, 'system');
    assert.equal(first[0].content, userSystemPrompt(setColor.user));
    assert.match(first[0].content, /You are Ada/);
    assert.match(first[0].content, /###STOP###/);
    assert.deepEqual(first.slice(1), [{ role: 'user', content: LLM_USER_GREETING }]);
    // Second: its own opening as "assistant", the agent's reply as "user"; no tool traffic.
    const second = dialogue(peer.requests[1]);
    assert.deepEqual(
      second.map((m: { role: string }) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.equal(second[1].content, 'Could you set color to blue?');
    assert.equal(second[2].content, 'Done: color is now blue.');
    assert.equal(peer.requests[0].body.temperature, 0.7);

    const user = trajectory.participants.user as Record<string, unknown>;
    assert.equal(user.name, 'sim');
    assert.equal(user.model, 'sim');
    assert.equal(user.modelId, 'sim-model');
    assert.equal(user.temperature, 0.7);
    assert.equal(user.promptVersion, 'groundwork-user/1');
    assert.match(String(user.promptHash), /^[0-9a-f]{16}$/);
    assert.equal(trajectory.usage.user.calls, 2);
  });

  it('adds the goal-state block to its prompt, and can open from the scenario without a call', async () => {
    const { peer, hub } = await userHub('anthropic', () => ({ kind: 'message', text: 'ok ###STOP###' }));
    const user = createLlmUser('sim', hub, {
      opening: 'scenario',
      goalStateBlock: (events) => `objective set-color: INCOMPLETE (${events.length} events)`,
    });
    const result = await runEpisode({ domain, task: setColor, agent: createOracleAgent(), user, episodeId: 'u2', trial: 0, seed: 3 });
    assert.equal(result.trajectory.events[0].type === 'message' && result.trajectory.events[0].content, 'Please set color to blue.');
    assert.equal(peer.requests.length, 1);
    const system = peer.requests[0].body.system[0].text as string;
    assert.match(system, /# Where you are with your goal\nobjective set-color: INCOMPLETE \(4 events\)/);
    // Anthropic needs alternating turns: greeting, opening, agent reply.
    assert.deepEqual(
      peer.requests[0].body.messages.map((m: { role: string }) => m.role),
      ['user', 'assistant', 'user'],
    );
  });

  it('repeated empty replies end the episode with user_error, not a crash', async () => {
    const { peer, hub } = await userHub('openai', () => ({ kind: 'message', text: '   ' }));
    const result = await runEpisode({
      domain,
      task: readSize,
      agent: createOracleAgent(),
      user: createLlmUser('sim', hub, { maxEmptyReplies: 1 }),
      episodeId: 'u3',
      trial: 0,
      seed: 3,
    });
    assert.equal(result.trajectory.termination.reason, 'user_error');
    assert.match(result.trajectory.termination.detail ?? '', /2 empty replies/);
    assert.equal(peer.requests.length, 2);
  });

  it('a provider down makes the episode infra_error', async () => {
    const { hub } = await userHub('openai', () => ({ kind: 'error', status: 503 }));
    const result = await runEpisode({
      domain,
      task: readSize,
      agent: createOracleAgent(),
      user: createLlmUser('sim', hub),
      episodeId: 'u4',
      trial: 0,
      seed: 3,
    });
    assert.equal(result.trajectory.termination.reason, 'infra_error');
    assert.match(result.trajectory.termination.detail ?? '', /HTTP 503.*after 2 attempts/);
  });
});

describe('LLM user with its own tools (dual control, τ²-bench mock)', () => {
  const mock = createTau2MockDomain();
  const [withUserTools] = mock.tasks({ ids: ['update_task_with_user_tools'] });
  /** The user model: checks its inbox, asks for the update, dismisses the notification once told it is done, stops. */
  const script = (request: PeerRequest): PeerReply => {
    const seen = openAIMessages(request.body).filter((m) => m.role !== 'system');
    const toolResults = seen.filter((m) => m.role === 'tool').length;
    const last = seen.at(-1)!;
    if (toolResults === 0) return { kind: 'message', toolCalls: [{ name: 'check_notifications', arguments: {} }] };
    if (toolResults === 1 && last.role === 'tool') return { kind: 'message', text: 'I finished task_1. Please mark it completed.' };
    if (toolResults === 1)
      return { kind: 'message', toolCalls: [{ name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } }] };
    return { kind: 'message', text: 'Thanks, all done. ###STOP###' };
  };
  const models = (url: string) => ({ sim: { provider: 'openai' as const, model: 'sim-model', baseURL: url, limits: { maxRetries: 0 } } });
  const play = (hub: ModelHub) =>
    runEpisode({
      domain: mock,
      task: withUserTools,
      agent: createOracleAgent(),
      user: createLlmUser('sim', hub),
      episodeId: 'dual',
      trial: 0,
      seed: 5,
    });

  it('is offered only its tools, sees its calls and their results as τ² shows them, acts on its side; record and replay agree', async () => {
    const peer = await startOpenAIPeer(script);
    peers.push(peer);
    const dir = await mkdtemp(join(tmpdir(), 'gw-user-tools-'));
    const recordHub = new ModelHub({ env: ENV, models: models(peer.url), record: dir, retry: { initialDelayMs: 5 } });
    const { trajectory, finalState } = await play(recordHub);

    // Tools offered to the user's model: its own two, never the agent's.
    const offered = peer.requests[0].body.tools.map((t: { function: { name: string } }) => t.function.name);
    assert.deepEqual(offered, ['check_notifications', 'dismiss_notification']);
    assert.match(peer.requests[0].body.messages[0].content, /# Your own tools[\s\S]*notification inbox/);

    // Second request: its own call as an assistant tool call, then the result as a tool message (τ²'s flip_roles).
    const second = openAIMessages(peer.requests[1].body).filter((m) => m.role !== 'system');
    assert.deepEqual(
      second.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    assert.equal((second[1].tool_calls as { function: { name: string } }[])[0].function.name, 'check_notifications');
    assert.equal(
      second[2].content,
      '[{"notification_id": "notif_1", "message": "Task \'Test task\' has been assigned to you.", "status": "unread", "task_id": "task_1"}]',
    );
    // The agent's tool traffic never reaches the user: the update_task_status call is not in its last request.
    const lastRequest = JSON.stringify(peer.requests.at(-1)!.body.messages);
    assert.doesNotMatch(lastRequest, /update_task_status/);
    assert.match(lastRequest, /Notification notif_1 dismissed/);

    const userCalls = trajectory.events
      .filter((e) => e.type === 'tool_call' && e.actor === 'user')
      .map((e) => (e as { name: string }).name);
    assert.deepEqual(userCalls, ['check_notifications', 'dismiss_notification']);
    assert.equal(trajectory.termination.reason, 'user_stop');
    assert.equal(finalState.get('notifications', 'notif_1')!.status, 'read');
    assert.equal(finalState.get('tasks', 'task_1')!.status, 'completed');
    assert.deepEqual((trajectory.participants.user as Record<string, unknown>).tools, ['check_notifications', 'dismiss_notification']);

    // Replayed from the cassettes with no server: the same episode.
    const replayHub = new ModelHub({ env: {}, models: models('http://127.0.0.1:9/v1'), replay: dir });
    const replayed = await play(replayHub);
    const strip = (events: readonly unknown[]) => JSON.stringify(events);
    assert.equal(strip(replayed.trajectory.events), strip(trajectory.events));
    assert.equal(replayed.trajectory.finalStateHash, trajectory.finalStateHash);
  });

  it('works with Anthropic too: its call as a tool_use block, the result as a tool_result block', async () => {
    const { peer, hub } = await userHub('anthropic', (request) =>
      request.body.messages.length === 1
        ? { kind: 'message', toolCalls: [{ name: 'check_notifications', arguments: {} }] }
        : { kind: 'message', text: 'Nothing else, thanks. ###STOP###' },
    );
    const { trajectory } = await runEpisode({
      domain: mock,
      task: withUserTools,
      agent: createOracleAgent(),
      user: createLlmUser('sim', hub),
      episodeId: 'dual-anthropic',
      trial: 0,
      seed: 5,
    });
    assert.equal(trajectory.termination.reason, 'user_stop');
    assert.deepEqual(
      peer.requests[0].body.tools.map((t: { name: string }) => t.name),
      ['check_notifications', 'dismiss_notification'],
    );
    const [, call, result] = peer.requests[1].body.messages as { role: string; content: { type: string; content?: unknown }[] }[];
    assert.deepEqual([call.role, call.content[0].type], ['assistant', 'tool_use']);
    assert.deepEqual([result.role, result.content[0].type], ['user', 'tool_result']);
    assert.match(JSON.stringify(result.content[0].content), /notif_1/);
  });

  it('a domain without user tools offers the model none', async () => {
    const { peer, hub } = await userHub('openai', () => ({ kind: 'message', text: 'Please set color to blue. ###STOP###' }));
    await runEpisode({
      domain,
      task: setColor,
      agent: createOracleAgent(),
      user: createLlmUser('sim', hub),
      episodeId: 'u5',
      trial: 0,
      seed: 3,
    });
    assert.equal(peer.requests[0].body.tools, undefined);
    assert.doesNotMatch(peer.requests[0].body.messages[0].content, /Your own tools/);
  });
});
