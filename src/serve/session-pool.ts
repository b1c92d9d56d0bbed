import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GroundworkError } from '../errors.ts';
import { ABANDON_DETAIL, CapacityError, EpisodeSession, SessionError } from './episode-session.ts';
import type { ServedRun } from './served-run.ts';

/** Options of a `SessionPool`. */
export interface SessionPoolOptions {
  /** Most sessions open at once; one more is refused with `CapacityError`. */
  maxSessions: number;
  /** A session with no call for this long is reaped: its running episode stored as `agent_error` "session reaped", its slot freed. */
  idleMs: number;
  /** How often the reaper looks. @default min(idleMs / 2, 30 s), at least 50 ms; 0 turns the timer off (call `reap` yourself). */
  sweepMs?: number;
  /** Clock in ms. @default Date.now */
  clock?: () => number;
}

interface Slot {
  session: EpisodeSession;
  /** SHA-256 of the token: the token itself is never kept. */
  tokenHash: Buffer;
}

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * The open sessions of a server, by id, each with an unguessable token (32 random bytes), capped at
 * `maxSessions`; idle ones are reaped. Sessions are isolated: each episode plays on its own fork of
 * its task's initial state.
 */
export class SessionPool {
  private readonly slots = new Map<string, Slot>();
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private readonly clock: () => number;
  private shuttingDown = false;

  constructor(
    private readonly run: ServedRun,
    private readonly options: SessionPoolOptions,
  ) {
    if (!Number.isInteger(options.maxSessions) || options.maxSessions < 1)
      throw new GroundworkError('INVALID_ARGUMENT', `maxSessions must be a positive integer, not ${options.maxSessions}`);
    if (!(options.idleMs > 0)) throw new GroundworkError('INVALID_ARGUMENT', `idleMs must be positive, not ${options.idleMs}`);
    this.clock = options.clock ?? Date.now;
    const sweep = options.sweepMs ?? Math.max(50, Math.min(options.idleMs / 2, 30_000));
    if (sweep > 0) {
      this.timer = setInterval(() => void this.reap().catch(() => undefined), sweep);
      this.timer.unref();
    }
  }

  /** Sessions open now. */
  get size(): number {
    return this.slots.size;
  }

  get capacity(): number {
    return this.options.maxSessions;
  }

  /** Open a session: its id and token (the only time the token is given out). When full, the slot of a finished session is taken; `CapacityError` if there is none. */
  create(): { id: string; token: string; session: EpisodeSession } {
    if (this.shuttingDown) throw new SessionError('SESSION_CLOSED', 'the server is shutting down');
    if (this.slots.size >= this.options.maxSessions && !this.evictFinished()) throw new CapacityError(this.options.maxSessions);
    const token = randomBytes(32).toString('base64url');
    const session = new EpisodeSession(this.run, {
      clock: this.clock,
      onClosed: (closed) => {
        if (this.slots.get(closed.id)?.session === closed) this.slots.delete(closed.id);
      },
    });
    this.slots.set(session.id, { session, tokenHash: hashToken(token) });
    return { id: session.id, token, session };
  }

  /**
   * Free the slot of the least recently active session whose episode is over (nothing is lost: the
   * episode is stored). Finished sessions stay readable until their slot is needed, the client
   * closes them or the reaper takes them. @returns whether a slot was freed
   */
  private evictFinished(): boolean {
    let oldest: EpisodeSession | undefined;
    for (const { session } of this.slots.values())
      if (session.finished && !session.inFlight && (!oldest || session.lastActive < oldest.lastActive)) oldest = session;
    if (!oldest) return false;
    this.slots.delete(oldest.id);
    void oldest.close(ABANDON_DETAIL.reaped).catch(() => undefined);
    return true;
  }

  /** The session `id`, if `token` is its token (compared in constant time); marks it active. */
  get(id: string, token: string): EpisodeSession {
    const slot = this.slots.get(id);
    if (!slot) throw new SessionError('UNKNOWN_SESSION', `no open session ${JSON.stringify(String(id).slice(0, 80))}`);
    if (typeof token !== 'string' || !timingSafeEqual(hashToken(token), slot.tokenHash))
      throw new SessionError('INVALID_TOKEN', `the token does not belong to session ${id}`);
    slot.session.touch();
    return slot.session;
  }

  /** Close session `id` (its running episode stored as `agent_error` "client disconnected") and free its slot. */
  async close(id: string, token: string, reason: string = ABANDON_DETAIL.disconnected): Promise<void> {
    await this.get(id, token).close(reason);
  }

  /**
   * Reap sessions idle for `idleMs` or more: a running episode is stored as `agent_error` "session
   * reaped" and the slot is freed. @returns how many were reaped
   */
  async reap(now: number = this.clock()): Promise<number> {
    const idle = [...this.slots.values()].filter(({ session }) => now - session.lastActive >= this.options.idleMs);
    await Promise.all(idle.map(({ session }) => session.close(ABANDON_DETAIL.reaped)));
    return idle.length;
  }

  /** Shutdown: close every session (running episodes stored as `agent_error` with `reason`) and stop the reaper. */
  async closeAll(reason: string = ABANDON_DETAIL.shutdown): Promise<void> {
    this.shuttingDown = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.slots.values()].map(({ session }) => session.close(reason)));
  }
}
