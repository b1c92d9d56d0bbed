/**
 * τ²'s banking_knowledge transactional database (`db.json`, `TransactionalDB` in data_model.py) as
 * tables of our TableState: one table per τ² table, records keyed by their id. τ²'s records are
 * free-form dicts, so the record schema is any JSON object.
 *
 * Each τ² table also carries a `notes` string; no tool or task changes it. Notes live in the base
 * table `_notes` (record key: table name) and `tau2DbDump` puts them back.
 *
 * Tables whose names start with `_` are not τ²'s DB (never in `tau2DbDump`): table notes, Python
 * number types (`_py_number_kinds`), and toolkit state τ² keeps outside its DB (`Domain.toolkitTables`,
 * left out of the DB check): which discoverable agent tools are unlocked, and the task's read-log
 * allowlist (τ²'s `read_log_allowlist`, derived from the gold actions).
 */
import { z } from 'zod';
import { type JsonObject, type JsonValue, jsonValueSchema } from '../../../schema/json.ts';
import type { TablePatch } from '../../../schema/task.ts';
import { freezeTables, type Tables, type TableState } from '../../../state/table-state.ts';
import { readFileSync } from 'node:fs';
import { readJsonFile } from '../../tau-bench/data.ts';
import { pyJsonLoads } from './py.ts';
import type { FloatRule, PyValue } from './py.ts';

/** τ²'s tables in `TransactionalDB` field order (the order of its `model_dump`). */
export const BANKING_TABLE_NAMES = [
  'users',
  'accounts',
  'debit_cards',
  'referrals',
  'credit_card_applications',
  'user_discoverable_tools',
  'user_discoverable_tool_calls',
  'verification_history',
  'credit_card_transaction_history',
  'cash_back_disputes',
  'bank_account_transaction_history',
  'credit_card_accounts',
  'agent_discoverable_tools',
  'task_config',
  'human_transfer_requests',
  'transaction_disputes',
  'credit_card_orders',
  'debit_card_orders',
  'credit_card_closure_reasons',
  'credit_card_account_flags',
  'credit_limit_increase_requests',
  'payment_history',
  'debit_card_disputes',
] as const;
export type BankingTableName = (typeof BANKING_TABLE_NAMES)[number];

/** Discoverable agent tools the agent has unlocked (τ²'s in-memory `_agent_discoverable_tools_state`). */
export const UNLOCKED_TOOLS_TABLE = '_unlocked_agent_tools';
/** Read-only discoverable tools whose calls are logged (τ²'s `read_log_allowlist`, set per task). */
export const READ_LOG_ALLOWLIST_TABLE = '_read_log_allowlist';

/** One record of any τ² table: a free-form dict. */
const bankingRecordSchema = z.record(z.string(), jsonValueSchema);

/**
 * Numbers of the data whose Python type differs from `RECORD_FLOATS` (a whole `provisional_credit_amount`
 * written `0` in a task file is an int): record key `<table>/<id>`, value: field -> the number and whether
 * it is a float. Applies while the field still holds that number.
 */
export const NUMBER_KINDS_TABLE = '_py_number_kinds';

/** Each τ² table's `notes` (record key: the table name). */
export const NOTES_TABLE = '_notes';

/** Table declarations for `Domain.tables`: τ²'s tables and their notes. */
export const BANKING_TABLES = Object.freeze({
  ...Object.fromEntries(BANKING_TABLE_NAMES.map((name) => [name, bankingRecordSchema])),
  [NOTES_TABLE]: z.strictObject({ notes: z.string() }),
  [NUMBER_KINDS_TABLE]: z.record(z.string(), z.strictObject({ value: z.number(), float: z.boolean() })),
  [UNLOCKED_TOOLS_TABLE]: z.strictObject({ tool_name: z.string(), unlocked_at: z.string() }),
  [READ_LOG_ALLOWLIST_TABLE]: z.record(z.string(), jsonValueSchema),
});

/** Toolkit state τ² keeps outside its DB (`Domain.toolkitTables`). */
export const BANKING_TOOLKIT_TABLES = Object.freeze([UNLOCKED_TOOLS_TABLE, READ_LOG_ALLOWLIST_TABLE]);

/**
 * Numbers under these record fields are Python floats (amounts in the data, fees and amounts the
 * tools store from arguments parsed with `parse_int=float`); every other number is an int.
 */
const FLOAT_FIELDS = new Set([
  'amount',
  'available_amount',
  'hold_amount',
  'disputed_amount',
  'provisional_credit_amount',
  'customer_max_liability_amount',
  'partial_refund_amount',
  'delivery_fee',
  'design_fee',
  'excess_replacement_fee',
  'total_fee',
  'annual_income',
  'arguments',
]);

/** Float rule for stored records: by field name. */
export const RECORD_FLOATS: FloatRule = (key) => key !== undefined && FLOAT_FIELDS.has(key);

/** The exceptions to `RECORD_FLOATS` in a record parsed by `pyJsonLoads` (ints as bigint), or undefined. */
export function numberKindExceptions(record: PyValue): JsonObject | undefined {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    const isFloat = typeof value === 'number';
    if ((typeof value === 'bigint' || (isFloat && Number.isInteger(value))) && isFloat !== RECORD_FLOATS(key)) {
      out[key] = { value: Number(value), float: isFloat };
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The float rule of one stored record (`RECORD_FLOATS` with the record's exceptions). */
export function recordFloats(state: TableState, table: string, id: string): FloatRule {
  const exceptions = state.get(NUMBER_KINDS_TABLE, `${table}/${id}`) as Record<string, { value: number; float: boolean }> | undefined;
  if (!exceptions) return RECORD_FLOATS;
  const record = state.get(table, id) as JsonObject | undefined;
  return (key) => {
    const exception = key !== undefined && Object.hasOwn(exceptions, key) ? exceptions[key] : undefined;
    return exception && record?.[key!] === exception.value ? exception.float : RECORD_FLOATS(key);
  };
}

/** Read db.json into frozen tables (every τ² table present, empty when the file lacks it; notes in `_notes`). */
export function loadBankingTables(dbFile: string): Tables {
  const raw = readJsonFile(dbFile) as Record<string, { data?: Record<string, JsonObject>; notes?: string }>;
  const typed = pyJsonLoads(readFileSync(dbFile, 'utf8'), false) as Record<string, { data?: Record<string, PyValue> }>;
  const tables: Tables = { [NOTES_TABLE]: {}, [NUMBER_KINDS_TABLE]: {} };
  for (const name of BANKING_TABLE_NAMES) {
    tables[name] = { ...(raw[name]?.data ?? {}) };
    tables[NOTES_TABLE][name] = { notes: raw[name]?.notes ?? '' };
    for (const [id, record] of Object.entries(typed[name]?.data ?? {})) {
      const exceptions = numberKindExceptions(record);
      if (exceptions) tables[NUMBER_KINDS_TABLE][`${name}/${id}`] = exceptions;
    }
  }
  return freezeTables(tables);
}

/**
 * τ²'s `db.model_dump()` for a side, from our state. τ²'s user toolkit shares the agent's DB
 * object, so both sides dump the same tables.
 */
export function tau2DbDump(state: TableState, _side: 'agent' | 'user'): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const name of BANKING_TABLE_NAMES) {
    const data: Record<string, JsonValue> = {};
    for (const [key, record] of state.entries(name)) data[key] = record as JsonObject;
    out[name] = { data, notes: (state.get(NOTES_TABLE, name)?.notes as string | undefined) ?? '' };
  }
  return out;
}

/** AddictDict's `update`: nested dicts merge, anything else replaces (keys keep their first position). */
function deepUpdate(target: JsonObject, update: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(update)) {
    const current = out[key];
    const bothObjects =
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value);
    out[key] = bothObjects ? deepUpdate(current as JsonObject, value as JsonObject) : value;
  }
  return out;
}

/**
 * τ²'s `update_db(initialization_data.agent_data)` as a patch of whole records: each given record
 * deep-merged onto the record the state holds (or created). Table notes are not patchable here
 * (no task sets them).
 */
export function initialDataPatch(state: TableState, data: Record<string, JsonValue>, typed?: PyValue): TablePatch {
  const patch: TablePatch = {};
  for (const [table, update] of Object.entries(data)) {
    const rows = (update as { data?: Record<string, JsonObject> } | null)?.data ?? {};
    const typedRows = ((typed as Record<string, { data?: Record<string, PyValue> }> | undefined)?.[table]?.data ?? {}) as Record<
      string,
      PyValue
    >;
    for (const [key, record] of Object.entries(rows)) {
      const current = (patch[table]?.[key] as JsonObject | undefined) ?? (state.get(table, key) as JsonObject | undefined) ?? {};
      (patch[table] ??= {})[key] = deepUpdate(current, record);
      // Python number types of the given fields (the JSON text says int or float), over the record's own.
      const exceptions = numberKindExceptions(typedRows[key] ?? null);
      if (exceptions) {
        const kindKey = `${table}/${key}`;
        const known =
          (patch[NUMBER_KINDS_TABLE]?.[kindKey] as JsonObject | undefined) ??
          (state.get(NUMBER_KINDS_TABLE, kindKey) as JsonObject | undefined);
        (patch[NUMBER_KINDS_TABLE] ??= {})[kindKey] = { ...known, ...exceptions };
      }
    }
  }
  return patch;
}
