import { resolve } from 'node:path';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { GroundworkError } from '../errors.ts';

/** Default database path (relative to the working directory). */
export const DEFAULT_DB = '.groundwork/groundwork.db';

/** The database path named by --db (or GROUNDWORK_DB, or the default), absolute. */
export function resolveDbPath(db: string | undefined): string {
  return resolve(db ?? process.env.GROUNDWORK_DB ?? DEFAULT_DB);
}

/** Open the store named by --db (or GROUNDWORK_DB, or the default). */
export function openStore(db: string | undefined): Store {
  return SqliteStore.open(resolveDbPath(db));
}

/** Parse a positive integer option, with a clear error naming the option. */
export function positiveInt(name: string, min = 1): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new GroundworkError('INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** Parse an integer option (any sign). */
export function integer(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new GroundworkError('INVALID_ARGUMENT', `${name} must be an integer, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** Collect a repeatable option; commas also separate values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

/** `--tasks 5` (first five) or `--tasks id1,id2` (exact ids). */
export function parseTaskSelection(value: string | undefined): { count?: number; ids?: string[] } {
  if (value === undefined) return {};
  if (/^\d+$/.test(value.trim())) {
    const count = Number(value);
    if (count < 1) throw new GroundworkError('INVALID_ARGUMENT', '--tasks must be a count >= 1 or a comma-separated list of task ids');
    return { count };
  }
  const ids = value.split(',').map((v) => v.trim()).filter(Boolean);
  if (ids.length === 0) throw new GroundworkError('INVALID_ARGUMENT', '--tasks must be a count >= 1 or a comma-separated list of task ids');
  return { ids };
}

/** Write a JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
