import type { FactKind } from '../schema/audit.ts';

/** A fact-like token found in a user message. */
export interface FactToken {
  text: string;
  kind: FactKind;
}

/** Characters of an email's local part and domain. */
const LOCAL_CHAR = /[\w.+-]/;
const DOMAIN_CHAR = /[\w.-]/;

/**
 * Spans of emails in a text, found from each "@" outwards: linear in the text (a regex like
 * `[\w.+-]+@…` retries its whole run at every start position and is quadratic on long words).
 */
export function emailSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let from = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > from && LOCAL_CHAR.test(text[start - 1])) start--;
    let end = at + 1;
    while (end < text.length && DOMAIN_CHAR.test(text[end])) end++;
    // The domain needs a dot between word parts ("example.com"); trailing dots are punctuation.
    while (end > at + 1 && text[end - 1] === '.') end--;
    const domain = text.slice(at + 1, end);
    if (start < at && /^[\w-]+(?:\.[\w-]+)+$/.test(domain)) {
      spans.push({ start, end });
      from = end;
    }
  }
  return spans;
}
const ID_PATTERNS = [
  /#W\d{5,}/g,
  /\b[a-z]+(?:_[a-z]+)+_\d{3,}\b/gi,
  /\b[A-Za-z]{1,6}-\d{2,6}\b/g,
  /\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b/g,
];
const AMOUNT = /\$\s?\d[\d,]*(?:\.\d+)?/g;
const NUMBER = /\b\d{3,}(?:\.\d+)?\b/g;
const SELF_NAME = /(?:\bI'm|\bI am|\b[Mm]y name is|\b[Tt]his is)\s+([A-Z][a-z]+(?: [A-Z][a-z'-]+)+)/g;
const LEVEL = /\b(read|write|admin)\s+access\b/gi;

/** Fact-like tokens of a message: emails, ids, amounts, numbers (zip when 5 digits), self-stated names, access levels. */
export function factTokens(text: string): FactToken[] {
  const out: FactToken[] = [];
  let rest = text;
  const take = (pattern: RegExp, kind: FactKind | ((token: string) => FactKind)) => {
    rest = rest.replace(pattern, (match) => {
      out.push({ text: match, kind: typeof kind === 'function' ? kind(match) : kind });
      return ' ';
    });
  };
  const emails = emailSpans(rest);
  for (const { start, end } of emails) out.push({ text: rest.slice(start, end), kind: 'email' });
  for (const { start, end } of [...emails].reverse()) rest = `${rest.slice(0, start)} ${rest.slice(end)}`;
  for (const pattern of ID_PATTERNS) take(pattern, 'id');
  take(AMOUNT, 'amount');
  take(NUMBER, (n) => (/^\d{5}$/.test(n) ? 'zip' : 'amount'));
  for (const match of text.matchAll(SELF_NAME)) out.push({ text: match[1], kind: 'name' });
  for (const match of text.matchAll(LEVEL)) out.push({ text: match[1].toLowerCase(), kind: 'level' });
  return out;
}

/** Lowercase, underscores as spaces, no commas or dollar signs: how tokens and texts are compared. */
export function normaliseFact(text: string): string {
  // The audits normalise the same texts episode after episode (the scenario, scripted messages,
  // profile values): a bounded memo of this pure function.
  let normal = normalised.get(text);
  if (normal === undefined) {
    if (normalised.size >= NORMALISED_KEPT) normalised.clear();
    normal = text.toLowerCase().replace(/_/g, ' ').replace(/[,$]/g, '').replace(/\s+/g, ' ').trim();
    normalised.set(text, normal);
  }
  return normal;
}

/** Texts `normaliseFact` keeps the result of (memory stays bounded: cleared when full). */
const NORMALISED_KEPT = 4096;
const normalised = new Map<string, string>();
