/**
 * What every discoverable tool implementation shares: Python-style argument binding (τ² calls the
 * method with `**arguments`), the fixed clock of the domain, record access with Python's dict
 * semantics, and the texts τ² shows for a tool (`format_discoverable_tool_for_agent`).
 */
import type { JsonObject } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { DiscoverableToolSpec } from './catalog.ts';
import { pyReprString } from '../../tau-bench/py-format.ts';
import { foundNothing, queryByField } from './db-query.ts';
import { BANKING_TABLE_NAMES, NUMBER_KINDS_TABLE, RECORD_FLOATS } from './tables.ts';
import { PyException, PyJsonError, type PyValue, pyFloat, pyJsonLoads, pyStr, pyStrMethod, pyTitle, pyTruthy, pyTypeName } from './py.ts';

/** Arguments after binding: every parameter of the signature present (defaults filled in). */
export type Args = Readonly<Record<string, PyValue>>;

/** A discoverable tool's body: returns the text τ² returns; throws PyException where Python raises. */
export type DiscoverableImpl = (state: TableState, args: Args) => string;

/** The domain's locked clock (utils.py): every scenario happens at 2025-11-14 03:40 EST. */
export const TODAY = '11/14/2025';
export const NOW_ISO = '2025-11-14T03:40:00';
const NOW_MS = Date.UTC(2025, 10, 14, 3, 40, 0);
const TODAY_MS = Date.UTC(2025, 10, 14);

/** `str(x)` for interpolating an argument into a message (arguments' numbers are floats). */
export const s = (value: PyValue | undefined): string => pyStr(value ?? null);

/**
 * Python's binding of `method(**args)`: TypeError for a non-mapping, an unexpected keyword or
 * missing required parameters, with CPython's wording (`qualname` e.g. `KnowledgeTools.freeze_debit_card_3892`).
 */
export function bindArguments(qualname: string, spec: DiscoverableToolSpec, args: PyValue): Args {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    // CPython names the function with its module here (and only here).
    throw new PyException(
      'TypeError',
      `tau2.domains.banking_knowledge.tools.${qualname}() argument after ** must be a mapping, not ${pyTypeName(args)}`,
    );
  }
  const names = new Set(spec.signature.map((p) => p.name));
  for (const key of Object.keys(args)) {
    if (!names.has(key)) throw new PyException('TypeError', `${qualname}() got an unexpected keyword argument '${key}'`);
  }
  const missing = spec.signature.filter((p) => !('default' in p) && !Object.hasOwn(args, p.name)).map((p) => `'${p.name}'`);
  if (missing.length > 0) {
    const list =
      missing.length === 1
        ? missing[0]
        : missing.length === 2
          ? missing.join(' and ')
          : `${missing.slice(0, -1).join(', ')}, and ${missing.at(-1)}`;
    throw new PyException(
      'TypeError',
      `${qualname}() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${list}`,
    );
  }
  const bound: Record<string, PyValue> = {};
  for (const p of spec.signature) bound[p.name] = Object.hasOwn(args, p.name) ? args[p.name] : ((p.default ?? null) as PyValue);
  return bound;
}

/** `format_discoverable_tool_for_agent`: the tool's name, description and parameter lines. */
export function formatToolForAgent(spec: DiscoverableToolSpec): string {
  const params = spec.parameters.map((p) => `  - ${p.name}: ${p.type}${p.required ? ' (required)' : ' (optional)'} - ${p.description}`);
  return `Tool: ${spec.name}\nDescription: ${spec.description}\nParameters:\n${params.length > 0 ? params.join('\n') : '  (no parameters)'}`;
}

/** The key Python would use for `key in table` / `table.get(key)`: only strings match; lists and dicts are unhashable. */
function dictKey(key: PyValue | undefined): string | undefined {
  if (key !== null && typeof key === 'object') throw new PyException('TypeError', `unhashable type: '${pyTypeName(key)}'`);
  return typeof key === 'string' ? key : undefined;
}

/** `key in db.<table>.data`. */
export function hasRecord(state: TableState, table: string, key: PyValue | undefined): boolean {
  const k = dictKey(key);
  return k !== undefined && state.has(table, k);
}

/** `db.<table>.data.get(key)` for reading. */
export function getRecord(state: TableState, table: string, key: PyValue | undefined): JsonObject | undefined {
  const k = dictKey(key);
  return k === undefined ? undefined : (state.get(table, k) as JsonObject | undefined);
}

/** `db.<table>.data[key]` about to be changed in place. */
export function editRecord(state: TableState, table: string, key: string): JsonObject {
  const record = state.mutable(table, key) as JsonObject | undefined;
  if (!record) throw new PyException('KeyError', `'${key}'`);
  return record;
}

/** τ²'s `add_to_db`: false (and no change) when the id exists; the id is `str()` of what the tool computed. */
export function addRecord(state: TableState, table: string, key: string, record: JsonObject): boolean {
  if (state.has(table, key)) return false;
  state.put(table, key, record);
  return true;
}

/** Python `dict.get(field, default)` on a record (JSON `undefined` -> default). */
export function field(record: JsonObject, name: string, fallback: PyValue = null): PyValue {
  const value = record[name];
  return value === undefined ? fallback : (value as PyValue);
}

/** `_parse_balance`: numbers as floats, strings like "$2,850.00" parsed (ValueError when not a number), else 0. */
export function parseBalance(value: PyValue | undefined): number {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return pyFloat(value);
  if (typeof value === 'string') return pyFloat(value.replaceAll('$', '').replaceAll(',', ''));
  return 0;
}

/** `_get_account_balance`: `current_holdings`, else `balance`, else 0. */
export function accountBalance(account: JsonObject): number {
  return parseBalance(field(account, 'current_holdings', field(account, 'balance', 0)));
}

/** `datetime.strptime(text, "%m/%d/%Y")` as UTC milliseconds; ValueError when it does not parse. */
export function parseMdy(text: PyValue): number {
  if (typeof text !== 'string') throw new PyException('TypeError', `strptime() argument 1 must be str, not ${pyTypeName(text)}`);
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const month = match ? Number(match[1]) : 0;
  const day = match ? Number(match[2]) : 0;
  const year = match ? Number(match[3]) : 0;
  const ms = Date.UTC(year, month - 1, day);
  const valid = match && month >= 1 && month <= 12 && day >= 1 && new Date(ms).getUTCDate() === day;
  if (!valid) throw new PyException('ValueError', `time data ${pyReprString(text)} does not match format '%m/%d/%Y'`);
  return ms;
}

/** `(get_now() - date_opened).days`: whole days, floored (the clock is at 03:40). */
export function daysSinceNow(dateMs: number): number {
  return Math.floor((NOW_MS - dateMs) / 86_400_000);
}

/** `(strptime(today) - date_opened).days`. */
export function daysSinceToday(dateMs: number): number {
  return Math.floor((TODAY_MS - dateMs) / 86_400_000);
}

/** `value in [...]` for a list of strings. */
export const isOneOf = (value: PyValue, options: readonly string[]): boolean => typeof value === 'string' && options.includes(value);

/** `.replace('_', ' ').title()`. */
export const display = (value: PyValue): string => pyTitle(pyStrMethod(value, 'replace').replaceAll('_', ' '));

/** The read tools that run one `query_database_tool` and wrap its text with a header. */
export function historyTool(options: {
  name: string;
  headline: string;
  argument: string;
  table: string;
  field: string;
  subject: (value: string) => string;
  empty: string;
}): DiscoverableImpl {
  return (state, args) => {
    const value = args[options.argument];
    if (!pyTruthy(value)) return `Error: Missing required parameter: ${options.argument}`;
    const result = queryByField(state, options.table, options.field, value);
    const parts = [options.headline, '', `Executed: ${options.name}`, options.subject(s(value))];
    parts.push(foundNothing(result) ? options.empty : result);
    return parts.join('\n');
  };
}

/** Whole numbers discoverable tools compute as Python ints; every other number they store comes from float arguments. */
const COMPUTED_INTS = new Set([
  'requested_increase_amount',
  'daily_atm_limit',
  'daily_purchase_limit',
  'original_atm_limit',
  'original_purchase_limit',
  'pin_attempts_remaining',
]);

/**
 * After a discoverable call: τ² parsed its arguments with `parse_int=float`, so a whole number the
 * call stored from them (say a number given for `account_class`) is a float and prints `7.0` later.
 * Records it in `_py_number_kinds` for the fields `RECORD_FLOATS` takes for ints. `before` is a fork
 * taken before the call.
 */
export function noteArgumentFloats(state: TableState, before: TableState): void {
  const changes = state.changesFromBase();
  for (const table of BANKING_TABLE_NAMES) {
    for (const [key, after] of Object.entries(changes[table] ?? {})) {
      if (after === null) continue;
      const previous = before.get(table, key) as JsonObject | undefined;
      // Records the call did not write are still the very same object in both views.
      if (previous === after) continue;
      const floats: JsonObject = {};
      for (const [name, value] of Object.entries(after)) {
        const changed = previous === undefined || previous[name] !== value;
        if (changed && typeof value === 'number' && Number.isInteger(value) && !RECORD_FLOATS(name) && !COMPUTED_INTS.has(name)) {
          floats[name] = { value, float: true };
        }
      }
      if (Object.keys(floats).length === 0) continue;
      const kindKey = `${table}/${key}`;
      state.put(NUMBER_KINDS_TABLE, kindKey, { ...(state.get(NUMBER_KINDS_TABLE, kindKey) as JsonObject | undefined), ...floats });
    }
  }
}

/**
 * The `arguments` JSON string of the discoverable-tool calls, parsed as τ² parses it (`intsAsFloats`:
 * `parse_int=float`); invalid JSON is τ²'s error text for the agent or user.
 */
export function parseToolArguments(argumentsJson: string, intsAsFloats: boolean): { args: PyValue } | { error: string } {
  try {
    return { args: pyJsonLoads(argumentsJson, intsAsFloats) };
  } catch (error) {
    if (error instanceof PyJsonError) return { error: `Error: Invalid JSON in arguments: ${error.message}` };
    throw error;
  }
}
