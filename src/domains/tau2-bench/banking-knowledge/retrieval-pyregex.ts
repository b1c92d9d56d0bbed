/**
 * Python `re` patterns (3.11 syntax) run on JavaScript's regex engine. τ²'s grep tool compiles the
 * agent's pattern with Python's `re` (falling back to a literal search when it does not compile) and
 * counts `findall` matches, so we must (1) reject exactly the patterns Python rejects and (2) match
 * what Python matches. We parse Python's syntax ourselves (written from the documented grammar and
 * its error rules) and emit an equivalent JS pattern with the `v` flag: Unicode `\d \w \s \b`, `.`
 * that stops only at `\n`, Python's `$` (end or before a final newline), inline flags, atomic groups
 * and possessive quantifiers (as lookahead + backreference), `{,n}` and literal `{`.
 *
 * Known differences (rare in practice): conditional groups `(?(1)a|b)` and `\N{name}` escapes
 * (which need Unicode's name table) and repeats of something that prefers an empty match
 * (`(?:|a)*`, `(?:a*?)+`: Python ends the loop, JS tries the next choice) are refused
 * (UnsupportedPythonRegex); a backreference to a
 * group that did not take part matches the empty string in JS but fails in Python; scoped case
 * flags that differ from the pattern's (`(?-i:...)` inside a case-insensitive search) fold ASCII
 * letters only inside ranges; classes follow Node's Unicode version (Python 3.11: Unicode 14).
 */

/** Python's `re.error`: the pattern does not compile (τ² then searches for it literally). */
export class PythonRegexError extends Error {}

/** A Python exception other than `re.error` (τ²'s tool then fails with its message). */
export class PythonRegexOverflow extends Error {}

/** Raised for syntax Python accepts that we cannot run. */
export class UnsupportedPythonRegex extends Error {}

const FLAG_I = 1;
const FLAG_M = 2;
const FLAG_S = 4;
const FLAG_X = 8;
const FLAG_A = 16;
const FLAG_U = 32;
const FLAG_L = 64;
const FLAG_BITS: Record<string, number> = { i: FLAG_I, L: FLAG_L, m: FLAG_M, s: FLAG_S, x: FLAG_X, a: FLAG_A, t: 128, u: FLAG_U };
const TYPE_FLAGS = FLAG_A | FLAG_L | FLAG_U;
const MAXREPEAT = 4294967295;
const MAXWIDTH = 2 ** 64;

type Category = 'd' | 'D' | 's' | 'S' | 'w' | 'W';
type SetItem = { t: 'lit'; cp: number } | { t: 'range'; lo: number; hi: number } | { t: 'cat'; cat: Category };
type Node =
  | { t: 'lit'; cp: number }
  | { t: 'any' }
  | { t: 'set'; negate: boolean; items: SetItem[] }
  | { t: 'at'; at: '^' | '$' | 'A' | 'Z' | 'b' | 'B' }
  | { t: 'group'; index: number | null; add: number; del: number; body: Node[] }
  | { t: 'atomic'; body: Node[] }
  | { t: 'look'; behind: boolean; negate: boolean; body: Node[] }
  | { t: 'ref'; index: number }
  | { t: 'cond'; index: number; yes: Node[]; no: Node[] | null }
  | { t: 'repeat'; min: number; max: number; mode: 'greedy' | 'lazy' | 'possessive'; body: Node[] }
  | { t: 'branch'; branches: Node[][] };

const DIGITS = '0123456789';
const OCTDIGITS = '01234567';
const HEXDIGITS = '0123456789abcdefABCDEF';
const ASCII_LETTER = /^[A-Za-z]$/;
const VERBOSE_WHITESPACE = ' \t\n\r\v\f';
const ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
const CATEGORIES = new Set(['d', 'D', 's', 'S', 'w', 'W']);
const AT_ESCAPES = new Set(['A', 'b', 'B', 'Z']);

/** Pattern reader over code points (Python indexes strings by code point). */
class Source {
  readonly chars: string[];
  index = 0;
  constructor(pattern: string) {
    this.chars = [...pattern];
  }
  /** The next token: one character, or a backslash with the character after it. */
  peek(): string | undefined {
    const char = this.chars[this.index];
    if (char !== '\\') return char;
    const next = this.chars[this.index + 1];
    if (next === undefined) throw new PythonRegexError('bad escape (end of pattern)');
    return `\\${next}`;
  }
  get(): string | undefined {
    const token = this.peek();
    if (token !== undefined) this.index += isEscape(token) ? 2 : 1;
    return token;
  }
  match(char: string): boolean {
    if (this.peek() !== char) return false;
    this.get();
    return true;
  }
  getWhile(count: number, allowed: string): string {
    let out = '';
    for (let i = 0; i < count; i++) {
      const next = this.peek();
      if (next === undefined || next.length !== 1 || !allowed.includes(next)) break;
      out += next;
      this.get();
    }
    return out;
  }
  getUntil(terminator: string, what: string): string {
    let out = '';
    for (;;) {
      const char = this.peek();
      if (char === undefined) {
        if (!out) throw new PythonRegexError(`missing ${what}`);
        throw new PythonRegexError(`missing ${terminator}, unterminated name`);
      }
      this.get();
      if (char === terminator) {
        if (!out) throw new PythonRegexError(`missing ${what}`);
        return out;
      }
      out += char;
    }
  }
}

/** Parser state: groups, their widths once closed, names, flags. */
class State {
  flags = 0;
  groups = 1;
  readonly widths: ([number, number] | null)[] = [null];
  readonly names = new Map<string, number>();
  lookbehindGroups: number | null = null;
  readonly forwardRefs = new Set<number>();
  open(name: string | null): number {
    const index = this.groups++;
    if (name !== null) {
      const existing = this.names.get(name);
      if (existing !== undefined) throw new PythonRegexError(`redefinition of group name '${name}'`);
      this.names.set(name, index);
    }
    this.widths.push(null);
    return index;
  }
  isClosed(index: number): boolean {
    return index < this.groups && (this.widths[index] ?? null) !== null;
  }
  checkLookbehindRef(index: number): void {
    if (this.lookbehindGroups === null) return;
    if (!this.isClosed(index)) throw new PythonRegexError('cannot refer to an open group');
    if (index >= this.lookbehindGroups) throw new PythonRegexError('cannot refer to group defined in the same lookbehind subpattern');
  }
}

/** A backslash token (`\\d`), as opposed to a character (which may be two UTF-16 units long). */
function isEscape(token: string): boolean {
  return token.length > 1 && token[0] === '\\';
}

function isIdentifier(name: string): boolean {
  return /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name);
}

function checkGroupName(name: string): void {
  if (!isIdentifier(name)) throw new PythonRegexError(`bad character in group name '${name}'`);
}

function hexEscape(source: Source, token: string, digits: number): number {
  const hex = source.getWhile(digits, HEXDIGITS);
  if (hex.length !== digits) throw new PythonRegexError(`incomplete escape ${token}${hex}`);
  const cp = Number.parseInt(hex, 16);
  if (cp > 0x10ffff) throw new PythonRegexError(`bad escape ${token}${hex}`);
  return cp;
}

function namedEscape(source: Source): never {
  if (!source.match('{')) throw new PythonRegexError('missing {');
  // Unicode character names would need the name table; treat them as unsupported.
  throw new UnsupportedPythonRegex('\\N{...} escapes');
}

function classEscape(source: Source, token: string): SetItem {
  const c = token.slice(1);
  if (c in ESCAPES) return { t: 'lit', cp: ESCAPES[c] ?? 0 };
  if (CATEGORIES.has(c)) return { t: 'cat', cat: c as Category };
  if (c === 'x') return { t: 'lit', cp: hexEscape(source, token, 2) };
  if (c === 'u') return { t: 'lit', cp: hexEscape(source, token, 4) };
  if (c === 'U') return { t: 'lit', cp: hexEscape(source, token, 8) };
  if (c === 'N') namedEscape(source);
  if (OCTDIGITS.includes(c)) {
    const octal = c + source.getWhile(2, OCTDIGITS);
    const cp = Number.parseInt(octal, 8);
    if (cp > 0o377) throw new PythonRegexError(`octal escape value \\${octal} outside of range 0-0o377`);
    return { t: 'lit', cp };
  }
  if (DIGITS.includes(c) || ASCII_LETTER.test(c)) throw new PythonRegexError(`bad escape ${token}`);
  return { t: 'lit', cp: c.codePointAt(0) ?? 0 };
}

function escapeNode(source: Source, token: string, state: State): Node {
  const c = token.slice(1);
  if (AT_ESCAPES.has(c)) return { t: 'at', at: c as 'A' | 'b' | 'B' | 'Z' };
  if (CATEGORIES.has(c)) return { t: 'set', negate: false, items: [{ t: 'cat', cat: c as Category }] };
  if (c in ESCAPES) return { t: 'lit', cp: ESCAPES[c] ?? 0 };
  if (c === 'x') return { t: 'lit', cp: hexEscape(source, token, 2) };
  if (c === 'u') return { t: 'lit', cp: hexEscape(source, token, 4) };
  if (c === 'U') return { t: 'lit', cp: hexEscape(source, token, 8) };
  if (c === 'N') namedEscape(source);
  if (c === '0') return { t: 'lit', cp: Number.parseInt(c + source.getWhile(2, OCTDIGITS), 8) };
  if (DIGITS.includes(c)) {
    let digits = c;
    const next = source.peek();
    if (next !== undefined && next.length === 1 && DIGITS.includes(next)) {
      digits += source.get();
      const third = source.peek();
      if (
        OCTDIGITS.includes(digits[0] ?? '') &&
        OCTDIGITS.includes(digits[1] ?? '') &&
        third !== undefined &&
        third.length === 1 &&
        OCTDIGITS.includes(third)
      ) {
        digits += source.get();
        const cp = Number.parseInt(digits, 8);
        if (cp > 0o377) throw new PythonRegexError(`octal escape value \\${digits} outside of range 0-0o377`);
        return { t: 'lit', cp };
      }
    }
    const group = Number.parseInt(digits, 10);
    if (group < state.groups) {
      if (!state.isClosed(group)) throw new PythonRegexError('cannot refer to an open group');
      state.checkLookbehindRef(group);
      return { t: 'ref', index: group };
    }
    throw new PythonRegexError(`invalid group reference ${group}`);
  }
  if (ASCII_LETTER.test(c)) throw new PythonRegexError(`bad escape ${token}`);
  return { t: 'lit', cp: c.codePointAt(0) ?? 0 };
}

function parseAlternation(source: Source, state: State, verbose: boolean, nested: number): Node[] {
  const branches: Node[][] = [];
  for (;;) {
    branches.push(parseSequence(source, state, verbose, nested + 1, nested === 0 && branches.length === 0));
    if (!source.match('|')) break;
    if (nested === 0) verbose = (state.flags & FLAG_X) !== 0;
  }
  return branches.length === 1 ? (branches[0] ?? []) : [{ t: 'branch', branches }];
}

function parseSet(source: Source): Node {
  const items: SetItem[] = [];
  const negate = source.match('^');
  for (;;) {
    const token = source.get();
    if (token === undefined) throw new PythonRegexError('unterminated character set');
    if (token === ']' && items.length > 0) break;
    // A `]` right after `[` or `[^` is a literal (the `items.length` test mirrors Python's).
    const first: SetItem = isEscape(token) ? classEscape(source, token) : { t: 'lit', cp: token.codePointAt(0) ?? 0 };
    if (source.match('-')) {
      const that = source.get();
      if (that === undefined) throw new PythonRegexError('unterminated character set');
      if (that === ']') {
        items.push(first, { t: 'lit', cp: 45 });
        break;
      }
      const second: SetItem = isEscape(that) ? classEscape(source, that) : { t: 'lit', cp: that.codePointAt(0) ?? 0 };
      if (first.t !== 'lit' || second.t !== 'lit' || second.cp < first.cp)
        throw new PythonRegexError(`bad character range ${token}-${that}`);
      items.push({ t: 'range', lo: first.cp, hi: second.cp });
    } else {
      items.push(first);
    }
  }
  return { t: 'set', negate, items };
}

function parseRepeat(source: Source, token: string, sequence: Node[]): boolean {
  let min: number;
  let max: number;
  if (token === '?') [min, max] = [0, 1];
  else if (token === '*') [min, max] = [0, MAXREPEAT];
  else if (token === '+') [min, max] = [1, MAXREPEAT];
  else {
    const here = source.index;
    if (source.peek() === '}') {
      sequence.push({ t: 'lit', cp: 123 });
      return true;
    }
    const lo = source.getWhile(Number.POSITIVE_INFINITY, DIGITS);
    const hi = source.match(',') ? source.getWhile(Number.POSITIVE_INFINITY, DIGITS) : lo;
    if (!source.match('}')) {
      sequence.push({ t: 'lit', cp: 123 });
      source.index = here;
      return true;
    }
    [min, max] = [0, MAXREPEAT];
    if (lo) {
      min = Number(lo);
      if (min >= MAXREPEAT) throw new PythonRegexOverflow('the repetition number is too large');
    }
    if (hi) {
      max = Number(hi);
      if (max >= MAXREPEAT) throw new PythonRegexOverflow('the repetition number is too large');
      if (max < min) throw new PythonRegexError('min repeat greater than max repeat');
    }
  }
  const last = sequence[sequence.length - 1];
  if (last === undefined || last.t === 'at') throw new PythonRegexError('nothing to repeat');
  if (last.t === 'repeat') throw new PythonRegexError('multiple repeat');
  const body = last.t === 'group' && last.index === null && last.add === 0 && last.del === 0 ? last.body : [last];
  const mode = source.match('?') ? 'lazy' : source.match('+') ? 'possessive' : 'greedy';
  sequence[sequence.length - 1] = { t: 'repeat', min, max, mode, body };
  return true;
}

/** Python's inline flags after `(?`: returns null for global flags `(?i)`, else the scoped add/del. */
function parseFlags(source: Source, state: State, first: string): { add: number; del: number } | null {
  let char: string | undefined = first;
  let add = 0;
  let del = 0;
  if (char !== '-') {
    for (;;) {
      const flag = FLAG_BITS[char ?? ''] ?? 0;
      if (char === 'L') throw new PythonRegexError("bad inline flags: cannot use 'L' flag with a str pattern");
      add |= flag;
      if (flag & TYPE_FLAGS && (add & TYPE_FLAGS) !== flag)
        throw new PythonRegexError("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
      char = source.get();
      if (char === undefined) throw new PythonRegexError('missing -, : or )');
      if (')-:'.includes(char)) break;
      if (!(char in FLAG_BITS)) throw new PythonRegexError(/\p{L}/u.test(char) ? 'unknown flag' : 'missing -, : or )');
    }
  }
  if (char === ')') {
    state.flags |= add;
    return null;
  }
  if (add & 128) throw new PythonRegexError('bad inline flags: cannot turn on global flag');
  if (char === '-') {
    char = source.get();
    if (char === undefined) throw new PythonRegexError('missing flag');
    if (!(char in FLAG_BITS)) throw new PythonRegexError(/\p{L}/u.test(char) ? 'unknown flag' : 'missing flag');
    for (;;) {
      const flag = FLAG_BITS[char ?? ''] ?? 0;
      if (flag & TYPE_FLAGS) throw new PythonRegexError("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
      del |= flag;
      char = source.get();
      if (char === undefined) throw new PythonRegexError('missing :');
      if (char === ':') break;
      if (!(char in FLAG_BITS)) throw new PythonRegexError(/\p{L}/u.test(char) ? 'unknown flag' : 'missing :');
    }
  }
  if (del & 128) throw new PythonRegexError('bad inline flags: cannot turn off global flag');
  if (add & del) throw new PythonRegexError('bad inline flags: flag turned on and off');
  return { add, del };
}

function parseGroup(source: Source, state: State, verbose: boolean, nested: number, first: boolean, sequence: Node[]): void {
  let capture = true;
  let atomic = false;
  let name: string | null = null;
  let add = 0;
  let del = 0;
  if (source.match('?')) {
    const char = source.get();
    if (char === undefined) throw new PythonRegexError('unexpected end of pattern');
    if (char === 'P') {
      if (source.match('<')) {
        name = source.getUntil('>', 'group name');
        checkGroupName(name);
      } else if (source.match('=')) {
        const ref = source.getUntil(')', 'group name');
        checkGroupName(ref);
        const index = state.names.get(ref);
        if (index === undefined) throw new PythonRegexError(`unknown group name '${ref}'`);
        if (!state.isClosed(index)) throw new PythonRegexError('cannot refer to an open group');
        state.checkLookbehindRef(index);
        sequence.push({ t: 'ref', index });
        return;
      } else {
        const next = source.get();
        throw new PythonRegexError(next === undefined ? 'unexpected end of pattern' : `unknown extension ?P${next}`);
      }
    } else if (char === ':') {
      capture = false;
    } else if (char === '#') {
      for (;;) {
        if (source.peek() === undefined) throw new PythonRegexError('missing ), unterminated comment');
        if (source.get() === ')') return;
      }
    } else if (char === '=' || char === '!' || char === '<') {
      let kind = char;
      const behind = char === '<';
      const saved = state.lookbehindGroups;
      if (behind) {
        const next = source.get();
        if (next === undefined) throw new PythonRegexError('unexpected end of pattern');
        if (next !== '=' && next !== '!') throw new PythonRegexError(`unknown extension ?<${next}`);
        kind = next;
        if (saved === null) state.lookbehindGroups = state.groups;
      }
      const body = parseAlternation(source, state, verbose, nested + 1);
      if (behind && saved === null) state.lookbehindGroups = null;
      if (!source.match(')')) throw new PythonRegexError('missing ), unterminated subpattern');
      if (behind) checkLookbehindWidth(body, state);
      sequence.push({ t: 'look', behind, negate: kind === '!', body });
      return;
    } else if (char === '(') {
      const condition = source.getUntil(')', 'group name');
      let index: number;
      if (isIdentifier(condition)) {
        const found = state.names.get(condition);
        if (found === undefined) throw new PythonRegexError(`unknown group name '${condition}'`);
        index = found;
      } else {
        if (!/^\p{Nd}+$/u.test(condition)) throw new PythonRegexError(`bad character in group name '${condition}'`);
        index = Number(condition);
        if (!index) throw new PythonRegexError('bad group number');
        state.forwardRefs.add(index);
      }
      state.checkLookbehindRef(index);
      const yes = parseSequence(source, state, verbose, nested + 1, false);
      let no: Node[] | null = null;
      if (source.match('|')) {
        no = parseSequence(source, state, verbose, nested + 1, false);
        if (source.peek() === '|') throw new PythonRegexError('conditional backref with more than two branches');
      }
      if (!source.match(')')) throw new PythonRegexError('missing ), unterminated subpattern');
      sequence.push({ t: 'cond', index, yes, no });
      return;
    } else if (char === '>') {
      capture = false;
      atomic = true;
    } else if (char in FLAG_BITS || char === '-') {
      const flags = parseFlags(source, state, char);
      if (flags === null) {
        if (!first || sequence.length > 0) throw new PythonRegexError('global flags not at the start of the expression');
        return;
      }
      ({ add, del } = flags);
      capture = false;
    } else {
      throw new PythonRegexError(`unknown extension ?${char}`);
    }
  }
  const index = capture ? state.open(name) : null;
  const subVerbose = (verbose || (add & FLAG_X) !== 0) && (del & FLAG_X) === 0;
  const body = parseAlternation(source, state, subVerbose, nested + 1);
  if (!source.match(')')) throw new PythonRegexError('missing ), unterminated subpattern');
  if (index !== null) state.widths[index] = width(body, state);
  sequence.push(atomic ? { t: 'atomic', body } : { t: 'group', index, add, del, body });
}

/** One branch: items up to `|` or `)`. `first`: at the very start, where global flags `(?i)` may stand. */
function parseSequence(source: Source, state: State, verbose: boolean, nested: number, first: boolean): Node[] {
  const sequence: Node[] = [];
  for (;;) {
    const token = source.peek();
    if (token === undefined || token === '|' || token === ')') break;
    source.get();
    if (verbose) {
      if (token.length === 1 && VERBOSE_WHITESPACE.includes(token)) continue;
      if (token === '#') {
        for (let skipped = source.get(); skipped !== undefined && skipped !== '\n'; skipped = source.get());
        continue;
      }
    }
    if (isEscape(token)) sequence.push(escapeNode(source, token, state));
    else if (token === '[') sequence.push(parseSet(source));
    else if ('*+?{'.includes(token)) parseRepeat(source, token, sequence);
    else if (token === '.') sequence.push({ t: 'any' });
    else if (token === '(') {
      const flagsBefore = state.flags;
      parseGroup(source, state, verbose, nested, first, sequence);
      if (state.flags !== flagsBefore) verbose = (state.flags & FLAG_X) !== 0;
    } else if (token === '^') sequence.push({ t: 'at', at: '^' });
    else if (token === '$') sequence.push({ t: 'at', at: '$' });
    else sequence.push({ t: 'lit', cp: token.codePointAt(0) ?? 0 });
  }
  // Non-capturing groups without flags are plain sequences.
  return sequence.flatMap((node) => (node.t === 'group' && node.index === null && node.add === 0 && node.del === 0 ? node.body : [node]));
}

/** Python's (min, max) width of a pattern, in code points. */
function width(nodes: readonly Node[], state: State): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const node of nodes) {
    let range: [number, number] = [0, 0];
    switch (node.t) {
      case 'lit':
      case 'any':
      case 'set':
        range = [1, 1];
        break;
      case 'branch': {
        const widths = node.branches.map((branch) => width(branch, state));
        range = [Math.min(...widths.map(([l]) => l)), Math.max(...widths.map(([, h]) => h))];
        break;
      }
      case 'group':
      case 'atomic':
        range = width(node.body, state);
        break;
      case 'repeat': {
        const [l, h] = width(node.body, state);
        range = [l * node.min, node.max === MAXREPEAT && h ? MAXWIDTH : h * node.max];
        break;
      }
      case 'ref':
        range = state.widths[node.index] ?? [0, 0];
        break;
      case 'cond': {
        const [l, h] = width(node.yes, state);
        const [nl, nh] = node.no ? width(node.no, state) : [0, h];
        range = [node.no ? Math.min(l, nl) : 0, Math.max(h, nh)];
        break;
      }
      default:
        break;
    }
    lo += range[0];
    hi += range[1];
  }
  return [Math.min(lo, MAXWIDTH), Math.min(hi, MAXWIDTH)];
}

function checkLookbehindWidth(body: readonly Node[], state: State): void {
  const [lo, hi] = width(body, state);
  if (lo > MAXREPEAT) throw new PythonRegexError('looks too much behind');
  if (lo !== hi) throw new PythonRegexError('look-behind requires fixed-width pattern');
}

/** Parse a Python pattern compiled with `initialFlags`; the AST and the final global flags. */
function parsePython(pattern: string, initialFlags: number): { nodes: Node[]; flags: number; state: State } {
  const source = new Source(pattern);
  const state = new State();
  state.flags = initialFlags;
  const nodes = parseAlternation(source, state, (initialFlags & FLAG_X) !== 0, 0);
  if (source.peek() !== undefined) throw new PythonRegexError('unbalanced parenthesis');
  for (const index of state.forwardRefs) if (index >= state.groups) throw new PythonRegexError(`invalid group reference ${index}`);
  return { nodes, flags: state.flags, state };
}

// ---------------------------------------------------------------------------------------------
// Emitting JavaScript (`v` flag)

const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const CLASS_BODY: Record<Category, { unicode: string; ascii: string }> = {
  d: { unicode: '\\p{Nd}', ascii: '0-9' },
  s: { unicode: PY_SPACE, ascii: ' \\t\\n\\r\\f\\v' },
  w: { unicode: '\\p{L}\\p{N}_', ascii: 'A-Za-z0-9_' },
  D: { unicode: '[^\\p{Nd}]', ascii: '[^0-9]' },
  S: { unicode: `[^${PY_SPACE}]`, ascii: '[^ \\t\\n\\r\\f\\v]' },
  W: { unicode: '[^\\p{L}\\p{N}_]', ascii: '[^A-Za-z0-9_]' },
};

function char(cp: number): string {
  const c = String.fromCodePoint(cp);
  return /^[A-Za-z0-9 ]$/.test(c) ? c : `\\u{${cp.toString(16)}}`;
}

/**
 * Python's case-insensitive matching treats I, i, İ (U+0130, lowercases to i) and ı (U+0131,
 * uppercases to I) as one letter; Unicode case folding (JS) keeps İ and ı apart.
 */
const PYTHON_DOTTED_I = [0x49, 0x69, 0x130, 0x131];

/** Case variants of a code point (for case-insensitive scopes when the JS pattern cannot use `i`). */
function caseVariants(cp: number): number[] {
  const c = String.fromCodePoint(cp);
  const variants = new Set([cp]);
  for (const other of [c.toLowerCase(), c.toUpperCase()]) if ([...other].length === 1) variants.add(other.codePointAt(0) ?? cp);
  return [...variants];
}

interface EmitContext {
  /** Whether a pattern can match empty while preferring that over a non-empty match (see `prefersEmpty`). */
  preferEmpty(nodes: readonly Node[]): boolean;
  /** Case-insensitivity is done by the JS `i` flag (true everywhere) rather than per literal. */
  jsIgnoreCase: boolean;
  nextGroup: number;
  groupMap: Map<number, number>;
}

function emitSetItem(item: SetItem, flags: number, context: EmitContext): string {
  const foldHere = (flags & FLAG_I) !== 0 && !context.jsIgnoreCase;
  if (item.t === 'cat') return CLASS_BODY[item.cat][flags & FLAG_A ? 'ascii' : 'unicode'];
  const dottedI =
    (flags & FLAG_I) !== 0 && PYTHON_DOTTED_I.some((cp) => (item.t === 'lit' ? item.cp === cp : item.lo <= cp && cp <= item.hi));
  const extra = dottedI ? PYTHON_DOTTED_I.map(char).join('') : '';
  if (item.t === 'lit') return (foldHere ? caseVariants(item.cp) : [item.cp]).map(char).join('') + extra;
  let out = `${char(item.lo)}-${char(item.hi)}${extra}`;
  if (foldHere) {
    const lo = Math.max(item.lo, 65);
    const hi = Math.min(item.hi, 90);
    if (lo <= hi) out += `${char(lo + 32)}-${char(hi + 32)}`;
    const lo2 = Math.max(item.lo, 97);
    const hi2 = Math.min(item.hi, 122);
    if (lo2 <= hi2) out += `${char(lo2 - 32)}-${char(hi2 - 32)}`;
  }
  return out;
}

function wordClass(flags: number): string {
  return flags & FLAG_A ? '[A-Za-z0-9_]' : '[\\p{L}\\p{N}_]';
}

function emitNodes(nodes: readonly Node[], flags: number, context: EmitContext): string {
  return nodes.map((node) => emitNode(node, flags, context)).join('');
}

function emitNode(node: Node, flags: number, context: EmitContext): string {
  switch (node.t) {
    case 'lit':
      if ((flags & FLAG_I) !== 0 && PYTHON_DOTTED_I.includes(node.cp)) return `[${PYTHON_DOTTED_I.map(char).join('')}]`;
      if ((flags & FLAG_I) !== 0 && !context.jsIgnoreCase) {
        const variants = caseVariants(node.cp);
        if (variants.length > 1) return `[${variants.map(char).join('')}]`;
      }
      return char(node.cp);
    case 'any':
      return flags & FLAG_S ? '[\\s\\S]' : '[^\\n]';
    case 'set':
      return `[${node.negate ? '^' : ''}${node.items.map((item) => emitSetItem(item, flags, context)).join('')}]`;
    case 'at': {
      const word = wordClass(flags);
      switch (node.at) {
        case '^':
          return flags & FLAG_M ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?<![\\s\\S])';
        case '$':
          return flags & FLAG_M ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
        case 'A':
          return '(?<![\\s\\S])';
        case 'Z':
          return '(?![\\s\\S])';
        case 'b':
          return `(?:(?<=${word})(?!${word})|(?<!${word})(?=${word}))`;
        case 'B':
          return `(?:(?<=${word})(?=${word})|(?<!${word})(?!${word}))`;
      }
      break;
    }
    case 'group': {
      let inner = flags;
      if (node.add & TYPE_FLAGS) inner &= ~TYPE_FLAGS;
      inner = (inner | node.add) & ~node.del;
      if (node.index === null) return `(?:${emitNodes(node.body, inner, context)})`;
      context.groupMap.set(node.index, context.nextGroup++);
      return `(${emitNodes(node.body, inner, context)})`;
    }
    case 'atomic':
      return emitAtomic(node.body, flags, context, (body) => body);
    case 'look':
      return `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}${emitNodes(node.body, flags, context)})`;
    case 'ref':
      return `\\${context.groupMap.get(node.index) ?? node.index}(?:)`;
    case 'cond':
      throw new UnsupportedPythonRegex('conditional groups');
    case 'branch':
      return `(?:${node.branches.map((branch) => emitNodes(branch, flags, context)).join('|')})`;
    case 'repeat': {
      if (node.min < node.max && context.preferEmpty(node.body)) {
        // Python ends a loop on an empty iteration; JS rejects the iteration and tries the next choice.
        throw new UnsupportedPythonRegex('a repeat whose body prefers an empty match');
      }
      const quantify = (body: string) => `(?:${body})${quantifier(node.min, node.max)}`;
      if (node.mode === 'possessive') return emitAtomic(node.body, flags, context, quantify);
      return `${quantify(emitNodes(node.body, flags, context))}${node.mode === 'lazy' ? '?' : ''}`;
    }
  }
  return '';
}

/** `(?>X)` as `(?=(X))\N`: the lookahead commits to X's first match, the backreference consumes it. */
function emitAtomic(body: readonly Node[], flags: number, context: EmitContext, wrap: (body: string) => string): string {
  const group = context.nextGroup++;
  return `(?=(${wrap(emitNodes(body, flags, context))}))\\${group}(?:)`;
}

function quantifier(min: number, max: number): string {
  const unbounded = max === MAXREPEAT;
  if (min === 0 && unbounded) return '*';
  if (min === 1 && unbounded) return '+';
  if (min === 0 && max === 1) return '?';
  if (unbounded) return `{${min},}`;
  return min === max ? `{${min}}` : `{${min},${max}}`;
}

/**
 * Whether a match that is empty may come before a non-empty one at the same position in the
 * engine's order of preference (lazy quantifiers, an alternative that can match empty before others,
 * backreferences, conditionals, repeats of something that can be empty). Only then does Python's
 * retry for a non-empty match after an empty one differ from moving on to the next position.
 */
function mayPreferEmpty(nodes: readonly Node[], state: State): boolean {
  return nodes.some((node) => {
    switch (node.t) {
      case 'ref':
      case 'cond':
        return true;
      case 'repeat':
        return (node.mode === 'lazy' && node.min < node.max) || width(node.body, state)[0] === 0 || mayPreferEmpty(node.body, state);
      case 'branch':
        return node.branches.some(
          (branch, i) => (i < node.branches.length - 1 && width(branch, state)[0] === 0) || mayPreferEmpty(branch, state),
        );
      case 'group':
      case 'atomic':
      case 'look':
        return mayPreferEmpty(node.body, state);
      default:
        return false;
    }
  });
}

/**
 * Whether the engine may try an empty way of matching before a non-empty one: a lazy quantifier,
 * an alternative that can be empty before others, a backreference or a conditional.
 */
function prefersEmpty(nodes: readonly Node[], state: State): boolean {
  return nodes.some((node) => {
    switch (node.t) {
      case 'ref':
      case 'cond':
        return true;
      case 'repeat':
        return (node.mode === 'lazy' && node.min < node.max) || prefersEmpty(node.body, state);
      case 'branch':
        return node.branches.some(
          (branch, i) => (i < node.branches.length - 1 && width(branch, state)[0] === 0) || prefersEmpty(branch, state),
        );
      case 'group':
      case 'atomic':
        return prefersEmpty(node.body, state);
      default:
        return false;
    }
  });
}

function usesScopedCase(nodes: readonly Node[]): boolean {
  return nodes.some((node) => {
    switch (node.t) {
      case 'group':
        return ((node.add | node.del) & FLAG_I) !== 0 || usesScopedCase(node.body);
      case 'atomic':
      case 'look':
      case 'repeat':
        return usesScopedCase(node.body);
      case 'branch':
        return node.branches.some(usesScopedCase);
      case 'cond':
        return usesScopedCase(node.yes) || usesScopedCase(node.no ?? []);
      default:
        return false;
    }
  });
}

/** A compiled Python pattern: counts matches as `len(re.findall(pattern, text))` does. */
export interface PythonRegex {
  readonly source: string;
  countMatches(text: string): number;
}

/**
 * Compile like Python's `re.compile(pattern, flags)`. Throws PythonRegexError where Python raises
 * `re.error`, PythonRegexOverflow for Python's OverflowError, UnsupportedPythonRegex otherwise.
 */
export function compilePythonRegex(pattern: string, options: { ignoreCase: boolean }): PythonRegex {
  const parsed = parsePython(pattern, options.ignoreCase ? FLAG_I : 0);
  const flags = parsed.flags;
  const jsIgnoreCase = (flags & FLAG_I) !== 0 && !usesScopedCase(parsed.nodes);
  const context: EmitContext = {
    jsIgnoreCase,
    nextGroup: 1,
    groupMap: new Map(),
    preferEmpty: (nodes) => {
      const [min, max] = width(nodes, parsed.state);
      return min === 0 && max > 0 && prefersEmpty(nodes, parsed.state);
    },
  };
  const source = emitNodes(parsed.nodes, flags, context);
  const jsFlags = `v${jsIgnoreCase ? 'i' : ''}`;
  let global: RegExp;
  try {
    global = new RegExp(source, `g${jsFlags}`);
  } catch (error) {
    throw new UnsupportedPythonRegex(`cannot run on the JS engine: ${(error as Error).message}`);
  }
  const retry = mayPreferEmpty(parsed.nodes, parsed.state)
    ? nonEmptyRetry(source, `y${jsFlags}`, 1 + lookbehindReach(parsed.nodes, parsed.state))
    : undefined;
  return { source, countMatches: (text) => countMatches(global, retry, text) };
}

/** How far back (in code points) lookbehinds can look from where they stand. */
function lookbehindReach(nodes: readonly Node[], state: State): number {
  let reach = 0;
  for (const node of nodes) {
    if (node.t === 'look' && node.behind) reach = Math.max(reach, width(node.body, state)[1]);
    if (node.t === 'branch') for (const branch of node.branches) reach = Math.max(reach, lookbehindReach(branch, state));
    else if (node.t === 'cond') reach = Math.max(reach, lookbehindReach(node.yes, state), lookbehindReach(node.no ?? [], state));
    else if ('body' in node) reach = Math.max(reach, lookbehindReach(node.body, state));
  }
  return reach;
}

/** The first non-empty match starting exactly at `position`, or undefined. */
type NonEmptyRetry = (text: string, position: number) => RegExpExecArray | undefined;

/**
 * Runs the pattern sticky at `position` on the text from `reach` code points before it (enough for
 * every lookbehind, `\b` and `^`), with `(?<!^[\s\S]{k})` at the end: the match must not end where
 * it started. One regex per distance k (at most reach + 1 of them).
 */
function nonEmptyRetry(source: string, flags: string, reach: number): NonEmptyRetry {
  const byDistance = new Map<number, RegExp>();
  return (text, position) => {
    let start = position;
    let distance = 0;
    while (distance < reach && start > 0) {
      const low = text.charCodeAt(start - 1);
      const high = text.charCodeAt(start - 2);
      start -= low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
      distance++;
    }
    let regex = byDistance.get(distance);
    if (!regex) {
      regex = new RegExp(`(?:${source})(?<!^[\\s\\S]{${distance}})`, flags);
      byDistance.set(distance, regex);
    }
    regex.lastIndex = position - start;
    return regex.exec(text.slice(start)) ?? undefined;
  };
}

/**
 * Python's `findall` iteration: after an empty match at p, the next match may start at p only if
 * it is non-empty; otherwise the search goes on from p + 1 (where an empty match counts again).
 */
function countMatches(global: RegExp, retry: NonEmptyRetry | undefined, text: string): number {
  // Without the retry, this is exactly JS's own global matching (which moves one code point on).
  if (!retry) return text.match(global)?.length ?? 0;
  let count = 0;
  let position = 0;
  let afterEmpty = false;
  while (position <= text.length) {
    if (afterEmpty) {
      const nonEmpty = retry(text, position);
      if (nonEmpty) {
        count++;
        position += nonEmpty[0].length;
        afterEmpty = false;
        continue;
      }
      if (position >= text.length) break;
      position += (text.codePointAt(position) ?? 0) > 0xffff ? 2 : 1;
    }
    global.lastIndex = position;
    const match = global.exec(text);
    if (!match) break;
    count++;
    position = match.index + match[0].length;
    afterEmpty = match[0].length === 0;
  }
  return count;
}
