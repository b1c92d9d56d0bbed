import { oracleStepMessage } from '../schema/task.ts';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { GroundworkError } from '../errors.ts';
import { ModelHub } from '../models/model-hub.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import { embeddingInputs, type ModelPeer, type PeerReply, type PeerRequest } from '../testing/peer-server.ts';
import { learn } from './learn.ts';

const domain = createHelpdeskDomain();
const TRAIN = ['hd-train-002'];
const TEST = ['hd-test-002'];
const tasks = [...domain.tasks({ split: 'train', ids: TRAIN }), ...domain.tasks({ split: 'test', ids: TEST })];
const byOpening = new Map(tasks.flatMap((task) => task.user.openings.map((opening) => [opening, task] as const)));

/** Agent model that plays each task's reference solution; embeddings from the peer's default model. */
function model(request: PeerRequest): PeerReply {
  if (request.path.endsWith('/embeddings')) return { kind: 'embedding' };
  const messages: { role: string; content: unknown }[] = request.body.messages;
  const task = byOpening.get(String(messages.find((m) => m.role === 'user')?.content ?? ''));
  const step = task?.oracle[messages.filter((m) => m.role === 'assistant').length];
  if (!step) return { kind: 'message', text: 'Done.' };
  return step.kind === 'call'
    ? { kind: 'message', toolCalls: [{ name: step.call.name, arguments: step.call.arguments }] }
    : { kind: 'message', text: oracleStepMessage(step) };
}

const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

describe('learn with an embedding model', () => {
  it('retrieves demonstrations through the embedding model and records the retrieval in the session and run configs', async () => {
    const peer = await startOpenAIPeer(model);
    peers.push(peer);
    const models = {
      learner: { provider: 'openai-compatible' as const, model: 'peer-learner', baseURL: peer.url },
      vectors: { provider: 'openai-compatible' as const, kind: 'embedding' as const, model: 'peer-embed', baseURL: peer.url },
    };
    const hub = new ModelHub({ models, env: {} });
    const store = SqliteStore.open(':memory:');
    const session = await learn({
      store,
      hub,
      models,
      agent: 'learner',
      embedModel: 'vectors',
      mechanisms: ['demonstration'],
      rounds: 1,
      trainTasks: { ids: TRAIN },
      testTasks: { ids: TEST },
      trials: 1,
      testBefore: false,
    });
    assert.equal(session.status, 'finished');
    assert.equal(session.rounds[0].successRate, 1);
    assert.equal(session.settings.retrieval, 'embeddings');
    assert.equal(session.settings.embedModel, 'vectors');

    // Round 1 had no demonstration yet; the test episode embedded its opening with the train demonstration.
    const embeddings = peer.requests.filter((r) => r.path.endsWith('/embeddings'));
    assert.equal(embeddings.length, 1);
    const testOpenings = domain.tasks({ split: 'test', ids: TEST })[0].user.openings;
    const [query, ...candidates] = embeddingInputs(embeddings[0].body);
    assert.ok(testOpenings.includes(query), query);
    assert.equal(candidates.length, 1);
    assert.ok(domain.tasks({ split: 'train', ids: TRAIN })[0].user.openings.includes(candidates[0]));
    assert.equal(embeddings[0].body.model, 'peer-embed');
    assert.equal(session.usage.embed?.calls, 1);
    assert.equal(session.test.after?.experienceUsed, 1);

    const afterRun = (await store.getRun(session.test.after!.runId))!;
    assert.equal(afterRun.config.experience?.retrieval, 'embeddings');
    assert.equal(afterRun.config.experience?.embedModel, 'vectors');
    await store.close();
  });

  it('refuses an Anthropic embedding model before any episode runs', async () => {
    const store = SqliteStore.open(':memory:');
    const hub = new ModelHub({
      models: { learner: { provider: 'openai-compatible', model: 'x', baseURL: 'http://127.0.0.1:9/v1' } },
      env: { ANTHROPIC_API_KEY: 'sk-ant-unused-123456' },
    });
    await assert.rejects(
      learn({ store, hub, agent: 'learner', embedModel: 'anthropic:claude-x', rounds: 1 }),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'INVALID_ARGUMENT' && /no embedding API/.test(error.message),
    );
    assert.deepEqual(await store.listLearningSessions(), []);
    await store.close();
  });
});
