import { createHash } from 'node:crypto';
import { GroundworkError } from '../errors.ts';
import { AUDIT_SCHEMA_VERSION, episodeAuditSchema, type EpisodeAudit } from '../schema/audit.ts';

/**
 * Compact storage of episode audits (issue 16), shared by the SQLite and PostgreSQL stores.
 *
 * An audit repeats its episode's identity (id, run, agent, task, trial) and, in `goal.items`, the
 * task's goal: ~3.7 KB of the ~4.9 KB of a helpdesk audit, the same for every agent and trial of a
 * task. The stored body drops what the episode row already holds and never changes (identity and
 * termination, only when equal; the reward stays: re-grading changes the row's) and replaces the goal items by the content key of one
 * shared row. Plain JSON (no compression): cheap to write on the hot path (~25 µs) and readable
 * with the database's own tools.
 */

/** What the episode row (and the audit row's own columns) hold: put back into the audit on decode. */
export interface AuditRowFields {
  episodeId: string;
  runId: string;
  agent?: string;
  taskId?: string;
  trial?: number;
  reward?: number;
  termination?: string;
}

/** An audit ready to store: its body, its goal items (stored once per key) and the indexed values. */
export interface EncodedEpisodeAudit {
  /** Compact JSON of the audit without episodeId, runId, `goal.items` and the row fields equal to the episode's. */
  body: string;
  /** Content key (sha256, base64url) of `goalItems`: store the items once under it (insert if absent). */
  goalKey: string;
  /** JSON of `goal.items`. */
  goalItems: string;
  /** Indexed: the attributed fault cause of a failed episode, or null. */
  faultCause: string | null;
  /** Indexed: the agent claimed success on a failed episode. */
  confidentFailure: boolean;
}

/** Fields an episode row never changes (re-grading changes the reward, so the audit keeps its own). */
const ROW_FIELDS = ['agent', 'taskId', 'trial', 'termination'] as const;
const ROW_FIELD_SET: ReadonlySet<string> = new Set(ROW_FIELDS);

/**
 * Encode an audit for storage. `row` is the stored episode; its agent, taskId, trial and termination
 * are dropped from the body when equal to the audit's (decode puts them back from the row).
 */
export function encodeEpisodeAudit(audit: EpisodeAudit, row?: Partial<AuditRowFields>): EncodedEpisodeAudit {
  // One pass over the audit's keys, in their order, goal last (as `{ ...rest, goal }` puts it):
  // the same JSON as spreading and deleting, without the copies and the slow deleted-key objects.
  const body: Record<string, unknown> = {};
  const fields = audit as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key === 'episodeId' || key === 'runId' || key === 'goal') continue;
    if (row && ROW_FIELD_SET.has(key) && row[key as (typeof ROW_FIELDS)[number]] === fields[key]) continue;
    body[key] = fields[key];
  }
  const { goal } = audit;
  body.goal = { ...goal, items: undefined };
  const goalItems = JSON.stringify(goal.items);
  return {
    body: JSON.stringify(body),
    goalKey: goalItemsKey(goalItems),
    goalItems,
    faultCause: auditFaultCause(audit),
    confidentFailure: auditConfidentFailure(audit),
  };
}

/**
 * Decode a stored audit: the row fields, then the body (which wins where it kept a field), then the
 * goal items (from their shared row; a body stored before issue 16 holds the whole audit inline).
 * Validated; a newer schemaVersion is refused, not misread.
 */
export function decodeEpisodeAudit(body: string, row: AuditRowFields, goalItems?: string | null): EpisodeAudit {
  const stored = JSON.parse(body) as Record<string, unknown> & { goal?: Record<string, unknown> };
  const version = stored.schemaVersion;
  if (typeof version === 'number' && version > AUDIT_SCHEMA_VERSION) {
    throw new GroundworkError(
      'SCHEMA_VERSION',
      `the audit of episode ${row.episodeId} has schema version ${version}, newer than this Groundwork (${AUDIT_SCHEMA_VERSION})`,
      { hint: 'upgrade Groundwork, or run groundwork audit again' },
    );
  }
  const goal = stored.goal && goalItems != null ? { ...stored.goal, items: JSON.parse(goalItems) } : stored.goal;
  const rowFields = Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined && value !== null));
  return episodeAuditSchema.parse({ ...rowFields, ...stored, goal });
}

/** Content key of a goal-items JSON text. */
export function goalItemsKey(goalItemsJson: string): string {
  // Every audit of a task carries the same items: hash each distinct text once (a bounded memo of a pure function).
  let key = goalKeys.get(goalItemsJson);
  if (key === undefined) {
    if (goalKeys.size >= GOAL_KEYS_KEPT) goalKeys.clear();
    key = createHash('sha256').update(goalItemsJson).digest('base64url');
    goalKeys.set(goalItemsJson, key);
  }
  return key;
}

/** Goal-items texts whose key `goalItemsKey` keeps (one per task of the runs in progress). */
const GOAL_KEYS_KEPT = 4096;
const goalKeys = new Map<string, string>();

/** The indexed fault cause of an audit: the attributed cause of a failed episode, or null. */
export function auditFaultCause(audit: Pick<EpisodeAudit, 'fault'>): string | null {
  return audit.fault?.cause ?? null;
}

/** The indexed confident-failure flag of an audit. */
export function auditConfidentFailure(audit: Pick<EpisodeAudit, 'confidentFailure'>): boolean {
  return audit.confidentFailure === true;
}
