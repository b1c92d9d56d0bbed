import { GroundworkError } from '../errors.ts';
import type { EpisodeAudit, RunAudit } from '../schema/audit.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { TerminationReason, Trajectory, Usage } from '../schema/trajectory.ts';
import type { RunConfig } from '../schema/run-config.ts';
import type { ExperienceKind, ExperienceRecord, LearningSession } from '../schema/experience.ts';

export type RunStatus = 'running' | 'finished' | 'interrupted';

/** A stored run. */
export interface RunRecord {
  id: string;
  createdAt: string;
  status: RunStatus;
  config: RunConfig;
  /** Episodes the plan contains (tasks × agents × trials). */
  planned: number;
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
  limit?: number;
  offset?: number;
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
  runTasks(runId: string): Promise<Task[]>;
  /**
   * Content hash of each of the run's tasks by task id (`taskContentHash`): stored at creation,
   * computed from the stored task and an episode's initial state for runs stored before hashes.
   */
  runTaskHashes(runId: string): Promise<Map<string, string>>;
  /** Commit one finished episode. Returns false (and changes nothing) when it already exists. */
  saveEpisode(episode: EpisodeRecord): Promise<boolean>;
  /** Replace the outcome of an episode (re-grading). */
  updateOutcome(episodeId: string, outcome: Outcome): Promise<void>;
  /** Keys `agent \0 taskId \0 trial` of the run's stored episodes. */
  episodeKeys(runId: string): Promise<Set<string>>;
  listEpisodes(runId: string, filter?: EpisodeFilter): Promise<EpisodeRow[]>;
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
  getEpisodeAudit(episodeId: string): Promise<EpisodeAudit | undefined>;
  /** Cached judge answers (e.g. a task's goal decomposition), by key. */
  getAuditCache(key: string): Promise<JsonValue | undefined>;
  putAuditCache(key: string, value: JsonValue): Promise<void>;
  close(): Promise<void>;
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
