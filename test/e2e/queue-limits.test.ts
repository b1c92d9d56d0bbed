// Model limits of a distributed run hold across workers: two real `groundwork worker` processes on
// one redis-server and one PostgreSQL store, an LLM agent and an LLM user on a local peer that
// counts requests in flight and arrivals per model from its own clock.
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
  until,
  USER_MODEL,
} from './queue-limits-harness.ts';

/** The requests-per-minute window, shortened for the test (read by the workers' admission). */
const WINDOW_MS = 4_000;
/** The workers of the first test, reused by the second. */
const { skip, harness: started, workers } = queueTestFile({ GROUNDWORK_RATE_WINDOW_MS: String(WINDOW_MS) });

test('concurrency and requests per window hold across two workers, counted by the peer', { skip, timeout: 60_000 }, async () => {
  const harness = started();
  // 12 episodes × (2 agent + 3 user calls). Agent: 3 in flight at most; user: 12 user calls per window.
  const agentLimit = 3;
  const userPerWindow = 12;
  const file = runFile(harness, 'limits', {
    tasks: 6,
    trials: 2,
    agent: { concurrency: agentLimit, maxRetries: 0 },
    user: { concurrency: 16, requestsPerMinute: userPerWindow, maxRetries: 0 },
  });
  const { runId, planned } = await enqueue(harness, file);
  assert.equal(planned, 12);
  // Each worker runs up to 8 episodes at once: far more than the agent model's limit.
  workers.push(startWorker(harness, 8), startWorker(harness, 8));
  const store = await readStore(harness);
  try {
    await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished', 50_000);
    const rows = await store.listEpisodes(runId);
    assert.equal(rows.length, planned);
    assert.deepEqual(
      rows.map((row) => row.termination),
      rows.map(() => 'user_stop'),
    );
    // Both workers ran episodes (so the limit was shared, not held by one process).
    const attempts = await store.listAttempts(runId);
    assert.equal(new Set(attempts.filter((x) => x.status === 'stored').map((x) => x.worker)).size, 2, JSON.stringify(attempts));

    const agent = harness.peer.counts(AGENT_MODEL);
    const user = harness.peer.counts(USER_MODEL);
    assert.equal(agent.requests, planned * 2);
    assert.equal(user.requests, planned * 3);
    // Concurrency: never more than the limit in flight at the peer, and the limit was reached.
    assert.equal(agent.maxInFlight, agentLimit, `most ${AGENT_MODEL} requests in flight at the peer`);
    // Requests per window: counted in windows 2 s shorter than the admission's, because a request
    // admitted at the start of a window may reach the peer later than the next one (a worker busy
    // loading modules or running episodes on a loaded machine delays its sends by up to seconds).
    const counted = WINDOW_MS - 2_000;
    assert.ok(
      harness.peer.maxArrivals(counted, USER_MODEL) <= userPerWindow,
      `user arrivals in ${counted} ms: ${harness.peer.maxArrivals(counted, USER_MODEL)}`,
    );
    // 36 user calls at 12 per window span at least two windows: the window is what paced them.
    const times = harness.peer.requests.filter((r) => r.body?.model === USER_MODEL).map((r) => r.arrivedAt);
    assert.ok(Math.max(...times) - Math.min(...times) >= 2 * counted);
    // The run is `finished` as its last episode is stored, a moment before that job completes in BullMQ.
    const counts = await until('the last jobs to complete', async () => {
      const now = await jobCounts(harness);
      return now.active === 0 ? now : undefined;
    });
    assert.equal(counts.waiting + counts.active + counts.delayed + counts.failed, 0, JSON.stringify(counts));
  } finally {
    await store.close();
  }
});

test('infra errors of a model (HTTP 500) are retried by the queue with backoff and stay visible as failed attempts; never taken for a rate limit', {
  skip,
  timeout: 60_000,
}, async () => {
  const harness = started();
  const agentModel = 'agent-x';
  // The agent model's first 3 requests answer 500; its calls do not retry, so each fails its episode's attempt.
  harness.peer.failNext(agentModel, 3, 500);
  const file = runFile(harness, 'infra', {
    tasks: 3,
    trials: 1,
    agent: { concurrency: 4, maxRetries: 0 },
    user: { concurrency: 8 },
    agentModel,
    userModel: 'user-x',
  });
  const { runId, planned } = await enqueue(harness, file);
  const store = await readStore(harness);
  try {
    await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished', 40_000);
    const rows = await store.listEpisodes(runId);
    assert.equal(rows.length, planned);
    // Retried (GROUNDWORK_QUEUE_ATTEMPTS default 3) until they ran: every stored episode ran to the user's stop.
    assert.deepEqual(
      rows.map((row) => row.termination),
      rows.map(() => 'user_stop'),
    );
    const attempts = await store.listAttempts(runId);
    const failed = attempts.filter((x) => x.status === 'failed');
    assert.equal(failed.length, 3, JSON.stringify(attempts));
    assert.ok(
      failed.every((x) => /HTTP 500/.test(x.detail ?? '')),
      JSON.stringify(failed),
    );
    for (const x of failed) assert.ok(attempts.some((y) => y.episodeId === x.episodeId && y.status === 'stored' && y.attempt > x.attempt));
    assert.equal(attempts.filter((x) => x.status === 'rate_limited').length, 0);
    assert.equal(harness.peer.counts(agentModel).requests, planned * 2 + 3);
  } finally {
    await store.close();
  }
});
