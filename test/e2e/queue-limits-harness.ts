// Shared by the queue-limits end-to-end tests: a real redis-server and PostgreSQL, a counting
// OpenAI-compatible peer playing an LLM agent and an LLM user, the producer (`groundwork run
// --queue`) and `groundwork worker` processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { startCountingPeer, type CountingPeer } from '../../src/testing/counting-peer.ts';
import type { PeerReply, PeerRequest } from '../../src/testing/peer-server.ts';
import { type LocalServer, skipWithoutServer, startPostgresServer, startRedisServer } from '../../src/testing/local-servers.ts';

const BIN = fileURLToPath(new URL('../../bin/groundwork.js', import.meta.url));

/** The agent model and the user model of the runs (names the peer counts by; user models start with `user-`). */
export const AGENT_MODEL = 'agent-m';
export const USER_MODEL = 'user-m';

/**
 * The peer's script: the user opens, asks once more after the agent's first answer, then stops;
 * the agent answers in text. So an episode makes 2 agent calls and 3 user calls.
 */
function conversation(request: PeerRequest): PeerReply {
  const messages: { role: string }[] = Array.isArray(request.body?.messages) ? request.body.messages : [];
  if (String(request.body?.model).startsWith('user-')) {
    // The user simulator sees the agent's turns as `user` messages (its own as `assistant`).
    const turns = messages.filter((m) => m.role === 'assistant').length;
    if (turns === 0) return { kind: 'message', text: 'Hello, I cannot sign in to my account.' };
    if (turns === 1) return { kind: 'message', text: 'It still does not work, please check again.' };
    return { kind: 'message', text: 'Thanks. ###STOP###' };
  }
  return { kind: 'message', text: 'I have checked your account and it looks fine now.' };
}

/** The servers, the peer and the processes of one test file. */
export interface Harness {
  redis: LocalServer;
  postgres: LocalServer;
  peer: CountingPeer;
  dir: string;
  /** Environment of every CLI process (short timings for tests, plus `extraEnv`). */
  env: NodeJS.ProcessEnv;
  /** The next request of `model` is answered after `ms` (to kill its worker meanwhile). */
  hang(model: string, ms: number): void;
  stop(): Promise<void>;
}

export async function startHarness(extraEnv: Record<string, string>, latencyMs = 40): Promise<Harness> {
  const hangs = new Map<string, number>();
  const answer = (request: PeerRequest): PeerReply => {
    const reply = conversation(request);
    const model = String(request.body?.model);
    const hang = hangs.get(model);
    if (hang === undefined) return reply;
    hangs.delete(model);
    return { ...reply, delayMs: hang };
  };
  const [redis, postgres, peer] = await Promise.all([startRedisServer(), startPostgresServer(), startCountingPeer({ latencyMs, answer })]);
  const dir = mkdtempSync(join(tmpdir(), 'gw-qlimits-'));
  const env = {
    ...process.env,
    NO_COLOR: '1',
    GROUNDWORK_LOG_DIR: join(dir, 'logs'),
    GROUNDWORK_QUEUE_LOCK_MS: '2000',
    GROUNDWORK_QUEUE_BACKOFF_MS: '200',
    ...extraEnv,
  };
  return {
    redis,
    postgres,
    peer,
    dir,
    env,
    hang: (model, ms) => hangs.set(model, ms),
    async stop() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(
        children.map((child) =>
          child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('close', r)) : undefined,
        ),
      );
      await Promise.all([redis.stop(), postgres.stop(), peer.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const children: ChildProcess[] = [];

/** Runs the CLI to completion. */
export function cli(h: Harness, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A run file of `tasks` helpdesk tasks × `trials`, the LLM agent and LLM user on the peer with these limits. */
export function runFile(
  h: Harness,
  name: string,
  options: {
    tasks: number;
    trials: number;
    agent: Record<string, number>;
    user: Record<string, number>;
    concurrency?: number;
    /** @default AGENT_MODEL */
    agentModel?: string;
    /** Several agents (each its own model, all with the `agent` limits) instead of `agentModel`. */
    agentModels?: string[];
    /** Starts with `user-`. @default USER_MODEL */
    userModel?: string;
  },
): string {
  const agentModels = options.agentModels ?? [options.agentModel ?? AGENT_MODEL];
  const userModel = options.userModel ?? USER_MODEL;
  const model = (id: string, limits: Record<string, number>) =>
    `  ${id}:\n    provider: openai-compatible\n    model: ${id}\n    baseURL: ${h.peer.url}\n    limits: ${JSON.stringify(limits)}\n`;
  const file = join(h.dir, `${name}.yaml`);
  writeFileSync(
    file,
    `domain: helpdesk\ntasks: ${options.tasks}\ntrials: ${options.trials}\nconcurrency: ${options.concurrency ?? 16}\nagents: [${agentModels.join(', ')}]\nuser: ${userModel}\nmodels:\n${agentModels.map((name) => model(name, options.agent)).join('')}${model(userModel, options.user)}`,
  );
  return file;
}

/** Enqueues a run (`run FILE --queue --store --detach --json`); returns its id and planned count. */
export async function enqueue(h: Harness, file: string): Promise<{ runId: string; planned: number }> {
  const result = await cli(h, ['run', file, '--queue', h.redis.url, '--store', h.postgres.url, '--detach', '--json']);
  if (result.code !== 0) throw new Error(`producer failed (${result.code}): ${result.stderr}`);
  const out = JSON.parse(result.stdout) as { runId: string; planned: number };
  return { runId: out.runId, planned: out.planned };
}

/** A `groundwork worker --json` process and the JSON events it printed. */
export interface WorkerProcess {
  child: ChildProcess;
  events: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<void>;
}

export function startWorker(h: Harness, concurrency: number): WorkerProcess {
  return startWorkerWith(h, ['--store', h.postgres.url, '--concurrency', String(concurrency)]);
}

/** A `groundwork worker --queue REDIS ARGS --json` process with its own arguments (another store...). */
export function startWorkerWith(h: Harness, args: string[]): WorkerProcess {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', h.redis.url, ...args, '--json'], {
    env: h.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const events: Record<string, unknown>[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, events, stderr: () => stderr, exited };
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 40_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The PostgreSQL store, read-only (close it). */
export function readStore(h: Harness): Promise<Store> {
  return openStore(h.postgres.url, { readOnly: true });
}

/** BullMQ's own job counts, summed over every episode queue in the registry (one queue per model group). */
export async function jobCounts(h: Harness): Promise<Record<string, number>> {
  const redis = new Redis(h.redis.url);
  const names = await redis.smembers('groundwork:queues').finally(() => redis.disconnect());
  const total: Record<string, number> = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
  for (const name of names) {
    const queue = new Queue(name, { connection: { url: h.redis.url }, prefix: 'groundwork' });
    try {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      for (const [state, count] of Object.entries(counts)) total[state] = (total[state] ?? 0) + count;
    } finally {
      await queue.close();
    }
  }
  return total;
}

/** Stops workers with SIGTERM and waits for them. */
export async function stopWorkers(...workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));
}

/** What a queue test file shares: why it is skipped, its harness and the workers to stop after it. */
export interface QueueTestFile {
  /** For `node:test`'s `skip`: set when redis-server or PostgreSQL is missing (never under CI). */
  skip: string | false;
  /** The harness started before the file's tests. */
  harness: () => Harness;
  /** Workers the tests start; stopped (SIGTERM) after the file, before the harness. */
  workers: WorkerProcess[];
}

/** Registers a queue test file's `before` (start the harness unless skipped) and `after` (stop workers, then the harness). */
export function queueTestFile(extraEnv: Record<string, string> = {}, latencyMs = 40): QueueTestFile {
  const skip = skipWithoutServer('redis') || skipWithoutServer('postgres');
  let h: Harness | undefined;
  const workers: WorkerProcess[] = [];
  before(async () => {
    if (!skip) h = await startHarness(extraEnv, latencyMs);
  });
  after(async () => {
    await stopWorkers(...workers);
    await h?.stop();
  });
  return {
    skip,
    workers,
    harness: () => {
      if (!h) throw new Error('harness not started');
      return h;
    },
  };
}
