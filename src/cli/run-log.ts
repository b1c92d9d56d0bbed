import { syncDirectory } from '../util/sync-directory.ts';
import { existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { GroundworkError } from '../errors.ts';
import { isPostgresLocation } from '../store/open-store.ts';

/** A run's log and where it is written. */
export interface RunLog {
  logger: Logger;
  path: string;
}

/** Where run logs go when no directory is given and the store is a server: the working directory's `.groundwork/logs`. */
export const DEFAULT_SERVER_LOG_DIR = '.groundwork/logs';

/**
 * The directory of a store's run logs: `logDir` (--log-dir) or $GROUNDWORK_LOG_DIR when given; else
 * `logs/` beside a SQLite file, or `.groundwork/logs` in the working directory for a PostgreSQL
 * store (a server has no directory of its own here).
 */
export function runLogDir(storeLocation: string, logDir?: string): string {
  const chosen = logDir ?? process.env.GROUNDWORK_LOG_DIR;
  if (chosen) return resolve(chosen);
  return isPostgresLocation(storeLocation) ? resolve(DEFAULT_SERVER_LOG_DIR) : join(dirname(storeLocation), 'logs');
}

/**
 * The run's log: JSON lines in `runLogDir(storeLocation, options.logDir)/RUN_ID.log`. Everything logged is
 * already redacted (model events go through the hub's redactor); no config field holds a key, and
 * the store's location is never logged (a PostgreSQL URL may carry a password).
 */
export function openRunLog(storeLocation: string, runId: string, options: { logDir?: string } = {}): RunLog {
  const dir = runLogDir(storeLocation, options.logDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${runId}.log`);
  const isNew = !existsSync(path);
  const fd = openSync(path, 'a');
  if (isNew) syncDirectory(dir);
  // Written and fsynced line by line, like the database's commits (synchronous=FULL): what was
  // logged survives an I/O error, a kernel crash or power loss, so a failed run's log is not empty.
  const destination = {
    write(line: string): void {
      try {
        const bytes = Buffer.from(line);
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
        fsyncSync(fd);
      } catch (error) {
        throw new GroundworkError('STORE_FAILED', `cannot write the run log ${path}: ${(error as Error).message}`, {
          cause: error,
          hint: `check the disk holding it, then resume: groundwork run --resume ${runId}`,
        });
      }
    },
  };
  const logger = pino({ base: { runId }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return { logger, path };
}
