// A long-lived worker keeps only the runs it works on: a run's context (plan, tasks, participants,
// auditor) is dropped once the run is finished, or once none of the worker's jobs used it for a
// while; a later job of a dropped run builds it again. The worker runs in this process (to read
// its `stats()`) on a real redis-server and PostgreSQL; producers are `groundwork run --queue`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { startEpisodeWorker } from '../../src/queue/episode-worker.ts';
import { episodeQueueName } from '../../src/queue/queue-settings.ts';
import { openStore } from '../../src/store/open-store.ts';
import { cli, type Harness, queueTestFile, until } from './queue-limits-harness.ts';

const { skip, harness } = queueTestFile();

/** Enqueues a run of `tasks` helpdesk tasks for the oracle (`run --queue --detach`); returns its id. */
async function enqueueOracleRun(h: Harness, tasks: number, resume?: string): Promise<string> {
  const plan = resume ? ['--resume', resume] : ['--tasks', String(tasks), '--trials', '1', '--agent', 'oracle'];
  const result = await cli(h, ['run', ...plan, '--queue', h.redis.url, '--store', h.postgres.url, '--detach', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).runId;
}

test('runs served one after another: each run context is dropped when its run is finished', { skip, timeout: 90_000 }, async () => {
  const h = harness();
  // The first run creates the store's tables; the worker opens the store after it.
  const runs = [await enqueueOracleRun(h, 2)];
  const store = await openStore(h.postgres.url);
  const dropped: string[] = [];
  const worker = await startEpisodeWorker({
    queueUrl: h.redis.url,
    store,
    concurrency: 2,
    audit: false,
    onRunDropped: (runId) => dropped.push(runId),
  });
  try {
    for (let i = 0; ; i++) {
      const runId = runs[i]!;
      await until(`run ${i + 1} finished`, async () => (await store.getRun(runId))?.status === 'finished');
      await until(`run ${i + 1} dropped`, () => worker.stats().runContexts === 0, 20_000).catch(() => {
        throw new Error(`run ${i + 1}: still held ${JSON.stringify(worker.stats())}`);
      });
      if (i === 2) break;
      runs.push(await enqueueOracleRun(h, 2));
    }
    // The slot goes back after BullMQ's own completion round trip, a moment after the context is dropped.
    await until('slots free', () => worker.stats().activeJobs === 0, 20_000);
    assert.deepEqual(worker.stats(), { runContexts: 0, runContextsBuilt: 3, activeJobs: 0 });
    assert.deepEqual(dropped, runs);
  } finally {
    await worker.close();
    await store.close();
  }
});

test('the context of a run no job used for a while is dropped; a later job of it builds it again', { skip, timeout: 90_000 }, async () => {
  const h = harness();
  const runId = await enqueueOracleRun(h, 3);
  // One of its jobs is taken out before any worker runs: the run cannot finish yet.
  const queue = new Queue(episodeQueueName('oracle', 'scripted'), { connection: { url: h.redis.url }, prefix: 'groundwork' });
  const [removed] = (await queue.getWaiting()).filter((job) => job.data.runId === runId);
  assert.ok(removed);
  await queue.remove(removed.id!);
  await queue.close();

  const store = await openStore(h.postgres.url);
  const worker = await startEpisodeWorker({ queueUrl: h.redis.url, store, concurrency: 2, audit: false, contextIdleMs: 1_000 });
  try {
    await until('two episodes stored', async () => (await store.countEpisodes(runId)) === 2);
    assert.equal(worker.stats().runContextsBuilt, 1);
    await until('the idle run dropped', () => worker.stats().runContexts === 0, 30_000);
    assert.equal((await store.getRun(runId))?.status, 'queued');
    // The producer enqueues the missing episode again: the worker builds the run again and finishes it.
    await enqueueOracleRun(h, 0, runId);
    await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished');
    assert.equal(await store.countEpisodes(runId), 3);
    await until('the finished run dropped', () => worker.stats().runContexts === 0, 20_000);
    assert.equal(worker.stats().runContextsBuilt, 2);
  } finally {
    await worker.close();
    await store.close();
  }
});
