/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** Query parameters that carry credentials in some APIs (e.g. `?key=`). */
const SECRET_QUERY_PARAMS = /^(key|api[-_]?key|access[-_]?token|token|auth|secret|password)$/i;

/** Patterns that look like credentials even when the value is not known. */
const SECRET_PATTERNS: readonly RegExp[] = [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, /\bsk-[A-Za-z0-9_-]{16,}/g];

/**
 * Removes API keys from text before it is written anywhere (cassettes, error messages, logs).
 * Knows the actual key values the hub loaded, plus common credential shapes. One per hub.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  /** Register a secret value (values shorter than 6 characters are ignored as too common). */
  add(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(value);
  }

  /** The text with every known secret and credential-like token replaced by `[REDACTED]`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    for (const pattern of SECRET_PATTERNS)
      out = out.replace(pattern, (match) => (/^(bearer|basic)\s/i.test(match) ? `${match.split(/\s+/)[0]} ${REDACTED}` : REDACTED));
    return out;
  }

  /** A URL without user info and without credential query parameters, then redacted. */
  redactUrl(url: string): string {
    try {
      const parsed = new URL(url);
      parsed.username = '';
      parsed.password = '';
      for (const name of [...parsed.searchParams.keys()]) if (SECRET_QUERY_PARAMS.test(name)) parsed.searchParams.set(name, REDACTED);
      return this.redact(parsed.toString());
    } catch {
      return this.redact(url);
    }
  }
}
