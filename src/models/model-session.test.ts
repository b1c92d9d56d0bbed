import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { GroundworkError } from '../errors.ts';
import { startAnthropicPeer } from '../testing/anthropic-peer.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer } from '../testing/peer-server.ts';
import type { ModelConfig } from './model-config.ts';
import { ModelHub } from './model-hub.ts';
import type { ModelEvent } from './model-session.ts';
import { classifyFailure, parseRetryAfter, retryDelay } from './retry.ts';

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-peers', ANTHROPIC_API_KEY: 'sk-ant-test-key-for-peers' };
const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5000 };
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

async function openai(...args: Parameters<typeof startOpenAIPeer>) {
  const peer = await startOpenAIPeer(...args);
  peers.push(peer);
  return peer;
}

function hubFor(peer: ModelPeer, config: Partial<ModelConfig> = {}, events?: ModelEvent[]) {
  return new ModelHub({
    env: ENV,
    models: { m: { provider: 'openai', model: 'gpt-test', baseURL: peer.url, ...config } as ModelConfig },
    retry: FAST_RETRY,
    ...(events ? { onEvent: (event) => events.push(event) } : {}),
  });
}

const hello = { messages: [{ role: 'user' as const, content: 'hello' }] };

describe('ModelSession retries', () => {
  it('honours Retry-After on 429, then succeeds; the 429 is retried by us, not the SDK', async () => {
    const peer = await openai([
      { kind: 'error', status: 429, headers: { 'retry-after': '1' } },
      { kind: 'message', text: 'ok' },
    ]);
    const events: ModelEvent[] = [];
    const session = hubFor(peer, {}, events).session('m', { role: 'agent', trial: 0, seed: 1 });
    const response = await session.generate(hello);
    assert.equal(response.text, 'ok');
    assert.equal(response.attempts, 2);
    assert.equal(peer.requests.length, 2);
    const gap = peer.requests[1].arrivedAt - peer.requests[0].finishedAt!;
    assert.ok(gap >= 950, `waited ${gap} ms, Retry-After asked 1000`);
    assert.deepEqual(
      events.map((e) => e.type),
      ['retry'],
    );
    assert.match((events[0] as { reason: string }).reason, /HTTP 429/);
  });

  it('retries 500, 503, connection resets, empty bodies and truncated JSON', async () => {
    const peer = await openai([
      { kind: 'error', status: 500 },
      { kind: 'error', status: 503, headers: { 'retry-after-ms': '10' } },
      { kind: 'reset' },
      { kind: 'raw', body: '' },
      { kind: 'raw', body: '{"id":"chatcmpl-1","choices":[{"index":0,"mess' },
      { kind: 'raw', body: '{"unexpected":"shape"}' },
      { kind: 'message', text: 'finally' },
    ]);
    const session = hubFor(peer, { limits: { maxRetries: 6 } }).session('m', { role: 'agent', trial: 0, seed: 1 });
    const response = await session.generate(hello);
    assert.equal(response.text, 'finally');
    assert.equal(response.attempts, 7);
    assert.equal(peer.requests.length, 7);
  });

  it('times out a slow answer and retries it', async () => {
    const peer = await openai([
      { kind: 'message', text: 'too late', delayMs: 2000 },
      { kind: 'message', text: 'fast' },
    ]);
    const started = performance.now();
    const session = hubFor(peer, { limits: { timeoutMs: 150 } }).session('m', { role: 'agent', trial: 0, seed: 1 });
    const response = await session.generate(hello);
    assert.equal(response.text, 'fast');
    assert.ok(performance.now() - started < 1500);
    assert.equal(peer.requests.length, 2);
  });

  it('fails with PROVIDER_FAILED after maxRetries, counting attempts', async () => {
    const peer = await openai(() => ({ kind: 'error', status: 502 }));
    const session = hubFor(peer, { limits: { maxRetries: 3 } }).session('m', { role: 'user', trial: 2, seed: 1 });
    await assert.rejects(session.generate(hello), (error: unknown) => {
      assert.ok(GroundworkError.isInstance(error));
      assert.equal(error.code, 'PROVIDER_FAILED');
      assert.match(error.message, /^m \(user\): HTTP 502.* after 4 attempts$/);
      return true;
    });
    assert.equal(peer.requests.length, 4);
  });

  it('does not retry 401 or 400', async () => {
    const peer = await openai([
      { kind: 'error', status: 401, message: 'Incorrect API key provided' },
      { kind: 'error', status: 400 },
    ]);
    const session = hubFor(peer).session('m', { role: 'agent', trial: 0, seed: 1 });
    await assert.rejects(
      session.generate(hello),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'PROVIDER_FAILED' && /HTTP 401/.test(error.message),
    );
    await assert.rejects(session.generate(hello), (error: unknown) => GroundworkError.isInstance(error) && /HTTP 400/.test(error.message));
    assert.equal(peer.requests.length, 2);
  });

  // A refused connection cannot heal within a backoff: it fails on the first attempt (it used to
  // be retried, costing about 23 s per call with the default backoff).
  it('fails fast on a refused connection and an unknown host (no retry)', async () => {
    const peer = await openai([]);
    const url = peer.url;
    await peer.close();
    const events: ModelEvent[] = [];
    // Default backoff on purpose: a retry would take at least 500 ms.
    const hub = new ModelHub({
      env: ENV,
      models: {
        m: { provider: 'openai', model: 'x', baseURL: url },
        h: { provider: 'openai', model: 'x', baseURL: 'http://no-such-host.invalid/v1' },
      },
      onEvent: (event) => events.push(event),
    });
    const started = performance.now();
    await assert.rejects(hub.session('m', { role: 'agent', trial: 0, seed: 1 }).generate(hello), (error: unknown) => {
      assert.ok(GroundworkError.isInstance(error));
      assert.equal(error.code, 'PROVIDER_FAILED');
      assert.match(error.message, new RegExp(`^m \\(agent\\): connection refused at ${url.replace(/[.[\]]/g, '\\$&')}`));
      assert.doesNotMatch(error.message, /attempts/);
      assert.match(error.hint ?? '', /server running/);
      return true;
    });
    await assert.rejects(
      hub.session('h', { role: 'agent', trial: 0, seed: 1 }).generate(hello),
      (error: unknown) => GroundworkError.isInstance(error) && /host not found/.test(error.message),
    );
    assert.ok(performance.now() - started < 5000, `took ${performance.now() - started} ms`);
    assert.deepEqual(
      events.map((e) => e.type),
      ['failure', 'failure'],
    );
  });

  it('accounts tokens, cost and latency from the price table', async () => {
    const peer = await openai([{ kind: 'message', text: 'priced', usage: { inputTokens: 1_000, outputTokens: 200 } }]);
    const session = hubFor(peer, { pricePerMillion: { input: 2, output: 10 } }).session('m', { role: 'agent', trial: 0, seed: 1 });
    const { usage } = await session.generate(hello);
    assert.equal(usage.calls, 1);
    assert.equal(usage.inputTokens, 1000);
    assert.equal(usage.outputTokens, 200);
    assert.ok(Math.abs(usage.costUsd - (1000 * 2 + 200 * 10) / 1e6) < 1e-12);
    assert.ok(usage.latencyMs > 0);
  });

  it('speaks Anthropic Messages with the key in x-api-key and survives an overloaded 529', async () => {
    const peer = await startAnthropicPeer([
      { kind: 'error', status: 529 },
      { kind: 'message', text: 'hi from claude', usage: { inputTokens: 7, outputTokens: 3 } },
    ]);
    peers.push(peer);
    const hub = new ModelHub({
      env: ENV,
      models: { c: { provider: 'anthropic', model: 'peer-messages-model', baseURL: peer.url } },
      retry: FAST_RETRY,
    });
    const response = await hub.session('c', { role: 'user', trial: 0, seed: 1 }).generate({ system: 'be brief', ...hello });
    assert.equal(response.text, 'hi from claude');
    assert.equal(response.usage.inputTokens, 7);
    assert.equal(peer.requests[1].headers['x-api-key'], ENV.ANTHROPIC_API_KEY);
    assert.equal(peer.requests[1].body.max_tokens, 4096);
    assert.deepEqual(peer.requests[1].body.system, [{ type: 'text', text: 'be brief' }]);
  });

  it('needs the API key unless replaying', () => {
    assert.throws(
      () => new ModelHub({ env: {} }).resolve('openai:gpt-4o'),
      (error: unknown) => GroundworkError.isInstance(error) && error.code === 'INVALID_CONFIG' && /OPENAI_API_KEY/.test(error.message),
    );
    assert.doesNotThrow(() => new ModelHub({ env: {} }).resolve('ollama:qwen3'));
    assert.doesNotThrow(() => new ModelHub({ env: {}, replay: '/nonexistent' }).resolve('openai:gpt-4o'));
  });
});

describe('retry helpers', () => {
  it('parses Retry-After as seconds, milliseconds or a date', () => {
    assert.equal(parseRetryAfter({ 'retry-after': '2' }), 2000);
    assert.equal(parseRetryAfter({ 'Retry-After-Ms': '250' }), 250);
    assert.equal(parseRetryAfter({ 'retry-after': new Date(10_000).toUTCString() }, 4_000), 6000);
    assert.equal(parseRetryAfter({ 'retry-after': 'soon' }), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
  it('backs off exponentially with jitter, capped, and prefers Retry-After on 429', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 3000 };
    const failure = { retryable: true, reason: 'x' };
    assert.equal(
      retryDelay(0, failure, options, () => 0),
      50,
    );
    assert.equal(
      retryDelay(0, failure, options, () => 1),
      100,
    );
    assert.equal(
      retryDelay(3, failure, options, () => 1),
      800,
    );
    assert.equal(
      retryDelay(9, failure, options, () => 1),
      1000,
    );
    assert.equal(
      retryDelay(0, { ...failure, status: 429, retryAfterMs: 2000 }, options, () => 1),
      2000,
    );
    assert.equal(
      retryDelay(0, { ...failure, status: 429, retryAfterMs: 99_000 }, options, () => 1),
      3000,
    );
  });
  it('classifies timeouts as retryable and replay misses as final', () => {
    assert.equal(classifyFailure(new Error('x'), { timeoutMs: 5 }).retryable, true);
    assert.equal(classifyFailure(new GroundworkError('REPLAY_MISS', 'no'), undefined).retryable, false);
    // What fetch throws for a URL it cannot parse (config validation catches most, not a spec's).
    assert.equal(classifyFailure(Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }), undefined).retryable, false);
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    assert.equal(classifyFailure(reset, undefined).retryable, true);
  });
});
