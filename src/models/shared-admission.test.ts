import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createAdmissionBuffer, SharedAdmission, SharedAdmissions, sharedClock } from './shared-admission.ts';

/**
 * What a thread does once told to go: `requests` times acquire, hold `holdMs`, release; optionally
 * pause first. With `exitHolding`, it takes that many slots as holder `holder`, says so, and exits
 * without releasing them (a crashed episode thread).
 */
interface ThreadJob {
  buffer: SharedArrayBuffer;
  requests: number;
  holdMs: number;
  pauseMs?: number;
  holder?: number;
  exitHolding?: number;
}

/** [admitted, released] times (shared clock) of one thread's requests. */
type Spans = [number, number][];

// A real worker thread over the same module (tsx registered in the thread, as the episode threads do).
const THREAD = `(async () => {
  const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
  register();
  const { SharedAdmission, sharedClock } = await import(${JSON.stringify(new URL('./shared-admission.ts', import.meta.url).href)});
  const { workerData, parentPort } = await import('node:worker_threads');
  const admission = new SharedAdmission(workerData.buffer, { holder: workerData.holder });
  // Up (tsx registered, module loaded): wait for the test to say go, so that it times what it does from here.
  parentPort.postMessage('ready');
  await new Promise((resolve) => parentPort.once('message', resolve));
  if (workerData.exitHolding) {
    for (let i = 0; i < workerData.exitHolding; i++) await admission.acquire();
    parentPort.postMessage('holding');
    return;
  }
  if (workerData.pauseMs) admission.pause(workerData.pauseMs);
  const spans = await Promise.all(Array.from({ length: workerData.requests }, async () => {
    const release = await admission.acquire();
    const admitted = sharedClock();
    await new Promise((resolve) => setTimeout(resolve, workerData.holdMs));
    const released = sharedClock();
    release();
    return [admitted, released];
  }));
  parentPort.postMessage(spans);
})();`;

/** Runs `job` in a new thread; `onReady` runs once the thread is up, just before it is told to go. */
function inThread(job: ThreadJob, onReady?: () => void): Promise<Spans> {
  const worker = new Worker(THREAD, { eval: true, workerData: job });
  return new Promise((resolve, reject) => {
    worker.on('message', (message: 'ready' | Spans) => {
      if (message === 'ready') {
        onReady?.();
        worker.postMessage('go');
        return;
      }
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** Rejects after `ms` (a hang fails the test instead of stalling the run). */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Most spans overlapping at once. */
function peak(spans: Spans): number {
  const edges = spans.flatMap(([from, to]) => [
    [from, 1],
    [to, -1],
  ]);
  // A release before an admission at the same instant: the slot was handed over.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, change] of edges) most = Math.max(most, (open += change));
  return most;
}

describe('a model admission shared by threads (SharedArrayBuffer + Atomics)', () => {
  it('never admits more requests at once than the concurrency, over every thread, and reaches it', async () => {
    const buffer = createAdmissionBuffer({ concurrency: 3 });
    const spans = (await Promise.all([1, 2, 3].map(() => inThread({ buffer, requests: 8, holdMs: 25 })))).flat();
    assert.equal(spans.length, 24);
    assert.equal(peak(spans), 3);
    const stats = new SharedAdmission(buffer).stats();
    assert.equal(stats.requests, 24);
    assert.equal(stats.maxInFlight, 3);
    // (Threads start at different times: how many of them had to wait varies.)
    assert.ok(stats.waited > 0 && stats.waitMs > 0, `${stats.waited} waited ${stats.waitMs} ms`);
  });

  it('keeps under the requests-per-window cap over every thread', async () => {
    const windowMs = 300;
    const buffer = createAdmissionBuffer({ concurrency: 10, requestsPerMinute: 4, windowMs });
    const started = sharedClock();
    const spans = (await Promise.all([1, 2].map(() => inThread({ buffer, requests: 5, holdMs: 1 })))).flat();
    const admitted = spans.map(([at]) => at);
    // Load only delays an admission after its start, never advances it (see model-limiter.test.ts):
    // those seen before started + k windows started within the first k windows, which admit 4k.
    for (const k of [1, 2]) {
      const early = admitted.filter((at) => at < started + k * windowMs).length;
      assert.ok(early <= 4 * k, `${early} admitted in the first ${k} window(s)`);
    }
    assert.ok(Math.max(...admitted) - started >= 2 * windowMs, 'ten requests at four per window take two windows');
    assert.equal(new SharedAdmission(buffer).stats().requests, 10);
  });

  it('a pause asked in one thread holds back the requests of another, and is reported as a pause', async () => {
    const buffer = createAdmissionBuffer({ concurrency: 4 });
    const pauser = new SharedAdmission(buffer);
    let before = Number.NaN;
    // Paused once the thread is up (start-up takes 100+ ms, longer under load), then its requests come.
    const spans = await inThread({ buffer, requests: 3, holdMs: 1 }, () => {
      before = sharedClock();
      pauser.pause(300);
    });
    for (const [at] of spans) assert.ok(at >= before + 300, `admitted ${at - before} ms after the pause`);
    const stats = pauser.stats();
    assert.equal(stats.pauses, 1);
    assert.ok(Math.abs((stats.pausedMs ?? 0) - 300) < 1);
    // Waiting out the pause is the provider's limit, not the run's: nothing counts as throttled.
    assert.equal(stats.pauseWaited, 3);
    assert.equal(stats.waited, 0);
  });

  it("a thread that dies holding slots: releaseHeldBy gives them back and another thread's waiting request is admitted", async () => {
    const buffer = createAdmissionBuffer({ concurrency: 2 });
    const worker = new Worker(THREAD, { eval: true, workerData: { buffer, requests: 0, holdMs: 0, holder: 3, exitHolding: 2 } });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    await within(
      30_000,
      'thread holding slots',
      new Promise<void>((resolve, reject) => {
        worker.on('message', (message: string) => (message === 'ready' ? worker.postMessage('go') : resolve()));
        worker.once('error', reject);
      }),
    );
    const main = new SharedAdmission(buffer);
    assert.equal(main.active, 2);
    // Waiting (asleep on the release counter) before the holder dies: only a wake-up admits it.
    const waiting = main.acquire();
    await worker.terminate();
    await exited;
    assert.equal(new SharedAdmission(buffer).releaseHeldBy(4), 0, 'another holder held nothing');
    assert.equal(new SharedAdmission(buffer).releaseHeldBy(3), 2);
    const release = await within(5_000, 'request waiting for the dead thread’s slots', waiting);
    assert.equal(main.active, 1);
    release();
    assert.equal(main.active, 0);
    assert.equal(new SharedAdmission(buffer).releaseHeldBy(3), 0, 'given back once');
    const admissions = new SharedAdmissions();
    // The main thread's table gives back a holder's slots in every model's buffer.
    const a = new SharedAdmission(admissions.bufferFor('a', { concurrency: 1 }), { holder: 2 });
    const b = new SharedAdmission(admissions.bufferFor('b', { concurrency: 2 }), { holder: 2 });
    await a.acquire();
    await b.acquire();
    await b.acquire();
    assert.equal(admissions.releaseHeldBy(2), 3);
    assert.equal(admissions.admission('a', { concurrency: 1 }).active, 0);
    assert.equal(admissions.admission('b', { concurrency: 2 }).active, 0);
  });

  it('one buffer per model name, listed in the order first asked for', () => {
    const admissions = new SharedAdmissions();
    const first = admissions.bufferFor('b', { concurrency: 2 });
    admissions.bufferFor('a', { concurrency: 5 });
    assert.equal(admissions.bufferFor('b', { concurrency: 9 }), first);
    assert.deepEqual(admissions.names(), ['b', 'a']);
    assert.equal(admissions.admission('b', { concurrency: 9 }).stats().concurrency, 2);
  });
});
