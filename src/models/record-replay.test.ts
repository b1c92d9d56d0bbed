import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLlmAgent } from '../agents/llm-agent.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { GroundworkError } from '../errors.ts';
import type { Task } from '../schema/task.ts';
import type { Trajectory } from '../schema/trajectory.ts';
import { startAnthropicPeer } from '../testing/anthropic-peer.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { PeerRequest } from '../testing/peer-server.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { createLlmUser } from '../users/llm-user.ts';
import { cassetteSchema } from './cassette.ts';
import { ModelHub, type ModelHubOptions } from './model-hub.ts';
import type { ModelsConfig } from './model-config.ts';

const domain = createTinyDomain();
const [setColor, readSize] = domain.tasks({});
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const afterToolResult = (request: PeerRequest) => request.body.messages.at(-1).role === 'tool';
const userTurns = (request: PeerRequest) => request.body.messages.length;

function models(agentURL: string, userURL: string): ModelsConfig {
  return {
    agent: { provider: 'openai', model: 'gpt-rec', baseURL: agentURL },
    user: { provider: 'anthropic', model: 'peer-messages-model', baseURL: userURL },
  };
}

async function episode(hub: ModelHub, task: Task, trial: number, seed: number): Promise<Trajectory> {
  const result = await runEpisode({
    domain,
    task,
    agent: createLlmAgent('agent', hub),
    user: createLlmUser('user', hub),
    episodeId: `rr-${trial}`,
    trial,
    seed,
  });
  return result.trajectory;
}

/** What must be identical between the recorded and the replayed episode. */
const replayable = (t: Trajectory) => ({
  events: t.events,
  termination: t.termination,
  finalChanges: t.finalChanges,
  finalStateHash: t.finalStateHash,
  usage: t.usage,
  steps: t.steps,
  participantsAgentModel: (t.participants.agent as Record<string, unknown>).model,
});

describe('record and replay', () => {
  it('replays recorded trials identically with the servers stopped; trials are not collapsed; misses are clear', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-cassettes-'));
    dirs.push(dir);
    // A non-deterministic agent model: the same request gets a different answer in each episode.
    let agentEpisode = 0;
    let failedOnce = false;
    const agentPeer = await startOpenAIPeer((request) => {
      if (afterToolResult(request)) return { kind: 'message', text: 'Done.' };
      if (!failedOnce) {
        failedOnce = true;
        return { kind: 'error', status: 500 };
      }
      agentEpisode++;
      return { kind: 'message', toolCalls: [{ name: 'set', arguments: { key: 'color', value: agentEpisode === 1 ? 'blue' : 'green' } }] };
    });
    const userPeer = await startAnthropicPeer((request) =>
      userTurns(request) === 1 ? { kind: 'message', text: 'Set color to blue please.' } : { kind: 'message', text: 'Thanks ###STOP###' },
    );
    const env = { OPENAI_API_KEY: 'sk-test-recording-key-123456', ANTHROPIC_API_KEY: 'sk-ant-recording-key-123456' };
    const recordOptions: ModelHubOptions = { env, models: models(agentPeer.url, userPeer.url), record: dir, retry: { initialDelayMs: 5 } };
    const recordHub = new ModelHub(recordOptions);
    // Same seed on purpose: only the trial number tells the two apart.
    const recorded = [await episode(recordHub, setColor, 0, 11), await episode(recordHub, setColor, 1, 11)];
    assert.deepEqual(recorded[0].finalChanges, { kv: { color: { value: 'blue' } } });
    assert.deepEqual(recorded[1].finalChanges, { kv: { color: { value: 'green' } } });
    const liveRequests = agentPeer.requests.length + userPeer.requests.length;
    await agentPeer.close();
    await userPeer.close();

    const files = await readdir(dir);
    assert.equal(files.length, 8, files.join(', '));
    for (const file of files) {
      const cassette = cassetteSchema.parse(JSON.parse(await readFile(join(dir, file), 'utf8')));
      assert.equal(cassette.response.status, 200);
      assert.ok(!('headers' in cassette.request));
    }

    // Replay: no key in the environment, servers gone, so any network use would fail.
    const replayHub = new ModelHub({ env: {}, models: models('http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1'), replay: dir });
    const replayed = [await episode(replayHub, setColor, 0, 11), await episode(replayHub, setColor, 1, 11)];
    assert.deepEqual(replayed.map(replayable), recorded.map(replayable));
    assert.equal(liveRequests, 9);
    assert.equal((replayed[0].participants.agent as Record<string, unknown>).cassettes, 'replay');

    // A request that was never recorded: the episode is an infra_error that says why.
    const missed = await episode(replayHub, readSize, 0, 11);
    assert.equal(missed.termination.reason, 'infra_error');
    assert.match(missed.termination.detail ?? '', /replay: no recorded answer for this user request to user \(trial 0, key [0-9a-f]+\)/);
    await assert.rejects(
      replayHub
        .session('agent', { role: 'agent', trial: 5, seed: 11 })
        .generate({ messages: [{ role: 'user', content: 'never recorded' }] }),
      (error: unknown) => {
        assert.ok(GroundworkError.isInstance(error));
        assert.equal(error.code, 'REPLAY_MISS');
        assert.ok(error.message.includes(dir));
        assert.match(error.hint ?? '', /--record/);
        return true;
      },
    );
  });

  it('record and replay together are refused', () => {
    assert.throws(
      () => new ModelHub({ record: 'a', replay: 'b' }),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'INVALID_ARGUMENT',
    );
  });
});
