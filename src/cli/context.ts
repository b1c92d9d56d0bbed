import { resolve } from 'node:path';
import { isPostgresLocation, openStore as openStoreAt, redactStoreLocation } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { GroundworkError } from '../errors.ts';
import { PROBE_PACK_NAMES, type ProbePackName } from '../schema/probe.ts';

/** Default database path (relative to the working directory). */
export const DEFAULT_DB = '.groundwork/groundwork.db';

/**
 * The store named by --store/--db (or GROUNDWORK_STORE, GROUNDWORK_DB, or the default): a
 * PostgreSQL URL as given, else an absolute SQLite path.
 */
export function resolveStoreLocation(store: string | undefined): string {
  const location = store ?? process.env.GROUNDWORK_STORE ?? process.env.GROUNDWORK_DB ?? DEFAULT_DB;
  return isPostgresLocation(location) ? location : resolve(location.startsWith('sqlite:') ? location.slice(7) : location);
}

/** The old name of `resolveStoreLocation`. */
export const resolveDbPath = resolveStoreLocation;

/** Open the store named by --store/--db (or GROUNDWORK_STORE, GROUNDWORK_DB, or the default). */
export async function openStore(store: string | undefined): Promise<Store> {
  return openStoreWithClearErrors(resolveStoreLocation(store), false);
}

/**
 * Open the store for a command that only reads (`runs`, `show`, `report`, `compare`, `view`,
 * `export`, `experience list`): read-only, never created — a missing database is one error line.
 */
export async function openStoreReadOnly(store: string | undefined): Promise<Store> {
  return openStoreWithClearErrors(resolveStoreLocation(store), true);
}

/**
 * Opens a store; a malformed PostgreSQL URL or a server that cannot be reached is one error line
 * naming host:port (never the password) with a hint, before anything is written.
 */
async function openStoreWithClearErrors(location: string, readOnly: boolean): Promise<Store> {
  if (!isPostgresLocation(location)) return openStoreAt(location, { readOnly });
  const url = parsePostgresUrl(location);
  try {
    return await openStoreAt(location, { readOnly });
  } catch (error) {
    const password = url.password ? decodeURIComponent(url.password) : '';
    const scrub = (text: string) => (password ? text.split(password).join('***') : text);
    if (GroundworkError.isInstance(error)) {
      if (!password || !`${error.message} ${error.hint ?? ''}`.includes(password)) throw error;
      throw new GroundworkError(error.code, scrub(error.message), { ...(error.hint ? { hint: scrub(error.hint) } : {}) });
    }
    const where = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
    const detail = scrub((error as Error).message || String((error as NodeJS.ErrnoException).code ?? error));
    throw new GroundworkError(
      'STORE_FAILED',
      `cannot open the PostgreSQL store at ${where} (database ${decodeURIComponent(url.pathname.slice(1))}${url.username ? `, user ${decodeURIComponent(url.username)}` : ''}): ${detail}`,
      { hint: 'check that the server runs and accepts connections, and the user, password and database in --store (or $GROUNDWORK_STORE)' },
    );
  }
}

/** A PostgreSQL store URL, or one error line showing the expected form. */
function parsePostgresUrl(location: string): URL {
  try {
    const url = new URL(location);
    if (url.pathname.length <= 1) throw new Error('no database name');
    return url;
  } catch {
    throw new GroundworkError('INVALID_ARGUMENT', `not a valid PostgreSQL store URL: ${redactStoreLocation(location)}`, {
      hint: 'use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (percent-encode special characters in the password)',
    });
  }
}

/** `--tasks 5` (first five) or `--tasks id1,id2` (exact ids). */
export function parseTaskSelection(value: string | undefined): { count?: number; ids?: string[] } {
  if (value === undefined) return {};
  if (/^\d+$/.test(value.trim())) {
    const count = Number(value);
    if (count < 1) throw new GroundworkError('INVALID_ARGUMENT', '--tasks must be a count >= 1 or a comma-separated list of task ids');
    return { count };
  }
  const ids = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new GroundworkError('INVALID_ARGUMENT', '--tasks must be a count >= 1 or a comma-separated list of task ids');
  return { ids };
}

/** A probe pack name (`--pack`, `--probes`), or one error line listing the packs. */
export function checkProbePack(name: string): ProbePackName {
  if ((PROBE_PACK_NAMES as readonly string[]).includes(name)) return name as ProbePackName;
  throw new GroundworkError('INVALID_ARGUMENT', `unknown probe pack ${JSON.stringify(name)} (packs: ${PROBE_PACK_NAMES.join(', ')})`, {
    hint: 'see groundwork probes list',
  });
}

/** One line on stderr for a deprecated spelling that still works. */
export function warnDeprecated(old: string, replacement: string): void {
  process.stderr.write(`groundwork: warning: ${old} is deprecated; use ${replacement}\n`);
}

/**
 * The task-file option, spelled `--task-file` by every command; `deprecated` are older spellings
 * (hidden options, e.g. `tasksFile` for `--tasks-file`) still accepted with a one-line note.
 */
export function taskFileOption(options: Record<string, unknown>, deprecated: Record<string, string>): string | undefined {
  let value = options.taskFile as string | undefined;
  for (const [key, flag] of Object.entries(deprecated)) {
    const old = options[key] as string | undefined;
    if (old === undefined) continue;
    warnDeprecated(flag, '--task-file');
    if (value !== undefined && value !== old)
      throw new GroundworkError('INVALID_ARGUMENT', `${flag} and --task-file name different files`, { hint: 'pass only --task-file' });
    value = old;
  }
  return value;
}

/** Write a JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
