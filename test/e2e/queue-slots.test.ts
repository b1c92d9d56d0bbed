// A worker takes a job only when one of its episode slots is free, whatever queue (model group) the
// job is on: it never holds more jobs active in BullMQ than its --concurrency, and the jobs it
// cannot run yet stay waiting for a worker with free slots. Real redis-server, PostgreSQL, BullMQ,
// `groundwork worker` processes; the model peer holds every answer until the test lets them go.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { Store } from '../../src/store/store.ts';
import { startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import { enqueue, type Harness, queueTestFile, readStore, startWorker, stopWorkers, until } from './queue-limits-harness.ts';

// A long job lock: nothing is killed here, and a loaded machine must not see held episodes as stalled.
const { skip, harness, workers } = queueTestFile({ GROUNDWORK_QUEUE_LOCK_MS: '15000' });

/** Jobs in BullMQ's active lists of every episode queue, by the worker holding them (`processedBy`, the worker id). */
async function activeByWorker(redis: Redis): Promise<Map<string, number>> {
  const byWorker = new Map<string, number>();
  for (const queue of await redis.smembers('groundwork:queues')) {
    for (const jobId of await redis.lrange(`groundwork:${queue}:active`, 0, -1)) {
      const worker = (await redis.hget(`groundwork:${queue}:${jobId}`, 'pb')) ?? '?';
      byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
    }
  }
  return byWorker;
}

/** Samples the active lists until stopped; keeps each worker's most jobs active at once. */
function sampleActive(h: Harness): { most: Map<string, number>; stop: () => Promise<void> } {
  const redis = new Redis(h.redis.url);
  redis.on('error', () => undefined);
  const most = new Map<string, number>();
  let sampling = true;
  const done = (async () => {
    while (sampling) {
      for (const [worker, n] of await activeByWorker(redis)) most.set(worker, Math.max(most.get(worker) ?? 0, n));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    most,
    stop: async () => {
      sampling = false;
      await done;
      redis.disconnect();
    },
  };
}

test('a worker with --concurrency 2 holds at most 2 jobs active across two model-group queues; another worker takes the rest', {
  skip,
  timeout: 90_000,
}, async () => {
  const h = harness();
  // Every model answer waits for the gate: episodes taken by a worker stay running until the test opens it.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const peer = await startOpenAIPeer(async () => {
    await gate;
    return { kind: 'message', text: 'I have checked your account and it looks fine now.' };
  });
  const sampler = sampleActive(h);
  let store: Store | undefined;
  try {
    // Two LLM agents on different models: their jobs are on two model-group queues, 3 on each.
    const model = (name: string) => `  ${name}:\n    provider: openai-compatible\n    model: ${name}\n    baseURL: ${peer.url}\n`;
    const file = join(h.dir, 'two-groups.yaml');
    writeFileSync(
      file,
      `domain: helpdesk\ntasks: 3\ntrials: 1\nagents: [agent-a, agent-b]\nuser: scripted\nmodels:\n${model('agent-a')}${model('agent-b')}`,
    );
    const { runId, planned } = await enqueue(h, file);
    assert.equal(planned, 6);
    const opened = await readStore(h);
    store = opened;
    const redis = new Redis(h.redis.url);
    const queues = await redis.smembers('groundwork:queues').finally(() => redis.disconnect());
    assert.equal(queues.length, 2, 'one queue per model group');

    const running = async (worker: string) =>
      (await opened.listAttempts(runId)).filter((a) => a.worker === worker && a.status === 'running').length;
    const small = startWorker(h, 2);
    workers.push(small);
    const smallId = await until('the small worker started', () => small.events.find((e) => e.type === 'started')?.worker as string);
    await until('the small worker runs 2 episodes', async () => (await running(smallId)) === 2);
    // The 4 jobs it cannot run stay waiting: a second worker takes them all, while the first still holds its 2.
    const big = startWorker(h, 4);
    workers.push(big);
    const bigId = await until('the big worker started', () => big.events.find((e) => e.type === 'started')?.worker as string);
    await until('the big worker runs the other 4 episodes', async () => (await running(bigId)) === 4, 60_000).catch(async (error) => {
      const attempts = await opened.listAttempts(runId);
      throw new Error(
        `${error.message}: attempts ${JSON.stringify(attempts.map((a) => [a.worker === smallId ? 'small' : 'big', a.status]))}, most active ${JSON.stringify([...sampler.most])}, small ${smallId}: ${JSON.stringify(small.events)} ${small.stderr()}; big ${bigId}: ${JSON.stringify(big.events)} ${big.stderr()}`,
      );
    });
    assert.equal(await running(smallId), 2);

    open();
    await until('the run finished', async () => (await opened.getRun(runId))?.status === 'finished', 60_000);
    assert.equal(await opened.countEpisodes(runId), planned);
    await stopWorkers(small, big);
    await sampler.stop();
    assert.equal(sampler.most.get(smallId), 2, `most jobs active at once by worker: ${JSON.stringify([...sampler.most])}`);
    assert.ok((sampler.most.get(bigId) ?? 0) <= 4, JSON.stringify([...sampler.most]));
  } finally {
    open();
    await sampler.stop().catch(() => undefined);
    await store?.close();
    await peer.close();
  }
});
