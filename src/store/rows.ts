import { GroundworkError } from '../errors.ts';
import { AUDIT_SCHEMA_VERSION, type EpisodeAudit } from '../schema/audit.ts';
import { outcomeSchema } from '../schema/outcome.ts';
import { runConfigSchema } from '../schema/run-config.ts';
import { trajectorySchema } from '../schema/trajectory.ts';
import { decodeEpisodeAudit } from './audit-codec.ts';
import {
  leaseIsLive,
  type EpisodeAttempt,
  type EpisodeRecord,
  type EpisodeRow,
  type RunLease,
  type RunListing,
  type RunRecord,
  type RunStatus,
} from './store.ts';

/**
 * The SQL rows both stores (SQLite and PostgreSQL) read back, and the pure functions that map them
 * to the Store contract's records: one mapping, so the two stores cannot drift apart.
 */

/** A `runs` row. */
export interface RunRowSql {
  id: string;
  created_at: string;
  status: string;
  config: string;
  planned: number;
  lease_owner: string | null;
  lease_pid: number | null;
  lease_host: string | null;
  lease_expires: number | null;
}

/** An `episodes` row: the light columns, and the trajectory and outcome when selected. */
export interface EpisodeRowSql {
  id: string;
  run_id: string;
  agent: string;
  task_id: string;
  trial: number;
  seed: number;
  family: string;
  split: string;
  reward: number;
  termination: string;
  created_at: string;
  trajectory?: string;
  outcome?: string;
}

/** An `episode_attempts` row. */
export interface AttemptRowSql {
  run_id: string;
  episode_id: string;
  attempt: number;
  worker: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  detail: string | null;
}

/** A stored audit with what it leaves to its episode row and its goal-items row. */
export interface StoredAuditSql {
  episode_id: string;
  run_id: string;
  audit: string;
  items: string | null;
  agent: string | null;
  task_id: string | null;
  trial: number | null;
  reward: number | null;
  termination: string | null;
}

/** The lease a run row records, if it records a whole one. */
export function leaseOf(row: Pick<RunRowSql, 'lease_owner' | 'lease_pid' | 'lease_host' | 'lease_expires'>): RunLease | undefined {
  return row.lease_owner != null && row.lease_pid != null && row.lease_host != null && row.lease_expires != null
    ? { owner: row.lease_owner, pid: row.lease_pid, host: row.lease_host, expiresAt: row.lease_expires }
    : undefined;
}

/**
 * An episode's values in the column order both stores insert them: id, run_id, agent, task_id,
 * trial, seed, family, split, reward, termination, created_at, trajectory, outcome.
 */
export function episodeValues(episode: EpisodeRecord): (string | number)[] {
  return [
    episode.id,
    episode.runId,
    episode.agent,
    episode.taskId,
    episode.trial,
    episode.seed,
    episode.family,
    episode.split,
    episode.reward,
    episode.termination,
    episode.createdAt,
    JSON.stringify(episode.trajectory),
    JSON.stringify(episode.outcome),
  ];
}

export function toRun(row: RunRowSql): RunRecord {
  const lease = leaseOf(row);
  const live = lease !== undefined && leaseIsLive(lease);
  return {
    id: row.id,
    createdAt: row.created_at,
    // A run marked running whose lease is gone (expired, released without a final status, or its
    // process dead on this host) has no process running it: it was interrupted.
    status: row.status === 'running' && !live ? 'interrupted' : (row.status as RunStatus),
    config: runConfigSchema.parse(JSON.parse(row.config)),
    planned: row.planned,
    ...(live ? { lease } : {}),
  };
}

/** A run's statistics per agent, as both stores aggregate its episodes. */
export interface AgentStatsSql {
  agent: string;
  n: number;
  graded: number;
  mean: number | null;
}

export function toRunListing(row: RunRowSql, perAgent: AgentStatsSql[]): RunListing {
  // An agent with nothing graded has no mean (null), not a mean of 0.
  return {
    ...toRun(row),
    episodes: perAgent.reduce((a, b) => a + b.n, 0),
    graded: perAgent.reduce((a, b) => a + b.graded, 0),
    meanReward: Object.fromEntries(perAgent.map((s) => [s.agent, s.mean])),
  };
}

export function toRow(row: EpisodeRowSql): EpisodeRow {
  return {
    id: row.id,
    runId: row.run_id,
    agent: row.agent,
    taskId: row.task_id,
    trial: row.trial,
    seed: row.seed,
    family: row.family,
    split: row.split,
    reward: row.reward,
    termination: row.termination as EpisodeRow['termination'],
    createdAt: row.created_at,
  };
}

export function toRecord(row: EpisodeRowSql): EpisodeRecord {
  return {
    ...toRow(row),
    trajectory: trajectorySchema.parse(JSON.parse(row.trajectory!)),
    outcome: outcomeSchema.parse(JSON.parse(row.outcome!)),
  };
}

/** An attempt's values in the column order both stores insert them: run_id, episode_id, attempt, worker, status, started_at, ended_at, detail. */
export function attemptValues(attempt: EpisodeAttempt): (string | number | null)[] {
  return [
    attempt.runId,
    attempt.episodeId,
    attempt.attempt,
    attempt.worker,
    attempt.status,
    attempt.startedAt,
    attempt.endedAt ?? null,
    attempt.detail ?? null,
  ];
}

export function toAttempt(row: AttemptRowSql): EpisodeAttempt {
  return {
    runId: row.run_id,
    episodeId: row.episode_id,
    attempt: row.attempt,
    worker: row.worker,
    status: row.status as EpisodeAttempt['status'],
    startedAt: row.started_at,
    ...(row.ended_at == null ? {} : { endedAt: row.ended_at }),
    ...(row.detail == null ? {} : { detail: row.detail }),
  };
}

export function toAudit(row: StoredAuditSql): EpisodeAudit {
  return decodeEpisodeAudit(
    row.audit,
    {
      episodeId: row.episode_id,
      runId: row.run_id,
      agent: row.agent ?? undefined,
      taskId: row.task_id ?? undefined,
      trial: row.trial ?? undefined,
      reward: row.reward ?? undefined,
      termination: row.termination ?? undefined,
    },
    row.items,
  );
}

/** The opaque cursor of a keyset page: the `seq` of its last row (the same form in both stores). */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^s(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match)
    throw new GroundworkError('INVALID_ARGUMENT', `${JSON.stringify(cursor)} is not an episode-page cursor`, {
      hint: 'pass the `next` of the previous page, or no cursor for the first page',
    });
  return Number(match[1]);
}

/** Parse a stored audit; a newer schemaVersion is refused, not misread. */
export function parseAudit<T>(schema: { parse(value: unknown): T }, text: string, what: string): T {
  const value = JSON.parse(text) as { schemaVersion?: number };
  if (typeof value.schemaVersion === 'number' && value.schemaVersion > AUDIT_SCHEMA_VERSION) {
    throw new GroundworkError(
      'SCHEMA_VERSION',
      `the audit of ${what} has schema version ${value.schemaVersion}, newer than this Groundwork (${AUDIT_SCHEMA_VERSION})`,
      { hint: 'upgrade Groundwork, or run groundwork audit again' },
    );
  }
  return schema.parse(value);
}
