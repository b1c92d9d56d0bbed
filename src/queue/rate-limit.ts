import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { GroundworkError } from '../errors.ts';
import type { ResolvedModel } from '../models/model-config.ts';
import type { ModelAdmission } from '../models/model-limiter.ts';
import type { ModelEvent } from '../models/model-session.ts';
import { admissionSettingsFromEnv, RedisAdmissions, type AdmissionObserver, type RedisAdmissionOptions } from './model-admission.ts';

/** Why an episode ended rate-limited, and how long its model's jobs should wait. */
export interface EpisodeRateLimit {
  /** The model that was rate limited. */
  model: string;
  /** How long the queue should hold this model's jobs back, in ms. */
  delayMs: number;
  /** One line for the `rate_limited` attempt (no secret: model names and numbers only). */
  detail: string;
}

/** What happened to one episode's model calls (the tracker's async context). */
interface EpisodeCalls {
  /** The model's shared pause was longer than the admission waits: a request was refused. */
  refused?: { model: string; remainingMs: number };
  /** The last model call that failed for good (retries exhausted or not retryable). */
  lastFailure?: { model: string; status?: number; reason: string };
  /** Latest end (performance.now()) of a 429 pause seen by this episode, by model. */
  pausedUntil: Map<string, number>;
}

/** Settings of a `RateLimitTracker`. */
export interface RateLimitTrackerOptions {
  /** Least time a rate-limited model's jobs are held back (a 429 without Retry-After). @default 5000 */
  minDelayMs?: number;
  /** Most time they are held back at once (the job is tried again then). @default 120000 */
  maxDelayMs?: number;
  /** Clock. @default performance.now */
  now?: () => number;
}

/**
 * Tells, per episode, whether it ended because its model was rate limited (so a queue worker puts
 * the job back instead of storing a failure). Every episode runs inside `run`, an async context,
 * so the 429s, pauses and refused requests of its own model calls are attributed to it even
 * while a worker runs several episodes at once. Give `onEvent` to the hub and the tracker (it is
 * an `AdmissionObserver`) to the `RedisAdmissions`.
 */
export class RateLimitTracker implements AdmissionObserver {
  private readonly context = new AsyncLocalStorage<EpisodeCalls>();
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;

  constructor(options: RateLimitTrackerOptions = {}) {
    this.minDelayMs = options.minDelayMs ?? 5_000;
    this.maxDelayMs = Math.max(this.minDelayMs, options.maxDelayMs ?? 120_000);
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs one episode; `rateLimit` is set when its last model failure was a 429 (retries
   * exhausted) or a request refused because its model is paused for long. The caller decides
   * with the episode's termination (`rateLimitedEpisode`).
   */
  async run<T>(episode: () => Promise<T>): Promise<{ value: T; rateLimit?: EpisodeRateLimit }> {
    const calls: EpisodeCalls = { pausedUntil: new Map() };
    const value = await this.context.run(calls, episode);
    const rateLimit = this.rateLimitOf(calls);
    return rateLimit ? { value, rateLimit } : { value };
  }

  /** The hub's `onEvent` (chain your logger after it). */
  readonly onEvent = (event: ModelEvent): void => {
    if (event.type !== 'failure') return;
    const calls = this.context.getStore();
    if (!calls) return;
    const status = (event as { status?: unknown }).status;
    calls.lastFailure = { model: event.model, reason: event.reason, ...(typeof status === 'number' ? { status } : {}) };
  };

  paused(model: string, ms: number): void {
    const calls = this.context.getStore();
    if (!calls) return;
    const until = this.now() + ms;
    calls.pausedUntil.set(model, Math.max(calls.pausedUntil.get(model) ?? 0, until));
  }

  refused(model: string, remainingMs: number): void {
    const calls = this.context.getStore();
    if (calls) calls.refused = { model, remainingMs };
  }

  private rateLimitOf(calls: EpisodeCalls): EpisodeRateLimit | undefined {
    const { refused, lastFailure } = calls;
    if (refused && !(lastFailure && lastFailure.model !== refused.model && !is429(lastFailure))) {
      return {
        model: refused.model,
        delayMs: this.clamp(refused.remainingMs),
        detail: `${refused.model}: paused ${Math.ceil(refused.remainingMs / 1000)} s by a 429 (Retry-After), episode put back`,
      };
    }
    if (lastFailure && is429(lastFailure)) {
      const pausedLeft = (calls.pausedUntil.get(lastFailure.model) ?? 0) - this.now();
      return {
        model: lastFailure.model,
        delayMs: this.clamp(pausedLeft),
        detail: `${lastFailure.model}: HTTP 429 after every retry${pausedLeft > 0 ? ` (Retry-After, ${Math.ceil(pausedLeft / 1000)} s left)` : ''}, episode put back`,
      };
    }
    return undefined;
  }

  private clamp(ms: number): number {
    return Math.round(Math.min(this.maxDelayMs, Math.max(this.minDelayMs, ms)));
  }
}

/** A failure is a 429: the typed status when the hub gives one, else the reason's `HTTP 429` prefix. */
function is429(failure: { status?: number; reason: string }): boolean {
  // A spent quota (OpenAI `insufficient_quota`) answers 429 but never clears by waiting.
  if (/insufficient_quota/.test(failure.reason)) return false;
  return failure.status !== undefined ? failure.status === 429 : /^HTTP 429\b/.test(failure.reason);
}

/**
 * The rate limit of an episode that should go back to the queue: only an episode that could not
 * run (`infra_error`) is put back; one that finished despite a 429 is a result like any other.
 */
export function rateLimitedEpisode(record: { termination: string }, rateLimit: EpisodeRateLimit | undefined): EpisodeRateLimit | undefined {
  return record.termination === 'infra_error' ? rateLimit : undefined;
}

/**
 * BullMQ `Worker` option every episode worker needs: BullMQ honours a manual rate limit
 * (`worker.rateLimit`) only when the worker has a `limiter` (bullmq 6.7, moveToActive-11.lua →
 * getRateLimitTTL.lua reads the limiter key only when `max` is set). This one never limits by itself.
 */
export const QUEUE_LIMITER = { max: 1_000_000, duration: 1_000 } as const;

/** What `rateLimitJob` needs of a BullMQ worker (or queue): its manual rate limit. */
export interface RateLimitable {
  rateLimit(expireTimeMs: number): Promise<void>;
}

/**
 * Holds back every job of the worker's queue for `delayMs` (all workers: the limit lives in Redis)
 * and returns the error the processor must throw: BullMQ then moves the job back to waiting
 * without using one of its attempts (Worker.handleFailed → moveJobFromActiveToWait-9.lua; no
 * `attemptsMade` change), and the job runs again when the limit expires.
 */
export async function rateLimitJob(worker: RateLimitable, delayMs: number): Promise<Error> {
  await worker.rateLimit(Math.max(1, Math.round(delayMs)));
  return Worker.RateLimitError();
}

/**
 * The queue of a model group: jobs whose episodes use the same models share a queue, so a 429 on
 * model A (which rate-limits the queue of the job that hit it) never holds back jobs that use only
 * model B. `models` are the model names (or agent/user names) a job uses; order and repeats do not
 * matter. BullMQ queue names may not contain ':'.
 */
export function modelGroupQueue(base: string, models: readonly string[]): string {
  const group = [...new Set(models)].sort().join('\n');
  return `${base}-g${createHash('sha256').update(group).digest('hex').slice(0, 10)}`;
}

/**
 * Tracker settings from the environment: `GROUNDWORK_RATE_LIMIT_DELAY_MS` (least time a
 * rate-limited model's jobs are held back; tests shorten it).
 */
export function trackerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<RateLimitTrackerOptions, 'minDelayMs'> {
  const raw = env.GROUNDWORK_RATE_LIMIT_DELAY_MS;
  if (raw === undefined || raw === '') return {};
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 3_600_000)
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `GROUNDWORK_RATE_LIMIT_DELAY_MS must be milliseconds from 1 to 3600000, not ${JSON.stringify(raw)}`,
      {
        hint: 'unset it for the default of 5000',
      },
    );
  return { minDelayMs: Number(raw) };
}

/** Settings of `distributedModelLimits`. */
export interface DistributedModelLimitsOptions extends Omit<RedisAdmissionOptions, 'redis' | 'observer'>, RateLimitTrackerOptions {}

/** What a queue worker needs for its models: shared admission, the hub's event hook, per-episode 429 tracking. */
export interface DistributedModelLimits {
  /** `ModelHubOptions.admission` (through `modelParticipants`): limits shared by every worker through Redis. */
  admission: (model: ResolvedModel) => ModelAdmission;
  /** `ModelHubOptions.onEvent` (chain the run log after it). */
  onEvent: (event: ModelEvent) => void;
  /** Runs one episode; `rateLimit` tells whether it ended rate-limited (see `rateLimitedEpisode`). */
  track<T>(episode: () => Promise<T>): Promise<{ value: T; rateLimit?: EpisodeRateLimit }>;
  /** Milliseconds a model stays paused for every worker. */
  pauseLeftMs(model: string): Promise<number>;
  /** Frees held slots and closes the admission's subscriber (not `redis`). */
  close(): Promise<void>;
}

/**
 * The model limits of one queue worker process: one `RedisAdmissions` (on `redis`, an ioredis
 * connection the caller owns) observed by one `RateLimitTracker`. Settings not given come from
 * the environment (`admissionSettingsFromEnv`), then the defaults.
 */
export function distributedModelLimits(redis: Redis, options: DistributedModelLimitsOptions = {}): DistributedModelLimits {
  const tracker = new RateLimitTracker({ ...trackerSettingsFromEnv(), ...options });
  const admissions = new RedisAdmissions({ ...admissionSettingsFromEnv(), ...options, redis, observer: tracker });
  return {
    admission: (model) => admissions.for(model),
    onEvent: tracker.onEvent,
    track: (episode) => tracker.run(episode),
    pauseLeftMs: (model) => admissions.pauseLeftMs(model),
    close: () => admissions.close(),
  };
}
