import type { JsonValue } from '../schema/json.ts';
import { CREDENTIAL_QUERY_PARAM } from '../schema/model-config.ts';

/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]';

// Credential shapes, found even when the value is not a configured key. Every quantifier is
// bounded or stops at a delimiter, so matching stays linear on megabytes of hostile text; every
// replacement is a fixed point (redacting twice changes nothing), so record and replay agree.
const TOKEN = '[A-Za-z0-9._~+/=-]';
export const SECRET_PATTERNS: readonly [RegExp, string][] = [
  // Authorization values: "Authorization: Basic dXNl…", "authorization=abc…", and "Bearer abc…"
  // anywhere (capitalised only: "the bearer receives" and "Basic Economy." are prose).
  [
    new RegExp(`\\b((?:proxy-)?authorization["']?\\s{0,4}[:=]\\s{0,4}["']?(?:(?:bearer|basic|token)\\s{1,16})?)${TOKEN}{8,}`, 'gi'),
    `$1${REDACTED}`,
  ],
  [new RegExp(`\\b(Bearer\\s{1,16})${TOKEN}{8,}`, 'g'), `$1${REDACTED}`],
  // User info in any URL: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#@:]{1,256}:[^\s/?#@]{0,256}@/gi, `$1${REDACTED}@`],
  // Credential query parameters: ?api_key=…, &key=…, &token=…
  [/([?&;](?:key|api[-_]?key|access[-_]?token|token|auth|secret|password)=)[^\s&#"'<>]{1,4096}/gi, `$1${REDACTED}`],
  // Header or field shaped: "x-api-key: …", "api_key=…", "\"apiKey\": \"…\"".
  [new RegExp(`\\b((?:x-)?api[-_]?key["']?\\s{0,4}[:=]\\s{0,4}["']?)${TOKEN}{8,}`, 'gi'), `$1${REDACTED}`],
  // Provider key formats: OpenAI/Anthropic (sk-…), GitHub, AWS access key ids, Slack, Google.
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bAKIA[0-9A-Z]{16}\b/g, REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{35}/g, REDACTED],
];

/**
 * A literal every match of `SECRET_PATTERNS` contains (case-insensitively): text without any of
 * them cannot match a pattern, so it skips the ten replacements (most model traffic). Keep it in
 * step with the patterns above; secrets.test.ts checks it against them.
 */
export const PATTERN_ANCHORS =
  /authorization|bearer|:\/\/|[?&;](?:key|api|access|token|auth|secret|password)|api|sk-|gh[pousr]_|akia|xox[abprs]-|aiza/i;

/** Characters a known secret may hold for the raw-text shortcut of `redactBody` (no JSON escape produces them). */
const PLAIN_SECRET = /^[A-Za-z0-9._~+=-]+$/;

/**
 * The one redaction step: removes API keys and credential-shaped strings from anything before it
 * is stored, printed, rendered or exported (model replies and tool-call arguments as they leave
 * the model session, cassettes, error details, URLs, logs). Knows the actual key values the hub
 * loaded, plus common credential shapes. One per hub.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  /** The secrets longest first, so a key that contains another is removed whole. */
  private ordered: string[] = [];
  /** True while every secret is made of characters JSON never escapes (see `redactBody`). */
  private plainSecrets = true;

  /** Register a secret value (values shorter than 6 characters are ignored as too common). */
  add(value: string | undefined): void {
    if (!value || value.length < 6 || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
    if (!PLAIN_SECRET.test(value)) this.plainSecrets = false;
  }

  /** The text with every known secret and credential-like token replaced by `[REDACTED]`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    if (!PATTERN_ANCHORS.test(out)) return out;
    for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }

  /** True when nothing in `text` can be redacted: no known secret and no credential shape. */
  private clean(text: string): boolean {
    for (const secret of this.ordered) if (text.includes(secret)) return false;
    return !PATTERN_ANCHORS.test(text);
  }

  /** Every string of a JSON value redacted (keys included); numbers, booleans and null as they are. */
  redactJson(value: JsonValue): JsonValue {
    if (typeof value === 'string') return this.redactString(value);
    if (Array.isArray(value)) return value.map((item) => this.redactJson(item));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.redact(key), this.redactJson(item)]));
    return value;
  }

  /**
   * A string redacted; a string holding JSON (tool-call arguments inside a reply) is also parsed
   * and redacted value by value, since escapes (`\\u0073k-…`) hide a key from the text search. It
   * is rewritten only when that removed something, so ordinary arguments keep their bytes.
   */
  private redactString(text: string): string {
    const out = this.redact(text);
    const first = out.trimStart()[0];
    if (first !== '{' && first !== '[') return out;
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(out) as JsonValue;
    } catch {
      return out;
    }
    const before = JSON.stringify(parsed);
    const after = JSON.stringify(this.redactJson(parsed));
    return after === before ? out : after;
  }

  /**
   * A response or request body redacted: JSON is parsed, redacted string by string and written
   * back (so a key escaped inside a JSON string is found too); anything else is redacted as text.
   */
  redactBody(text: string): string {
    // Without \u or \/ escapes every decoded string (and every string nested in one) is made of the
    // text's own characters, so a clean text has nothing to redact inside, JSON or not: it is
    // returned as it came, not parsed and written again (most model replies, on every call).
    if (this.plainSecrets && !text.includes('\\u') && !text.includes('\\/') && this.clean(text)) return text;
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(text) as JsonValue;
    } catch {
      return this.redact(text);
    }
    return JSON.stringify(this.redactJson(parsed));
  }

  /** A URL without user info and without credential query parameters, then redacted. */
  redactUrl(url: string): string {
    try {
      const parsed = new URL(url);
      parsed.username = '';
      parsed.password = '';
      for (const name of [...parsed.searchParams.keys()]) if (CREDENTIAL_QUERY_PARAM.test(name)) parsed.searchParams.set(name, REDACTED);
      return this.redact(parsed.toString());
    } catch {
      return this.redact(url);
    }
  }
}
