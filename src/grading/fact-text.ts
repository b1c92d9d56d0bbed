/**
 * Text as facts: a tokenizer and matchers for the communication check. Everything here is a
 * single left-to-right pass or a bounded look around a token — no regular expression runs over
 * a whole message — so a 1 MB message is scanned in linear time.
 */

/** A word, number, date or punctuation mark of a message, with where it sits in the original text. */
export interface Token {
  /** Lowercased word with apostrophes unified, the number's canonical digits, or the mark itself. */
  text: string;
  kind: 'word' | 'number' | 'date' | 'mark';
  /** Numeric value of a number (digits, "1,200", "12.50", "24th", "two"). */
  value?: number;
  /** An ISO date written yyyy-mm-dd. */
  date?: { year: number; month: number; day: number };
  start: number;
  end: number;
}

const APOSTROPHES = new Set(["'", '\u2018', '\u2019', '\u02bc', '`', '\u00b4']);
const LETTER = /[\p{L}\p{M}]/u;
const DIGIT = /[0-9]/;
const isLetter = (ch: string | undefined) => ch !== undefined && LETTER.test(ch);
const isDigit = (ch: string | undefined) => ch !== undefined && DIGIT.test(ch);
const isSpace = (ch: string) => ch.trim() === '';

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};

/** Contractions split into their words, so "can't" reads "can not" and "they're" reads "they are". */
const CONTRACTION_WORDS: Record<string, string[]> = {
  "can't": ['can', 'not'],
  cannot: ['can', 'not'],
  "won't": ['will', 'not'],
  "shan't": ['shall', 'not'],
  "ain't": ['is', 'not'],
};
const IS_BEFORE = new Set(['it', 'that', 'there', 'he', 'she', 'what', 'who', 'here', 'where', 'this', 'which']);
const SUFFIX_WORDS: Record<string, string> = { "n't": 'not', "'re": 'are', "'ve": 'have', "'ll": 'will', "'d": 'would', "'m": 'am' };

function wordTokens(raw: string, start: number, end: number): Token[] {
  const word = raw.toLowerCase();
  // A number word stays a word ("the Final one") but carries its value ("two refunds" = 2).
  const token = (text: string): Token =>
    text in NUMBER_WORDS ? { text, kind: 'word', value: NUMBER_WORDS[text], start, end } : { text, kind: 'word', start, end };
  const split = CONTRACTION_WORDS[word];
  if (split) return split.map(token);
  const apostrophe = word.indexOf("'");
  if (apostrophe < 0) return [token(word)];
  const base = word.slice(0, apostrophe);
  const suffix = word.slice(apostrophe);
  if (suffix === "'s") return IS_BEFORE.has(base) ? [token(base), token('is')] : [token(base)]; // possessive: "employee's manager" reads "employee manager"
  if (suffix === "'t" && base.endsWith('n')) return [token(base.slice(0, -1)), token('not')]; // "isn't", "don't"
  if (suffix in SUFFIX_WORDS) return [token(base), token(SUFFIX_WORDS[suffix])];
  return [token(word.replace(/'/g, ''))];
}

/** Tokens of a text: words (contractions and possessives resolved), numbers, ISO dates, marks. Linear. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === '\n') {
      tokens.push({ text: '\n', kind: 'mark', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (isDigit(ch)) {
      const start = i;
      // ISO date yyyy-mm-dd
      if (i + 10 <= n && /^\d{4}-\d{2}-\d{2}$/.test(text.slice(i, i + 10)) && !isDigit(text[i + 10])) {
        const [year, month, day] = text
          .slice(i, i + 10)
          .split('-')
          .map(Number);
        tokens.push({ text: text.slice(i, i + 10), kind: 'date', date: { year, month, day }, start, end: i + 10 });
        i += 10;
        continue;
      }
      let digits = '';
      while (i < n && (isDigit(text[i]) || ((text[i] === ',' || text[i] === '.') && isDigit(text[i + 1]) && digits.length > 0))) {
        if (text[i] !== ',') digits += text[i];
        i++;
      }
      // Ordinal suffix: "24th", "1st".
      let j = i;
      while (j < n && isLetter(text[j]) && j - i < 2) j++;
      const suffix = text.slice(i, j).toLowerCase();
      if (['st', 'nd', 'rd', 'th'].includes(suffix) && !isLetter(text[j])) i = j;
      const value = Number(digits);
      tokens.push({ text: String(value), kind: 'number', value, start, end: i });
      continue;
    }
    if (isLetter(ch)) {
      const start = i;
      let word = '';
      while (i < n) {
        if (isLetter(text[i]) || isDigit(text[i])) word += text[i++];
        else if (APOSTROPHES.has(text[i]) && isLetter(text[i + 1])) {
          word += "'";
          i++;
        } else break;
      }
      tokens.push(...wordTokens(word, start, i));
      continue;
    }
    tokens.push({ text: APOSTROPHES.has(ch) ? "'" : ch, kind: 'mark', start: i, end: i + 1 });
    i++;
  }
  return joinCompoundNumbers(tokens);
}

/** "twenty-five" and "twenty five" read 25. */
function joinCompoundNumbers(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.value !== undefined && t.value >= 20 && t.value % 10 === 0 && t.text in NUMBER_WORDS) {
      const hyphen = tokens[i + 1]?.text === '-' ? 1 : 0;
      const unit = tokens[i + 1 + hyphen];
      if (unit && unit.text in NUMBER_WORDS && unit.value! >= 1 && unit.value! <= 9) {
        out.push({ text: `${t.text}-${unit.text}`, kind: 'word', value: t.value + unit.value!, start: t.start, end: unit.end });
        i += 1 + hyphen;
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

/** Marks that end a sentence: a gap never crosses them. */
const SENTENCE_END = new Set(['.', '!', '?', ';', ':', '\n']);
/** Words and marks that open a new clause: negation and hedges do not reach across them. */
const CLAUSE_OPENERS = new Set([
  ',',
  '(',
  ')',
  '"',
  '-',
  'because',
  'since',
  'as',
  'but',
  'so',
  'while',
  'although',
  'though',
  'which',
  'that',
  'and',
  'however',
  'due',
  'owing',
  'given',
  'until',
  'once',
  'then',
]);
const NEGATORS = new Set(['no', 'not', 'never', 'without', 'none', 'neither', 'nor', 'nothing', 'nobody']);
const HEDGES = new Set(['if', 'whether', 'unless', 'might', 'maybe', 'perhaps', 'possibly', 'could', 'let', 'may']);
/** Action verbs: a negator before one negates the action ("can't be deleted under a hold"), not what follows. */
const ACTION_STEMS = [
  'delet',
  'eras',
  'remov',
  'process',
  'proceed',
  'complet',
  'fulfil',
  'honor',
  'honour',
  'carr',
  'execut',
  'perform',
  'do',
  'help',
  'act',
  'chang',
  'purg',
  'grant',
  'offboard',
  'disabl',
  'go',
  'touch',
  'modif',
  'wip',
];
const isAction = (word: string) =>
  ACTION_STEMS.some((stem) =>
    stem.length <= 3 ? word === stem || word === `${stem}ne` || word === `${stem}es` || word === `${stem}ing` : word.startsWith(stem),
  );
/** Words after a matched concept that say it no longer holds ("the hold was lifted"). */
const LIFTED = new Set(['lifted', 'released', 'removed', 'expired', 'ended', 'cleared', 'withdrawn', 'rescinded', 'revoked', 'closed']);
const STILL_WORDS = new Set(['active', 'effect', 'place', 'apply', 'applies', 'exist', 'exists', 'present', 'current', 'there', 'pending']);

/** One slot of a token pattern: alternatives, each a word, a prefix (`stem*`) or `#num` (any number). */
interface Slot {
  alternatives: { text: string; prefix: boolean; number: boolean }[];
  /** The alternatives split for a fast test: exact words, prefixes, whether any number fits. */
  words: Set<string>;
  prefixes: string[];
  number: boolean;
  optional: boolean;
  /** Tokens allowed between the previous slot and this one (`...` before it: a long gap within the sentence). */
  gap: number;
}

export interface TokenPattern {
  source: string;
  slots: Slot[];
}

const NEAR = 2;
const MEDIUM = 4;
const FAR = 16;

/**
 * Parses a token pattern: words separated by spaces; `a|b` alternatives; `stem*` a prefix;
 * `#num` any number; a trailing `?` makes a slot optional; a leading `+` makes it follow the
 * previous slot directly; `..` allows up to 4 tokens before the next slot, `...` up to 16
 * (always within the sentence); otherwise at most 2 tokens lie between.
 */
export function parsePattern(source: string): TokenPattern {
  const slots: Slot[] = [];
  let gap = NEAR;
  for (const part of source.trim().split(/\s+/)) {
    if (part === '...' || part === '..') {
      if (slots.length === 0) throw new Error(`bad token pattern "${source}": it must start with a required word`);
      gap = part === '...' ? FAR : MEDIUM;
      continue;
    }
    const adjacent = part.startsWith('+') && part.length > 1;
    const optional = part.endsWith('?') && part.length > 1;
    const body = part.slice(adjacent ? 1 : 0, optional ? -1 : undefined);
    const alternatives = body
      .split('|')
      .map((alt) => ({ text: alt.replace(/\*$/, '').toLowerCase(), prefix: alt.endsWith('*'), number: alt === '#num' }));
    if (alternatives.some((a) => a.text === '')) throw new Error(`bad token pattern "${source}": empty alternative`);
    const words = new Set(alternatives.filter((a) => !a.prefix && !a.number).map((a) => a.text));
    const prefixes = alternatives.filter((a) => a.prefix).map((a) => a.text);
    slots.push({
      alternatives,
      words,
      prefixes,
      number: alternatives.some((a) => a.number),
      optional,
      gap: slots.length === 0 || adjacent ? 0 : gap,
    });
    gap = NEAR;
  }
  if (slots.length === 0 || slots[0].optional) throw new Error(`bad token pattern "${source}": it must start with a required word`);
  return { source, slots };
}

function slotMatches(slot: Slot, token: Token): boolean {
  if (slot.words.has(token.text)) return true;
  if (slot.number && token.value !== undefined) return true;
  return token.kind === 'word' && slot.prefixes.some((prefix) => token.text.startsWith(prefix));
}

/** A tokenized text with what the matchers need precomputed once (sentence ends), so each look is bounded. */
export class FactText {
  readonly tokens: Token[];
  /** For each token, the index of the mark ending its sentence (or tokens.length). */
  private readonly sentenceEnd: number[];
  constructor(readonly text: string) {
    this.tokens = tokenize(text);
    this.sentenceEnd = new Array(this.tokens.length);
    let end = this.tokens.length;
    for (let i = this.tokens.length - 1; i >= 0; i--) {
      if (SENTENCE_END.has(this.tokens[i].text)) end = i;
      this.sentenceEnd[i] = end;
    }
  }

  /** The original text of tokens [from, to]. */
  quote(from: number, to: number): string {
    return this.text.slice(this.tokens[from].start, this.tokens[to].end);
  }

  /** Every place the pattern matches: [first, last] token index. Greedy per start, so linear in the text. */
  *matches(pattern: TokenPattern): Generator<[number, number]> {
    const { tokens } = this;
    const [first, ...rest] = pattern.slots;
    for (let i = 0; i < tokens.length; i++) {
      if (!slotMatches(first, tokens[i])) continue;
      let position = i;
      let ok = true;
      for (const slot of rest) {
        const limit = Math.min(position + 1 + slot.gap, this.sentenceEnd[position] - 1, tokens.length - 1);
        let found = -1;
        for (let j = position + 1; j <= limit; j++) {
          if (slotMatches(slot, tokens[j])) {
            found = j;
            break;
          }
        }
        if (found >= 0) position = found;
        else if (!slot.optional) {
          ok = false;
          break;
        }
      }
      if (ok) yield [i, position];
    }
  }

  /** Whether a negator in the same clause, shortly before, negates what starts at `from` ("there is no legal hold"). */
  negatedBefore(from: number): string | undefined {
    for (let j = from - 1, seen = 0; j >= 0 && seen < 6; j--, seen++) {
      const t = this.tokens[j];
      if (SENTENCE_END.has(t.text) || CLAUSE_OPENERS.has(t.text)) return undefined;
      if (NEGATORS.has(t.text)) return t.text;
      if (t.kind === 'word' && isAction(t.text)) return undefined;
    }
    return undefined;
  }

  /** Whether the clause right after `to` says it no longer holds ("… was lifted", "… is not active"). */
  negatedAfter(to: number): string | undefined {
    for (let j = to + 1, seen = 0; j < this.tokens.length && seen < 6; j++, seen++) {
      const t = this.tokens[j];
      if (SENTENCE_END.has(t.text) || CLAUSE_OPENERS.has(t.text)) return undefined;
      if (LIFTED.has(t.text)) return t.text;
      if (t.text === 'not' || t.text === 'longer') {
        for (let k = j + 1; k <= j + 3 && k < this.tokens.length; k++)
          if (STILL_WORDS.has(this.tokens[k].text)) return `${t.text} ${this.tokens[k].text}`;
      }
    }
    return undefined;
  }

  /** Whether the statement is a question or hedged in its clause ("if there is a hold", "is there a hold?"). */
  hedged(from: number): string | undefined {
    const end = this.sentenceEnd[from];
    if (this.tokens[end]?.text === '?') return 'a question';
    for (let j = from - 1, seen = 0; j >= 0 && seen < 8; j--, seen++) {
      const t = this.tokens[j];
      if (SENTENCE_END.has(t.text) || (CLAUSE_OPENERS.has(t.text) && t.text !== 'that')) return undefined;
      if (t.kind === 'word' && isAction(t.text)) return undefined;
      // "may" before a day is the month, not a hedge.
      if (t.text === 'may' && this.tokens[j + 1]?.kind === 'number') continue;
      if (HEDGES.has(t.text)) return t.text;
    }
    return undefined;
  }

  /** Whether the words of `phrase` occur here in order, adjacent (names, fixed texts). */
  findSequence(phrase: readonly Token[]): [number, number] | undefined {
    if (phrase.length === 0) return undefined;
    const { tokens } = this;
    outer: for (let i = 0; i + phrase.length <= tokens.length; i++) {
      for (let k = 0; k < phrase.length; k++) if (tokens[i + k].text !== phrase[k].text) continue outer;
      return [i, i + phrase.length - 1];
    }
    return undefined;
  }

  /** The first number equal to `value`. */
  findNumber(value: number): number | undefined {
    const index = this.tokens.findIndex((t) => t.value !== undefined && Math.abs(t.value - value) < 1e-9);
    return index < 0 ? undefined : index;
  }

  /** The first mention of an ISO date: "2024-05-24", "May 24", "24 May", "May 24th, 2024" (a written year must agree). */
  findDate(iso: string): [number, number] | undefined {
    const [year, month, day] = iso.split('-').map(Number);
    const { tokens } = this;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.kind === 'date' && t.date!.year === year && t.date!.month === month && t.date!.day === day) return [i, i];
      if (t.kind !== 'word' || MONTHS[t.text] !== month) continue;
      // Month then day ("May 24", "May 24th, 2024") or day then month ("24 May", "24th of May").
      const after = tokens[i + 1];
      const before = tokens[i - 1]?.text === 'of' ? tokens[i - 2] : tokens[i - 1];
      const dayToken =
        after?.kind === 'number' && after.value === day ? after : before?.kind === 'number' && before.value === day ? before : undefined;
      if (!dayToken) continue;
      const from = Math.min(i, tokens.indexOf(dayToken, Math.max(0, i - 2)));
      let to = Math.max(i, dayToken === after ? i + 1 : i);
      const yearToken = tokens[to + 1]?.text === ',' ? tokens[to + 2] : tokens[to + 1];
      if (yearToken?.kind === 'number' && yearToken.value! >= 1900 && yearToken.value! <= 2200) {
        if (yearToken.value !== year) continue;
        to = tokens.indexOf(yearToken, to);
      }
      return [from, to];
    }
    return undefined;
  }
}

const MONTHS: Record<string, number> = {
  january: 1,
  jan: 1,
  february: 2,
  feb: 2,
  march: 3,
  mar: 3,
  april: 4,
  apr: 4,
  may: 5,
  june: 6,
  jun: 6,
  july: 7,
  jul: 7,
  august: 8,
  aug: 8,
  september: 9,
  sep: 9,
  sept: 9,
  october: 10,
  oct: 10,
  november: 11,
  nov: 11,
  december: 12,
  dec: 12,
};
