import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GroundworkError } from '../../errors.ts';
import type { JsonObject, JsonValue } from '../../schema/json.ts';
import { freezeTables, type Tables } from '../../state/table-state.ts';
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
      { cause: error },
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

/** One τ-bench v1 task as published (tasks_*.json). */
export interface V1TaskRecord {
  index: number;
  user_id: string;
  instruction: string;
  actions: { name: string; kwargs: Record<string, JsonValue> }[];
  outputs: string[];
}

/** One τ²-bench task as published (tasks.json), the fields we use. */
export interface Tau2TaskRecord {
  id: string;
  user_scenario: {
    persona: string | null;
    instructions: {
      domain?: string;
      reason_for_call?: string;
      known_info?: string | null;
      unknown_info?: string | null;
      task_instructions?: string;
    };
  };
  evaluation_criteria: {
    actions: { action_id: string; name: string; arguments: Record<string, JsonValue> }[] | null;
    communicate_info: string[] | null;
    nl_assertions: string[] | null;
    reward_basis: string[];
  } | null;
}

/** Read a τ-bench v1 task file, checking its shape. */
export function readV1Tasks(file: string): V1TaskRecord[] {
  const raw = readJsonFile(file);
  if (
    !Array.isArray(raw) ||
    raw.some(
      (t) =>
        typeof t !== 'object' || t === null || typeof (t as V1TaskRecord).index !== 'number' || !Array.isArray((t as V1TaskRecord).actions),
    )
  ) {
    throw new GroundworkError('INVALID_ARGUMENT', `${file} is not a τ-bench task file`, {
      hint: 'expected a JSON array of {index, user_id, instruction, actions, outputs}',
    });
  }
  return (raw as V1TaskRecord[]).map((t) => ({ ...t, outputs: t.outputs ?? [] }));
}

/** Read a τ²-bench task file, checking its shape. */
export function readTau2Tasks(file: string): Tau2TaskRecord[] {
  const raw = readJsonFile(file);
  if (!Array.isArray(raw) || raw.some((t) => typeof t !== 'object' || t === null || typeof (t as Tau2TaskRecord).id !== 'string')) {
    throw new GroundworkError('INVALID_ARGUMENT', `${file} is not a τ²-bench task file`, {
      hint: 'expected a JSON array of {id, user_scenario, evaluation_criteria}',
    });
  }
  return raw as Tau2TaskRecord[];
}
