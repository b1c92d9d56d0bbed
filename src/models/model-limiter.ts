/** How much a model's admission held requests back (for the "a limit throttled this run" report). */
export interface AdmissionStats {
  /** Requests allowed in flight at once. */
  concurrency: number;
  requestsPerMinute?: number;
  /** Requests admitted. */
  requests: number;
  /** Requests that had to wait for a slot (concurrency, rate window or a 429 pause). */
  waited: number;
  /** Total time requests spent waiting, in ms. */
  waitMs: number;
  /** Most requests in flight at once (this process). */
  maxInFlight: number;
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
export class ModelLimiter {
  private readonly concurrency: number;
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly starts: number[] = [];
  private pausedUntil = 0;
  private gate: Promise<void> = Promise.resolve();

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
    if (this.inFlight < this.concurrency) this.inFlight++;
    else await new Promise<void>((resolve) => this.waiters.push(resolve)); // slot handed over by release
    try {
      await this.rateSlot();
    } catch (error) {
      this.release();
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** No request starts before `until` (same clock as `now`), e.g. after a Retry-After. */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
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
    await previous;
    try {
      for (;;) {
        const now = this.now();
        while (this.starts.length && this.starts[0] <= now - this.windowMs) this.starts.shift();
        let wait = Math.max(0, this.pausedUntil - now);
        if (this.starts.length >= this.perWindow) wait = Math.max(wait, this.starts[0] + this.windowMs - now);
        if (wait <= 0) {
          this.starts.push(now);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait) + 1));
      }
    } finally {
      done();
    }
  }
}
