import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import { maxConcurrent, type ModelPeer } from '../testing/peer-server.ts';
import { ModelHub } from './model-hub.ts';
import { ModelLimiter } from './model-limiter.ts';

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-peers' };
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));
const hello = { messages: [{ role: 'user' as const, content: 'hello' }] };

describe('per-model limits shared by all episodes (measured at the server)', () => {
  it('never has more requests in flight than the concurrency cap', async () => {
    const peer = await startOpenAIPeer(() => ({ kind: 'message', text: 'ok', delayMs: 40 }));
    peers.push(peer);
    const hub = new ModelHub({
      env: ENV,
      models: { m: { provider: 'openai', model: 'x', baseURL: peer.url, limits: { concurrency: 3 } } },
    });
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
    await Promise.all(
      Array.from({ length: 10 }, (_, episode) => hub.session('m', { role: 'user', trial: 0, seed: episode }).generate(hello)),
    );
    const elapsed = performance.now() - started;
    assert.equal(peer.requests.length, 10);
    // 10 requests at 4 per window need at least two full windows.
    assert.ok(elapsed >= 2 * windowMs, `took ${elapsed} ms`);
    // Load only delays a request between its start and its arrival, never advances it, so these
    // hold however busy the machine is: a request arriving before started + k windows started
    // within the first k windows of the limiter, which admit at most 4k. (A sliding window over
    // arrival times is not load-proof: lag can bunch arrivals; the limiter's own starts are
    // checked on a virtual clock below.)
    for (const k of [1, 2]) {
      const early = peer.requests.filter((r) => r.arrivedAt < started + k * windowMs).length;
      assert.ok(early <= 4 * k, `${early} requests arrived in the first ${k} window(s)`);
    }
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
    const hub = new ModelHub({
      env: ENV,
      models: { m: { provider: 'openai', model: 'x', baseURL: peer.url, limits: { concurrency: 1 } } },
      retry: { initialDelayMs: 5 },
    });
    await Promise.all([0, 1, 2].map((seed) => hub.session('m', { role: 'agent', trial: 0, seed }).generate(hello)));
    const limited = peer.requests[0];
    for (const request of peer.requests.slice(1))
      assert.ok(request.arrivedAt - limited.finishedAt! >= 380, 'no request before Retry-After elapsed');
  });
});

/**
 * The limiter on a virtual clock: its `now` and node:test's mocked setTimeout advance together,
 * in steps, so every start time is exact and the result does not depend on machine load.
 */
async function onVirtualClock(
  t: { mock: { timers: { enable(o: { apis: 'setTimeout'[] }): void; tick(ms: number): void } } },
  run: (now: () => number) => { done: () => boolean; all: Promise<unknown> },
  step = 10,
  limit = 10_000,
): Promise<number> {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const { done, all } = run(() => clock);
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  await settle();
  while (!done() && clock < limit) {
    clock += step;
    t.mock.timers.tick(step);
    await settle();
  }
  await all;
  return clock;
}

describe('ModelLimiter on a virtual clock (deterministic)', () => {
  it('admits at most requestsPerMinute starts in any window, first come first served', async (t) => {
    const windowMs = 300;
    const starts: { index: number; at: number }[] = [];
    await onVirtualClock(t, (now) => {
      const limiter = new ModelLimiter({ concurrency: 10, requestsPerMinute: 4, windowMs, now });
      const all = Promise.all(
        Array.from({ length: 10 }, async (_, index) => {
          const release = await limiter.acquire();
          starts.push({ index, at: now() });
          release();
        }),
      );
      return { done: () => starts.length === 10, all };
    });
    assert.deepEqual(
      starts.map((s) => s.index),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      'granted in arrival order',
    );
    assert.deepEqual(
      starts.map((s) => Math.floor(s.at / windowMs)),
      [0, 0, 0, 0, 1, 1, 1, 1, 2, 2],
      'four per window, each window used',
    );
    for (const { at } of starts) {
      const inWindow = starts.filter((s) => s.at >= at && s.at < at + windowMs).length;
      assert.ok(inWindow <= 4, `${inWindow} starts in the window from ${at}`);
    }
  });

  it('holds the concurrency cap and hands freed slots over in arrival order', async (t) => {
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    await onVirtualClock(t, (now) => {
      const limiter = new ModelLimiter({ concurrency: 3, now });
      const all = Promise.all(
        Array.from({ length: 9 }, async (_, index) => {
          const release = await limiter.acquire();
          order.push(index);
          peak = Math.max(peak, ++active);
          await new Promise((resolve) => setTimeout(resolve, 40 + (index % 3) * 10));
          active--;
          release();
        }),
      );
      return { done: () => order.length === 9 && active === 0, all };
    });
    assert.equal(peak, 3);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('starts nothing before a pause ends (Retry-After shared by every caller)', async (t) => {
    const starts: number[] = [];
    await onVirtualClock(t, (now) => {
      const limiter = new ModelLimiter({ concurrency: 5, now });
      limiter.pauseUntil(400);
      const all = Promise.all(
        Array.from({ length: 3 }, async () => {
          const release = await limiter.acquire();
          starts.push(now());
          release();
        }),
      );
      return { done: () => starts.length === 3, all };
    });
    assert.equal(starts.length, 3);
    for (const at of starts) assert.ok(at >= 400 && at <= 420, `started at ${at}`);
  });
});
