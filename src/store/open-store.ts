import { resolve } from 'node:path';
import { GroundworkError } from '../errors.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** Never create, migrate or write (commands that only read). @default false */
  readOnly?: boolean;
}

/** True for a PostgreSQL URL (`postgres://…` or `postgresql://…`). */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * A store location for messages and logs: a PostgreSQL URL without its password (and without
 * query parameters, which may carry one), or the file path as given.
 */
export function redactStoreLocation(location: string): string {
  if (!isPostgresLocation(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    url.search = '';
    return url.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/**
 * Opens the store at `location`: a PostgreSQL URL (`postgres://user@host:port/db`), a
 * `sqlite:PATH`, or a path to a SQLite file. The server-backed store is loaded only when asked for.
 */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresLocation(location)) {
    const { PostgresStore } = await import('./postgres-store.ts');
    return options.readOnly ? PostgresStore.openReadOnly(location) : PostgresStore.open(location);
  }
  const path = resolve(location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location);
  if (path === '')
    throw new GroundworkError('INVALID_ARGUMENT', 'empty store location', { hint: 'pass --store PATH or --store postgres://…' });
  return options.readOnly ? SqliteStore.openReadOnly(path) : SqliteStore.open(path);
}
