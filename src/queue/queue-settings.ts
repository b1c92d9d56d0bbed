import { isCommandAgent } from '../agents/external-agent.ts';
import { isBuiltInAgent } from '../agents/registry.ts';
import { GroundworkError } from '../errors.ts';
import { modelGroupQueue } from './rate-limit.ts';

/**
 * Base name of the episode queues: one BullMQ queue per model group, `episodes-g<hash>` (Redis keys
 * `groundwork:episodes-g…:*`), so a 429 that holds back one group's queue never holds back jobs
 * that use other models.
 */
export const QUEUE_NAME = 'episodes';
/** BullMQ key prefix of Groundwork's queues. */
export const QUEUE_PREFIX = 'groundwork';
/** Redis set of every episode queue a producer has used: workers serve each of them. */
export const QUEUE_REGISTRY_KEY = `${QUEUE_PREFIX}:queues`;

/** Whether a participant name calls a model (an LLM agent or user, an `http://` agent); built-in and `cmd:` agents and the scripted user do not. */
function callsModel(name: string): boolean {
  return !isBuiltInAgent(name) && !isCommandAgent(name) && name !== 'scripted';
}

/** The queue of an episode: that of its model group (agent and user models; built-in-only episodes share the empty group). */
export function episodeQueueName(agent: string, user: string): string {
  return modelGroupQueue(QUEUE_NAME, [agent, user].filter(callsModel));
}

/** True for a Redis URL (`redis://…` or `rediss://…`). */
export function isQueueLocation(location: string): boolean {
  return /^rediss?:\/\//i.test(location);
}

/**
 * A queue URL for messages, logs and output: `redis://user:***@host:port/db`, the password replaced
 * by `***` and the query (which may carry one) dropped. The password never leaves the process that was given it.
 */
export function redactQueueLocation(location: string): string {
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    url.search = '';
    return url.toString();
  } catch {
    return 'redis://(unparseable URL)';
  }
}

/** Checks `--queue`: a parseable `redis://` or `rediss://` URL. Returns it unchanged. */
export function checkQueueLocation(location: string): string {
  const hint = 'pass --queue redis://[:PASSWORD@]HOST:PORT[/DB] (or rediss:// for TLS)';
  if (!isQueueLocation(location))
    throw new GroundworkError('INVALID_ARGUMENT', `--queue must be a redis:// URL, not ${JSON.stringify(redactQueueLocation(location))}`, {
      hint,
    });
  try {
    new URL(location);
  } catch {
    throw new GroundworkError('INVALID_ARGUMENT', `--queue: cannot parse the URL ${redactQueueLocation(location)}`, { hint });
  }
  return location;
}

/**
 * Timing of the queue: BullMQ's job lock and stalled check (a SIGKILLed worker's job is retried
 * once its lock expires and a live worker's stalled check sees it), retries of infra errors.
 */
export interface QueueTiming {
  /** BullMQ `lockDuration`: a job whose worker stopped renewing its lock for this long is stalled. */
  lockMs: number;
  /** BullMQ `stalledInterval`: how often a worker looks for stalled jobs (half the lock). */
  stalledIntervalMs: number;
  /** How many times a job may stall (its worker died) before BullMQ fails it. */
  maxStalledCount: number;
  /** Attempts of an episode that ends in infra_error (the last one is stored as the result). */
  attempts: number;
  /** Base of the exponential backoff between infra-error attempts. */
  backoffMs: number;
  /** Times one episode may go back to the queue rate limited before it is stored as infra_error (a 429 that never clears). */
  maxRateLimited: number;
}

/**
 * Queue timing from the environment: `GROUNDWORK_QUEUE_LOCK_MS` (default 30000),
 * `GROUNDWORK_QUEUE_MAX_STALLED` (5), `GROUNDWORK_QUEUE_ATTEMPTS` (3),
 * `GROUNDWORK_QUEUE_BACKOFF_MS` (5000), `GROUNDWORK_QUEUE_MAX_RATE_LIMITED` (20). Tests shorten the lock so a killed worker's job comes back
 * in seconds.
 */
export function queueTiming(env: NodeJS.ProcessEnv = process.env): QueueTiming {
  const lockMs = envInt(env, 'GROUNDWORK_QUEUE_LOCK_MS', 30_000, 500, 3_600_000);
  return {
    lockMs,
    stalledIntervalMs: Math.max(250, Math.floor(lockMs / 2)),
    maxStalledCount: envInt(env, 'GROUNDWORK_QUEUE_MAX_STALLED', 5, 0, 1000),
    attempts: envInt(env, 'GROUNDWORK_QUEUE_ATTEMPTS', 3, 1, 100),
    backoffMs: envInt(env, 'GROUNDWORK_QUEUE_BACKOFF_MS', 5_000, 0, 3_600_000),
    maxRateLimited: envInt(env, 'GROUNDWORK_QUEUE_MAX_RATE_LIMITED', 20, 0, 100_000),
  };
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new GroundworkError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`, {
      hint: `unset it for the default of ${fallback}`,
    });
  return Number(raw);
}

/**
 * The job id of an episode slot: `RUN.EPISODE` (BullMQ ignores an add whose id exists; custom ids
 * must not contain ':' nor be integers). Episode ids already hash run, agent, task and trial, and
 * the seed follows from those, so the id is the same every time the producer plans the run.
 */
export function episodeJobId(runId: string, episodeId: string): string {
  const id = `${runId}.${episodeId}`;
  if (id.includes(':'))
    throw new GroundworkError('INVALID_ARGUMENT', `run id ${JSON.stringify(runId)} cannot name a queue job (it contains ':')`, {
      hint: 'queue runs created by groundwork run --queue',
    });
  return id;
}

/** What a job carries: ids only (never configs, prompts or secrets); workers rebuild the rest from the stored run. */
export interface EpisodeJobData {
  runId: string;
  episodeId: string;
}
