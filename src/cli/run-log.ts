import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino, { type Logger } from 'pino';

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
  const logger = pino(
    { base: { runId }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: path, sync: true, append: true }),
  );
  return { logger, path };
}
