// Model limits shared by worker processes through Redis (src/queue/model-admission.ts): two real
// Node processes call a local peer through real ModelHubs whose admission is the Redis-backed one,
// against a real redis-server. The peer counts requests in flight and arrivals from its own clock.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startCountingPeer, type CountingPeer } from '../../src/testing/counting-peer.ts';
import { maxConcurrent } from '../../src/testing/peer-server.ts';
import { type LocalServer, skipWithoutServer, startRedisServer } from '../../src/testing/local-servers.ts';

const CLIENT = fileURLToPath(new URL('./queue-limits-client.ts', import.meta.url));
const skip = skipWithoutServer('redis');

let redis: LocalServer | undefined;
const peers: CountingPeer[] = [];
const children: ChildProcess[] = [];

before(async () => {
  if (!skip) redis = await startRedisServer();
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(peers.map((peer) => peer.close()));
  await redis?.stop();
});

interface ClientResult {
  ok: number;
  errors: string[];
  rateLimited: number;
  stats: Record<string, { requests: number; waited: number; maxInFlight: number }>;
}

/** A client process (see queue-limits-client.ts); `done` resolves with its last JSON line. */
function client(settings: Record<string, unknown>): { child: ChildProcess; started: Promise<void>; done: Promise<ClientResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify({ redisUrl: redis!.url, ...settings })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  let onStart: () => void;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
    if (stdout.includes('"started"')) onStart();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const done = new Promise<ClientResult>((resolve, reject) =>
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.includes('"done"')) reject(new Error(`client exited ${code ?? signal}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(last) as ClientResult);
    }),
  );
  return { child, started, done };
}

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('concurrency per model and requests per window hold across two processes, counted by the peer', {
  skip,
  timeout: 60_000,
}, async () => {
  const peer = await startCountingPeer({ latencyMs: 40 });
  peers.push(peer);
  // Each process starts 12 calls at once over three models: alpha and beta limited to 3 in flight,
  // gamma to 4 starts per window.
  const windowMs = 3_000;
  const perWindow = 4;
  const settings = {
    peerUrl: peer.url,
    calls: { alpha: 30, beta: 30, gamma: 6 },
    limits: { alpha: { concurrency: 3 }, beta: { concurrency: 3 }, gamma: { concurrency: 16, requestsPerMinute: perWindow } },
    windowMs,
    parallel: 12,
  };
  const [ra, rb] = await Promise.all([client(settings).done, client(settings).done]);
  assert.deepEqual([ra.errors, rb.errors], [[], []]);
  assert.equal(ra.ok + rb.ok, 132);
  for (const model of ['alpha', 'beta']) {
    const counts = peer.counts(model);
    assert.equal(counts.requests, 60, model);
    // The limit holds across both processes, and it is reached (so it is what held them back).
    assert.equal(counts.maxInFlight, 3, `${model}: most requests in flight at the peer`);
    assert.ok(ra.stats[model]!.waited + rb.stats[model]!.waited > 0, `${model}: some requests waited for a slot`);
  }
  // Each model has its own limit: alpha and beta together exceed 3 in flight.
  assert.ok(maxConcurrent(peer.requests.filter((r) => r.body?.model !== 'gamma')) > 3);

  assert.equal(peer.counts('gamma').requests, 12);
  // Admission uses Redis's clock, arrivals the peer's: a request admitted at the start of a window
  // may reach the peer later than the next one (a loaded machine delays a process's sends by up
  // to a second). Counting in windows 1.5 s shorter tolerates that much delay.
  const counted = windowMs - 1_500;
  assert.ok(peer.maxArrivals(counted, 'gamma') <= perWindow, `max arrivals in ${counted} ms: ${peer.maxArrivals(counted, 'gamma')}`);
  // The window is what paced them: twelve requests at four per window span at least two windows.
  const times = peer.requests.filter((r) => r.body?.model === 'gamma').map((r) => r.arrivedAt);
  assert.ok(
    Math.max(...times) - Math.min(...times) >= 2 * counted,
    `twelve requests arrived within ${Math.round(Math.max(...times) - Math.min(...times))} ms`,
  );
});

test('a SIGKILLed process’s slots are reclaimed: the other process proceeds once they expire', { skip, timeout: 60_000 }, async () => {
  const peer = await startCountingPeer({
    latencyMs: 20,
    // The victim's first request hangs (it is killed meanwhile); every other request is quick.
    answer: (request) => (request.index === 0 ? { kind: 'message', text: 'slow', delayMs: 6_000 } : { kind: 'message', text: 'Done.' }),
  });
  peers.push(peer);
  const common = { peerUrl: peer.url, limits: { delta: { concurrency: 1 } }, slotTtlMs: 1_000 };
  const victim = client({ ...common, calls: { delta: 1 }, parallel: 1 });
  await until('the victim holds the only slot (its request is at the peer)', () => peer.requests.length === 1);
  const survivor = client({ ...common, calls: { delta: 5 }, parallel: 3 });
  await survivor.started;
  victim.child.kill('SIGKILL');
  await victim.done.catch(() => undefined);
  const result = await survivor.done;
  assert.deepEqual(result.errors, []);
  assert.equal(result.ok, 5);
  assert.ok(result.stats.delta!.waited >= 1, 'the survivor waited for the dead process’s slot');
  assert.equal(peer.counts('delta').requests, 6);
  assert.equal(peer.counts('delta').maxInFlight, 1, 'the reclaimed slot was never used twice at once');
});

test('a 429 with Retry-After pauses the model for every process; long pauses refuse at once and are tracked as rate limits; other models go on', {
  skip,
  timeout: 60_000,
}, async () => {
  const peer = await startCountingPeer({ latencyMs: 10 });
  peers.push(peer);
  // eps answers 429 (Retry-After 2 s) to whatever arrives in its first 1.5 s of calls.
  peer.rateLimit({ model: 'eps', forMs: 1_500, retryAfterMs: 2_000, from: 'next-request' });
  const common = {
    peerUrl: peer.url,
    calls: { eps: 10, zeta: 10 },
    limits: { eps: { concurrency: 4 }, zeta: { concurrency: 4 } },
    maxRetries: 0,
    maxPauseWaitMs: 500,
  };
  const [ra, rb] = await Promise.all([client({ ...common, parallel: 4 }).done, client({ ...common, parallel: 4 }).done]);
  // Every failure is an eps call, and every one is tracked as rate-limited (none as another error).
  const errors = [...ra.errors, ...rb.errors];
  assert.ok(errors.length > 0);
  assert.ok(
    errors.every((message) => /^eps/.test(message) && /429|rate limited/.test(message)),
    errors.join('\n'),
  );
  assert.equal(ra.rateLimited + rb.rateLimited, errors.length);
  // The pause is shared: far fewer 429s reach the peer than eps calls were made (the rest were held back).
  const eps = peer.counts('eps');
  assert.ok(eps.rateLimited < 20, `429s at the peer: ${eps.rateLimited} of ${eps.requests}`);
  assert.ok(
    errors.some((message) => /rate limited: paused/.test(message)),
    'some calls were refused by the shared pause without reaching the peer',
  );
  // zeta is never held back by eps's pause.
  assert.equal(peer.counts('zeta').requests, 20);
  assert.equal(peer.counts('zeta').rateLimited, 0);
  const redisClient = new Redis(redis!.url);
  try {
    // No slot is left held once both processes are done.
    assert.equal(await redisClient.zcard('gwtest:adm:{eps}:slots'), 0);
    assert.equal(await redisClient.zcard('gwtest:adm:{zeta}:slots'), 0);
  } finally {
    redisClient.disconnect();
  }
});
