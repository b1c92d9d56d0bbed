import { hostname } from 'node:os';
import { GroundworkError } from '../errors.ts';
import type { EpisodeAudit, RunAudit } from '../schema/audit.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { TerminationReason, Trajectory, Usage } from '../schema/trajectory.ts';
import type { RunConfig } from '../schema/run-config.ts';
import type { ExperienceKind, ExperienceRecord, LearningSession } from '../schema/experience.ts';

/**
 * `queued`: a distributed run (`run --queue`) whose episodes wait in the queue or run on workers;
 * it becomes `finished` when every planned episode is stored.
 */
export type RunStatus = 'running' | 'finished' | 'interrupted' | 'queued';

/** Who runs a run: the owner id (pid + host + random) of the process, its pid and host. */
export interface LeaseOwner {
  owner: string;
  pid: number;
  host: string;
}

/** A run's lease: held while its owner's heartbeat renews it before `expiresAt` (ms since the epoch). */
export interface RunLease extends LeaseOwner {
  expiresAt: number;
}

/** What `acquireLease` found: the lease is ours, or another live process holds it. */
export type LeaseResult = { acquired: true } | { acquired: false; holder: RunLease };

/** A stored run. */
export interface RunRecord {
  id: string;
  createdAt: string;
  /** `running` only while a live process holds the run's lease; a run whose process is gone is `interrupted`. */
  status: RunStatus;
  config: RunConfig;
  /** Episodes the plan contains (tasks × agents × trials). */
  planned: number;
  /** The live lease of the process running it, if any. */
  lease?: RunLease;
}

/** One line of `groundwork runs`. */
export interface RunListing extends RunRecord {
  episodes: number;
  /** Episodes that ran (not infra_error). */
  graded: number;
  /** Mean reward over graded episodes by agent; null for an agent with nothing graded. */
  meanReward: Record<string, number | null>;
}

/** A stored, graded episode. */
export interface EpisodeRecord {
  id: string;
  runId: string;
  agent: string;
  taskId: string;
  trial: number;
  seed: number;
  family: string;
  split: string;
  reward: number;
  termination: TerminationReason;
  trajectory: Trajectory;
  outcome: Outcome;
  createdAt: string;
}

/** The light part of an episode record (no trajectory), for metrics and listings. */
export type EpisodeRow = Omit<EpisodeRecord, 'trajectory' | 'outcome'>;

/** Filters for listing episodes. */
export interface EpisodeFilter {
  agent?: string;
  family?: string;
  /** `pass` (reward 1) or `fail` (reward 0). */
  result?: 'pass' | 'fail';
  termination?: TerminationReason;
  /** Only episodes whose stored audit attributes the failure to this cause (`agent`, `user_simulator`...). */
  faultCause?: string;
  /** Only episodes whose stored audit marks them a confident failure (true) or not (false). */
  confidentFailure?: boolean;
  /** Only episodes whose task carries every one of these tags (probe variants: `pack:…`, `tactic:…`, `variant:…`, `role:…`). */
  tags?: string[];
  limit?: number;
  /** Skips rows (slow on large runs: prefer `after`). */
  offset?: number;
  /**
   * Keyset paging: only rows after this cursor (the `next` of the previous `listEpisodesPage`), in
   * the store's stable listing order. Opaque to callers.
   */
  after?: string;
}

/** One page of episodes and the cursor of the next page (null on the last page). */
export interface EpisodePage {
  rows: EpisodeRow[];
  next: string | null;
}

/** Status of one attempt at an episode by a queue worker. */
export type AttemptStatus = 'running' | 'stored' | 'abandoned' | 'failed' | 'rate_limited';

/**
 * One attempt at an episode by a queue worker (`groundwork worker`): recorded when it starts and
 * updated when it ends, so a worker killed mid-episode leaves an `abandoned` attempt (marked so by
 * the attempt that retries it), never a result row.
 */
export interface EpisodeAttempt {
  runId: string;
  episodeId: string;
  /** 1-based, per episode. */
  attempt: number;
  /** The worker's id (pid@host#random). */
  worker: string;
  status: AttemptStatus;
  startedAt: string;
  endedAt?: string;
  /** Why it failed, was abandoned or rate-limited (redacted; one line). */
  detail?: string;
}

/** Running totals of a run's episode audits, kept as episodes are audited (for `runs`, `show`, the viewer). */
export interface AuditTotals {
  audited: number;
  confidentFailures: number;
  /** Failed episodes by attributed fault cause. */
  faultCauses: Record<string, number>;
}

/** Filters for listing experience. */
export interface ExperienceFilter {
  /** Experience set (a learning session id). */
  setId?: string;
  kind?: ExperienceKind;
  domain?: string;
  family?: string;
}

/**
 * Where runs live. Async so that a server-backed store (PostgreSQL) implements the same contract
 * as the embedded SQLite default.
 */
export interface Store {
  /** Store a new run with its config and the exact tasks it plans (for pure re-grading). */
  createRun(run: {
    id: string;
    config: RunConfig;
    tasks: Task[];
    planned: number;
    createdAt: string;
    taskHashes?: Record<string, string>;
  }): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(): Promise<RunListing[]>;
  setRunStatus(id: string, status: RunStatus): Promise<void>;
  /**
   * Take the run's lease for `ttlMs` unless another live process holds it (atomic across
   * processes). Taking over an expired lease, or one whose owner pid is dead on this host, succeeds.
   */
  acquireLease(runId: string, owner: LeaseOwner, ttlMs: number): Promise<LeaseResult>;
  /** Heartbeat: extend our lease by `ttlMs`. False when it is no longer ours (another process took it over). */
  renewLease(runId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Give up our lease (no-op when another owner holds it). */
  releaseLease(runId: string, owner: string): Promise<void>;
  runTasks(runId: string): Promise<Task[]>;
  /**
   * Content hash of each of the run's tasks by task id (`taskContentHash`): stored at creation,
   * computed from the stored task and an episode's initial state for runs stored before hashes.
   */
  runTaskHashes(runId: string): Promise<Map<string, string>>;
  /**
   * Commit one finished episode, with its episode audit when given (one transaction). Returns false
   * (and changes nothing) when it already exists: at most one result row per planned slot, however
   * many workers try.
   */
  saveEpisode(episode: EpisodeRecord, audit?: EpisodeAudit): Promise<boolean>;
  /** Replace the outcome of an episode (re-grading). */
  updateOutcome(episodeId: string, outcome: Outcome): Promise<void>;
  /** Keys `agent \0 taskId \0 trial` of the run's stored episodes. */
  episodeKeys(runId: string): Promise<Set<string>>;
  listEpisodes(runId: string, filter?: EpisodeFilter): Promise<EpisodeRow[]>;
  /** One keyset page of episodes (`filter.after` from the previous page's `next`; `limit` required). */
  listEpisodesPage(runId: string, filter: EpisodeFilter & { limit: number }): Promise<EpisodePage>;
  /** How many episodes match the filter (its `limit`/`offset` ignored): the total behind a paginated list. */
  countEpisodes(runId: string, filter?: EpisodeFilter): Promise<number>;
  getEpisode(runId: string, episodeId: string): Promise<EpisodeRecord | undefined>;
  /** Iterate full episodes without loading the whole run into memory. */
  iterateEpisodes(runId: string): AsyncIterable<EpisodeRecord>;
  /** Model usage of each episode of a run, by role (read without loading whole trajectories). */
  listUsage(runId: string): Promise<{ agent: string; usage: Record<string, Usage> }[]>;
  /** Delete the run's infra_error episodes so they can run again. Returns how many. */
  deleteInfraErrors(runId: string): Promise<number>;
  /** Insert or replace experience records (by id). */
  saveExperience(records: readonly ExperienceRecord[]): Promise<void>;
  /** Delete experience records by id. Returns how many. */
  deleteExperience(ids: readonly string[]): Promise<number>;
  /** Experience records matching the filter, oldest first. */
  listExperience(filter?: ExperienceFilter): Promise<ExperienceRecord[]>;
  /** Insert or replace a learning session (its curve grows round by round). */
  saveLearningSession(session: LearningSession): Promise<void>;
  getLearningSession(id: string): Promise<LearningSession | undefined>;
  /** Learning sessions, newest first. */
  listLearningSessions(): Promise<LearningSession[]>;
  /** Store (or replace) the audit of a run. */
  saveRunAudit(runId: string, audit: RunAudit): Promise<void>;
  /** The stored audit of a run, if it was audited. */
  getRunAudit(runId: string): Promise<RunAudit | undefined>;
  /** Store (or replace) the audit of one episode. */
  saveEpisodeAudit(episodeId: string, runId: string, audit: EpisodeAudit): Promise<void>;
  /** Store (or replace) many episode audits of a run in one transaction. */
  saveEpisodeAudits(runId: string, audits: readonly EpisodeAudit[]): Promise<void>;
  getEpisodeAudit(episodeId: string): Promise<EpisodeAudit | undefined>;
  /** Every stored episode audit of a run, streamed (never the whole run in memory at once). */
  iterateEpisodeAudits(runId: string): AsyncIterable<EpisodeAudit>;
  /** Running totals of the run's stored episode audits. */
  auditTotals(runId: string): Promise<AuditTotals>;
  /** Record (insert or replace, by run, episode and attempt number) an attempt of a queue worker. */
  saveAttempt(attempt: EpisodeAttempt): Promise<void>;
  /** The run's attempts (optionally of one episode) in the order the store first recorded each, whatever the workers' clocks said. */
  listAttempts(runId: string, episodeId?: string): Promise<EpisodeAttempt[]>;
  /** Cached judge answers (e.g. a task's goal decomposition), by key. */
  getAuditCache(key: string): Promise<JsonValue | undefined>;
  putAuditCache(key: string, value: JsonValue): Promise<void>;
  /** Where this store lives, for messages: a file path, or a URL with any password removed. */
  readonly location: string;
  close(): Promise<void>;
}

/**
 * Whether a lease still stands: not expired, and — when its owner ran on this host — its process
 * still exists (a SIGKILLed run is seen at once, without waiting for expiry).
 */
export function leaseIsLive(lease: RunLease, now: number = Date.now()): boolean {
  if (lease.expiresAt <= now) return false;
  if (lease.host !== hostname()) return true;
  try {
    process.kill(lease.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Key of an episode slot in a run's plan. */
export function episodeKey(agent: string, taskId: string, trial: number): string {
  return `${agent}\u0000${taskId}\u0000${trial}`;
}

/** The stored run, or UNKNOWN_RUN with a hint: every command that takes a run id goes through here. */
export async function requireRun(store: Pick<Store, 'getRun'>, runId: string): Promise<RunRecord> {
  const run = await store.getRun(runId);
  if (!run)
    throw new GroundworkError('UNKNOWN_RUN', `no run ${JSON.stringify(runId)} in this database`, {
      hint: 'list runs with `groundwork runs`',
    });
  return run;
}
