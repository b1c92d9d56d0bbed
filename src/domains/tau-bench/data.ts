import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { GroundworkError } from '../../errors.ts';
import { type JsonObject, type JsonValue, jsonValueSchema } from '../../schema/json.ts';
import { freezeTables, type Tables } from '../../state/table-state.ts';
import { tau2TaskRecordSchema, type Tau2TaskRecord } from '../tau2-bench/task-format.ts';
import { parseOrderedJson } from './ordered-json.ts';
import type { TauWorld } from './world.ts';

/** The repository root (three levels above this file). */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/**
 * Where the published benchmark data lives: `dataDir` if given, else `$GROUNDWORK_BENCHMARKS_DIR`,
 * else `../shared/benchmarks` next to the repository.
 */
export function benchmarksDir(dataDir?: string): string {
  return path.resolve(dataDir ?? process.env.GROUNDWORK_BENCHMARKS_DIR ?? path.join(REPO_ROOT, '..', 'shared', 'benchmarks'));
}

/**
 * The folder of one benchmark domain (`tau-bench/retail`...). `dataDir` may be the benchmarks root
 * or the domain folder itself.
 */
export function domainDir(dataDir: string | undefined, sub: string, marker: string): string {
  const root = benchmarksDir(dataDir);
  for (const candidate of [path.join(root, sub), root]) {
    if (existsSync(path.join(candidate, marker))) return candidate;
  }
  throw new GroundworkError('INVALID_ARGUMENT', `benchmark data not found: no ${path.join(sub, marker)} under ${root}`, {
    hint: 'pass dataDir (--data) pointing at the benchmarks folder, or set GROUNDWORK_BENCHMARKS_DIR',
  });
}

/** Read a JSON file; GroundworkError with the path when missing or invalid. */
export function readJsonFile(file: string, keyOrder?: WeakMap<object, readonly string[]>): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GroundworkError('INVALID_ARGUMENT', `cannot read ${file}`, { cause: error, hint: 'check the data directory and file name' });
  }
  try {
    return keyOrder ? parseOrderedJson(text, keyOrder).value : JSON.parse(text);
  } catch (error) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `${file} is not valid JSON: ${(error as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`,
      { cause: error, hint: 'fix the JSON at that position' },
    );
  }
}

/** Load τ-bench v1 tables (one JSON file per table) into a frozen world. */
export function loadV1World(dir: string, tableNames: readonly string[]): TauWorld {
  const keyOrder = new WeakMap<object, readonly string[]>();
  const tables: Tables = {};
  for (const name of tableNames) tables[name] = readJsonFile(path.join(dir, `${name}.json`), keyOrder) as Record<string, JsonObject>;
  return { base: freezeTables(tables), keyOrder };
}

/** τ²'s Order model has these optional fields; model_dump prints them as null. */
const TAU2_ORDER_OPTIONALS = [
  'cancel_reason',
  'exchange_items',
  'exchange_new_items',
  'exchange_payment_method_id',
  'exchange_price_difference',
  'return_items',
  'return_payment_method_id',
];

/** Load τ²-bench retail's `db.json` into a frozen world (orders completed with τ²'s null optionals). */
export function loadTau2RetailWorld(dir: string): TauWorld {
  const keyOrder = new WeakMap<object, readonly string[]>();
  const db = readJsonFile(path.join(dir, 'db.json'), keyOrder) as Record<string, Record<string, JsonObject>>;
  for (const order of Object.values(db.orders ?? {})) {
    for (const field of TAU2_ORDER_OPTIONALS) if (!(field in order)) order[field] = null;
  }
  const tables: Tables = { orders: db.orders, products: db.products, users: db.users };
  return { base: freezeTables(tables), keyOrder };
}

/** JSON object of tool arguments: a record, never an array (τ-bench's `kwargs`, τ²'s `arguments`). */
const argumentsSchema = z.record(z.string(), jsonValueSchema);

/** One τ-bench v1 task as published (tasks_*.json); extra keys (e.g. `annotator`) are ignored. */
const v1TaskRecordSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  user_id: z.string().min(1),
  instruction: z.string().min(1),
  actions: z.array(z.looseObject({ name: z.string().min(1), kwargs: argumentsSchema.optional() })),
  outputs: z.array(z.string()).optional(),
});

/** One τ-bench v1 task as published (tasks_*.json). */
export interface V1TaskRecord {
  index: number;
  user_id: string;
  instruction: string;
  actions: { name: string; kwargs?: Record<string, JsonValue> }[];
  outputs: string[];
}

/** One τ²-bench task as published (tasks.json): τ²'s whole task record (src/domains/tau2-bench/task-format.ts). */
export type { Tau2TaskRecord } from '../tau2-bench/task-format.ts';

/** `actions[0].kwargs` from a zod path below one record. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(record)';
}

/**
 * Validates every record of a task file before any task is built, so a malformed file fails in one
 * line naming the file, the record index and the field, and never reaches a stored run.
 */
function checkTaskRecords<T>(
  file: string,
  raw: unknown,
  schema: z.ZodType<T>,
  idOf: (record: T) => string | number,
  idField: string,
  format: string,
): T[] {
  const hint = `fix the task file; expected a JSON array of ${format}`;
  if (!Array.isArray(raw))
    throw new GroundworkError('INVALID_ARGUMENT', `${file}: not a task file: the top level is not a JSON array`, { hint });
  if (raw.length === 0) throw new GroundworkError('INVALID_ARGUMENT', `${file}: the task file holds no tasks`, { hint });
  const records: T[] = [];
  const seen = new Map<string | number, number>();
  for (let i = 0; i < raw.length; i++) {
    const parsed = schema.safeParse(raw[i]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `${file}: record ${i}: ${fieldPath(issue.path)}: ${issue.message.replace(/\s+/g, ' ')}`,
        {
          hint,
        },
      );
    }
    const id = idOf(parsed.data);
    const first = seen.get(id);
    if (first !== undefined)
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `${file}: record ${i}: ${idField}: duplicate task id ${JSON.stringify(id)} (also record ${first})`,
        {
          hint: 'give every task its own id',
        },
      );
    seen.set(id, i);
    records.push(parsed.data);
  }
  return records;
}

/** Read a τ-bench v1 task file, checking every record. */
export function readV1Tasks(file: string): V1TaskRecord[] {
  const records = checkTaskRecords(
    file,
    readJsonFile(file),
    v1TaskRecordSchema,
    (t) => t.index,
    'index',
    '{index, user_id, instruction, actions: [{name, kwargs}], outputs: [string]}',
  );
  return records.map((t) => ({ ...t, outputs: t.outputs ?? [] }));
}

/** Read a τ²-bench task file, checking every record. */
export function readTau2Tasks(file: string): Tau2TaskRecord[] {
  return checkTaskRecords(
    file,
    readJsonFile(file),
    tau2TaskRecordSchema,
    (t) => t.id,
    'id',
    '{id, user_scenario: {persona, instructions}, initial_state, evaluation_criteria: {actions, communicate_info, nl_assertions, reward_basis}}',
  );
}
