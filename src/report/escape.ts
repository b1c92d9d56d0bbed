/**
 * HTML escaping for the report. Transcripts, tool results and even agent names are untrusted
 * text: every interpolation in `html` is escaped unless it is already `SafeHtml` produced by
 * `html` itself (or by `trustedHtml` for markup we generate, such as Vega's SVG).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

/** Markup that is safe to insert as is. Only `html`, `joinHtml` and `trustedHtml` create it. */
export class SafeHtml {
  readonly value: string;
  /** @internal use `html` or `trustedHtml` */
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v) => render(v)).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Join fragments (escaping any plain strings among them). */
export function joinHtml(parts: readonly Interpolation[], separator = ''): SafeHtml {
  return new SafeHtml(parts.map((p) => render(p)).join(separator));
}

/** Mark markup we generated ourselves (never data) as safe. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * An element id (and `#fragment`) derived from data: only `[A-Za-z0-9_-]` survive, other
 * characters become `_` plus their code, so distinct ids stay distinct.
 */
export function anchorId(prefix: string, value: string): string {
  return `${prefix}-${value.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}`)}`;
}
