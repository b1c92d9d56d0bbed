import type { AdmissionStats, ModelAdmission } from './model-limiter.ts';

/**
 * A model's admission shared by the threads of one process (a local run's episode threads): its
 * concurrency, requests per minute and 429 pauses live in a SharedArrayBuffer that every thread
 * maps, changed under a spin lock with Atomics, and a waiter sleeps on a release counter with
 * `Atomics.waitAsync`, so a limit holds for the whole process exactly as one `ModelLimiter` holds
 * it for one thread. The buffer also keeps the admission's statistics: any thread (the main one
 * at the end of a run) reads the throttle report of all of them.
 *
 * Admission is all-or-nothing per try (a free concurrency slot, no pause, room in the rate window),
 * as `RedisAdmissions` admits: unlike `ModelLimiter`, a request waiting for the rate window does
 * not hold a concurrency slot meanwhile. Waiters of one thread are served in arrival order; across
 * threads, whichever thread tries first after a release wins.
 */

/** The limits a shared admission is made with. */
export interface SharedAdmissionLimits {
  concurrency: number;
  requestsPerMinute?: number;
  /** Length of the rate window. @default 60000 */
  windowMs?: number;
}

/** Most start times a rate window keeps (requests per minute above it cannot be shared exactly). */
export const MAX_SHARED_REQUESTS_PER_WINDOW = 1 << 20;

/** Pauses remembered to tell a pause's waits from a limit's (as `ModelLimiter` keeps 64). */
const PAUSES_KEPT = 64;

/**
 * Holders (threads) whose slots a shared admission counts apart, so that a thread that dies holding
 * slots can have them given back (`releaseHeldBy`): holder 0 is the main thread (or a view made
 * without one), 1… the episode threads. A holder index at or above this is counted as holder 0.
 */
export const MAX_ADMISSION_HOLDERS = 256;

// Int32 words: the lock, the release counter, then the slots each holder has in flight (`held[holder]`).
const LOCK = 0;
const SEQ = 1;
const HELD_AT = 4;
const INT_WORDS = HELD_AT + MAX_ADMISSION_HOLDERS;
// Float64 fields, after the Int32 words.
const F = {
  concurrency: 0,
  perWindow: 1,
  windowMs: 2,
  inFlight: 3,
  pausedUntil: 4,
  firstAt: 5,
  requests: 6,
  waited: 7,
  waitMs: 8,
  maxInFlight: 9,
  pauses: 10,
  pausedMs: 11,
  pauseWaited: 12,
  pauseWaitMs: 13,
  startsHead: 14,
  startsCount: 15,
  pausesHead: 16,
  pausesCount: 17,
} as const;
const FIELDS = 18;
const PAUSES_AT = FIELDS;
const STARTS_AT = PAUSES_AT + PAUSES_KEPT * 2;

/** `Atomics.waitAsync` (Node 16+; typed in lib es2024, newer than this project's lib). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: boolean; value: unknown };
  }
).waitAsync;

/** The clock every thread shares: milliseconds since the epoch, sub-millisecond. */
export const sharedClock = (): number => performance.timeOrigin + performance.now();

/** A new shared buffer for one model's admission (see `SharedAdmission`). */
export function createAdmissionBuffer(limits: SharedAdmissionLimits): SharedArrayBuffer {
  const perWindow = limits.requestsPerMinute === undefined ? Number.POSITIVE_INFINITY : limits.requestsPerMinute;
  const ring = perWindow === Number.POSITIVE_INFINITY ? 0 : Math.ceil(perWindow);
  if (ring > MAX_SHARED_REQUESTS_PER_WINDOW)
    throw new RangeError(`requestsPerMinute ${perWindow} is above what a shared admission keeps (${MAX_SHARED_REQUESTS_PER_WINDOW})`);
  const buffer = new SharedArrayBuffer(INT_WORDS * 4 + (STARTS_AT + ring) * 8);
  const values = new Float64Array(buffer, INT_WORDS * 4);
  values[F.concurrency] = Math.max(1, limits.concurrency);
  values[F.perWindow] = perWindow;
  values[F.windowMs] = limits.windowMs ?? 60_000;
  values[F.firstAt] = Number.NaN;
  return buffer;
}

/** Whether a model's limits can be shared through a buffer (a rate window of at most `MAX_SHARED_REQUESTS_PER_WINDOW`). */
export function canShareLimits(limits: Pick<SharedAdmissionLimits, 'requestsPerMinute'>): boolean {
  return limits.requestsPerMinute === undefined || Math.ceil(limits.requestsPerMinute) <= MAX_SHARED_REQUESTS_PER_WINDOW;
}

/** Why a try to admit failed, and until when (shared clock) a retry is useless. */
type TryResult = { admitted: true } | { admitted: false; limited: boolean; retryAt: number };

/** A queued request of this thread. */
interface Waiter {
  resolve: (release: () => void) => void;
  askedAt: number;
  /** Held back by a limit of the run (concurrency, rate window) at least once, not only by a pause. */
  limited: boolean;
}

/**
 * One thread's view of a model's shared admission. Every thread builds one over the same buffer
 * (`createAdmissionBuffer`, made once by the main thread and posted to the others).
 */
export class SharedAdmission implements ModelAdmission {
  private readonly words: Int32Array;
  private readonly values: Float64Array;
  /** Word of `words` counting this view's (thread's) slots in flight. */
  private readonly heldAt: number;
  private readonly ringSize: number;
  private readonly now: () => number;
  private readonly queue: Waiter[] = [];
  private pumping = false;

  /**
   * `holder`: the index (1… < MAX_ADMISSION_HOLDERS) this thread's slots are counted under, so that
   * the main thread can give them back if the thread dies holding them (`releaseHeldBy`). @default 0
   */
  constructor(buffer: SharedArrayBuffer, options: { now?: () => number; holder?: number } = {}) {
    this.words = new Int32Array(buffer, 0, INT_WORDS);
    const holder = options.holder ?? 0;
    this.heldAt = HELD_AT + (Number.isInteger(holder) && holder > 0 && holder < MAX_ADMISSION_HOLDERS ? holder : 0);
    this.values = new Float64Array(buffer, INT_WORDS * 4);
    this.ringSize = this.values.length - STARTS_AT;
    this.now = options.now ?? sharedClock;
  }

  /** Waits for a slot; returns the function that frees it (call it exactly once). */
  acquire(): Promise<() => void> {
    const askedAt = this.now();
    if (this.queue.length === 0) {
      const tried = this.locked(() => this.tryAdmit(askedAt, undefined));
      if (tried.admitted) return Promise.resolve(this.releaser());
      return new Promise((resolve) => {
        this.queue.push({ resolve, askedAt, limited: tried.limited });
        this.pump(tried.retryAt);
      });
    }
    return new Promise((resolve) => this.queue.push({ resolve, askedAt, limited: false }));
  }

  /** A 429 with Retry-After: no request to this model starts for `ms`, in any thread. */
  pause(ms: number): void {
    this.locked(() => {
      const v = this.values;
      const now = this.now();
      v[F.pauses]++;
      const until = now + ms;
      const from = Math.max(now, v[F.pausedUntil]);
      if (until > from) {
        v[F.pausedMs] += until - from;
        const count = v[F.pausesCount];
        const last = count > 0 ? PAUSES_AT + ((v[F.pausesHead] + count - 1) % PAUSES_KEPT) * 2 : -1;
        if (last >= 0 && v[last + 1] >= from) v[last + 1] = until;
        else {
          const at = PAUSES_AT + ((v[F.pausesHead] + count) % PAUSES_KEPT) * 2;
          v[at] = from;
          v[at + 1] = until;
          if (count < PAUSES_KEPT) v[F.pausesCount]++;
          else v[F.pausesHead] = (v[F.pausesHead] + 1) % PAUSES_KEPT;
        }
      }
      v[F.pausedUntil] = Math.max(v[F.pausedUntil], until);
    });
    // Waiters of other threads sleeping until a rate slot frees recompute their wait.
    this.wake();
  }

  /** How much the limits held requests back so far, over every thread. */
  stats(): AdmissionStats {
    return this.locked(() => {
      const v = this.values;
      return {
        concurrency: v[F.concurrency],
        ...(v[F.perWindow] !== Number.POSITIVE_INFINITY ? { requestsPerMinute: v[F.perWindow] } : {}),
        requests: v[F.requests],
        waited: v[F.waited],
        waitMs: v[F.waitMs],
        maxInFlight: v[F.maxInFlight],
        pauses: v[F.pauses],
        pausedMs: v[F.pausedMs],
        pauseWaited: v[F.pauseWaited],
        pauseWaitMs: v[F.pauseWaitMs],
        spanMs: Number.isNaN(v[F.firstAt]) ? 0 : this.now() - v[F.firstAt],
      };
    });
  }

  /** Requests holding a slot now, over every thread. */
  get active(): number {
    return this.locked(() => this.values[F.inFlight]);
  }

  /** Serves this thread's queue in order, sleeping on the release counter (or until a pause or window ends). */
  private async pump(retryAt: number): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    // A pending Atomics.waitAsync does not keep a thread's event loop alive: this timer does, while requests wait.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      let wakeAt = retryAt;
      while (this.queue.length > 0) {
        const seq = Atomics.load(this.words, SEQ);
        const head = this.queue[0];
        const tried = this.locked(() => this.tryAdmit(head.askedAt, head));
        if (tried.admitted) {
          this.queue.shift();
          head.resolve(this.releaser());
          continue;
        }
        head.limited ||= tried.limited;
        wakeAt = tried.retryAt;
        const timeout = Number.isFinite(wakeAt) ? Math.max(0, Math.ceil(wakeAt - this.now()) + 1) : undefined;
        const waited = waitAsync(this.words, SEQ, seq, timeout);
        if (waited.async) await waited.value;
      }
    } finally {
      clearInterval(keepAlive);
      this.pumping = false;
    }
  }

  /** Under the lock: admit now if every limit allows it. */
  private tryAdmit(askedAt: number, waiter: Waiter | undefined): TryResult {
    const v = this.values;
    const now = this.now();
    if (Number.isNaN(v[F.firstAt])) v[F.firstAt] = askedAt;
    const full = v[F.inFlight] >= v[F.concurrency];
    let retryAt = Number.POSITIVE_INFINITY;
    let limited = full;
    if (v[F.pausedUntil] > now) retryAt = v[F.pausedUntil];
    const ring = v[F.perWindow] !== Number.POSITIVE_INFINITY;
    if (ring) {
      const windowStart = now - v[F.windowMs];
      while (v[F.startsCount] > 0 && v[STARTS_AT + v[F.startsHead]] <= windowStart) {
        v[F.startsHead] = (v[F.startsHead] + 1) % this.ringSize;
        v[F.startsCount]--;
      }
      if (v[F.startsCount] >= v[F.perWindow]) {
        limited = true;
        const oldestEnds = v[STARTS_AT + v[F.startsHead]] + v[F.windowMs];
        retryAt = retryAt === Number.POSITIVE_INFINITY ? oldestEnds : Math.max(retryAt, oldestEnds);
      }
    }
    // A full model waits for a release (the counter), however long a pause or window lasts.
    if (full) return { admitted: false, limited: true, retryAt: Number.POSITIVE_INFINITY };
    if (retryAt !== Number.POSITIVE_INFINITY) return { admitted: false, limited, retryAt };
    v[F.inFlight]++;
    this.words[this.heldAt]++;
    if (ring) {
      v[STARTS_AT + ((v[F.startsHead] + v[F.startsCount]) % this.ringSize)] = now;
      v[F.startsCount]++;
    }
    v[F.requests]++;
    if (v[F.inFlight] > v[F.maxInFlight]) v[F.maxInFlight] = v[F.inFlight];
    if (waiter) this.countWait(waiter, now);
    return { admitted: true };
  }

  /** Under the lock: a waiter's wait, split into the run's limits and the provider's pauses. */
  private countWait(waiter: Waiter, now: number): void {
    const v = this.values;
    const total = now - waiter.askedAt;
    if (total <= 0) return;
    // Held back only by pauses: all of it is the pause's (timer lateness included), as ModelLimiter counts it.
    const paused = waiter.limited ? Math.min(total, this.pausedWithin(waiter.askedAt, now)) : total;
    const waitMs = total - paused;
    if (waitMs > 0) {
      v[F.waited]++;
      v[F.waitMs] += waitMs;
    }
    if (paused > 0) {
      v[F.pauseWaited]++;
      v[F.pauseWaitMs] += paused;
    }
  }

  /** Under the lock: how much of [from, to] the model was paused. */
  private pausedWithin(from: number, to: number): number {
    const v = this.values;
    let paused = 0;
    for (let i = 0; i < v[F.pausesCount]; i++) {
      const at = PAUSES_AT + ((v[F.pausesHead] + i) % PAUSES_KEPT) * 2;
      paused += Math.max(0, Math.min(v[at + 1], to) - Math.max(v[at], from));
    }
    return paused;
  }

  /** The function that frees one admitted request's slot (once). */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.locked(() => {
        this.values[F.inFlight]--;
        this.words[this.heldAt]--;
      });
      this.wake();
    };
  }

  /**
   * Gives back every slot `holder` has in flight (a thread that died holding them: its releases will
   * never run) and wakes the waiters of every thread. Returns how many slots were given back.
   */
  releaseHeldBy(holder: number): number {
    if (!Number.isInteger(holder) || holder <= 0 || holder >= MAX_ADMISSION_HOLDERS) return 0;
    const at = HELD_AT + holder;
    const held = this.locked(() => {
      const count = this.words[at];
      this.values[F.inFlight] -= count;
      this.words[at] = 0;
      return count;
    });
    if (held !== 0) this.wake();
    return held;
  }

  /** Tells every sleeping waiter (of every thread) that something changed. */
  private wake(): void {
    Atomics.add(this.words, SEQ, 1);
    Atomics.notify(this.words, SEQ);
  }

  /** Runs `body` holding the buffer's lock (critical sections are a few field updates). */
  private locked<T>(body: () => T): T {
    let spins = 0;
    while (Atomics.compareExchange(this.words, LOCK, 0, 1) !== 0) {
      // The holder may be descheduled: after a short spin, sleep until it unlocks (or 1 ms).
      if (++spins > 64) Atomics.wait(this.words, LOCK, 1, 1);
    }
    try {
      return body();
    } finally {
      Atomics.store(this.words, LOCK, 0);
      Atomics.notify(this.words, LOCK, 1);
    }
  }
}

/**
 * The main thread's table of shared admissions, one buffer per model name, made on first request
 * (in that order, which is the order the throttle report lists them in).
 */
export class SharedAdmissions {
  private readonly buffers = new Map<string, SharedArrayBuffer>();
  private readonly views = new Map<string, SharedAdmission>();

  /** The buffer of a model, made with these limits when it is the first to ask. */
  bufferFor(name: string, limits: SharedAdmissionLimits): SharedArrayBuffer {
    let buffer = this.buffers.get(name);
    if (!buffer) {
      buffer = createAdmissionBuffer(limits);
      this.buffers.set(name, buffer);
    }
    return buffer;
  }

  /** This thread's admission of a model (over its buffer, made here if no thread asked yet). */
  admission(name: string, limits: SharedAdmissionLimits): SharedAdmission {
    let view = this.views.get(name);
    if (!view) {
      view = new SharedAdmission(this.bufferFor(name, limits));
      this.views.set(name, view);
    }
    return view;
  }

  /** Gives back, in every model's buffer, the slots a dead thread (`holder`) held; returns how many in all. */
  releaseHeldBy(holder: number): number {
    let released = 0;
    for (const buffer of this.buffers.values()) released += new SharedAdmission(buffer).releaseHeldBy(holder);
    return released;
  }

  /** Models with a buffer, in the order they were first asked for. */
  names(): string[] {
    return [...this.buffers.keys()];
  }
}

/**
 * A thread's admission of a model whose buffer is still on its way from the main thread (asked for
 * when the thread first meets the model): requests and pauses wait for it, then go to it.
 */
export class RemoteSharedAdmission implements ModelAdmission {
  private shared: SharedAdmission | undefined;
  private readonly ready: Promise<SharedAdmission>;
  private pendingPauses: number[] = [];

  /** `holder`: as `SharedAdmission`'s (the thread's index). */
  constructor(buffer: Promise<SharedArrayBuffer>, options: { holder?: number } = {}) {
    this.ready = buffer.then((b) => {
      const shared = new SharedAdmission(b, options);
      for (const ms of this.pendingPauses) shared.pause(ms);
      this.pendingPauses = [];
      this.shared = shared;
      return shared;
    });
  }

  async acquire(): Promise<() => void> {
    return (this.shared ?? (await this.ready)).acquire();
  }

  pause(ms: number): void {
    if (this.shared) this.shared.pause(ms);
    else this.pendingPauses.push(ms);
  }

  stats(): AdmissionStats {
    return this.shared?.stats() ?? { concurrency: 0, requests: 0, waited: 0, waitMs: 0, maxInFlight: 0 };
  }
}
