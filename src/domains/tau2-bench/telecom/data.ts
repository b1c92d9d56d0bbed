import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { GroundworkError } from '../../../errors.ts';
import type { JsonObject, JsonValue } from '../../../schema/json.ts';
import type { Tables } from '../../../state/table-state.ts';
import { TELECOM_AGENT_KEYS, TELECOM_AGENT_TABLES } from './agent-tables.ts';

/**
 * Reading τ²-bench telecom's data folder (`db.toml`, policies, task files). Records are brought
 * into the shape of τ²'s pydantic models (`TelecomDB.model_validate`): fields in the model's
 * order, defaults filled, so `model_dump` and our records agree field for field.
 */

/** Read a text file of the data folder; GroundworkError naming the file when missing. */
export function readDataFile(dir: string, name: string): string {
  const file = path.join(dir, name);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new GroundworkError('INVALID_ARGUMENT', `cannot read ${file}`, {
      cause: error,
      hint: 'check the τ²-bench telecom data directory',
    });
  }
}

/** Parse a TOML file of the data folder. */
export function readTomlFile(dir: string, name: string): Record<string, unknown> {
  const text = readDataFile(dir, name);
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new GroundworkError('INVALID_ARGUMENT', `${path.join(dir, name)} is not valid TOML: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
}

/** Missing fields of each model take these defaults (τ²'s `Field(default=...)`), in the model's field order. */
type FieldSpec = readonly (readonly [field: string, fallback?: JsonValue])[];

const REQUIRED = undefined;

const MODEL_FIELDS: Record<keyof typeof TELECOM_AGENT_TABLES, FieldSpec> = {
  plans: [['plan_id'], ['name'], ['data_limit_gb'], ['price_per_month'], ['data_refueling_price_per_gb']],
  customers: [
    ['customer_id'],
    ['full_name'],
    ['date_of_birth'],
    ['email'],
    ['phone_number'],
    ['address'],
    ['account_status', 'Pending Verification'],
    ['payment_methods', []],
    ['line_ids', []],
    ['bill_ids', []],
    ['created_at', '2025-01-01'],
    ['last_extension_date', null],
    ['goodwill_credit_used_this_year', 0],
  ],
  lines: [
    ['line_id'],
    ['phone_number'],
    ['status', 'Pending Activation'],
    ['plan_id'],
    ['device_id', null],
    ['data_used_gb', 0],
    ['data_refueling_gb', 0],
    ['roaming_enabled', false],
    ['contract_end_date', null],
    ['last_plan_change_date', null],
    ['last_sim_replacement_date', null],
    ['suspension_start_date', null],
  ],
  bills: [
    ['bill_id'],
    ['customer_id'],
    ['period_start'],
    ['period_end'],
    ['issue_date'],
    ['total_due'],
    ['due_date'],
    ['line_items', []],
    ['status', 'Draft'],
  ],
  devices: [
    ['device_id'],
    ['device_type'],
    ['model'],
    ['imei', null],
    ['is_esim_capable'],
    ['activated', false],
    ['activation_date', null],
    ['last_esim_transfer_date', null],
  ],
};

/** Nested models, in field order. */
const NESTED_FIELDS: Record<string, FieldSpec> = {
  address: [['street'], ['city'], ['state'], ['zip_code']],
  payment_methods: [['method_type'], ['account_number_last_4'], ['expiration_date']],
  line_items: [['description'], ['amount'], ['date'], ['item_type']],
};

/** One record in its model's field order with defaults filled; unknown fields are kept for the schema to refuse. */
function inModelOrder(raw: Record<string, unknown>, spec: FieldSpec, where: string): JsonObject {
  const out: JsonObject = {};
  for (const [field, fallback] of spec) {
    let value = Object.hasOwn(raw, field) ? (raw[field] as JsonValue) : fallback;
    if (value === REQUIRED) throw new GroundworkError('INVALID_ARGUMENT', `${where}: missing field ${field}`);
    const nested = NESTED_FIELDS[field];
    if (nested) {
      const shape = (item: unknown, at: string) => inModelOrder(item as Record<string, unknown>, nested, at);
      value = Array.isArray(value) ? value.map((item, i) => shape(item, `${where}.${field}[${i}]`)) : shape(value, `${where}.${field}`);
    }
    out[field] = value;
  }
  for (const field of Object.keys(raw)) if (!Object.hasOwn(out, field)) out[field] = raw[field] as JsonValue;
  return out;
}

/**
 * The agent-side tables from db.toml's parsed content: each list becomes a table keyed by the
 * record's id, in list order; every record is checked against its schema.
 */
export function telecomAgentTables(db: Record<string, unknown>, file = 'db.toml'): Tables {
  const tables: Tables = {};
  for (const [table, schema] of Object.entries(TELECOM_AGENT_TABLES) as [keyof typeof TELECOM_AGENT_TABLES, z.ZodType][]) {
    const rows = db[table] ?? [];
    if (!Array.isArray(rows)) throw new GroundworkError('INVALID_ARGUMENT', `${file}: ${table} is not a list`);
    const keyField = TELECOM_AGENT_KEYS[table];
    const records: Record<string, JsonObject> = {};
    rows.forEach((row, i) => {
      const where = `${file}: ${table}[${i}]`;
      const record = inModelOrder(row as Record<string, unknown>, MODEL_FIELDS[table], where);
      const parsed = schema.safeParse(record);
      if (!parsed.success)
        throw new GroundworkError(
          'INVALID_ARGUMENT',
          `${where}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
        );
      const key = String(record[keyField]);
      if (Object.hasOwn(records, key)) throw new GroundworkError('INVALID_ARGUMENT', `${where}: duplicate ${keyField} ${key}`);
      records[key] = record;
    });
    tables[table] = records;
  }
  return tables;
}

/** The agent's policy as τ² composes it: main policy and tech-support policy, each in its tag. */
export function composeTelecomPolicy(mainPolicy: string, techSupportPolicy: string): string {
  return `<main_policy>\n${mainPolicy}\n</main_policy>\n<tech_support_policy>\n${techSupportPolicy}\n</tech_support_policy>`;
}
