import { syncDirectory } from '../util/sync-directory.ts';
import { existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino, { type Logger } from 'pino';
import { GroundworkError } from '../errors.ts';

/** A run's log and where it is written. */
export interface RunLog {
  logger: Logger;
  path: string;
}

/**
 * The run's log: JSON lines next to the database (`logs/RUN_ID.log`). Everything logged is
 * already redacted (model events go through the hub's redactor); no config field holds a key.
 */
export function openRunLog(dbPath: string, runId: string): RunLog {
  const dir = join(dirname(dbPath), 'logs');
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
