// Distributed runs end to end: `groundwork run --queue` on a real redis-server (with a password)
// and a real PostgreSQL store, two `groundwork worker` processes, one SIGKILLed while it runs an
// episode. Checked against the outside: rows in PostgreSQL, jobs in BullMQ, and a local SQLite run.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { type LocalServer, skipWithoutServer, startPostgresServer, startRedisServer } from '../../src/testing/local-servers.ts';

const BIN = fileURLToPath(new URL('../../bin/groundwork.js', import.meta.url));
const PASSWORD = 's3cret-queue-pw';
const skip = skipWithoutServer('redis') || skipWithoutServer('postgres');

/** An external agent that waits before ending each episode, so a worker can be killed mid-episode. */
const SLOW_MS = 800;
const SLOW_AGENT = `
import { createInterface } from 'node:readline';
const wait = Number(process.argv[2] ?? 1500);
for await (const line of createInterface({ input: process.stdin })) {
  const msg = JSON.parse(line);
  if (msg.type === 'turn') {
    await new Promise((resolve) => setTimeout(resolve, wait));
    process.stdout.write(JSON.stringify({ message: 'I could not do that, sorry.', end: true }) + '\\n');
  } else if (msg.type === 'end') break;
}
`;

let redis: LocalServer | undefined;
let postgres: LocalServer | undefined;
let dir: string;
let queueUrl: string;
let slowAgent: string;
const children: ChildProcess[] = [];
const storeUrl = () => postgres!.url;
/** Everything every process printed, to look for the password. */
const outputs: string[] = [];

before(async () => {
  if (skip) return;
  [redis, postgres] = await Promise.all([startRedisServer(), startPostgresServer()]);
  const admin = new Redis(redis.url);
  await admin.config('SET', 'requirepass', PASSWORD);
  admin.disconnect();
  queueUrl = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
  dir = mkdtempSync(join(tmpdir(), 'gw-queue-'));
  writeFileSync(join(dir, 'slow.mjs'), SLOW_AGENT);
  slowAgent = `cmd:node ${join(dir, 'slow.mjs')} ${SLOW_MS}`;
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all([redis?.stop(), postgres?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Test timing: a SIGKILLed worker's job is seen stalled within ~2 s. */
const ENV = { ...process.env, GROUNDWORK_QUEUE_LOCK_MS: '2000', GROUNDWORK_LOG_DIR: '', NO_COLOR: '1' };

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...ENV, GROUNDWORK_LOG_DIR: join(dir, 'logs') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `groundwork worker` process; its JSON events collected as they come. */
function startWorker(concurrency: number): { child: ChildProcess; events: Record<string, unknown>[]; exited: Promise<void> } {
  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--queue', queueUrl, '--store', storeUrl(), '--concurrency', String(concurrency), '--json'],
    { env: { ...ENV, GROUNDWORK_LOG_DIR: join(dir, 'logs') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const events: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
    outputs.push(chunk.toString());
  });
  child.stderr!.on('data', (chunk: Buffer) => outputs.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, events, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Jobs of every episode queue (the registry set lists them) by state: BullMQ's own count. */
async function jobCounts(): Promise<Record<string, number>> {
  const redis = new Redis(queueUrl);
  const names = await redis.smembers('groundwork:queues');
  redis.disconnect();
  const total: Record<string, number> = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
  for (const name of names) {
    const queue = new Queue(name, { connection: { url: queueUrl }, prefix: 'groundwork' });
    try {
      for (const [state, n] of Object.entries(await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')))
        total[state]! += n;
    } finally {
      await queue.close();
    }
  }
  return total;
}

function rewardsBySlot(rows: { agent: string; taskId: string; trial: number; reward: number }[]): Map<string, number> {
  return new Map(rows.map((row) => [`${row.agent}|${row.taskId}|${row.trial}`, row.reward]));
}

const TASKS = 12;
const TRIALS = 2;

test('two workers, one SIGKILLed mid-episode: exactly one result row per slot, an abandoned attempt, the same rewards as a local run', {
  skip,
  timeout: 90_000,
}, async () => {
  const agents = ['oracle', 'naive', slowAgent];
  const planned = TASKS * agents.length * TRIALS;
  const planArgs = ['--tasks', String(TASKS), '--trials', String(TRIALS), ...agents.flatMap((a) => ['--agent', a])];

  // The reference: the same config run locally on SQLite (alongside, to save time).
  const localRun = cli(['run', '--store', join(dir, 'local.db'), ...planArgs, '--concurrency', '8', '--json']);
  // Producer, twice: the second enqueues nothing (BullMQ's own job count does not move).
  const first = await cli(['run', '--queue', queueUrl, '--store', storeUrl(), ...planArgs, '--detach', '--json']);
  assert.equal(first.code, 0, first.stderr);
  const enqueued = JSON.parse(first.stdout);
  const runId: string = enqueued.runId;
  assert.deepEqual([enqueued.planned, enqueued.enqueued, enqueued.queued, enqueued.stored], [planned, planned, 0, 0]);
  assert.equal(enqueued.status, 'queued');
  assert.equal((await jobCounts()).waiting, planned);
  const again = await cli(['run', '--resume', runId, '--queue', queueUrl, '--store', storeUrl(), '--detach', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual([JSON.parse(again.stdout).enqueued, JSON.parse(again.stdout).queued], [0, planned]);
  assert.equal((await jobCounts()).waiting, planned);

  const store: Store = await openStore(storeUrl(), { readOnly: true });
  try {
    assert.equal((await store.getRun(runId))?.status, 'queued');
    // Two workers; A is killed while it runs a slow episode.
    const a = startWorker(3);
    const b = startWorker(3);
    const aId = await until('worker A started', async () => a.events.find((e) => e.type === 'started')?.worker as string | undefined);
    const victim = await until('a slow episode running on worker A', async () => {
      const attempts = await store.listAttempts(runId);
      const slowIds = new Set((await store.listEpisodes(runId)).map((row) => row.id));
      return attempts.find((attempt) => attempt.worker === aId && attempt.status === 'running' && !slowIds.has(attempt.episodeId));
    });
    a.child.kill('SIGKILL');
    await a.exited;

    await until('the run finished', async () => (await store.getRun(runId))?.status === 'finished', 60_000);
    // Exactly one result row per planned slot, none duplicated.
    const rows = await store.listEpisodes(runId);
    assert.equal(rows.length, planned);
    assert.equal(new Set(rows.map((row) => `${row.agent}|${row.taskId}|${row.trial}`)).size, planned);
    assert.equal(await store.countEpisodes(runId), planned);
    // The killed attempt is recorded as abandoned, and it is not a result: the slot's row came from another attempt.
    const attempts = await store.listAttempts(runId);
    const killed = attempts.find((x) => x.episodeId === victim.episodeId && x.attempt === victim.attempt);
    assert.equal(killed?.status, 'abandoned', JSON.stringify(attempts.filter((x) => x.episodeId === victim.episodeId)));
    assert.ok(attempts.filter((x) => x.status === 'abandoned').length >= 1);
    const storedBy = attempts.filter((x) => x.episodeId === victim.episodeId && x.status === 'stored');
    assert.equal(storedBy.length, 1);
    assert.notEqual(storedBy[0]!.worker, aId);
    assert.equal(attempts.filter((x) => x.status === 'running').length, 0, 'no attempt left running once the run finished');
    // Every slot has exactly one stored attempt.
    assert.equal(attempts.filter((x) => x.status === 'stored').length, planned);
    assert.ok(b.events.some((e) => e.type === 'abandoned' && e.episodeId === victim.episodeId));
    assert.ok(await store.getRunAudit(runId), 'the run audit is produced when the last episode is stored');

    // The producer once more: nothing new (everything stored); it prints the finished run's summary.
    const third = await cli(['run', '--resume', runId, '--queue', queueUrl, '--store', storeUrl(), '--json']);
    assert.equal(third.code, 0, third.stderr);
    const summary = JSON.parse(third.stdout);
    assert.equal(summary.enqueued, 0);
    assert.equal(summary.alreadyStored, planned);
    assert.equal(summary.episodes, planned);
    const counts = await jobCounts();
    assert.equal(counts.waiting + counts.active + counts.delayed + counts.failed, 0, JSON.stringify(counts));

    // Graceful stop of the surviving worker.
    b.child.kill('SIGTERM');
    await b.exited;
    assert.equal(b.child.exitCode, 0);

    // The local SQLite run of the same config: the same reward in every slot.
    const local = await localRun;
    assert.equal(local.code, 0, local.stderr);
    const localStore = await openStore(join(dir, 'local.db'), { readOnly: true });
    try {
      const localRows = await localStore.listEpisodes(JSON.parse(local.stdout).runId);
      assert.deepEqual(rewardsBySlot(rows), rewardsBySlot(localRows));
      assert.ok(rows.some((row) => row.reward === 1) && rows.some((row) => row.reward === 0));
    } finally {
      await localStore.close();
    }

    // The queue's password never reached output, the store or the run log.
    const storedText = JSON.stringify([await store.getRun(runId), attempts, await store.getRunAudit(runId)]);
    const logs = readdirSync(join(dir, 'logs')).map((name) => readFileSync(join(dir, 'logs', name), 'utf8'));
    for (const text of [...outputs, storedText, ...logs]) assert.ok(!text.includes(PASSWORD), 'the queue password leaked');
  } finally {
    await store.close();
  }
});
