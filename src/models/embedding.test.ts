import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GroundworkError } from '../errors.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import { defaultPeerEmbedding, embeddingInputs, type ModelPeer } from '../testing/peer-server.ts';
import { cassetteSchema } from './cassette.ts';
import type { ModelsConfig } from './model-config.ts';
import { ModelHub } from './model-hub.ts';
import type { ModelEvent } from './model-session.ts';

const KEY = 'sk-embedding-test-key-0123456789';
const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 };
const peers: ModelPeer[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(peers.map((peer) => peer.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const TEXTS = ['turn off auto tagging', 'delete all data of Iris Textiles', 'offboard Dana'];

describe('embeddings through the model hub', () => {
  it('retries a 500, records a cassette without the key, then replays it with the peer stopped', async () => {
    const peer = await startOpenAIPeer([
      { kind: 'error', status: 500 },
      { kind: 'embedding', usage: { inputTokens: 17 } },
    ]);
    peers.push(peer);
    const dir = await mkdtemp(join(tmpdir(), 'gw-embed-'));
    dirs.push(dir);
    const models: ModelsConfig = {
      emb: {
        provider: 'openai',
        kind: 'embedding',
        model: 'text-embedding-peer',
        baseURL: peer.url,
        pricePerMillion: { input: 2, output: 0 },
      },
    };
    const events: ModelEvent[] = [];
    const hub = new ModelHub({
      env: { OPENAI_API_KEY: KEY },
      models,
      record: dir,
      retry: FAST_RETRY,
      onEvent: (event) => events.push(event),
    });
    const embedder = hub.embedder('emb', { role: 'embed', trial: 2, seed: 7 });
    const vectors = await embedder.embed(TEXTS);

    assert.deepEqual(vectors, TEXTS.map(defaultPeerEmbedding));
    assert.equal(peer.requests.length, 2);
    for (const request of peer.requests) {
      assert.ok(request.path.endsWith('/embeddings'), request.path);
      assert.deepEqual(embeddingInputs(request.body), TEXTS);
      assert.equal(request.body.model, 'text-embedding-peer');
      assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    }
    assert.deepEqual(
      events.map((e) => [e.type, e.role, e.trial]),
      [['retry', 'embed', 2]],
    );
    const usage = embedder.usage();
    assert.equal(usage.calls, 1);
    assert.equal(usage.inputTokens, 17);
    assert.equal(usage.outputTokens, 0);
    assert.equal(usage.costUsd, (17 * 2) / 1_000_000);
    assert.equal(await embedder.embed([]).then((v) => v.length), 0);
    assert.equal(peer.requests.length, 2, 'an empty list sends nothing');

    const files = await readdir(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^embed-t2-[0-9a-f]{24}\.json$/);
    const text = await readFile(join(dir, files[0]), 'utf8');
    assert.ok(!text.includes(KEY), 'the key is never written');
    const cassette = cassetteSchema.parse(JSON.parse(text));
    assert.equal(cassette.role, 'embed');
    assert.equal(cassette.trial, 2);
    assert.ok(cassette.request.url.endsWith('/embeddings'));
    await peer.close();

    // Replay: no key, the peer is gone; same vectors and usage; another trial is a miss.
    const replayHub = new ModelHub({ env: {}, models, replay: dir });
    const replayed = replayHub.embedder('emb', { role: 'embed', trial: 2, seed: 7 });
    assert.deepEqual(await replayed.embed(TEXTS), vectors);
    assert.deepEqual({ ...replayed.usage(), latencyMs: 0 }, { ...usage, latencyMs: 0 });
    await assert.rejects(
      replayHub.embedder('emb', { role: 'embed', trial: 3, seed: 7 }).embed(TEXTS),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'REPLAY_MISS' && /embed request/.test(error.message),
    );
  });

  it('openai-compatible embedding models hit /embeddings with scripted vectors; a 401 is not retried', async () => {
    const peer = await startOpenAIPeer([
      {
        kind: 'embedding',
        vectors: [
          [1, 0],
          [0, 1],
        ],
      },
      { kind: 'error', status: 401, message: 'bad key' },
    ]);
    peers.push(peer);
    const hub = new ModelHub({ env: {}, retry: FAST_RETRY });
    const embedder = hub.embedder(`openai-compatible:nomic-embed@${peer.url}`, { role: 'embed', trial: 0, seed: 1 });
    assert.deepEqual(await embedder.embed(['a', 'b']), [
      [1, 0],
      [0, 1],
    ]);
    await assert.rejects(
      embedder.embed(['c']),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'PROVIDER_FAILED' && /HTTP 401/.test(error.message),
    );
    assert.equal(peer.requests.length, 2);
    assert.ok(peer.requests.every((r) => r.path === '/v1/embeddings'));
  });

  it('refuses Anthropic and models declared for the other use, with a hint', () => {
    const hub = new ModelHub({
      env: { ANTHROPIC_API_KEY: 'sk-ant-unused-123456', OPENAI_API_KEY: KEY },
      models: {
        chatty: { provider: 'openai', kind: 'chat', model: 'gpt-x' },
        emb: { provider: 'openai', kind: 'embedding', model: 'text-embedding-3-small' },
      },
    });
    assert.throws(
      () => hub.embedder('anthropic:claude-x', { role: 'embed', trial: 0, seed: 0 }),
      (error: unknown) =>
        GroundworkError.isInstance(error) &&
        error.code === 'INVALID_ARGUMENT' &&
        /no embedding API/.test(error.message) &&
        /openai:text-embedding/.test(error.hint ?? ''),
    );
    assert.throws(
      () => hub.embedder('chatty', { role: 'embed', trial: 0, seed: 0 }),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'INVALID_ARGUMENT',
    );
    assert.throws(
      () => hub.session('emb', { role: 'agent', trial: 0, seed: 0 }),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'INVALID_ARGUMENT',
    );
  });
});
