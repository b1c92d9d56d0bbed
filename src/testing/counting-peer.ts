import { startOpenAIPeer } from './openai-peer.ts';
import { maxArrivalsInWindow, maxConcurrent, type ModelPeer, type PeerReply, type PeerRequest } from './peer-server.ts';

/** Settings of a counting peer. */
export interface CountingPeerOptions {
  /** Time every answer takes (429s included). @default 50 */
  latencyMs?: number;
  /** The answer to a request that is not rate-limited (its `delayMs` overrides `latencyMs`). @default a plain text message `Done.` */
  answer?: (request: PeerRequest) => PeerReply;
}

/** A window of 429 answers (see `CountingPeer.rateLimit`). */
export interface RateLimitWindow {
  /** Requests of this model only (the request body's `model`); all when absent. */
  model?: string;
  /** Answer 429 to requests arriving in the next `forMs`. */
  forMs: number;
  /** When the `forMs` start: now, or when the next matching request arrives. @default 'now' */
  from?: 'now' | 'next-request';
  /** Retry-After sent with each 429 (as `retry-after-ms`, and `retry-after` in whole seconds). */
  retryAfterMs: number;
}

/** What the peer saw of one model (all models when asked without a name). */
export interface PeerModelCounts {
  requests: number;
  /** Requests answered 429. */
  rateLimited: number;
  /** Most requests in flight at once, from the peer's own arrival and finish times. */
  maxInFlight: number;
}

/**
 * An OpenAI-compatible peer that counts, per model name, what a limit must hold: requests in flight
 * at once and arrivals per window, from the server's own timestamps (so limits enforced by any
 * number of client processes are checked from outside them). It answers after a fixed latency and
 * can answer 429 with Retry-After for a while (`rateLimit`).
 */
export interface CountingPeer extends ModelPeer {
  counts(model?: string): PeerModelCounts;
  /** Most arrivals of `model` (all when absent) within any `windowMs`, 429s included. */
  maxArrivals(windowMs: number, model?: string): number;
  /** For `forMs` (from now, or from the next matching request), answer 429 with Retry-After. */
  rateLimit(window: RateLimitWindow): void;
  /** The next `count` requests of `model` are answered with HTTP `status` (e.g. 500; no Retry-After). */
  failNext(model: string, count: number, status?: number): void;
  /** Model names seen, in order of first request. */
  models(): string[];
}

/** Starts a counting peer on 127.0.0.1 (close it after the test). */
export async function startCountingPeer(options: CountingPeerOptions = {}): Promise<CountingPeer> {
  const latencyMs = options.latencyMs ?? 50;
  const answer = options.answer ?? ((): PeerReply => ({ kind: 'message', text: 'Done.' }));
  const windows: { model?: string; forMs: number; until?: number; retryAfterMs: number }[] = [];
  const limited = new Set<PeerRequest>();
  const failures = new Map<string, { left: number; status: number }>();
  const modelOf = (request: PeerRequest) => String(request.body?.model ?? '');

  const peer = await startOpenAIPeer((request) => {
    const window = windows.find((w) => {
      if (w.model !== undefined && w.model !== modelOf(request)) return false;
      w.until ??= request.arrivedAt + w.forMs;
      return request.arrivedAt < w.until;
    });
    if (window) {
      limited.add(request);
      return {
        kind: 'error',
        status: 429,
        message: 'Rate limit reached (counting peer)',
        headers: { 'retry-after-ms': String(window.retryAfterMs), 'retry-after': String(Math.ceil(window.retryAfterMs / 1000)) },
        delayMs: latencyMs,
      };
    }
    const failure = failures.get(modelOf(request));
    if (failure && failure.left > 0) {
      failure.left--;
      return { kind: 'error', status: failure.status, message: `Server error (counting peer)`, delayMs: latencyMs };
    }
    return { delayMs: latencyMs, ...answer(request) };
  });

  const of = (model?: string) => (model === undefined ? peer.requests : peer.requests.filter((request) => modelOf(request) === model));
  return Object.assign(peer, {
    counts(model?: string): PeerModelCounts {
      const requests = of(model);
      return {
        requests: requests.length,
        rateLimited: requests.filter((r) => limited.has(r)).length,
        maxInFlight: maxConcurrent(requests),
      };
    },
    maxArrivals(windowMs: number, model?: string): number {
      return maxArrivalsInWindow(of(model), windowMs);
    },
    rateLimit(window: RateLimitWindow): void {
      windows.push({
        ...(window.model !== undefined ? { model: window.model } : {}),
        forMs: window.forMs,
        ...(window.from === 'next-request' ? {} : { until: performance.now() + window.forMs }),
        retryAfterMs: window.retryAfterMs,
      });
    },
    failNext(model: string, count: number, status = 500): void {
      failures.set(model, { left: count, status });
    },
    models(): string[] {
      return [...new Set(peer.requests.map(modelOf))];
    },
  });
}
