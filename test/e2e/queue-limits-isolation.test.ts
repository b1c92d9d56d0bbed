// A 429 on one model holds back only the jobs that use it: the episode queue is partitioned by the
// models a job uses, and BullMQ's rate limit is per queue. Two real `groundwork worker` processes,
// a real redis-server and PostgreSQL, a counting peer playing two agent models and one user model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enqueue, queueTestFile, readStore, runFile, startWorker, until } from './queue-limits-harness.ts';

const { skip, harness: started, workers } = queueTestFile({ GROUNDWORK_MAX_PAUSE_WAIT_MS: '300', GROUNDWORK_RATE_LIMIT_DELAY_MS: '500' });

test('a 429 on model A never holds back the jobs of model B: every B episode is stored while A is paused', {
  skip,
  timeout: 60_000,
}, async () => {
  const harness = started();
  // A answers 429 (Retry-After 8 s) to everything in its first 8 s: its episodes wait at least that long.
  harness.peer.rateLimit({ model: 'agent-a', forMs: 8_000, retryAfterMs: 8_000, from: 'next-request' });
  const file = runFile(harness, 'isolation', {
    tasks: 6,
    trials: 1,
    agent: { concurrency: 4, maxRetries: 0 },
    user: { concurrency: 8 },
    agentModels: ['agent-a', 'agent-b'],
  });
  const { runId, planned } = await enqueue(harness, file);
  // Few episodes at once per worker, so most B jobs are fetched after A's first 429.
  workers.push(startWorker(harness, 2), startWorker(harness, 2));
  const store = await readStore(harness);
  try {
    await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished', 50_000);
    const rows = await store.listEpisodes(runId);
    assert.equal(rows.length, planned);
    assert.deepEqual(
      rows.map((row) => row.termination),
      rows.map(() => 'user_stop'),
    );
    const attempts = await store.listAttempts(runId);
    const agentOf = new Map(rows.map((row) => [row.id, row.agent]));
    const limited = attempts.filter((x) => x.status === 'rate_limited');
    assert.ok(limited.length > 0);
    assert.ok(
      limited.every((x) => agentOf.get(x.episodeId) === 'agent-a'),
      JSON.stringify(limited),
    );
    // Ordering, not timing: the last B episode was stored before the first A episode, i.e. while A
    // was paused — B's jobs were never held back by A's rate limit.
    const storedAt = (agent: string) =>
      attempts.filter((x) => x.status === 'stored' && agentOf.get(x.episodeId) === agent).map((x) => Date.parse(x.endedAt!));
    assert.ok(Math.max(...storedAt('agent-b')) < Math.min(...storedAt('agent-a')), JSON.stringify(attempts));
  } finally {
    await store.close();
  }
});
