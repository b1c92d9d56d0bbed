import { APICallError } from 'ai';
import { GroundworkError } from '../errors.ts';

/** Backoff settings shared by every model of a hub. */
export interface RetryOptions {
  /** Delay before the first retry, in milliseconds (doubled each retry, with jitter). @default 1000 */
  initialDelayMs: number;
  /** Largest backoff delay, in milliseconds. @default 30000 */
  maxDelayMs: number;
  /** Largest Retry-After honoured, in milliseconds (longer ones are capped). @default 60000 */
  maxRetryAfterMs: number;
}

/** Default backoff. */
export const DEFAULT_RETRY_OPTIONS: RetryOptions = { initialDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };

/** What went wrong with one attempt, and whether another attempt may help. */
export interface AttemptFailure {
  retryable: boolean;
  /** Short human reason, e.g. `HTTP 429`, `timeout after 5000 ms`, `connection failed`. */
  reason: string;
  /** HTTP status, when there was a response. */
  status?: number;
  /** Server-requested wait (Retry-After / retry-after-ms), in milliseconds. */
  retryAfterMs?: number;
  /** How to fix it, when we know better than the generic hint (e.g. a server that is not running). */
  hint?: string;
}

/** AI SDK errors that mean our request is wrong: retrying cannot help. */
const FATAL_SDK_ERRORS = new Set([
  'AI_InvalidPromptError',
  'AI_InvalidArgumentError',
  'AI_UnsupportedFunctionalityError',
  'AI_LoadAPIKeyError',
  'AI_NoSuchModelError',
  'AI_InvalidMessageRoleError',
  'AI_MessageConversionError',
]);

/** Codes (on the error or its causes) of an address that cannot answer: no server, no such host, no valid URL. */
const UNREACHABLE_CODES: Record<string, { what: string; hint: string }> = {
  ECONNREFUSED: { what: 'connection refused', hint: 'is the server running? check the base URL' },
  ENOTFOUND: { what: 'host not found', hint: 'check the host name in the base URL' },
  ERR_INVALID_URL: { what: 'invalid URL', hint: 'check the base URL' },
};

/**
 * A failure no retry can fix: the connection was refused, the host does not exist, the URL is
 * invalid, or fetch refuses the port (undici's "bad port" list, e.g. 9). Retrying these only
 * burns the backoff (about 23 s per call with the defaults) before every episode ends the same way.
 * Resets, DNS hiccups (EAI_AGAIN) and timeouts are not in this list: they can pass.
 */
function unreachable(error: unknown): AttemptFailure | undefined {
  const url = APICallError.isInstance(error) ? error.url : undefined;
  const at = url ? ` at ${url}` : '';
  for (let cause: unknown = error, depth = 0; cause && depth < 6; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    const known = typeof code === 'string' ? UNREACHABLE_CODES[code] : undefined;
    if (known) return { retryable: false, reason: `${known.what}${at}`, hint: known.hint };
    if (cause instanceof Error && cause.message === 'bad port')
      return { retryable: false, reason: `port refused by fetch (unsafe port)${at}`, hint: 'use another port in the base URL' };
  }
  return undefined;
}

/**
 * Classifies a failed attempt. Retryable: 408, 409, 429, 5xx, connection resets and other
 * transient connection errors, timeouts, and answers that could not be read (empty body,
 * truncated JSON, wrong shape). Not retryable: other 4xx (bad key, bad request), invalid
 * prompts, replay misses, and addresses that cannot answer (refused, unknown host, invalid URL).
 */
export function classifyFailure(error: unknown, timedOut: { timeoutMs: number } | undefined, nowMs: number = Date.now()): AttemptFailure {
  if (timedOut) return { retryable: true, reason: `timeout after ${timedOut.timeoutMs} ms` };
  if (GroundworkError.isInstance(error)) return { retryable: false, reason: error.message };
  const dead = unreachable(error);
  if (dead) return dead;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const retryAfterMs = parseRetryAfter(error.responseHeaders, nowMs);
    if (status === undefined) return { retryable: true, reason: `connection failed (${oneLine(error.message)})` };
    if (status >= 200 && status < 300) return { retryable: true, status, reason: `unreadable reply (${oneLine(error.message)})` };
    // A 429 for a spent quota (OpenAI `insufficient_quota`) never clears by waiting.
    const quotaSpent = status === 429 && /insufficient_quota/.test(`${error.responseBody ?? ''} ${error.message}`);
    const retryable = !quotaSpent && (status === 408 || status === 409 || status === 429 || status >= 500 || error.isRetryable);
    return {
      retryable,
      status,
      reason: `HTTP ${status}${quotaSpent ? ' insufficient_quota' : ''}${error.message ? `: ${oneLine(error.message)}` : ''}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AbortError' || name === 'TimeoutError') return { retryable: true, reason: `aborted (${oneLine(message)})` };
  if (FATAL_SDK_ERRORS.has(name)) return { retryable: false, reason: `${name}: ${oneLine(message)}` };
  // Anything else from the SDK (JSON parse, type validation, empty response...) is a garbage reply.
  return { retryable: true, reason: `${name || 'error'}: ${oneLine(message)}` };
}

/**
 * Milliseconds a server asked to wait: `retry-after-ms`, or `retry-after` as seconds or an HTTP
 * date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Record<string, string> | undefined, nowMs: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const ms = get('retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = get('retry-after');
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Delay before retry number `retry` (0-based): exponential backoff with jitter (between half and
 * all of `initialDelayMs * 2^retry`, capped), or the server's Retry-After (capped) when longer.
 */
export function retryDelay(retry: number, failure: AttemptFailure, options: RetryOptions, random: () => number): number {
  const exponential = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** retry);
  const backoff = exponential * (0.5 + random() / 2);
  if (failure.retryAfterMs === undefined) return Math.round(backoff);
  return Math.round(Math.max(Math.min(failure.retryAfterMs, options.maxRetryAfterMs), failure.status === 429 ? 0 : backoff));
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
