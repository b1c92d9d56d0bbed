import type { z } from 'zod';
import { canonicalJson, cloneJson, jsonEqual, shortHash, type JsonObject } from '../schema/json.ts';
import type { TablePatch } from '../schema/task.ts';

/** A domain's data: table name -> record key -> record. */
export type Tables = Record<string, Record<string, JsonObject>>;

/** A domain's table declarations: table name -> zod schema of one record of that table. */
export type TableSchemas = Readonly<Record<string, z.ZodType<object>>>;

/** The record type of each table of a state: table name -> record. */
export type TableRecords = { [table: string]: object };

/** Record types derived from table schemas (`z.infer` of each table's schema). */
export type RecordsOf<Schemas extends TableSchemas> = { [Table in keyof Schemas & string]: z.infer<Schemas[Table]> };

/** The untyped view generic code works on: any table name, plain JSON records. */
export type UntypedRecords = Record<string, JsonObject>;

/** The table names of a typed state. */
export type TableName<Records extends TableRecords> = keyof Records & string;

/** Plain tables typed by their records: table name -> record key -> record (read-only). */
export type TypedTables<Records extends TableRecords> = {
  readonly [Table in keyof Records]: Readonly<Record<string, Readonly<Records[Table]>>>;
};

const DELETED = Symbol('deleted');
type Slot = JsonObject | typeof DELETED;

/**
 * Copy-on-write view of a domain's tables.
 *
 * The base tables are shared (never mutated) by every episode; a view keeps only the records it
 * changed. Creating a view costs nothing, a write clones one record, and `fork()` copies only the
 * overlay. This is what lets thousands of episodes share one large τ-bench database.
 *
 * `Records` types the tables (a domain's `RecordsOf<typeof tables>`, see `typedState`): table
 * names are checked and records typed. It exists only at compile time: a typed state is the same
 * object as its untyped view, so typing costs nothing and never copies or re-parses a record
 * (stored records keep their key order and numbers exactly). Generic code (grading, audits,
 * diff, store) uses the untyped default.
 */
export class TableState<Records extends TableRecords = UntypedRecords> {
  private readonly base: Tables;
  /** Hash of the base tables, computed once per base and shared by forks. */
  private readonly baseHash: string;
  private overlay: Map<string, Map<string, Slot>>;
  /** Overlay records this view cloned itself (safe to mutate in place). */
  private owned: Set<JsonObject>;
  /** Each overlaid table's rows as `rows` last listed them; dropped when the table's slots change. */
  private listed = new Map<string, readonly JsonObject[]>();

  private constructor(base: Tables, baseHash: string, overlay: Map<string, Map<string, Slot>>) {
    this.base = base;
    this.baseHash = baseHash;
    this.overlay = overlay;
    this.owned = new Set();
  }

  /** A view over `base`. `baseHash` identifies the base (computed when omitted). */
  static over<Records extends TableRecords = UntypedRecords>(base: Tables, baseHash?: string): TableState<Records> {
    return new TableState<Records>(base, baseHash ?? hashTables(base), new Map());
  }

  /** This state through the untyped view (same object, for generic code). */
  untyped(): TableState {
    return this as TableState;
  }

  /** Table names (base and created). */
  tables(): string[] {
    const names = new Set(Object.keys(this.base));
    for (const name of this.overlay.keys()) names.add(name);
    return [...names];
  }

  /** Read a record (do not mutate it; use `mutable`). */
  get<Table extends TableName<Records>>(table: Table, key: string): Readonly<Records[Table]> | undefined {
    return this.record(table, key) as Readonly<Records[Table]> | undefined;
  }

  /** Whether the table has a record under `key`. */
  has(table: TableName<Records>, key: string): boolean {
    return this.record(table, key) !== undefined;
  }

  /** Record keys of a table, in base order then creation order. */
  keys(table: TableName<Records>): string[] {
    const baseRows = this.base[table] ?? {};
    const over = this.overlay.get(table);
    const keys = baseKeys(baseRows);
    if (!over) return keys.slice();
    const out: string[] = [];
    for (const key of keys) if (over.get(key) !== DELETED) out.push(key);
    for (const [key, slot] of over) if (slot !== DELETED && !Object.hasOwn(baseRows, key)) out.push(key);
    return out;
  }

  /**
   * All records of a table, read-only (the array is shared and frozen: listed once per table and
   * kept until the table is written, as tools, grading and audits scan the same tables many times).
   */
  rows<Table extends TableName<Records>>(table: Table): readonly Readonly<Records[Table]>[] {
    const baseRows = this.base[table];
    // The common case (tools scanning a table the episode has not written): the base rows in order.
    if (baseRows && !this.overlay.has(table)) return baseRowList(baseRows) as readonly Readonly<Records[Table]>[];
    let listed = this.listed.get(table);
    if (!listed) {
      listed = Object.freeze(this.keys(table).map((key) => this.record(table, key)!));
      this.listed.set(table, listed);
    }
    return listed as readonly Readonly<Records[Table]>[];
  }

  /** All `[key, record]` pairs of a table (read-only), in `keys` order. */
  entries<Table extends TableName<Records>>(table: Table): [string, Readonly<Records[Table]>][] {
    return this.keys(table).map((key) => [key, this.record(table, key)!] as [string, Readonly<Records[Table]>]);
  }

  /** A record this view may mutate in place; cloned from the shared copy on first write. */
  mutable<Table extends TableName<Records>>(table: Table, key: string): Records[Table] | undefined {
    const current = this.record(table, key);
    if (current === undefined) return undefined;
    if (this.owned.has(current)) return current as Records[Table];
    const copy = cloneJson(current);
    this.slots(table).set(key, copy);
    this.owned.add(copy);
    return copy as Records[Table];
  }

  /** Insert or replace a record (stored as a copy). */
  put<Table extends TableName<Records>>(table: Table, key: string, record: Records[Table]): void {
    this.store(table, key, record as JsonObject);
  }

  /** Delete a record (no-op when absent). */
  delete(table: TableName<Records>, key: string): void {
    if (!this.has(table, key)) return;
    this.slots(table).set(key, DELETED);
  }

  /** Apply a patch (key -> record, or null to delete). */
  apply(patch: TablePatch): void {
    for (const [table, rows] of Object.entries(patch)) {
      for (const [key, record] of Object.entries(rows)) {
        if (record === null) this.delete(table, key);
        else this.store(table, key, record as JsonObject);
      }
    }
  }

  /** A cheap independent copy: later writes to either do not affect the other. */
  fork(): TableState<Records> {
    const overlay = new Map<string, Map<string, Slot>>();
    for (const [table, rows] of this.overlay) overlay.set(table, new Map(rows));
    // Both sides must clone again before writing: their overlay records are now shared.
    this.owned = new Set();
    return new TableState<Records>(this.base, this.baseHash, overlay);
  }

  /** Records whose value differs from the base (null: deleted). Keys sorted for stable output. */
  changesFromBase(): TablePatch {
    const patch: TablePatch = {};
    for (const table of [...this.overlay.keys()].sort()) {
      const rows = this.overlay.get(table)!;
      const baseRows = this.base[table] ?? {};
      for (const key of [...rows.keys()].sort()) {
        const slot = rows.get(key)!;
        const inBase = Object.hasOwn(baseRows, key);
        if (slot === DELETED) {
          if (!inBase) continue;
          (patch[table] ??= {})[key] = null;
        } else if (!inBase || !jsonEqual(slot, baseRows[key])) {
          (patch[table] ??= {})[key] = slot;
        }
      }
    }
    return patch;
  }

  /**
   * Hash of the whole state. Equal states over the same base give equal hashes; the cost is
   * proportional to the number of changed records, not the size of the database.
   */
  hash(): string {
    return shortHash(this.baseHash + canonicalJson(this.changesFromBase()));
  }

  /** The whole state as plain tables (a full copy: for small domains, exports and tests). */
  materialize(): Tables {
    const out: Tables = {};
    for (const table of this.tables()) {
      out[table] = {};
      for (const key of this.keys(table)) out[table][key] = cloneJson(this.record(table, key)!);
    }
    return out;
  }

  /** Store a copy of `record` in this view's overlay. */
  private store(table: string, key: string, record: JsonObject): void {
    const copy = cloneJson(record);
    this.slots(table).set(key, copy);
    this.owned.add(copy);
  }

  /** The stored record (overlay first, then base), untyped. */
  private record(table: string, key: string): JsonObject | undefined {
    const slot = this.overlay.get(table)?.get(key);
    if (slot === DELETED) return undefined;
    if (slot !== undefined) return slot;
    const rows = this.base[table];
    return rows && Object.hasOwn(rows, key) ? rows[key] : undefined;
  }

  /** A table's overlay slots, for a write: the table's listed rows are dropped. */
  private slots(table: string): Map<string, Slot> {
    this.listed.delete(table);
    let rows = this.overlay.get(table);
    if (!rows) {
      rows = new Map();
      this.overlay.set(table, rows);
    }
    return rows;
  }
}

/**
 * A typed view of `state` for a domain's tables (`schemas` gives the types only: nothing is parsed
 * or copied; the result is `state` itself). Use it where untyped generic code hands a domain its
 * state, e.g. in a domain query.
 */
export function typedState<Schemas extends TableSchemas>(state: TableState, _schemas: Schemas): TableState<RecordsOf<Schemas>> {
  return state as unknown as TableState<RecordsOf<Schemas>>;
}

/** Plain tables (e.g. a domain's frozen base) typed by a domain's table schemas; no copy, no parse. */
export function typedTables<Schemas extends TableSchemas>(tables: Tables, _schemas: Schemas): TypedTables<RecordsOf<Schemas>> {
  return tables as unknown as TypedTables<RecordsOf<Schemas>>;
}

// Keys and rows of frozen base tables, listed once: every episode's tools, grading and audits scan
// the same shared base, and `Object.keys` of a large record map is not free. Unfrozen tables are
// listed each time (they may still change).
const frozenKeys = new WeakMap<object, string[]>();
const frozenRows = new WeakMap<object, readonly JsonObject[]>();

/** The records of a table's base rows, in key order (frozen; shared when the base is frozen). */
function baseRowList(rows: Tables[string]): readonly JsonObject[] {
  let list = frozenRows.get(rows);
  if (list) return list;
  list = Object.freeze(baseKeys(rows).map((key) => rows[key]));
  if (Object.isFrozen(rows)) frozenRows.set(rows, list);
  return list;
}

/** The keys of a table's base rows, in their order (never mutate the result). */
function baseKeys(rows: Tables[string]): string[] {
  if (!Object.isFrozen(rows)) return Object.keys(rows);
  let keys = frozenKeys.get(rows);
  if (!keys) {
    keys = Object.keys(rows);
    frozenKeys.set(rows, keys);
  }
  return keys;
}

/** Hash of plain tables. */
export function hashTables(tables: Tables): string {
  return shortHash(canonicalJson(tables));
}

/** Deep-freeze a base so accidental in-place writes throw instead of leaking across episodes. */
export function freezeTables(tables: Tables): Tables {
  deepFreeze(tables);
  return tables;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value as object)) deepFreeze(child);
}
