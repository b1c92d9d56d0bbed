import { canonicalJson, cloneJson, jsonEqual, shortHash, type JsonObject } from '../schema/json.ts';
import type { TablePatch } from '../schema/task.ts';

/** A domain's data: table name -> record key -> record. */
export type Tables = Record<string, Record<string, JsonObject>>;

const DELETED = Symbol('deleted');
type Slot = JsonObject | typeof DELETED;

/**
 * Copy-on-write view of a domain's tables.
 *
 * The base tables are shared (never mutated) by every episode; a view keeps only the records it
 * changed. Creating a view costs nothing, a write clones one record, and `fork()` copies only the
 * overlay. This is what lets thousands of episodes share one large τ-bench database.
 */
export class TableState {
  private readonly base: Tables;
  /** Hash of the base tables, computed once per base and shared by forks. */
  private readonly baseHash: string;
  private overlay: Map<string, Map<string, Slot>>;
  /** Overlay records this view cloned itself (safe to mutate in place). */
  private owned: Set<JsonObject>;

  private constructor(base: Tables, baseHash: string, overlay: Map<string, Map<string, Slot>>) {
    this.base = base;
    this.baseHash = baseHash;
    this.overlay = overlay;
    this.owned = new Set();
  }

  /** A view over `base`. `baseHash` identifies the base (computed when omitted). */
  static over(base: Tables, baseHash?: string): TableState {
    return new TableState(base, baseHash ?? hashTables(base), new Map());
  }

  /** Table names (base and created). */
  tables(): string[] {
    const names = new Set(Object.keys(this.base));
    for (const name of this.overlay.keys()) names.add(name);
    return [...names];
  }

  /** Read a record (do not mutate it; use `mutable`). */
  get(table: string, key: string): Readonly<JsonObject> | undefined {
    const slot = this.overlay.get(table)?.get(key);
    if (slot === DELETED) return undefined;
    if (slot !== undefined) return slot;
    const rows = this.base[table];
    return rows && Object.hasOwn(rows, key) ? rows[key] : undefined;
  }

  has(table: string, key: string): boolean {
    return this.get(table, key) !== undefined;
  }

  /** Record keys of a table, in base order then creation order. */
  keys(table: string): string[] {
    const baseRows = this.base[table] ?? {};
    const over = this.overlay.get(table);
    const keys = Object.keys(baseRows);
    if (!over) return keys;
    const out: string[] = [];
    for (const key of keys) if (over.get(key) !== DELETED) out.push(key);
    for (const [key, slot] of over) if (slot !== DELETED && !Object.hasOwn(baseRows, key)) out.push(key);
    return out;
  }

  /** All records of a table (read-only). */
  rows(table: string): Readonly<JsonObject>[] {
    return this.keys(table).map((key) => this.get(table, key)!);
  }

  /** A record this view may mutate in place; cloned from the shared copy on first write. */
  mutable(table: string, key: string): JsonObject | undefined {
    const current = this.get(table, key);
    if (current === undefined) return undefined;
    if (this.owned.has(current as JsonObject)) return current as JsonObject;
    const copy = cloneJson(current) as JsonObject;
    this.slots(table).set(key, copy);
    this.owned.add(copy);
    return copy;
  }

  /** Insert or replace a record. */
  put(table: string, key: string, record: JsonObject): void {
    const copy = cloneJson(record);
    this.slots(table).set(key, copy);
    this.owned.add(copy);
  }

  /** Delete a record (no-op when absent). */
  delete(table: string, key: string): void {
    if (!this.has(table, key)) return;
    this.slots(table).set(key, DELETED);
  }

  /** Apply a patch (key -> record, or null to delete). */
  apply(patch: TablePatch): void {
    for (const [table, rows] of Object.entries(patch)) {
      for (const [key, record] of Object.entries(rows)) {
        if (record === null) this.delete(table, key);
        else this.put(table, key, record as JsonObject);
      }
    }
  }

  /** A cheap independent copy: later writes to either do not affect the other. */
  fork(): TableState {
    const overlay = new Map<string, Map<string, Slot>>();
    for (const [table, rows] of this.overlay) overlay.set(table, new Map(rows));
    // Both sides must clone again before writing: their overlay records are now shared.
    this.owned = new Set();
    return new TableState(this.base, this.baseHash, overlay);
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
      for (const key of this.keys(table)) out[table][key] = cloneJson(this.get(table, key)!) as JsonObject;
    }
    return out;
  }

  private slots(table: string): Map<string, Slot> {
    let rows = this.overlay.get(table);
    if (!rows) {
      rows = new Map();
      this.overlay.set(table, rows);
    }
    return rows;
  }
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
