import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import { maxArrivalsInWindow, maxConcurrent, type ModelPeer } from '../testing/peer-server.ts';
import { ModelHub } from './model-hub.ts';

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-peers' };
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));
const hello = { messages: [{ role: 'user' as const, content: 'hello' }] };

describe('per-model limits shared by all episodes (measured at the server)', () => {
  it('never has more requests in flight than the concurrency cap', async () => {
    const peer = await startOpenAIPeer(() => ({ kind: 'message', text: 'ok', delayMs: 40 }));
    peers.push(peer);
    const hub = new ModelHub({ env: ENV, models: { m: { provider: 'openai', model: 'x', baseURL: peer.url, limits: { concurrency: 3 } } } });
    // 12 episodes (sessions) at once, two calls each.
    await Promise.all(
      Array.from({ length: 12 }, async (_, episode) => {
        const session = hub.session('m', { role: 'agent', trial: 0, seed: episode });
        await session.generate(hello);
        await session.generate(hello);
      }),
    );
    assert.equal(peer.requests.length, 24);
    assert.equal(maxConcurrent(peer.requests), 3);
  });

  it('keeps under the requests-per-window cap', async () => {
    const peer = await startOpenAIPeer(() => ({ kind: 'message', text: 'ok' }));
    peers.push(peer);
    const windowMs = 300;
    const hub = new ModelHub({
      env: ENV,
      models: { m: { provider: 'openai', model: 'x', baseURL: peer.url, limits: { concurrency: 10, requestsPerMinute: 4 } } },
      _internal: { rateWindowMs: windowMs },
    });
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, (_, episode) => hub.session('m', { role: 'user', trial: 0, seed: episode }).generate(hello)));
    const elapsed = performance.now() - started;
    assert.equal(peer.requests.length, 10);
    // 10 requests at 4 per window need at least two full windows.
    assert.ok(elapsed >= 2 * windowMs, `took ${elapsed} ms`);
    // Server-side arrivals lag client starts by a little: allow 40 ms of network jitter.
    assert.ok(maxArrivalsInWindow(peer.requests, windowMs - 40) <= 4, `max ${maxArrivalsInWindow(peer.requests, windowMs - 40)} in a window`);
  });

  it('a 429 with Retry-After pauses every session of the model', async () => {
    let first = true;
    const peer = await startOpenAIPeer(() => {
      if (first) {
        first = false;
        return { kind: 'error', status: 429, headers: { 'retry-after-ms': '400' } };
      }
      return { kind: 'message', text: 'ok' };
    });
    peers.push(peer);
    const hub = new ModelHub({ env: ENV, models: { m: { provider: 'openai', model: 'x', baseURL: peer.url, limits: { concurrency: 1 } } }, retry: { initialDelayMs: 5 } });
    await Promise.all([0, 1, 2].map((seed) => hub.session('m', { role: 'agent', trial: 0, seed }).generate(hello)));
    const limited = peer.requests[0];
    for (const request of peer.requests.slice(1)) assert.ok(request.arrivedAt - limited.finishedAt! >= 380, 'no request before Retry-After elapsed');
  });
});
