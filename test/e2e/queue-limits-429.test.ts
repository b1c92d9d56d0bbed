// 429s and killed workers in a distributed run: two real `groundwork worker` processes on one
// redis-server and one PostgreSQL store, the LLM agent and LLM user on a local counting peer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AGENT_MODEL,
  enqueue,
  jobCounts,
  queueTestFile,
  readStore,
  runFile,
  startWorker,
  stopWorkers,
  until,
} from './queue-limits-harness.ts';

/** `workers`: those of the first test; the second kills one of them. */
const { skip, harness, workers } = queueTestFile({
  // One attempt per job: an infra_error would be stored as the result at once, so none may happen.
  GROUNDWORK_QUEUE_ATTEMPTS: '1',
  // A request finding its model paused for more than 300 ms is refused (its job goes back).
  GROUNDWORK_MAX_PAUSE_WAIT_MS: '300',
  GROUNDWORK_RATE_LIMIT_DELAY_MS: '500',
  // A killed worker's model slots expire 1.5 s after its last renewal.
  GROUNDWORK_ADMISSION_SLOT_TTL_MS: '1500',
});

test('a peer answering 429 with Retry-After for a while slows the run: no failed or infra_error episode, each stored once, rate_limited attempts visible', {
  skip,
  timeout: 60_000,
}, async () => {
  const h = harness();
  // The agent's model answers 429 (Retry-After 1 s) to everything arriving in its first 2.5 s.
  h.peer.rateLimit({ model: AGENT_MODEL, forMs: 2_500, retryAfterMs: 1_000, from: 'next-request' });
  const file = runFile(h, 'rate-limited', { tasks: 4, trials: 2, agent: { concurrency: 2, maxRetries: 1 }, user: { concurrency: 8 } });
  const { runId, planned } = await enqueue(h, file);
  const [a, b] = [startWorker(h, 4), startWorker(h, 4)];
  workers.push(a, b);
  const store = await readStore(h);
  try {
    await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished', 50_000);
    const rows = await store.listEpisodes(runId);
    // All planned episodes stored once, none failed: every one ran to the user's stop.
    assert.equal(rows.length, planned);
    assert.equal(new Set(rows.map((row) => `${row.agent}|${row.taskId}|${row.trial}`)).size, planned);
    assert.deepEqual(
      rows.map((row) => row.termination),
      rows.map(() => 'user_stop'),
    );
    // The 429s reached the peer, and the episodes they hit are visible as rate_limited attempts, not failures.
    assert.ok(h.peer.counts(AGENT_MODEL).rateLimited > 0);
    const attempts = await store.listAttempts(runId);
    const limited = attempts.filter((x) => x.status === 'rate_limited');
    assert.ok(limited.length > 0, JSON.stringify(attempts));
    assert.ok(
      limited.every((x) => x.detail?.includes(AGENT_MODEL) && x.endedAt),
      JSON.stringify(limited),
    );
    assert.deepEqual(
      attempts.filter((x) => x.status === 'failed'),
      [],
    );
    assert.equal(attempts.filter((x) => x.status === 'stored').length, planned);
    // Each rate-limited episode ran again later and was stored by a later attempt.
    for (const x of limited) assert.ok(attempts.some((y) => y.episodeId === x.episodeId && y.status === 'stored' && y.attempt > x.attempt));
    // BullMQ never counted an attempt as failed either.
    const counts = await jobCounts(h);
    assert.equal(counts.failed, 0);
    assert.ok([...a.events, ...b.events].some((e) => e.type === 'episode' && e.status === 'rate_limited'));
  } finally {
    await store.close();
  }
});

test('a SIGKILLed worker’s model slots are reclaimed: the other worker finishes the run', { skip, timeout: 60_000 }, async () => {
  const h = harness();
  // Only worker A of the first test is left: it takes the new run's jobs.
  const [victim, other] = workers;
  await stopWorkers(other!);
  // The agent model of this run has one slot; its first request hangs at the peer, holding it.
  const agentModel = 'agent-k';
  h.hang(agentModel, 8_000);
  const file = runFile(h, 'killed', {
    tasks: 3,
    trials: 1,
    agent: { concurrency: 1 },
    user: { concurrency: 4 },
    agentModel,
    userModel: 'user-k',
  });
  const { runId, planned } = await enqueue(h, file);
  await until('the victim’s agent request hangs at the peer (it holds the only slot)', () => h.peer.counts(agentModel).requests === 1);
  const survivor = startWorker(h, 2);
  workers.push(survivor);
  await until('the survivor started', () => survivor.events.some((e) => e.type === 'started'));
  victim!.child.kill('SIGKILL');
  await victim!.exited;
  const store = await readStore(h);
  try {
    await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished', 45_000);
    const rows = await store.listEpisodes(runId);
    assert.equal(rows.length, planned);
    assert.deepEqual(
      rows.map((row) => row.termination),
      rows.map(() => 'user_stop'),
    );
    // The slot of the killed worker was reclaimed, never used twice at once.
    assert.equal(h.peer.counts(agentModel).maxInFlight, 1);
    const attempts = await store.listAttempts(runId);
    assert.ok(
      attempts.some((x) => x.status === 'abandoned'),
      JSON.stringify(attempts),
    );
    const survivorId = survivor.events.find((e) => e.type === 'started')?.worker;
    assert.equal(attempts.filter((x) => x.status === 'stored' && x.worker === survivorId).length >= 1, true);
  } finally {
    await store.close();
  }
});
