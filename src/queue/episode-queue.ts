import { Queue, type JobsOptions } from 'bullmq';
import { GroundworkError } from '../errors.ts';
import { planEpisodes, type EpisodeSpec } from '../runner/plan.ts';
import { episodeKey, requireRun, type RunRecord, type Store } from '../store/store.ts';
import {
  episodeJobId,
  episodeQueueName,
  QUEUE_PREFIX,
  QUEUE_REGISTRY_KEY,
  queueTiming,
  redactQueueLocation,
  type EpisodeJobData,
  type QueueTiming,
} from './queue-settings.ts';

/** Jobs of an episode slot that still count as queued (waiting, delayed for a retry, running). */
const PENDING_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** Redis connection options for BullMQ from a queue URL (workers need `maxRetriesPerRequest: null`). */
export function connectionFor(url: string): { url: string; maxRetriesPerRequest: null; connectionName: string } {
  return { url, maxRetriesPerRequest: null, connectionName: 'groundwork' };
}

/** Job options of every episode job: infra-error retries with exponential backoff; done jobs leave Redis. */
export function episodeJobOptions(timing: QueueTiming): JobsOptions {
  return {
    attempts: timing.attempts,
    backoff: { type: 'exponential', delay: timing.backoffMs },
    // The store holds results; a completed job would only pin memory. Failed jobs stay visible
    // (`failedReason`) until the producer re-enqueues them (`run --resume RUN --queue`).
    removeOnComplete: true,
    removeOnFail: false,
  };
}

/**
 * Fails fast with one line when Redis cannot be reached (BullMQ itself would retry forever).
 * Uses a throw-away ioredis connection that does not reconnect.
 */
export async function checkQueueReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const { Redis } = await import('ioredis');
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // The socket's own error (ECONNREFUSED, NOAUTH…) says more than "Connection is closed".
  let socketError: Error | undefined;
  probe.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const reason = (socketError ?? (error as Error)).message.replace(/rediss?:\/\/\S*/g, (m) => redactQueueLocation(m));
    throw new GroundworkError('INVALID_ARGUMENT', `cannot reach the queue at ${redactQueueLocation(url)}: ${reason}`, {
      hint: /NOAUTH|WRONGPASS|AUTH/i.test(reason)
        ? 'give the password in the URL: redis://:PASSWORD@HOST:PORT'
        : 'start Redis (redis-server) or fix --queue redis://HOST:PORT',
    });
  } finally {
    probe.disconnect();
  }
}

/**
 * The episode queues on one Redis (one BullMQ queue per model group, listed in the registry set
 * `groundwork:queues`). Close it when done.
 */
export class EpisodeQueues {
  private readonly queues = new Map<string, Queue<EpisodeJobData>>();
  private registry: Promise<import('ioredis').Redis> | undefined;

  constructor(
    private readonly url: string,
    private readonly timing: QueueTiming = queueTiming(),
  ) {}

  /** The BullMQ queue of that name (opened once). */
  queue(name: string): Queue<EpisodeJobData> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<EpisodeJobData>(name, {
        connection: connectionFor(this.url),
        prefix: QUEUE_PREFIX,
        defaultJobOptions: episodeJobOptions(this.timing),
      });
      // Connection errors surface through the calls that fail; the emitter must not crash the process.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  private redis(): Promise<import('ioredis').Redis> {
    this.registry ??= import('ioredis').then(({ Redis }) => {
      const redis = new Redis(this.url, { maxRetriesPerRequest: 3, connectionName: 'groundwork-registry' });
      redis.on('error', () => undefined);
      return redis;
    });
    return this.registry;
  }

  /** Lists queues in the registry so that workers serve them. */
  async register(names: readonly string[]): Promise<void> {
    if (names.length > 0) await (await this.redis()).sadd(QUEUE_REGISTRY_KEY, ...names);
  }

  /** Every registered episode queue, sorted. */
  async names(): Promise<string[]> {
    return (await (await this.redis()).smembers(QUEUE_REGISTRY_KEY)).sort();
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
    if (this.registry) {
      const redis = await this.registry;
      await redis.quit().catch(() => redis.disconnect());
    }
  }
}

/** What `enqueueRun` found and did. */
export interface EnqueueResult {
  runId: string;
  planned: number;
  /** Episodes already stored: never enqueued. */
  stored: number;
  /** Slots whose job was already waiting, delayed or running: left alone. */
  queued: number;
  /** New jobs added. */
  enqueued: number;
  /** Failed (or completed but unstored) jobs replaced by a fresh one. */
  requeued: number;
}

/** The planned episodes of a stored run, in plan order, with the stored run. */
export async function runPlan(store: Store, runId: string): Promise<{ run: RunRecord; plan: EpisodeSpec[] }> {
  const run = await requireRun(store, runId);
  return { run, plan: planEpisodes(runId, run.config.seed, await store.runTasks(runId), run.config.agents, run.config.trials) };
}

/**
 * Enqueues every planned episode of a stored run that is neither stored nor queued, with its
 * deterministic job id, on its model group's queue. Job states are read before the stored keys, so
 * an episode finishing in between is seen as queued (or stored), never added twice. Safe to call
 * again at any time.
 */
export async function enqueueRun(queues: EpisodeQueues, store: Store, runId: string): Promise<EnqueueResult> {
  const { run, plan } = await runPlan(store, runId);
  const queueOf = (spec: EpisodeSpec) => queues.queue(episodeQueueName(spec.agent, run.config.user));
  const states = new Map<string, string>();
  for (let i = 0; i < plan.length; i += 1000) {
    const chunk = plan.slice(i, i + 1000);
    const found = await Promise.all(chunk.map((spec) => queueOf(spec).getJobState(episodeJobId(runId, spec.episodeId))));
    for (const [k, spec] of chunk.entries()) states.set(spec.episodeId, found[k]!);
  }
  const storedKeys = await store.episodeKeys(runId);
  const result: EnqueueResult = { runId, planned: plan.length, stored: 0, queued: 0, enqueued: 0, requeued: 0 };
  const toAdd = new Map<Queue<EpisodeJobData>, EpisodeSpec[]>();
  for (const spec of plan) {
    const state = states.get(spec.episodeId)!;
    if (storedKeys.has(episodeKey(spec.agent, spec.taskId, spec.trial))) result.stored++;
    else if (PENDING_STATES.has(state)) result.queued++;
    else {
      if (state === 'failed' || state === 'completed') {
        // A failed job keeps its id: remove it so the slot can be queued again.
        await queueOf(spec).remove(episodeJobId(runId, spec.episodeId));
        result.requeued++;
      } else result.enqueued++;
      const queue = queueOf(spec);
      toAdd.set(queue, [...(toAdd.get(queue) ?? []), spec]);
    }
  }
  // Registered before the jobs exist, so a worker that lists the registry finds every queue with jobs.
  await queues.register([...new Set(plan.map((spec) => queueOf(spec).name))]);
  for (const [queue, specs] of toAdd) {
    for (let i = 0; i < specs.length; i += 1000) {
      await queue.addBulk(
        specs.slice(i, i + 1000).map((spec) => ({
          name: 'episode',
          data: { runId, episodeId: spec.episodeId },
          opts: { jobId: episodeJobId(runId, spec.episodeId) },
        })),
      );
    }
  }
  return result;
}

/** Counts of every episode queue (all runs' jobs). */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export async function queueCounts(queues: EpisodeQueues): Promise<QueueCounts> {
  const total: QueueCounts = { waiting: 0, active: 0, delayed: 0, failed: 0 };
  for (const name of await queues.names()) {
    const counts = await queues.queue(name).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    total.waiting += (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    total.active += counts.active ?? 0;
    total.delayed += counts.delayed ?? 0;
    total.failed += counts.failed ?? 0;
  }
  return total;
}

/** The failed jobs of one run, with BullMQ's failed reason (infra errors that outlived their attempts, crashes). */
export async function failedJobsOf(queues: EpisodeQueues, runId: string, limit = 1000): Promise<{ jobId: string; reason: string }[]> {
  const failed: { jobId: string; reason: string }[] = [];
  for (const name of await queues.names()) {
    const jobs = await queues.queue(name).getFailed(0, limit - 1);
    for (const job of jobs) if (job?.data?.runId === runId) failed.push({ jobId: String(job.id), reason: job.failedReason ?? '' });
  }
  return failed;
}

/** What is left of a run in the queue: planned slots not stored, and how many of them still have a pending job. */
export interface RunBacklog {
  missing: number;
  pending: number;
}

/**
 * Counts a run's planned slots that are not stored and how many of those still have a job waiting,
 * delayed or running. Job states are read before the stored keys (as `enqueueRun` does), so a job
 * finishing in between counts as stored, never as lost. `missing > 0 && pending === 0`: nothing will
 * ever store those slots until the producer enqueues them again.
 */
export async function runBacklog(queues: EpisodeQueues, store: Store, runId: string): Promise<RunBacklog> {
  const { run, plan } = await runPlan(store, runId);
  const states = new Map<string, string>();
  for (let i = 0; i < plan.length; i += 1000) {
    const chunk = plan.slice(i, i + 1000);
    const found = await Promise.all(
      chunk.map((spec) => queues.queue(episodeQueueName(spec.agent, run.config.user)).getJobState(episodeJobId(runId, spec.episodeId))),
    );
    for (const [k, spec] of chunk.entries()) states.set(spec.episodeId, found[k]!);
  }
  const storedKeys = await store.episodeKeys(runId);
  const backlog: RunBacklog = { missing: 0, pending: 0 };
  for (const spec of plan) {
    if (storedKeys.has(episodeKey(spec.agent, spec.taskId, spec.trial))) continue;
    backlog.missing++;
    if (PENDING_STATES.has(states.get(spec.episodeId)!)) backlog.pending++;
  }
  return backlog;
}
