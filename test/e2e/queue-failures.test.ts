// Distributed runs that cannot complete on their own: a worker on the wrong store, a worker without
// the model's API key, a 429 that never clears, a worker killed between storing an episode and
// recording it. Real redis-server, real PostgreSQL, real BullMQ, the CLI as processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { episodeJobId, episodeQueueName } from '../../src/queue/queue-settings.ts';
import { openStore } from '../../src/store/open-store.ts';
import {
  cli,
  type Harness,
  jobCounts,
  queueTestFile,
  readStore,
  runFile,
  startWorker,
  startWorkerWith,
  stopWorkers,
  until,
  type WorkerProcess,
} from './queue-limits-harness.ts';

const BIN = fileURLToPath(new URL('../../bin/groundwork.js', import.meta.url));
const KEY_VARIABLE = 'GW_H6_TEST_KEY';
const { skip, harness, workers } = queueTestFile({
  GROUNDWORK_QUEUE_ATTEMPTS: '2',
  GROUNDWORK_QUEUE_MAX_RATE_LIMITED: '2',
  GROUNDWORK_MAX_PAUSE_WAIT_MS: '300',
  GROUNDWORK_RATE_LIMIT_DELAY_MS: '300',
});

function worker(h: Harness, args: string[] = []): WorkerProcess {
  const started = args.length === 0 ? startWorker(h, 2) : startWorkerWith(h, args);
  workers.push(started);
  return started;
}

test('a worker on another store puts the job back (delayed, not failed) and says why', { skip, timeout: 40_000 }, async () => {
  const h = harness();
  const enqueued = await cli(h, [
    'run',
    '--tasks',
    '1',
    '--trials',
    '1',
    '--agent',
    'oracle',
    '--queue',
    h.redis.url,
    '--store',
    h.postgres.url,
    '--detach',
    '--json',
  ]);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  const wrong = worker(h, ['--store', join(h.dir, 'other.db'), '--concurrency', '1']);
  const said = await until('the worker to say the run is not in its store', () =>
    wrong.events.find((e) => e.type === 'error' && /not in this worker's store/.test(String(e.message))),
  );
  assert.match(String(said.message), /put back/);
  await stopWorkers(wrong);
  const counts = await jobCounts(h);
  assert.equal(counts.failed, 0);
  assert.ok(counts.delayed >= 1, JSON.stringify(counts));
  assert.equal(wrong.events.filter((e) => e.type === 'job-failed').length, 0, 'a job on the wrong store is not failed');
});

test('a worker without the model key records failed attempts and job-failed; the producer stops following with the reasons', {
  skip,
  timeout: 50_000,
}, async () => {
  const h = harness();
  const file = join(h.dir, 'nokey.yaml');
  writeFileSync(
    file,
    `domain: helpdesk\ntasks: 1\ntrials: 1\nagents: [agent-k]\nuser: scripted\nmodels:\n  agent-k:\n    provider: openai-compatible\n    model: agent-k\n    baseURL: ${h.peer.url}\n    apiKeyEnv: ${KEY_VARIABLE}\n`,
  );
  // The producer has the key (it checks the plan); the worker does not.
  const producer = spawn(process.execPath, [BIN, 'run', file, '--queue', h.redis.url, '--store', h.postgres.url], {
    env: { ...h.env, [KEY_VARIABLE]: 'sk-test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  producer.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => producer.on('close', (code) => resolve(code)));
  const keyless = worker(h);
  const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 35_000))]);
  if (code === 'timeout') producer.kill('SIGKILL');
  assert.notEqual(code, 'timeout', `the producer followed a run that cannot finish: ${stderr}`);
  assert.notEqual(code, 0);
  assert.match(stderr, /cannot finish: 1 episode\(s\) not stored and no job left/);
  assert.match(stderr, new RegExp(`failed job .*${KEY_VARIABLE}`));
  const runId = /run (run-[\w-]+): 1 episodes planned/.exec(stderr)?.[1];
  assert.ok(runId, stderr);

  const store = await readStore(h);
  try {
    const attempts = await store.listAttempts(runId);
    assert.deepEqual(
      attempts.map((a) => a.status),
      ['failed', 'failed'],
    );
    for (const attempt of attempts) assert.match(attempt.detail ?? '', new RegExp(`cannot prepare run .*${KEY_VARIABLE}`));
    assert.equal((await store.getRun(runId))?.status, 'queued');
  } finally {
    await store.close();
  }
  assert.ok(keyless.events.some((e) => e.type === 'job-failed' && new RegExp(KEY_VARIABLE).test(String(e.reason))));
  await stopWorkers(keyless);
});

test('a 429 that never clears goes back at most GROUNDWORK_QUEUE_MAX_RATE_LIMITED times, then is stored as infra_error', {
  skip,
  timeout: 50_000,
}, async () => {
  const h = harness();
  h.peer.rateLimit({ model: 'agent-q', forMs: 600_000, retryAfterMs: 50 });
  const file = runFile(h, 'quota', { tasks: 1, trials: 1, agent: { maxRetries: 1 }, user: {}, agentModel: 'agent-q' });
  const enqueued = await cli(h, ['run', file, '--queue', h.redis.url, '--store', h.postgres.url, '--detach', '--json']);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  const runId = (JSON.parse(enqueued.stdout) as { runId: string }).runId;
  const w = worker(h);
  const store = await readStore(h);
  try {
    await until('the run to finish', async () => (await store.getRun(runId))?.status === 'finished', 40_000);
    const rows = await store.listEpisodes(runId);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.termination, 'infra_error');
    const attempts = await store.listAttempts(runId);
    assert.deepEqual(
      attempts.map((a) => a.status),
      ['rate_limited', 'rate_limited', 'stored'],
    );
    assert.match(attempts[2]!.detail ?? '', /rate limited 3 times \(GROUNDWORK_QUEUE_MAX_RATE_LIMITED=2\)/);
  } finally {
    await store.close();
  }
  await stopWorkers(w);
});

test('a slot stored by a worker that died before recording its attempt: the retry marks that attempt stored, not abandoned', {
  skip,
  timeout: 40_000,
}, async () => {
  const h = harness();
  const enqueued = await cli(h, [
    'run',
    '--tasks',
    '1',
    '--trials',
    '1',
    '--agent',
    'noop',
    '--queue',
    h.redis.url,
    '--store',
    h.postgres.url,
    '--detach',
    '--json',
  ]);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  const runId = (JSON.parse(enqueued.stdout) as { runId: string }).runId;
  const w = worker(h);
  const store = await openStore(h.postgres.url);
  const queue = new Queue(episodeQueueName('noop', 'scripted'), { connection: { url: h.redis.url }, prefix: 'groundwork' });
  try {
    await until('the run to finish', async () => (await store.getRun(runId))?.status === 'finished');
    const [first] = await store.listAttempts(runId);
    assert.equal(first?.status, 'stored');
    // What a SIGKILL right after saveEpisode leaves: the row, an attempt still `running`, the job back in the queue.
    const { endedAt: _ended, detail: _detail, ...running } = first!;
    await store.saveAttempt({ ...running, status: 'running' });
    await queue.add('episode', { runId, episodeId: first!.episodeId }, { jobId: episodeJobId(runId, first!.episodeId) });
    const settled = await until('the running attempt to be settled', async () => {
      const attempt = (await store.listAttempts(runId)).find((a) => a.attempt === first!.attempt);
      return attempt?.status !== 'running' && attempt;
    });
    assert.equal(settled.status, 'stored');
    assert.match(settled.detail ?? '', /stored this episode but stopped before recording it/);
    assert.equal((await store.listEpisodes(runId)).length, 1);
  } finally {
    await queue.close();
    await store.close();
  }
  await stopWorkers(w);
});
