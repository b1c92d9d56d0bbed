// Model limits in queue mode: a model without `limits.concurrency` is not capped across workers at
// the producer's --concurrency (adding workers speeds a run up); a configured limit that held
// requests back is reported by the worker. Real redis-server, PostgreSQL, BullMQ; a counting peer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enqueue, queueTestFile, readStore, runFile, startWorker, stopWorkers, until } from './queue-limits-harness.ts';

// Slow answers, so the episodes of both workers overlap whatever the machine's load.
const { skip, harness, workers } = queueTestFile({}, 200);

test('no configured concurrency: two workers run more than the run --concurrency of requests at once; a configured limit that held requests back is reported', {
  skip,
  timeout: 55_000,
}, async () => {
  const h = harness();
  assert.ok(h);
  // The run's own --concurrency is 2; neither model sets a concurrency.
  const free = runFile(h, 'uncapped', {
    tasks: 6,
    trials: 2,
    concurrency: 2,
    agent: {},
    user: {},
    agentModel: 'agent-u',
    userModel: 'user-u',
  });
  // The same with the agent's model configured to one request at a time.
  const held = runFile(h, 'held', {
    tasks: 4,
    trials: 2,
    concurrency: 8,
    agent: { concurrency: 1 },
    user: {},
    agentModel: 'agent-one',
    userModel: 'user-u',
  });
  const runs = [await enqueue(h, free), await enqueue(h, held)];
  const [a, b] = [startWorker(h, 4), startWorker(h, 4)];
  workers.push(a, b);
  const store = await readStore(h);
  try {
    for (const { runId, planned } of runs) {
      await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished', 50_000);
      assert.equal(await store.countEpisodes(runId), planned);
    }
  } finally {
    await store.close();
  }
  await stopWorkers(a, b);
  // The unconfigured model was not held to the run's 2 across the workers; the configured one held at 1.
  assert.ok(h.peer.counts('agent-u').maxInFlight > 2, JSON.stringify(h.peer.counts('agent-u')));
  assert.equal(h.peer.counts('agent-one').maxInFlight, 1);
  const throttled = [...a.events, ...b.events].filter((e) => e.type === 'throttled');
  assert.ok(throttled.length > 0, 'a worker reports the configured limit that held requests back');
  for (const event of throttled) {
    assert.equal(event.runId, runs[1]!.runId, JSON.stringify(event));
    assert.deepEqual(
      (event.models as { model: string }[]).map((m) => m.model),
      ['agent-one'],
    );
  }
});
