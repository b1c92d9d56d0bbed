import { jsonEqual, type JsonValue } from '../schema/json.ts';
import type { TableState } from './table-state.ts';

/** A raw field-level change between two states (before a verdict is attached). */
export interface RawFieldChange {
  table: string;
  key: string;
  op: 'create' | 'update' | 'delete';
  /** Dot path of the field; '' for whole-record create/delete. */
  path: string;
  before?: JsonValue;
  after?: JsonValue;
}

/**
 * Field-level diff of `final` against `initial`. Both must be views over the same base, so only
 * records in either overlay are compared (cheap on large databases).
 */
export function diffStates(initial: TableState, final: TableState): RawFieldChange[] {
  const candidates = new Map<string, Set<string>>();
  for (const patch of [initial.changesFromBase(), final.changesFromBase()]) {
    for (const [table, rows] of Object.entries(patch)) {
      const keys = candidates.get(table) ?? new Set<string>();
      for (const key of Object.keys(rows)) keys.add(key);
      candidates.set(table, keys);
    }
  }
  const changes: RawFieldChange[] = [];
  for (const table of [...candidates.keys()].sort()) {
    for (const key of [...candidates.get(table)!].sort()) {
      const before = initial.get(table, key);
      const after = final.get(table, key);
      if (before === undefined && after === undefined) continue;
      if (before === undefined) changes.push({ table, key, op: 'create', path: '', after: after as JsonValue });
      else if (after === undefined) changes.push({ table, key, op: 'delete', path: '', before: before as JsonValue });
      else
        diffValues(before as JsonValue, after as JsonValue, '', (path, b, a) =>
          changes.push({ table, key, op: 'update', path, before: b, after: a }),
        );
    }
  }
  return changes;
}

/** Recurse into objects; arrays and scalars are compared whole. */
function diffValues(
  before: JsonValue,
  after: JsonValue,
  path: string,
  emit: (path: string, before?: JsonValue, after?: JsonValue) => void,
): void {
  if (jsonEqual(before, after)) return;
  const isObject = (v: JsonValue) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const b = before as Record<string, JsonValue>;
    const a = after as Record<string, JsonValue>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    for (const k of keys) {
      const sub = path ? `${path}.${k}` : k;
      if (!(k in a)) emit(sub, b[k], undefined);
      else if (!(k in b)) emit(sub, undefined, a[k]);
      else diffValues(b[k], a[k], sub, emit);
    }
    return;
  }
  emit(path, before, after);
}

/** Value at a dot path inside a record (undefined when missing). */
export function getPath(record: unknown, path: string): JsonValue | undefined {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current as JsonValue | undefined;
}

/** Records whose value in `final` differs from `initial` (null: deleted). Same base required. */
export function changesBetween(initial: TableState, final: TableState): import('../schema/task.ts').TablePatch {
  const patch: Record<string, Record<string, JsonValue | null>> = {};
  const tables = new Set<string>();
  const candidates: [string, string][] = [];
  for (const source of [initial.changesFromBase(), final.changesFromBase()]) {
    for (const [table, rows] of Object.entries(source)) for (const key of Object.keys(rows)) candidates.push([table, key]);
  }
  const seen = new Set<string>();
  for (const [table, key] of candidates.sort((a, b) => (`${a[0]}\u0000${a[1]}` < `${b[0]}\u0000${b[1]}` ? -1 : 1))) {
    const id = `${table}\u0000${key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const before = initial.get(table, key);
    const after = final.get(table, key);
    if (jsonEqual(before, after)) continue;
    tables.add(table);
    (patch[table] ??= {})[key] = after === undefined ? null : (after as JsonValue);
  }
  return patch as import('../schema/task.ts').TablePatch;
}
