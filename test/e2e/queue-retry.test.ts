// Distributed runs: infra errors retried with backoff and kept visible, and a producer stopped with
// Ctrl-C that leaves the run resumable. Real redis-server, real PostgreSQL, the CLI as processes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open-store.ts';
import { type LocalServer, skipWithoutServer, startPostgresServer, startRedisServer } from '../../src/testing/local-servers.ts';

const BIN = fileURLToPath(new URL('../../bin/groundwork.js', import.meta.url));
const skip = skipWithoutServer('redis') || skipWithoutServer('postgres');

let redis: LocalServer | undefined;
let postgres: LocalServer | undefined;
let dir: string;
const children: ChildProcess[] = [];
const storeUrl = () => postgres!.url;

before(async () => {
  if (skip) return;
  [redis, postgres] = await Promise.all([startRedisServer(), startPostgresServer()]);
  dir = mkdtempSync(join(tmpdir(), 'gw-queue-retry-'));
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all([redis?.stop(), postgres?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Short backoff so three attempts take well under a second. */
const ENV = { ...process.env, GROUNDWORK_QUEUE_LOCK_MS: '2000', GROUNDWORK_QUEUE_ATTEMPTS: '3', GROUNDWORK_QUEUE_BACKOFF_MS: '100' };

interface Spawned {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

function spawnCli(args: string[]): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...ENV, GROUNDWORK_LOG_DIR: join(dir, 'logs') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => (output.stdout += chunk));
  child.stderr!.on('data', (chunk) => (output.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output, exited };
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('Ctrl-C on the producer leaves the run queued; following again after the workers finish it prints the summary; infra errors retried then stored', {
  skip,
  timeout: 60_000,
}, async () => {
  const broken = 'cmd:/nonexistent/h6-agent';
  const args = ['--tasks', '2', '--trials', '1', '--agent', 'oracle', '--agent', broken, '--queue', redis!.url, '--store', storeUrl()];
  // The producer follows; no worker yet. Ctrl-C stops following only.
  const producer = spawnCli(['run', ...args]);
  await until('the producer to enqueue', () => producer.output.stderr.includes('start workers with'));
  const runId = /run (run-[\w-]+): 4 episodes planned; 4 enqueued/.exec(producer.output.stderr)?.[1];
  assert.ok(runId, producer.output.stderr);
  producer.child.kill('SIGINT');
  assert.equal(await producer.exited, 130, producer.output.stderr);
  assert.match(
    producer.output.stderr,
    new RegExp(`stays queued.*\\n\\s*groundwork run --resume ${runId} --queue ${redis!.url.replace(/[/.]/g, '\\$&')}`),
  );

  const store = await openStore(storeUrl(), { readOnly: true });
  try {
    assert.equal((await store.getRun(runId))?.status, 'queued');
    assert.equal(await store.countEpisodes(runId), 0);

    // A worker runs it: the broken agent's episodes end in infra_error three times (backoff between), then the last is stored.
    const worker = spawnCli(['worker', '--queue', redis!.url, '--store', storeUrl(), '--concurrency', '2']);
    await until('the run to finish', async () => (await store.getRun(runId))?.status === 'finished');
    const attempts = await store.listAttempts(runId);
    const rows = await store.listEpisodes(runId);
    assert.equal(rows.length, 4);
    for (const row of rows.filter((r) => r.agent === broken)) {
      assert.equal(row.termination, 'infra_error');
      const mine = attempts.filter((a) => a.episodeId === row.id);
      assert.deepEqual(
        mine.map((a) => [a.attempt, a.status]),
        [
          [1, 'failed'],
          [2, 'failed'],
          [3, 'stored'],
        ],
      );
      assert.match(mine[0]!.detail ?? '', /h6-agent/);
      assert.match(mine[2]!.detail ?? '', /^infra_error after 3 attempt/);
    }
    for (const row of rows.filter((r) => r.agent === 'oracle')) {
      assert.equal(row.reward, 1);
      assert.deepEqual(
        attempts.filter((a) => a.episodeId === row.id).map((a) => a.status),
        ['stored'],
      );
    }
    assert.match(worker.output.stderr, /failed on attempt 1: .*h6-agent/);

    // Following again enqueues nothing and prints the finished run; nothing was graded for the broken agent.
    const follow = spawnCli(['run', '--resume', runId, '--queue', redis!.url, '--store', storeUrl()]);
    assert.equal(await follow.exited, 1, follow.output.stderr);
    assert.match(follow.output.stderr, /0 enqueued, 4 already stored/);
    assert.match(follow.output.stdout, /2\/2 episodes|4\/4 episodes/);
    assert.match(follow.output.stderr, /nothing graded for cmd:\/nonexistent\/h6-agent/);

    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.output.stderr);
  } finally {
    await store.close();
  }
});
