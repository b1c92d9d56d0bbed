/** How much a model's admission held requests back (for the "a limit throttled this run" report). */
export interface AdmissionStats {
  /** Requests allowed in flight at once. */
  concurrency: number;
  requestsPerMinute?: number;
  /** Requests admitted. */
  requests: number;
  /**
   * Requests that had to wait for this run's own limits (a concurrency slot, the rate window).
   * Time spent waiting out a 429 pause is not counted here (`pauseWaitMs`).
   */
  waited: number;
  /** Total time requests spent waiting for the limits, in ms. */
  waitMs: number;
  /** Most requests in flight at once (this process). */
  maxInFlight: number;
  /** 429 answers with Retry-After that paused the model (the provider's rate limit, not this run's). */
  pauses?: number;
  /** Wall time the model was paused by them, in ms (overlapping pauses counted once). */
  pausedMs?: number;
  /** Requests held back by a pause, and their total wait for it, in ms. */
  pauseWaited?: number;
  pauseWaitMs?: number;
  /** Time since the first request asked for admission, in ms (what a total wait is compared with). */
  spanMs?: number;
}

/**
 * Admission of requests to one model, shared by every session of that model: in one process a
 * `ModelLimiter`; across queue workers a Redis-backed one (`queue/`), so the limits hold for the
 * whole distributed run.
 */
export interface ModelAdmission {
  /** Waits for a slot; returns the function that frees it (call it exactly once). */
  acquire(): Promise<() => void>;
  /** A 429 with Retry-After: no request to this model starts for `ms` wherever this admission is shared. */
  pause(ms: number): void;
  stats(): AdmissionStats;
}

/** Pauses a `ModelLimiter` remembers to tell a pause's waits from a limit's (older ones are long over). */
const MAX_PAUSES_KEPT = 64;

/** Settings of a `ModelLimiter`. */
export interface ModelLimiterOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per window. @default unlimited */
  requestsPerMinute?: number;
  /** Length of the rate window in milliseconds (tests shorten it). @default 60000 */
  windowMs?: number;
  /** Clock in milliseconds. @default performance.now */
  now?: () => number;
}

/**
 * Per-model admission control shared by every episode of a run: a FIFO concurrency cap, a
 * sliding-window requests-per-minute cap, and a pause honoured by everyone after a 429 with
 * Retry-After (so one rate-limit answer slows the whole run, not just one episode).
 */
export class ModelLimiter implements ModelAdmission {
  private readonly concurrency: number;
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly starts: number[] = [];
  private pausedUntil = 0;
  private gate: Promise<void> = Promise.resolve();
  /** Requests between asking for a rate slot and getting it (the gate is idle at 0). */
  private gated = 0;
  private readonly counts = { requests: 0, waited: 0, waitMs: 0, maxInFlight: 0, pauses: 0, pausedMs: 0, pauseWaited: 0, pauseWaitMs: 0 };
  /** The latest pauses as [from, until] (merged; a few kept): a wait overlapping them is the provider's, not a limit's. */
  private readonly pauses: [number, number][] = [];
  private firstAt: number | undefined;

  constructor(options: ModelLimiterOptions) {
    this.concurrency = Math.max(1, options.concurrency);
    this.perWindow = options.requestsPerMinute ?? Number.POSITIVE_INFINITY;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Requests currently holding a slot. */
  get active(): number {
    return this.inFlight;
  }

  /**
   * Waits for a concurrency slot and a rate slot; returns the function that frees the slot
   * (call it exactly once, when the request is over).
   */
  async acquire(): Promise<() => void> {
    this.firstAt ??= this.now();
    let asked: number | undefined;
    if (this.inFlight < this.concurrency) this.inFlight++;
    else {
      asked = this.now();
      await new Promise<void>((resolve) => this.waiters.push(resolve)); // slot handed over by release
    }
    let gatedAt: number | undefined;
    try {
      // Without a rate limit, a pause or anyone ahead at the gate, the slot is free now: no promise.
      if (this.perWindow !== Number.POSITIVE_INFINITY || this.gated > 0 || this.pausedUntil > this.now()) {
        gatedAt = this.now();
        asked ??= gatedAt;
        await this.rateSlot();
      }
    } catch (error) {
      this.release();
      throw error;
    }
    this.counts.requests++;
    if (asked !== undefined) {
      const now = this.now();
      // Without a rate window, the gate only ever waits out a pause (timer lateness included).
      const paused =
        gatedAt !== undefined && this.perWindow === Number.POSITIVE_INFINITY
          ? now - gatedAt + Math.min(gatedAt - asked, this.pausedWithin(asked, gatedAt))
          : Math.min(now - asked, this.pausedWithin(asked, now));
      const waitMs = now - asked - paused;
      if (waitMs > 0) {
        this.counts.waited++;
        this.counts.waitMs += waitMs;
      }
      if (paused > 0) {
        this.counts.pauseWaited++;
        this.counts.pauseWaitMs += paused;
      }
    }
    if (this.inFlight > this.counts.maxInFlight) this.counts.maxInFlight = this.inFlight;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** No request starts before `until` (same clock as `now`), e.g. after a Retry-After. */
  pauseUntil(until: number): void {
    const from = Math.max(this.now(), this.pausedUntil);
    if (until > from) {
      this.counts.pausedMs += until - from;
      const last = this.pauses.at(-1);
      if (last && last[1] >= from) last[1] = until;
      else {
        this.pauses.push([from, until]);
        if (this.pauses.length > MAX_PAUSES_KEPT) this.pauses.shift();
      }
    }
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** No request starts for `ms` from now (a 429 with Retry-After). */
  pause(ms: number): void {
    this.counts.pauses++;
    this.pauseUntil(this.now() + ms);
  }

  /** How much of [from, to] the model was paused. */
  private pausedWithin(from: number, to: number): number {
    let paused = 0;
    for (const [start, end] of this.pauses) paused += Math.max(0, Math.min(end, to) - Math.max(start, from));
    return paused;
  }

  /** How much this limiter held requests back so far. */
  stats(): AdmissionStats {
    return {
      concurrency: this.concurrency,
      ...(this.perWindow !== Number.POSITIVE_INFINITY ? { requestsPerMinute: this.perWindow } : {}),
      ...this.counts,
      spanMs: this.firstAt === undefined ? 0 : this.now() - this.firstAt,
    };
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inFlight--;
  }

  /** Grants rate slots one at a time, in arrival order. */
  private async rateSlot(): Promise<void> {
    const previous = this.gate;
    let done!: () => void;
    this.gate = new Promise<void>((resolve) => (done = resolve));
    this.gated++;
    await previous;
    try {
      for (;;) {
        const now = this.now();
        while (this.starts.length && this.starts[0] <= now - this.windowMs) this.starts.shift();
        let wait = Math.max(0, this.pausedUntil - now);
        if (this.starts.length >= this.perWindow) wait = Math.max(wait, this.starts[0] + this.windowMs - now);
        if (wait <= 0) {
          // Only a window needs the start times (without one they would only grow).
          if (this.perWindow !== Number.POSITIVE_INFINITY) this.starts.push(now);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait) + 1));
      }
    } finally {
      this.gated--;
      done();
    }
  }
}
