import { syncDirectory } from '../util/sync-directory.ts';
import { existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { GroundworkError } from '../errors.ts';
import { isPostgresLocation } from '../store/open-store.ts';

/** A run's log and where it is written. */
export interface RunLog {
  logger: Logger;
  path: string;
  /**
   * Puts every line written so far on disk now, or throws why it cannot (a sync that failed
   * before included). The command calls it after its last line; `logger.flush()` does the same
   * without throwing.
   */
  sync(): void;
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
  const fd = openSync(path, 'a+');
  if (isNew) syncDirectory(dir);
  else dropTornTail(fd, path);
  // Each line is written at once, and synced off the main thread: one fsync at a time on libuv's
  // thread pool, covering every line written before it started, so lines logged while one runs
  // share the next. A line is on disk within about two syncs of being written, and a failed run's
  // log is not empty after an I/O error, a kernel crash or power loss. A sync on the main thread
  // per line (before) held the event loop for every stored episode: at c = 256 against a disk that
  // syncs in 1 ms, efficiency fell from 0.87 to 0.63 (docs/scale.md). A failed sync fails the next
  // write, and `sync()`, with its error: later syncs cannot be trusted after one has failed.
  let failure: GroundworkError | undefined;
  let syncing = false;
  let unsynced = false;
  const failed = (error: unknown): GroundworkError =>
    (failure ??= new GroundworkError('STORE_FAILED', `cannot write the run log ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: `check the disk holding it, then resume: groundwork run --resume ${runId}`,
    }));
  const syncInBackground = (): void => {
    unsynced = false;
    syncing = true;
    fsync(fd, (error) => {
      syncing = false;
      if (error) failed(error);
      else if (unsynced && !failure) syncInBackground();
    });
  };
  const sync = (): void => {
    if (failure) throw failure;
    try {
      fsyncSync(fd);
      unsynced = false;
    } catch (error) {
      throw failed(error);
    }
  };
  const destination = {
    write(line: string): void {
      if (failure) throw failure;
      try {
        const bytes = Buffer.from(line);
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      } catch (error) {
        throw failed(error);
      }
      unsynced = true;
      if (!syncing) syncInBackground();
    },
    // pino's logger.flush(cb): the same as sync(), its error handed to the callback.
    flush(done?: (error?: Error) => void): void {
      try {
        sync();
        done?.();
      } catch (error) {
        done?.(error as Error);
      }
    },
  };
  const logger = pino({ base: { runId }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return { logger, path, sync };
}

/**
 * A log cut off by a crash can end in a torn line: part of a line, or zeros where the file system
 * had grown the file but not yet written its data (ext4 after a power loss). Appending after it
 * would leave the damage in the middle of the log; the tail after the last complete line is cut off
 * first (and that cut synced), so a resumed run's log reads as JSON lines again.
 */
function dropTornTail(fd: number, path: string): void {
  try {
    const size = fstatSync(fd).size;
    let end = size;
    const chunk = Buffer.alloc(64 * 1024);
    // Back to the last newline (the end of the last complete line), chunk by chunk.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const read = readSync(fd, chunk, 0, end - start, start);
      const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
      if (newline >= 0) {
        end = start + newline + 1;
        break;
      }
      end = start;
    }
    if (end === size) return;
    ftruncateSync(fd, end);
    fsyncSync(fd);
  } catch (error) {
    throw new GroundworkError('STORE_FAILED', `cannot repair the end of the run log ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the disk holding it, or move the log aside and resume again',
    });
  }
}
