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
 * `cache`: the store's (see `GoalItemsCache`), to reuse the goal items' text.
 */
export function encodeEpisodeAudit(audit: EpisodeAudit, row?: Partial<AuditRowFields>, cache?: GoalItemsCache): EncodedEpisodeAudit {
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
  const { text: goalItems, key: goalKey } = cache ? cache.itemsText(audit.taskId, goal.items) : goalItemsText(goal.items);
  return {
    body: JSON.stringify(body),
    goalKey,
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
  // Hashed once per task and store connection: the store's `GoalItemsCache` keeps the key.
  return createHash('sha256').update(goalItemsJson).digest('base64url');
}

/** The JSON text of goal items and its content key. */
function goalItemsText(items: unknown): { text: string; key: string } {
  const text = JSON.stringify(items);
  return { text, key: goalItemsKey(text) };
}

/**
 * What a store remembers of the goal items it writes (one per store connection):
 *
 * - the text of each task's last goal items, reused while an audit's items equal them as JSON
 *   (`sameJson`, against a private copy nobody else can change): checking costs less than half of
 *   serialising them again;
 * - the keys it has written and committed (audit_goal_items rows are never deleted), so it can skip
 *   writing the same ~2 KB again for every episode of a task: `written` during a transaction,
 *   `commit` once it committed, `rollBack` to a `mark` when a transaction or savepoint rolled back
 *   (its rows are gone), `committed` after a statement that commits on its own.
 *
 * Both bounded: forgotten when full (then computed or written again, which is harmless).
 */
export class GoalItemsCache {
  private readonly stored = new Set<string>();
  private pending: string[] = [];
  private readonly texts = new Map<string, { items: unknown; text: string; key: string }>();

  /** The JSON text of `items` (the goal items of an audit of `taskId`) and its key. */
  itemsText(taskId: string, items: unknown): { text: string; key: string } {
    const last = this.texts.get(taskId);
    if (last && sameJson(items, last.items)) return last;
    const { text, key } = goalItemsText(items);
    if (this.texts.size >= GOAL_ITEMS_CACHED) this.texts.clear();
    this.texts.set(taskId, { items: JSON.parse(text), text, key });
    return { text, key };
  }

  /** Committed by this connection. */
  has(key: string): boolean {
    return this.stored.has(key);
  }
  /** Written by the transaction in progress. */
  written(key: string): void {
    this.pending.push(key);
  }
  /** The point to roll back to. */
  mark(): number {
    return this.pending.length;
  }
  /** Forget what was written since `mark`. */
  rollBack(mark: number): void {
    this.pending.length = Math.min(mark, this.pending.length);
  }
  /** The transaction committed. */
  commit(): void {
    if (this.stored.size + this.pending.length > GOAL_ITEMS_CACHED) this.stored.clear();
    for (const key of this.pending) this.stored.add(key);
    this.pending = [];
  }
  /** A key written (or found stored) by a statement that has committed on its own (no transaction to follow). */
  committed(key: string): void {
    if (this.stored.size >= GOAL_ITEMS_CACHED) this.stored.clear();
    this.stored.add(key);
  }
}

/** Tasks (texts, keys) a store's `GoalItemsCache` remembers. */
const GOAL_ITEMS_CACHED = 4096;

/**
 * Whether `value` serialises to the same JSON as `parsed` (a value JSON.parse made): the same keys
 * in the same order, equal primitives, arrays and plain objects only. Anything JSON.stringify would
 * treat specially (undefined, toJSON, class instances, NaN, holes) differs from what JSON.parse gives,
 * so it answers false, never a wrong true.
 */
export function sameJson(value: unknown, parsed: unknown): boolean {
  // Primitives: JSON.parse never gives undefined, NaN or ±Infinity, which JSON.stringify rewrites.
  if (typeof value !== 'object' || value === null) return value === parsed;
  if (typeof parsed !== 'object' || parsed === null) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(parsed) || value.length !== parsed.length) return false;
    for (let i = 0; i < value.length; i++) if (!sameJson(value[i], parsed[i])) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (Array.isArray(parsed) || (prototype !== Object.prototype && prototype !== null)) return false;
  const keys = Object.keys(value);
  const parsedKeys = Object.keys(parsed);
  if (keys.length !== parsedKeys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key !== parsedKeys[i] || !sameJson((value as Record<string, unknown>)[key], (parsed as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** The indexed fault cause of an audit: the attributed cause of a failed episode, or null. */
export function auditFaultCause(audit: Pick<EpisodeAudit, 'fault'>): string | null {
  return audit.fault?.cause ?? null;
}

/** The indexed confident-failure flag of an audit. */
export function auditConfidentFailure(audit: Pick<EpisodeAudit, 'confidentFailure'>): boolean {
  return audit.confidentFailure === true;
}
