import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Agent } from '../agents/agent.ts';
import { createEpisodeAuditor } from '../audit-runner/episode-auditor.ts';
import type { Domain } from '../domains/domain.ts';
import type { DomainRegistry } from '../domains/registry.ts';
import { describeError, GroundworkError } from '../errors.ts';
import { buildAgent, buildUser, type ParticipantFactory } from '../runner/build.ts';
import { domainFor, gradeLater, leaseOwner, runGradedEpisode, type EpisodeGrader, type GradedEpisode } from '../runner/local-runner.ts';
import { planEpisodes, type EpisodeSpec } from '../runner/plan.ts';
import type { ModelHubOptions } from '../models/model-hub.ts';
import type { ModelEvent } from '../models/model-session.ts';
import type { EpisodeAudit } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import { requireRun, type AttemptStatus, type EpisodeAttempt, type EpisodeRecord, type RunRecord, type Store } from '../store/store.ts';
import type { UserSimulator } from '../users/user.ts';
import { deferredToCheckPhase } from '../util/check-phase.ts';
import { connectionFor } from './episode-queue.ts';
import { finishRunIfComplete, openFinishLock } from './finish-run.ts';
import { distributedModelLimits, QUEUE_LIMITER, rateLimitedEpisode, rateLimitJob } from './rate-limit.ts';
import { SharedSlots, SlotWorker } from './slot-worker.ts';
import {
  QUEUE_PREFIX,
  QUEUE_REGISTRY_KEY,
  queueTiming,
  redactQueueLocation,
  type EpisodeJobData,
  type QueueTiming,
} from './queue-settings.ts';

/** Audits one graded episode (stored with it in one transaction). */
export type EpisodeAuditor = (graded: GradedEpisode, task: Task) => EpisodeAudit | undefined | Promise<EpisodeAudit | undefined>;

/** What a run's model participants get from the worker: limits shared by every worker through Redis. */
export interface WorkerModelLimits {
  admission: ModelHubOptions['admission'];
  onEvent: (event: ModelEvent) => void;
}

/** What a worker reports, one event per thing that happened (the CLI prints them). */
export type WorkerEvent =
  | {
      type: 'episode';
      runId: string;
      episodeId: string;
      agent: string;
      taskId: string;
      trial: number;
      attempt: number;
      /** stored: the result row; failed: an infra error that will be retried; rate_limited: back to the queue; duplicate: another attempt stored it first; skipped: found stored before running. */
      status: 'stored' | 'failed' | 'rate_limited' | 'duplicate' | 'skipped';
      reward?: number;
      termination?: string;
      detail?: string;
    }
  | { type: 'abandoned'; runId: string; episodeId: string; attempt: number; worker: string }
  | { type: 'stalled'; jobId: string }
  | { type: 'job-failed'; jobId: string; reason: string }
  | { type: 'run-finished'; runId: string; auditError?: string }
  | { type: 'error'; message: string };

/** Options of `startEpisodeWorker`. */
export interface EpisodeWorkerOptions {
  /** `redis://…` of the queue (its password stays in this process). */
  queueUrl: string;
  store: Store;
  /** Episodes run at once by this worker. */
  concurrency: number;
  /** @default queueTiming() (GROUNDWORK_QUEUE_* variables) */
  timing?: QueueTiming;
  /**
   * Model-backed participants of one run (models from its stored config, keys from this worker's
   * environment). Called once per run this worker meets.
   */
  participantsFor?: (run: RunRecord, limits: WorkerModelLimits) => ParticipantFactory;
  /** Audit each episode as it is stored (the audit-runner's episode auditor). @default true */
  audit?: boolean;
  onEvent?: (event: WorkerEvent) => void;
  /**
   * A run's context was dropped (the run is finished, or none of this worker's jobs used it for
   * `contextIdleMs`): let go of what `participantsFor` made for it.
   */
  onRunDropped?: (runId: string) => void;
  /** How long the context of a run none of its jobs uses is kept. @default 600000 (10 min) */
  contextIdleMs?: number;
  domains?: DomainRegistry;
  now?: () => Date;
}

/** A running worker. */
export interface EpisodeWorker {
  /** `pid@host#random`: the `worker` of its attempts. */
  id: string;
  /** Where it takes jobs from, password removed. */
  queue: string;
  /** What it holds now (for tests and diagnostics). */
  stats(): EpisodeWorkerStats;
  /** Stops taking jobs, lets the episodes in flight finish and be stored, then disconnects. */
  close(): Promise<void>;
}

/** What a worker holds now. */
export interface EpisodeWorkerStats {
  /** Runs whose context (plan, tasks, participants, auditor) it keeps. */
  runContexts: number;
  /** Run contexts built since it started (a run dropped and met again is built again). */
  runContextsBuilt: number;
  /** Its `concurrency` slots taken: the jobs it holds active in BullMQ, each one running (and, for a moment, a fetch under way). */
  activeJobs: number;
}

/** A run's context as a worker holds it. */
interface HeldContext {
  context: Promise<RunContext>;
  /** Jobs of the run this worker is processing now. */
  jobs: number;
  /** When its last job here ended (Date.now()). */
  idleSince: number;
  /** Seen finished: dropped when its last job here ends. */
  finished: boolean;
}

/** What a worker keeps of a run it works on (built once per run). */
interface RunContext {
  run: RunRecord;
  domain: Domain;
  tasks: Map<string, Task>;
  plan: Map<string, EpisodeSpec>;
  agents: Map<string, Agent>;
  user: UserSimulator;
  auditor?: EpisodeAuditor;
  /** Grades its episodes at the next check phase, back to back (`gradeLater`). */
  grade: EpisodeGrader;
  /** Takes back an audited episode whose save lost to another attempt: its result must not count towards its task's problems. */
  forgetAudit?: (record: EpisodeRecord) => void;
}

/**
 * Starts a BullMQ worker that runs episodes of any run in the queue: rebuilds the run's domain,
 * tasks and participants from the store, runs and grades the episode exactly as a local run does,
 * and stores it (at most one result row per slot: `saveEpisode` refuses a second). Every attempt is
 * recorded; a job that stalled because its worker died is retried, and the retry marks the dead
 * attempt `abandoned`. Infra errors are retried with exponential backoff; the last one is stored.
 */
export async function startEpisodeWorker(options: EpisodeWorkerOptions): Promise<EpisodeWorker> {
  const { store } = options;
  const timing = options.timing ?? queueTiming();
  const now = options.now ?? (() => new Date());
  const id = leaseOwner().owner;
  const emit = (event: WorkerEvent) => options.onEvent?.(event);
  // The runs this worker has contexts of: dropped once a run is finished or idle, so a long-lived
  // worker serving many runs keeps only those it is working on; a later job of a dropped run builds it again.
  const contexts = new Map<string, HeldContext>();
  let contextsBuilt = 0;
  const contextIdleMs = options.contextIdleMs ?? CONTEXT_IDLE_MS;

  /** The run's context for one job (built on first use); give it back with `letGo`. */
  const holdContext = (runId: string): HeldContext => {
    let held = contexts.get(runId);
    if (!held) {
      const entry: HeldContext = { context: buildContext(runId), jobs: 0, idleSince: Date.now(), finished: false };
      contextsBuilt++;
      contexts.set(runId, entry);
      // A run that cannot be built now (store hiccup, not in this store) is built again for its next job.
      entry.context.catch(() => {
        if (contexts.get(runId) === entry) contexts.delete(runId);
      });
      held = entry;
    }
    held.jobs++;
    return held;
  };
  const letGo = (runId: string, held: HeldContext): void => {
    held.jobs--;
    held.idleSince = Date.now();
    if (held.jobs === 0 && held.finished) dropContext(runId, held);
  };
  const dropContext = (runId: string, held: HeldContext): void => {
    if (contexts.get(runId) !== held) return;
    contexts.delete(runId);
    options.onRunDropped?.(runId);
  };
  /** Drops the contexts of runs no job of this worker has used for `contextIdleMs` (finished by another worker, or stalled). */
  const dropIdle = (): void => {
    const now = Date.now();
    for (const [runId, held] of contexts) if (held.jobs === 0 && now - held.idleSince >= contextIdleMs) dropContext(runId, held);
  };
  const buildContext = async (runId: string): Promise<RunContext> => {
    const run = await requireRun(store, runId);
    const domain = domainFor(run.config, options.domains);
    const tasks = await store.runTasks(runId);
    const plan = planEpisodes(runId, run.config.seed, tasks, run.config.agents, run.config.trials);
    const factory = options.participantsFor?.(run, { admission: limits.admission, onEvent: limits.onEvent });
    const agents = new Map(run.config.agents.map((name) => [name, buildAgent(name, domain, factory)]));
    const user = buildUser(run.config.user, factory);
    let auditor: EpisodeAuditor | undefined;
    let forgetAudit: ((record: EpisodeRecord) => void) | undefined;
    if (options.audit !== false) {
      const episodeAuditor = createEpisodeAuditor({ domain, tasks });
      // Made back to back at the next check phase, as the local runner makes them (see deferredToCheckPhase).
      auditor = deferredToCheckPhase((graded: GradedEpisode, task: Task) => episodeAuditor.audit(graded, task));
      forgetAudit = (record) => episodeAuditor.forget(record);
    }
    return {
      run,
      domain,
      tasks: new Map(tasks.map((task) => [task.id, task])),
      plan: new Map(plan.map((spec) => [spec.episodeId, spec])),
      agents,
      user,
      grade: gradeLater(),
      ...(auditor ? { auditor } : {}),
      ...(forgetAudit ? { forgetAudit } : {}),
    };
  };

  const workers = new Map<string, SlotWorker<EpisodeJobData>>();
  // Shared by the queues' workers: at most `concurrency` jobs active in Redis for this process, all running.
  const slots = new SharedSlots(options.concurrency);
  const finishLock = await openFinishLock(options.queueUrl);
  // Model limits (concurrency, requests per minute, 429 pauses) shared by every worker through Redis.
  const { Redis: RedisClient } = await import('ioredis');
  const limitsRedis: Redis = new RedisClient(options.queueUrl, { maxRetriesPerRequest: null, connectionName: 'groundwork-limits' });
  limitsRedis.on('error', () => undefined);
  const limits = distributedModelLimits(limitsRedis, { prefix: QUEUE_PREFIX });

  const processJob = async (job: Job<EpisodeJobData>, token?: string): Promise<{ reward?: number; status: string }> => {
    const { runId, episodeId } = job.data ?? ({} as EpisodeJobData);
    if (typeof runId !== 'string' || typeof episodeId !== 'string') throw new UnrecoverableError('job data without runId/episodeId');
    const held = holdContext(runId);
    try {
      return await processHeldJob(job, token, runId, episodeId, held);
    } finally {
      letGo(runId, held);
    }
  };

  const processHeldJob = async (
    job: Job<EpisodeJobData>,
    token: string | undefined,
    runId: string,
    episodeId: string,
    held: HeldContext,
  ): Promise<{ reward?: number; status: string }> => {
    let context: RunContext;
    try {
      context = await held.context;
    } catch (error) {
      // A run that is not in this store: this worker is on the wrong store, another may not be. Put the
      // job back (not an attempt) and say so loudly, rather than failing it for every worker.
      if (GroundworkError.isInstance(error) && error.code === 'UNKNOWN_RUN') {
        emit({
          type: 'error',
          message: `job ${job.id}: run ${runId} is not in this worker's store ${store.location} (is this worker on the producer's --store?); put back for ${UNKNOWN_RUN_DELAY_MS / 1000} s`,
        });
        await job.moveToDelayed(Date.now() + UNKNOWN_RUN_DELAY_MS, token);
        throw new DelayedError();
      }
      // Anything else (a missing API key on this worker, a store hiccup): a visible failed attempt, retried with backoff.
      const reason = `worker ${id} cannot prepare run ${runId}: ${describeError(error)}`;
      await recordFailedStart(runId, episodeId, job.attemptsStarted, reason);
      emit({ type: 'error', message: oneLine(reason) });
      throw new Error(oneLine(reason));
    }
    const spec = context.plan.get(episodeId);
    if (!spec) throw new UnrecoverableError(`episode ${episodeId} is not in the plan of run ${runId}`);
    const base = { runId, episodeId, agent: spec.agent, taskId: spec.taskId, trial: spec.trial };
    // Stored already (a retried job whose first attempt stored it, a second producer): nothing to pay for.
    if (await store.getEpisode(runId, episodeId)) {
      // A worker that died between storing the episode and recording it leaves a `running` attempt: that one stored it.
      await settleStoredEarlier(runId, episodeId);
      emit({ type: 'episode', ...base, attempt: 0, status: 'skipped' });
      await finish(runId, job, token);
      return { status: 'skipped' };
    }
    const { attempt, rateLimitedBefore } = await startAttempt(runId, episodeId, job.attemptsStarted);
    const save = (status: AttemptStatus, detail?: string) =>
      store.saveAttempt({ ...attempt, status, endedAt: now().toISOString(), ...(detail ? { detail: oneLine(detail) } : {}) });

    try {
      return await runAttempt(job, token, context, spec, attempt, save, base, rateLimitedBefore);
    } catch (error) {
      if (!attemptEnded.has(attempt)) await save('failed', describeError(error)).catch(() => undefined);
      throw error;
    } finally {
      attemptEnded.delete(attempt);
    }
  };

  /** Attempts whose end is recorded already (an unexpected throw records a `failed` one). */
  const attemptEnded = new Set<EpisodeAttempt>();

  const runAttempt = async (
    job: Job<EpisodeJobData>,
    token: string | undefined,
    context: RunContext,
    spec: EpisodeSpec,
    attempt: EpisodeAttempt,
    saveStatus: (status: AttemptStatus, detail?: string) => Promise<void>,
    base: { runId: string; episodeId: string; agent: string; taskId: string; trial: number },
    rateLimitedBefore: number,
  ): Promise<{ reward?: number; status: string }> => {
    const { runId, episodeId } = base;
    const save = async (status: AttemptStatus, detail?: string) => {
      await saveStatus(status, detail);
      attemptEnded.add(attempt);
    };
    const task = context.tasks.get(spec.taskId)!;
    const { value: graded, rateLimit } = await limits.track(() =>
      runGradedEpisode(spec, task, context.domain, context.agents.get(spec.agent)!, context.user, context.run.config, now, context.grade),
    );
    const { record } = graded;
    const detail = record.trajectory.termination.detail;

    // A 429 that outlasted the model's retries: back to the queue (all workers hold off), not an attempt, never a failure.
    const limited = rateLimitedEpisode(record, rateLimit);
    // A 429 that never clears (a spent quota answered as 429): past the cap the episode is stored as
    // infra_error, visible and picked up by `--retry-errors`, instead of going round forever.
    const rateLimitCapped = limited !== undefined && rateLimitedBefore >= timing.maxRateLimited;
    if (limited && !rateLimitCapped) {
      await save('rate_limited', limited.detail);
      emit({ type: 'episode', ...base, attempt: attempt.attempt, status: 'rate_limited', detail: limited.detail });
      throw await rateLimitJob(workers.get(job.queueName)!, limited.delayMs);
    }
    const attemptsLeft = (job.opts.attempts ?? 1) - (job.attemptsMade + 1);
    if (record.termination === 'infra_error' && attemptsLeft > 0 && !rateLimitCapped) {
      await save('failed', detail ?? 'infra_error');
      emit({
        type: 'episode',
        ...base,
        attempt: attempt.attempt,
        status: 'failed',
        termination: 'infra_error',
        ...(detail ? { detail } : {}),
      });
      // BullMQ retries it after the backoff; the reason stays on the job (`failedReason`).
      throw new Error(`infra_error: ${oneLine(detail ?? 'no detail')}`);
    }
    let audit: EpisodeAudit | undefined;
    try {
      audit = await context.auditor?.(graded, task);
    } catch (error) {
      emit({ type: 'error', message: `audit of ${episodeId} failed (stored without it): ${describeError(error)}` });
    }
    const saved = await store.saveEpisode(record, audit);
    if (!saved) {
      if (audit) context.forgetAudit?.(record);
      await save('abandoned', 'another attempt stored this episode first');
      emit({ type: 'episode', ...base, attempt: attempt.attempt, status: 'duplicate' });
      return { status: 'duplicate' };
    }
    await save(
      'stored',
      rateLimitCapped
        ? `infra_error: rate limited ${rateLimitedBefore + 1} times (GROUNDWORK_QUEUE_MAX_RATE_LIMITED=${timing.maxRateLimited}): ${limited.detail}`
        : record.termination === 'infra_error'
          ? `infra_error after ${job.attemptsMade + 1} attempt(s): ${detail ?? ''}`
          : undefined,
    );
    emit({ type: 'episode', ...base, attempt: attempt.attempt, status: 'stored', reward: record.reward, termination: record.termination });
    await finish(runId, job, token);
    return { status: 'stored', reward: record.reward };
  };

  /**
   * Records this attempt as running; attempts left `running` by a worker that died become `abandoned`.
   * Also says how often this episode went back to the queue rate limited so far.
   */
  const startAttempt = async (
    runId: string,
    episodeId: string,
    started: number,
  ): Promise<{ attempt: EpisodeAttempt; rateLimitedBefore: number }> => {
    const previous = await store.listAttempts(runId, episodeId);
    const number = Math.max(started, ...previous.map((a) => a.attempt + 1), 1);
    await abandonEarlier(runId, episodeId, number, `stopped mid-episode; retried by ${id} as attempt ${number}`, previous);
    const attempt: EpisodeAttempt = { runId, episodeId, attempt: number, worker: id, status: 'running', startedAt: now().toISOString() };
    await store.saveAttempt(attempt);
    return { attempt, rateLimitedBefore: previous.filter((a) => a.status === 'rate_limited').length };
  };

  /** A `failed` attempt for a job that could not even start (its run could not be prepared), when the run is in this store. */
  const recordFailedStart = async (runId: string, episodeId: string, started: number, reason: string): Promise<void> => {
    try {
      if (!(await store.getRun(runId))) return;
      const { attempt } = await startAttempt(runId, episodeId, started);
      await store.saveAttempt({ ...attempt, status: 'failed', endedAt: now().toISOString(), detail: oneLine(reason) });
    } catch {
      // The store itself failing is what the error event reports.
    }
  };

  /**
   * The slot is stored: the latest attempt still `running` is the one that stored it (its worker
   * stopped before recording that); any older `running` ones were abandoned.
   */
  const settleStoredEarlier = async (runId: string, episodeId: string): Promise<void> => {
    const running = (await store.listAttempts(runId, episodeId)).filter((a) => a.status === 'running');
    const storer = running.reduce<EpisodeAttempt | undefined>(
      (latest, a) => (!latest || a.attempt > latest.attempt ? a : latest),
      undefined,
    );
    if (!storer) return;
    await store.saveAttempt({
      ...storer,
      status: 'stored',
      endedAt: now().toISOString(),
      detail: `worker ${storer.worker} stored this episode but stopped before recording it`,
    });
    await abandonEarlier(runId, episodeId, storer.attempt, 'stopped mid-episode (a later attempt stored the episode)', running);
  };

  /** Marks the attempts before `number` still `running` (their worker is gone: their job came back) `abandoned`. */
  const abandonEarlier = async (runId: string, episodeId: string, number: number, why: string, known?: EpisodeAttempt[]): Promise<void> => {
    for (const earlier of known ?? (await store.listAttempts(runId, episodeId))) {
      if (earlier.status !== 'running' || earlier.attempt >= number) continue;
      await store.saveAttempt({ ...earlier, status: 'abandoned', endedAt: now().toISOString(), detail: `worker ${earlier.worker} ${why}` });
      emit({ type: 'abandoned', runId, episodeId, attempt: earlier.attempt, worker: earlier.worker });
    }
  };

  /**
   * Finishes the run when this job stored (or found) its last episode. While another process holds
   * the finishing lock this job waits for it (a live holder finishes the run; a dead one's lock
   * expires and this job finishes it), so a process that died mid-summary never leaves a complete
   * run `queued`; past twice the lock's life the job comes back later (not an attempt) and tries again.
   */
  const finish = async (runId: string, job: Job<EpisodeJobData>, token: string | undefined): Promise<void> => {
    let busy: { retryInMs: number } | undefined;
    try {
      // Held by this job (see processJob), so present.
      const held = contexts.get(runId)!;
      const planned = (await held.context).run.planned;
      const giveUpAt = Date.now();
      for (;;) {
        const result = await finishRunIfComplete(store, runId, finishLock, id, planned);
        if (result.finished && result.by === 'me')
          emit({ type: 'run-finished', runId, ...(result.auditError ? { auditError: result.auditError } : {}) });
        // Its context goes once the jobs of it in flight here are done.
        if (result.finished) held.finished = true;
        busy = !result.finished && 'busy' in result ? result : undefined;
        if (!busy || closing || Date.now() - giveUpAt > 2 * busy.retryInMs) break;
        await new Promise((resolve) => setTimeout(resolve, FINISH_POLL_MS));
      }
    } catch (error) {
      // The episode is stored; the producer or the next worker finishes the run.
      emit({ type: 'error', message: `cannot finish run ${runId}: ${describeError(error)}` });
    }
    if (busy) {
      await job.moveToDelayed(Date.now() + busy.retryInMs, token);
      throw new DelayedError();
    }
  };

  /**
   * One BullMQ worker per model-group queue, all sharing this process's `concurrency` slots: each
   * takes a job only when a slot is free, so jobs this process cannot run yet stay waiting for
   * workers that can.
   */
  const startQueueWorker = async (name: string): Promise<void> => {
    const worker = new SlotWorker<EpisodeJobData>(
      name,
      (job, token) => processJob(job, token),
      {
        connection: connectionFor(options.queueUrl),
        prefix: QUEUE_PREFIX,
        name: id,
        concurrency: options.concurrency,
        lockDuration: timing.lockMs,
        stalledInterval: timing.stalledIntervalMs,
        maxStalledCount: timing.maxStalledCount,
        // Required for the manual rate limit of a 429 (never limits by itself).
        limiter: QUEUE_LIMITER,
        autorun: false,
      },
      slots,
    );
    workers.set(name, worker);
    worker.on('error', (error) => emit({ type: 'error', message: redactUrls(describeError(error)) }));
    worker.on('stalled', (jobId) => emit({ type: 'stalled', jobId }));
    worker.on('failed', (job, error) => {
      // Infra errors with attempts left are reported as episodes already; report every final failure:
      // out of attempts, unrecoverable (not in the plan), or stalled too often (its workers kept dying).
      const final =
        !job ||
        error.name === 'UnrecoverableError' ||
        /stalled more than/i.test(error.message) ||
        job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final) emit({ type: 'job-failed', jobId: job ? String(job.id) : '?', reason: redactUrls(error.message) });
    });
    await worker.waitUntilReady();
    void worker.run().catch((error) => emit({ type: 'error', message: redactUrls(describeError(error)) }));
  };
  let closing = false;
  /** Serves every queue in the registry (producers add model groups as runs come). */
  const discover = async (): Promise<void> => {
    if (closing) return;
    for (const name of await limitsRedis.smembers(QUEUE_REGISTRY_KEY)) if (!workers.has(name) && !closing) await startQueueWorker(name);
  };
  await discover();
  const discovery = setInterval(() => {
    discover().catch((error) => emit({ type: 'error', message: `cannot list the queues: ${redactUrls(describeError(error))}` }));
  }, DISCOVER_MS);
  discovery.unref();
  const idleCheck = setInterval(dropIdle, Math.min(contextIdleMs, IDLE_CHECK_MS));
  idleCheck.unref();
  return {
    id,
    queue: redactQueueLocation(options.queueUrl),
    stats: () => ({ runContexts: contexts.size, runContextsBuilt: contextsBuilt, activeJobs: slots.taken }),
    close: async () => {
      closing = true;
      clearInterval(discovery);
      clearInterval(idleCheck);
      const closed = [...workers.values()].map((worker) => worker.close());
      // Wakes the queues' workers waiting for a slot, so each stops once its jobs in flight are done.
      slots.close();
      await Promise.all(closed);
      await limits.close().catch(() => undefined);
      await limitsRedis.quit().catch(() => limitsRedis.disconnect());
      await finishLock.close();
    },
  };
}

/** How often a worker that stored a run's last episode checks on another process finishing that run. */
const FINISH_POLL_MS = 500;

/** How long a job whose run is not in this worker's store waits before a worker tries it again. */
const UNKNOWN_RUN_DELAY_MS = 30_000;

/** How often a worker looks for new model-group queues in the registry. */
const DISCOVER_MS = 2_000;

/** How long a worker keeps the context of a run none of its jobs used (`contextIdleMs`). */
const CONTEXT_IDLE_MS = 10 * 60_000;

/** How often a worker looks for idle run contexts (at most; sooner with a shorter `contextIdleMs`). */
const IDLE_CHECK_MS = 60_000;

function oneLine(text: string): string {
  return redactUrls(text.replace(/\s+/g, ' ').trim()).slice(0, 500);
}

/** Passwords of any URL in a message (Redis, PostgreSQL) never reach logs or attempts. */
function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi, '$1$2:***@');
}
