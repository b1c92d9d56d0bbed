import { summariseStoredRun } from '../audit-runner/summarise-stored-run.ts';
import { describeError } from '../errors.ts';
import type { RunAudit } from '../schema/audit.ts';
import { requireRun, type Store } from '../store/store.ts';
import { QUEUE_PREFIX } from './queue-settings.ts';

/** The few Redis commands finishing a run needs (an ioredis client). */
export interface FinishLock {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
  /** Deletes the key only while it still holds `value` (never another holder's lock). */
  release(key: string, value: string): Promise<void>;
  /** Extends the key's expiry only while it still holds `value`; false when the lock was lost. */
  renew(key: string, value: string, ms: number): Promise<boolean>;
}

/** Compare-and-delete / compare-and-expire: a process touches the lock only while it holds it. */
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** A Redis connection for finishing runs (its own: BullMQ's clients are its business). Close it when done. */
export async function openFinishLock(url: string): Promise<FinishLock & { close(): Promise<void> }> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 3, connectionName: 'groundwork-finish' });
  redis.on('error', () => undefined);
  return {
    set: (key, value, px, ms, nx) => redis.set(key, value, px, ms, nx),
    release: async (key, value) => {
      await redis.eval(RELEASE_LUA, 1, key, value);
    },
    renew: async (key, value, ms) => (await redis.eval(RENEW_LUA, 1, key, value, String(ms))) === 1,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** What `finishRunIfComplete` did. */
export type FinishResult =
  | { finished: false; stored: number; planned: number }
  /** Complete, but another process holds the finishing lock now: call again after `retryInMs` in case it dies. */
  | { finished: false; busy: true; retryInMs: number }
  | { finished: true; by: 'me' | 'another'; audit?: RunAudit; auditError?: string };

/**
 * A run's finishing lock expires this long after its holder stopped renewing it (renewed every
 * third of it while the run audit is made), so a process that dies mid-summary holds it up briefly.
 */
const FINISH_LOCK_MS = 30_000;

/**
 * When every planned episode of a distributed run is stored: mark it `finished` and produce its
 * run audit — once, whichever worker (or the producer) gets there first (a Redis lock; the others
 * leave it). A process that dies holding the lock leaves the run `queued` until the lock expires
 * and the next caller (a worker's last episode, or `run --resume RUN --queue`) finishes it.
 */
export async function finishRunIfComplete(
  store: Store,
  runId: string,
  lock: FinishLock,
  owner: string,
  planned?: number,
): Promise<FinishResult> {
  // One count per stored episode on a worker (`planned` known); the run is read only once it may be complete.
  const stored = await store.countEpisodes(runId);
  const plannedCount = planned ?? (await requireRun(store, runId)).planned;
  if (stored < plannedCount) return { finished: false, stored, planned: plannedCount };
  const run = await requireRun(store, runId);
  if (run.status === 'finished') return { finished: true, by: 'another' };
  const key = `${QUEUE_PREFIX}:finish:${runId}`;
  if ((await lock.set(key, owner, 'PX', FINISH_LOCK_MS, 'NX')) !== 'OK') return { finished: false, busy: true, retryInMs: FINISH_LOCK_MS };
  const renewal = setInterval(() => void lock.renew(key, owner, FINISH_LOCK_MS).catch(() => undefined), FINISH_LOCK_MS / 3);
  renewal.unref();
  try {
    // Read again under the lock: another process may have finished it between our reads and the lock.
    const locked = await requireRun(store, runId);
    if (locked.status === 'finished') return { finished: true, by: 'another' };
    const storedNow = await store.countEpisodes(runId);
    if (storedNow < locked.planned) return { finished: false, stored: storedNow, planned: locked.planned };
    let audit: RunAudit | undefined;
    let auditError: string | undefined;
    try {
      // From the audits stored with the episodes (re-auditing only what cross-episode problems changed).
      audit = await summariseStoredRun(store, runId);
    } catch (error) {
      // The episodes are stored; the audit can be run again with `groundwork audit RUN`.
      auditError = describeError(error);
    }
    await store.setRunStatus(runId, 'finished');
    return { finished: true, by: 'me', ...(audit ? { audit } : {}), ...(auditError ? { auditError } : {}) };
  } finally {
    clearInterval(renewal);
    await lock.release(key, owner).catch(() => undefined);
  }
}
