/**
 * τ²'s db_query.py semantics: constraint queries over a table (`field`, `field__gt`...) and the
 * text `query_database_tool` prints, which most read tools return verbatim.
 */
import type { JsonObject } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import { PyException, PyJsonError, type PyValue, pyCompare, pyJsonLoads, pyStr } from './py.ts';
import { recordFloats } from './tables.ts';

/** Python `a == b` on JSON values (1 == 1.0 == True; dicts and lists element-wise). */
export function pyEquals(a: unknown, b: unknown): boolean {
  // Fast path: the common string-to-string comparison of a query.
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const x = pyNumber(a);
  const y = pyNumber(b);
  if (x !== undefined || y !== undefined) return x !== undefined && y !== undefined && x === y;
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => pyEquals(item, b[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && pyEquals((a as JsonObject)[k], (b as JsonObject)[k]));
}

/** A number, bigint or bool as Python compares it numerically; anything else undefined. */
function pyNumber(v: unknown): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'bigint' || typeof v === 'boolean' ? Number(v) : undefined;
}

/** Python `needle in haystack`. */
function pyContains(haystack: unknown, needle: unknown): boolean {
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') throw new PyException('TypeError', "'in <string>' requires string as left operand");
    return haystack.includes(needle);
  }
  if (Array.isArray(haystack)) return haystack.some((item) => pyEquals(item, needle));
  if (haystack !== null && typeof haystack === 'object') return typeof needle === 'string' && Object.hasOwn(haystack, needle);
  throw new PyException('TypeError', 'argument of type is not iterable');
}

const OPS: Record<string, (actual: unknown, expected: unknown) => boolean> = {
  eq: pyEquals,
  ne: (a, b) => !pyEquals(a, b),
  gt: (a, b) => pyCompare(a, '>', b),
  gte: (a, b) => pyCompare(a, '>=', b),
  lt: (a, b) => pyCompare(a, '<', b),
  lte: (a, b) => pyCompare(a, '<=', b),
  contains: (a, b) => (a === null || a === undefined ? false : pyContains(a, b)),
  startswith: (a, b) => (a === null || a === undefined ? false : pyStr(a as PyValue).startsWith(pyStr(b as PyValue))),
  endswith: (a, b) => (a === null || a === undefined ? false : pyStr(a as PyValue).endsWith(pyStr(b as PyValue))),
  in: (a, b) => pyContains(b, a),
  nin: (a, b) => !pyContains(b, a),
};

/** Whether a record meets every constraint (a failing comparison is a non-match, as in τ²). */
export function recordMatches(record: JsonObject, constraints: Record<string, PyValue>): boolean {
  return matchesAll(record, compileConstraints(constraints));
}

/** A constraint read once per query: the field, its operator (`field__op`, default `eq`) and the value. */
interface Constraint {
  field: string;
  op: (actual: unknown, expected: PyValue) => boolean;
  expected: PyValue;
}

function compileConstraints(constraints: Record<string, PyValue>): Constraint[] {
  return Object.entries(constraints).map(([key, expected]) => {
    const split = key.lastIndexOf('__');
    return { field: split >= 0 ? key.slice(0, split) : key, op: OPS[split >= 0 ? key.slice(split + 2) : 'eq'] ?? OPS.eq, expected };
  });
}

function matchesAll(record: JsonObject, constraints: readonly Constraint[]): boolean {
  for (const { field, op, expected } of constraints) {
    try {
      if (!op(record[field], expected)) return false;
    } catch (error) {
      if (error instanceof PyException && (error.kind === 'TypeError' || error.kind === 'ValueError')) return false;
      throw error;
    }
  }
  return true;
}

/** `[id, record]` pairs of a table matching the constraints, in table order. */
export function queryTable(state: TableState, table: string, constraints: Record<string, PyValue>): [string, JsonObject][] {
  const compiled = compileConstraints(constraints);
  return (state.entries(table) as [string, JsonObject][]).filter(([, record]) => matchesAll(record, compiled));
}

/** The record listing `query_database_tool` prints (after its "Found N record(s)" header). */
export function formatRecords(state: TableState, table: string, rows: readonly [string, JsonObject][]): string {
  const lines = [`Found ${rows.length} record(s) in '${table}':\n`];
  rows.forEach(([id, record], i) => {
    lines.push(`${i + 1}. Record ID: ${id}`);
    const floats = recordFloats(state, table, id);
    for (const [field, value] of Object.entries(record)) lines.push(`   ${field}: ${pyStr(value as PyValue, floats(field))}`);
    lines.push('');
  });
  return lines.join('\n');
}

/**
 * τ²'s `query_database_tool(table, f'{{"<field>": "<value>"}}')`: the constraint JSON is built by
 * string interpolation, so a value with quotes changes the query (or breaks the JSON) as it does there.
 */
export function queryByField(state: TableState, table: string, field: string, value: PyValue | undefined): string {
  return queryDatabaseText(state, table, `{"${field}": "${pyStr(value ?? null)}"}`);
}

/** `query_database_tool(table, constraintsJson)`. */
export function queryDatabaseText(state: TableState, table: string, constraintsJson: string): string {
  let constraints: PyValue;
  try {
    constraints = constraintsJson ? pyJsonLoads(constraintsJson, false) : {};
  } catch (error) {
    if (error instanceof PyJsonError) return `Error: Invalid JSON: ${error.message}`;
    throw error;
  }
  if (constraints === null || typeof constraints !== 'object' || Array.isArray(constraints)) {
    return `Error querying database: query_db() argument after ** must be a mapping, not ${Array.isArray(constraints) ? 'list' : typeof constraints}`;
  }
  const rows = queryTable(state, table, constraints);
  if (rows.length === 0) return `No records found in '${table}'.`;
  return formatRecords(state, table, rows);
}

/** τ²'s checks on a query's text: "No records found" / "No results found" mean nothing matched. */
export function foundNothing(text: string): boolean {
  return text.includes('No records found') || text.includes('No results found');
}
