import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createOracleAgent } from '../agents/oracle.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { ModelHub } from '../models/model-hub.ts';
import { startAnthropicPeer } from '../testing/anthropic-peer.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
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
