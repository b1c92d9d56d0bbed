import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GroundworkError } from '../errors.ts';
import type { ResolvedModel } from '../models/model-config.ts';
import type { AdmissionStats, ModelAdmission } from '../models/model-limiter.ts';

/**
 * Where a distributed model admission reports what concerns one episode (a 429 pause, a request
 * refused because the model is paused for long). `RateLimitTracker` (rate-limit.ts) implements it.
 */
export interface AdmissionObserver {
  /** A 429 asked every worker to hold `model` back for `ms` (called in the episode's async context). */
  paused(model: string, ms: number): void;
  /** A request of `model` was refused: the model is paused `remainingMs` more, longer than the threshold. */
  refused(model: string, remainingMs: number): void;
}

/** Settings of `RedisAdmissions`. */
export interface RedisAdmissionOptions {
  /** A connection for commands (not used for blocking calls); a duplicate of it subscribes to releases. */
  redis: Redis;
  /** Key prefix; keys are `<prefix>:adm:{<model>}:…`. @default 'groundwork' */
  prefix?: string;
  /**
   * A held slot expires this long after its last renewal (renewed every third of it while the
   * request runs), so a SIGKILLed worker's slots come back. @default 30000
   */
  slotTtlMs?: number;
  /** Length of the requests-per-minute window (tests shorten it). @default 60000 */
  windowMs?: number;
  /**
   * A request finding its model paused (a 429 with Retry-After) for longer than this is refused at
   * once with PROVIDER_FAILED instead of waiting, so the queue can put its job back (rate-limited,
   * not failed) and the worker's slots go to other models. @default 10000
   */
  maxPauseWaitMs?: number;
  /** Longest wait between two tries of a waiter when no release message comes. @default 500 */
  maxPollMs?: number;
  /** Told about pauses and refusals (the worker's `RateLimitTracker`). */
  observer?: AdmissionObserver;
}

/**
 * Settings of the admission from the environment (test hooks and operator knobs):
 * `GROUNDWORK_ADMISSION_SLOT_TTL_MS`, `GROUNDWORK_RATE_WINDOW_MS`, `GROUNDWORK_MAX_PAUSE_WAIT_MS`.
 */
export function admissionSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<RedisAdmissionOptions, 'slotTtlMs' | 'windowMs' | 'maxPauseWaitMs'> {
  const read = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
      throw new GroundworkError('INVALID_ARGUMENT', `${name} must be milliseconds from ${min} to ${max}, not ${JSON.stringify(raw)}`, {
        hint: `unset ${name} for the default`,
      });
    return Number(raw);
  };
  const slotTtlMs = read('GROUNDWORK_ADMISSION_SLOT_TTL_MS', 300, 3_600_000);
  const windowMs = read('GROUNDWORK_RATE_WINDOW_MS', 100, 3_600_000);
  const maxPauseWaitMs = read('GROUNDWORK_MAX_PAUSE_WAIT_MS', 0, 3_600_000);
  return {
    ...(slotTtlMs !== undefined ? { slotTtlMs } : {}),
    ...(windowMs !== undefined ? { windowMs } : {}),
    ...(maxPauseWaitMs !== undefined ? { maxPauseWaitMs } : {}),
  };
}

// All times in the scripts come from Redis's clock (TIME), so workers on machines whose clocks
// differ still share one notion of "expired", "in the window" and "paused until".
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: slots (zset token → expiry), starts (zset token → start time), pause (ms timestamp).
 * ARGV: concurrency, per-window (0: unlimited), window ms, slot ttl ms, then one token per waiter.
 * Admits as many of the tokens as the limits allow (in order). Returns {admitted, why, ms}: when
 * none is admitted, why is 1 paused, 2 full, 3 rate, and ms the time to wait.
 */
const ACQUIRE = `${NOW}
local concurrency = tonumber(ARGV[1])
local perWindow = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local wanted = #ARGV - 4
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local pause = tonumber(redis.call('GET', KEYS[3]) or '0')
if pause > now then return {0, 1, pause - now} end
local n = math.min(wanted, concurrency - redis.call('ZCARD', KEYS[1]))
if n <= 0 then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, 2, tonumber(first[2]) - now}
end
if perWindow > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  n = math.min(n, perWindow - redis.call('ZCARD', KEYS[2]))
  if n <= 0 then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {0, 3, tonumber(oldest[2]) + window - now}
  end
  for i = 1, n do redis.call('ZADD', KEYS[2], now, ARGV[4 + i]) end
  redis.call('PEXPIRE', KEYS[2], window * 2)
end
for i = 1, n do redis.call('ZADD', KEYS[1], now + ttl, ARGV[4 + i]) end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return {n, 0, 0}`;

/** KEYS: slots. ARGV: channel, token. Frees the slot and wakes the waiters of every worker. */
const RELEASE = `if redis.call('ZREM', KEYS[1], ARGV[2]) == 1 then redis.call('PUBLISH', ARGV[1], '1') end
return 0`;

/** KEYS: slots. ARGV: ttl ms, tokens... Pushes the expiry of slots still held (XX: never revives a reclaimed one). */
const RENEW = `${NOW}
local ttl = tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do renewed = renewed + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return renewed`;

/** KEYS: pause. ARGV: ms. Pauses the model until now + ms (never shortens a longer pause). Returns ms left. */
const PAUSE = `${NOW}
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > until_ then return current - now end
redis.call('SET', KEYS[1], until_, 'PX', tonumber(ARGV[1]) + 1000)
return until_ - now`;

/** KEYS: pause. Milliseconds the model stays paused (0 when it is not). */
const PAUSE_LEFT = `${NOW}
local pause = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause > now then return pause - now end
return 0`;

/** A Lua script run by its SHA, loaded on first use (and again after a SCRIPT FLUSH or a new server). */
class LuaScript {
  private readonly sha: string;
  constructor(
    private readonly source: string,
    private readonly keys: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, this.keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      return await redis.eval(this.source, this.keys, ...args);
    }
  }
}

/** Most waiters one acquire call tries to admit. */
const MAX_BATCH = 64;

const scripts = {
  acquire: new LuaScript(ACQUIRE, 3),
  release: new LuaScript(RELEASE, 1),
  renew: new LuaScript(RENEW, 1),
  pause: new LuaScript(PAUSE, 1),
  pauseLeft: new LuaScript(PAUSE_LEFT, 1),
};

/** Redis keys of one model's admission (one hash slot: `{model}`, so it also works on a cluster). */
interface ModelKeys {
  slots: string;
  starts: string;
  pause: string;
  channel: string;
}

/** What the per-model admissions of one process share. */
interface Shared {
  redis: Redis;
  slotTtlMs: number;
  windowMs: number;
  maxPauseWaitMs: number;
  maxPollMs: number;
  observer: AdmissionObserver | undefined;
  closed: boolean;
  /** Calls `onRelease` whenever a slot of the channel's model is released (one subscription per channel). */
  listen(channel: string, onRelease: () => void): void;
}

/**
 * The model admissions of one worker process, backed by Redis so their limits hold across every
 * worker of a distributed run: per model a semaphore of `limits.concurrency` slots (tokens in a
 * sorted set scored by expiry, renewed while the request runs, so a killed worker's slots expire),
 * a sliding window of `limits.requestsPerMinute` starts, and a pause shared by all workers after a
 * 429 with Retry-After. Waiters sleep until a release is published (or the computed wait is over),
 * one Redis try at a time per model and process, each admitting as many waiters as the limits
 * allow: no busy polling, and a burst costs one round trip.
 */
export class RedisAdmissions {
  private readonly shared: Shared;
  private readonly prefix: string;
  private readonly admissions = new Map<string, RedisModelAdmission>();
  private readonly onRelease = new Map<string, (() => void)[]>();
  private subscriber: Redis | undefined;
  private readonly renewTimer: NodeJS.Timeout;

  constructor(options: RedisAdmissionOptions) {
    this.prefix = options.prefix ?? 'groundwork';
    const slotTtlMs = options.slotTtlMs ?? 30_000;
    this.shared = {
      redis: options.redis,
      slotTtlMs,
      windowMs: options.windowMs ?? 60_000,
      maxPauseWaitMs: options.maxPauseWaitMs ?? 10_000,
      maxPollMs: options.maxPollMs ?? 500,
      observer: options.observer,
      closed: false,
      listen: (channel, onRelease) => this.listen(channel, onRelease),
    };
    this.renewTimer = setInterval(
      () => {
        for (const admission of this.admissions.values()) admission.renew();
      },
      Math.max(100, Math.floor(slotTtlMs / 3)),
    );
    this.renewTimer.unref();
  }

  /**
   * The admission of a model, shared by every hub of this process. Its Redis keys are per model
   * name: every run on this Redis that names the model shares its slots, window and pause, each
   * checking them against its own config's limits (keep them equal across such runs).
   */
  for(model: ResolvedModel): ModelAdmission {
    const limits = { concurrency: Math.max(1, model.limits.concurrency), perWindow: model.limits.requestsPerMinute ?? 0 };
    const id = `${model.name}\n${limits.concurrency}\n${limits.perWindow}`;
    let admission = this.admissions.get(id);
    if (!admission) {
      admission = new RedisModelAdmission(this.shared, model.name, this.keysOf(model.name), limits);
      this.admissions.set(id, admission);
    }
    return admission;
  }

  /** Milliseconds `model` stays paused for every worker (0 when it is not). */
  async pauseLeftMs(model: string): Promise<number> {
    return Number(await scripts.pauseLeft.run(this.shared.redis, [this.keysOf(model).pause]));
  }

  /** Stops renewing, frees the slots still held and closes the subscriber (not the given connection). */
  async close(): Promise<void> {
    if (this.shared.closed) return;
    this.shared.closed = true;
    clearInterval(this.renewTimer);
    const admissions = [...this.admissions.values()];
    for (const admission of admissions) admission.rejectWaiters(new GroundworkError('PROVIDER_FAILED', 'the worker is closing'));
    await Promise.all(admissions.map((admission) => admission.releaseAll()));
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private listen(channel: string, onRelease: () => void): void {
    if (!this.subscriber) {
      this.subscriber = this.shared.redis.duplicate({ connectionName: 'groundwork-admission' });
      // Errors surface through the command connection; the emitter must not crash the worker.
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (from: string) => {
        for (const listener of this.onRelease.get(from) ?? []) listener();
      });
    }
    const listeners = this.onRelease.get(channel);
    if (listeners) listeners.push(onRelease);
    else {
      this.onRelease.set(channel, [onRelease]);
      this.subscriber.subscribe(channel).catch(() => undefined);
    }
  }

  private keysOf(model: string): ModelKeys {
    // Model names may hold ':' or '/'; the braces keep one model's keys in one cluster slot.
    const base = `${this.prefix}:adm:{${model}}`;
    return { slots: `${base}:slots`, starts: `${base}:starts`, pause: `${base}:pause`, channel: `${base}:released` };
  }
}

/** A waiter for a slot: resolved with its token, or rejected when the model is paused for long. */
interface Waiter {
  resolve(token: string): void;
  reject(error: Error): void;
  /** It had to wait (the first try did not admit it). */
  waited: boolean;
}

/** One model's admission in one worker process (see `RedisAdmissions`). */
class RedisModelAdmission implements ModelAdmission {
  private readonly waiters: Waiter[] = [];
  private readonly held = new Set<string>();
  private pumping = false;
  private wake: (() => void) | undefined;
  private readonly counters = { requests: 0, waited: 0, waitMs: 0, maxInFlight: 0 };

  constructor(
    private readonly shared: Shared,
    private readonly model: string,
    private readonly keys: ModelKeys,
    private readonly limits: { concurrency: number; perWindow: number },
  ) {
    shared.listen(keys.channel, () => this.wake?.());
  }

  async acquire(): Promise<() => void> {
    const started = performance.now();
    const waiter = { waited: false } as Waiter;
    const token = await new Promise<string>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
      this.waiters.push(waiter);
      this.pump();
    }).catch((error: unknown) => {
      // Rethrown in the caller's async context, where the observer attributes it to its episode.
      if (error instanceof PausedTooLong) {
        this.shared.observer?.refused(this.model, error.remainingMs);
        throw error.toGroundworkError(this.model, this.shared.maxPauseWaitMs);
      }
      throw error;
    });
    this.counters.requests++;
    if (waiter.waited) {
      this.counters.waited++;
      this.counters.waitMs += performance.now() - started;
    }
    this.held.add(token);
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.held.size);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(token);
    };
  }

  pause(ms: number): void {
    if (!(ms > 0)) return;
    this.shared.observer?.paused(this.model, ms);
    // Waiters sleeping on "full" must see the pause once it is set.
    scripts.pause.run(this.shared.redis, [this.keys.pause, Math.ceil(ms)]).then(
      () => this.wake?.(),
      () => undefined,
    );
  }

  stats(): AdmissionStats {
    return {
      concurrency: this.limits.concurrency,
      ...(this.limits.perWindow > 0 ? { requestsPerMinute: this.limits.perWindow } : {}),
      ...this.counters,
    };
  }

  /** Pushes the expiry of the slots this process holds (every third of the slot ttl). */
  renew(): void {
    if (this.held.size === 0) return;
    scripts.renew.run(this.shared.redis, [this.keys.slots, this.shared.slotTtlMs, ...this.held]).catch(() => undefined);
  }

  rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.wake?.();
  }

  async releaseAll(): Promise<void> {
    const tokens = [...this.held];
    this.held.clear();
    await Promise.all(tokens.map((token) => this.freeSlot(token).catch(() => undefined)));
  }

  private release(token: string): void {
    if (!this.held.delete(token)) return;
    // Fire and forget: a release that fails (Redis gone) is reclaimed when the slot expires.
    this.freeSlot(token).catch(() => undefined);
  }

  private freeSlot(token: string): Promise<unknown> {
    return scripts.release.run(this.shared.redis, [this.keys.slots, this.keys.channel, token]);
  }

  /**
   * Grants slots to the waiters in arrival order, one Redis try at a time: on "full" it sleeps
   * until a release is published (or the earliest slot expires, at most maxPollMs); on "rate"
   * and "paused" until the wait Redis computed is over.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.pumpLoop()
      .catch((error: unknown) => this.rejectWaiters(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        this.pumping = false;
        if (this.waiters.length > 0 && !this.shared.closed) this.pump();
      });
  }

  private async pumpLoop(): Promise<void> {
    const { shared } = this;
    while (this.waiters.length > 0 && !shared.closed) {
      // One try for (up to 64 of) the waiters at once: a burst is admitted in one round trip.
      const tokens = Array.from({ length: Math.min(this.waiters.length, MAX_BATCH) }, () => randomBytes(12).toString('base64url'));
      const [admitted, why, value] = (await scripts.acquire.run(shared.redis, [
        this.keys.slots,
        this.keys.starts,
        this.keys.pause,
        this.limits.concurrency,
        this.limits.perWindow,
        shared.windowMs,
        shared.slotTtlMs,
        ...tokens,
      ])) as [number, number, number];
      if (admitted > 0) {
        for (const token of tokens.slice(0, admitted)) {
          const waiter = this.waiters.shift();
          if (waiter) waiter.resolve(token);
          else await this.freeSlot(token); // its waiter was rejected meanwhile (closing)
        }
        continue;
      }
      if (why === 1 && value > shared.maxPauseWaitMs) {
        for (const waiter of this.waiters.splice(0)) waiter.reject(new PausedTooLong(value));
        return;
      }
      for (const waiter of this.waiters) waiter.waited = true;
      const waitMs = why === 2 ? Math.min(Math.max(1, value), shared.maxPollMs) : Math.max(1, value) + 1;
      await this.sleep(waitMs, why === 2);
    }
  }

  /** Sleeps `ms`, or less when a release is published (if `wakeOnRelease`). */
  private sleep(ms: number, wakeOnRelease: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      if (wakeOnRelease)
        this.wake = () => {
          this.wake = undefined;
          clearTimeout(timer);
          resolve();
        };
    });
  }
}

/** Internal: the model is paused (a 429) for longer than a request should wait. */
class PausedTooLong extends Error {
  constructor(readonly remainingMs: number) {
    super('paused too long');
  }

  toGroundworkError(model: string, thresholdMs: number): GroundworkError {
    return new GroundworkError(
      'PROVIDER_FAILED',
      `${model} is rate limited: paused ${Math.ceil(this.remainingMs / 1000)} s more by a 429 (longer than ${thresholdMs} ms)`,
      { hint: 'the queue runs this episode again after the pause; lower the model limits if 429s are frequent' },
    );
  }
}
