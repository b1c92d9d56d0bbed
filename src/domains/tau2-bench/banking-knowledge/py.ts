/**
 * The bits of Python semantics τ²'s banking tools lean on, so our results are byte-equal to theirs:
 * `str()`/`repr()` of values, f-string number formats, `str.title()`, `float()`, truthiness,
 * `json.loads` (with its error messages) and `json.dumps(indent=2)`.
 *
 * Values: JSON values, where a JS `number` is a Python float unless the caller says it is an int,
 * and a `bigint` is a Python int (only `pyJsonLoads` in int mode makes them).
 */
import { pyFloatRepr, pyJsonString, pyReprString } from '../../tau-bench/py-format.ts';

/** A Python value as the tools see it: JSON, with bigint for ints where int and float must differ. */
export type PyValue = string | number | bigint | boolean | null | PyValue[] | { [key: string]: PyValue };

/** A Python exception raised inside a tool; `kind` is the exception class (TypeError...). */
export class PyException extends Error {
  constructor(
    readonly kind: 'TypeError' | 'ValueError' | 'AttributeError' | 'KeyError',
    message: string,
  ) {
    super(message);
    this.name = kind;
  }
}

/** Python's type name of a value (`float`, `str`, `NoneType`...). */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** Python truthiness. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '' || value === 0 || value === 0n) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** A Python number (int, float or bool) as a JS number, else undefined. */
function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

const FLOAT_TEXT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.|inf|infinity|nan)$/i;

/** Python `float(x)`. */
export function pyFloat(value: unknown): number {
  const n = numeric(value);
  if (n !== undefined) return n;
  if (typeof value === 'string') {
    const text = value.trim();
    if (FLOAT_TEXT.test(text)) {
      const lower = text.toLowerCase().replace(/_/g, '');
      if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
      if (lower.endsWith('nan')) return Number.NaN;
      return Number(lower);
    }
    throw new PyException('ValueError', `could not convert string to float: ${pyReprString(value)}`);
  }
  throw new PyException('TypeError', `float() argument must be a string or a real number, not '${pyTypeName(value)}'`);
}

/** Python `a <op> b` for numbers (bool counts as int), strings with strings; TypeError otherwise. */
export function pyCompare(a: unknown, op: '<' | '<=' | '>' | '>=', b: unknown): boolean {
  const x = numeric(a);
  const y = numeric(b);
  let cmp: number;
  if (x !== undefined && y !== undefined) cmp = x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
  else if (typeof a === 'string' && typeof b === 'string') cmp = a < b ? -1 : a > b ? 1 : 0;
  else {
    const right = typeof b === 'number' && Number.isInteger(b) ? 'int' : pyTypeName(b);
    throw new PyException('TypeError', `'${op}' not supported between instances of '${pyTypeName(a)}' and '${right}'`);
  }
  if (Number.isNaN(cmp)) return false;
  return op === '<' ? cmp < 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : cmp >= 0;
}

/** `value.method` exists only on str: AttributeError like Python's otherwise. Returns the string. */
export function pyStrMethod(value: unknown, method: string): string {
  if (typeof value === 'string') return value;
  throw new PyException('AttributeError', `'${pyTypeName(value)}' object has no attribute '${method}'`);
}

/** Python `str.isdigit()` for the ASCII digits the tools check. */
export function pyIsDigit(text: string): boolean {
  return /^\p{Nd}+$/u.test(text);
}

/** Python `str.title()`: first cased character of each run upper, the rest lower. */
export function pyTitle(text: string): string {
  let out = '';
  let previousCased = false;
  for (const ch of text) {
    const cased = ch.toLowerCase() !== ch.toUpperCase();
    out += cased ? (previousCased ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    previousCased = cased;
  }
  return out;
}

/** Python `f"{x:.{digits}f}"`: correctly rounded, exact ties to even (JS `toFixed` breaks ties away from zero). */
export function pyFixed(value: unknown, digits = 2): string {
  const x = numeric(value);
  if (x === undefined) {
    if (typeof value === 'string') throw new PyException('ValueError', `Unknown format code 'f' for object of type 'str'`);
    throw new PyException('TypeError', `unsupported format string passed to ${pyTypeName(value)}.__format__`);
  }
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const magnitude = Math.abs(x);
  let text = magnitude.toFixed(digits);
  if (magnitude < 1e21) {
    const exact = magnitude.toFixed(100);
    const dot = exact.indexOf('.');
    if (/^50*$/.test(exact.slice(dot + 1 + digits))) {
      // An exact tie: keep the even neighbour (truncation when its last digit is even).
      const truncated = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
      const last = Number(truncated[truncated.length - 1]);
      if (last % 2 === 0) text = truncated;
    }
  }
  return `${negative ? '-' : ''}${text}`;
}

/** Python `f"{n:,}"` of an int. */
export function pyThousands(value: number): string {
  const sign = value < 0 ? '-' : '';
  return sign + String(Math.trunc(Math.abs(value))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Which numbers are Python floats: by the key they sit under (top-level record field), or all of them. */
export type FloatRule = (key: string | undefined) => boolean;

/** Every number is a float (arguments parsed with `parse_int=float`). */
export const ALL_FLOATS: FloatRule = () => true;

/** `str(n)` of a number under the rule: ints plain, floats with `repr`. */
export function pyNumberStr(value: number | bigint, isFloat: boolean): string {
  if (typeof value === 'bigint') return String(value);
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (!isFloat && Number.isInteger(value)) return String(value);
  return pyFloatRepr(value);
}

/** Python `str(value)` (f-string `{value}`): strings as they are, containers as their `repr`. */
export function pyStr(value: PyValue | undefined, isFloat = true, nested: FloatRule = ALL_FLOATS): string {
  if (typeof value === 'string') return value;
  return pyRepr(value, isFloat, nested);
}

/** Python `repr(value)`. `isFloat` decides this number; `nested` the numbers inside containers. */
export function pyRepr(value: PyValue | undefined, isFloat = true, nested: FloatRule = ALL_FLOATS): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return pyNumberStr(value, isFloat);
  if (typeof value === 'string') return pyReprString(value);
  if (Array.isArray(value)) return `[${value.map((item) => pyRepr(item, nested(undefined), nested)).join(', ')}]`;
  const parts = Object.entries(value).map(([key, item]) => `${pyReprString(key)}: ${pyRepr(item, nested(key), nested)}`);
  return `{${parts.join(', ')}}`;
}

/** `repr` of a list of strings (`['a', 'b']`), as f-strings print τ²'s lists of valid values. */
export function pyListRepr(items: readonly string[]): string {
  return `[${items.map(pyReprString).join(', ')}]`;
}

/** Python `json.dumps(value, indent=2)` (ensure_ascii; numbers floats under the rule). */
export function pyJsonDumpsIndent(value: PyValue | undefined, rule: FloatRule = ALL_FLOATS, level = 0, key?: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pyJsonString(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
    if (typeof value === 'number' && !Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return pyNumberStr(value, rule(key));
  }
  const pad = '  '.repeat(level + 1);
  const close = '  '.repeat(level);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => pad + pyJsonDumpsIndent(item, rule, level + 1, key)).join(',\n')}\n${close}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, item]) => `${pad}${pyJsonString(k)}: ${pyJsonDumpsIndent(item, rule, level + 1, k)}`).join(',\n')}\n${close}}`;
}

/** `json.JSONDecodeError`'s text: `<reason>: line L column C (char P)`. */
export class PyJsonError extends Error {}

function jsonError(reason: string, text: string, pos: number): PyJsonError {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return new PyJsonError(`${reason}: line ${line} column ${column} (char ${pos})`);
}

const WS = /[ \t\n\r]*/y;
const NUMBER = /(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?/y;

/**
 * Python `json.loads(text)` (`parse_int=float` when `intsAsFloats`, else ints as bigint). Throws
 * `PyJsonError` with Python's message.
 */
export function pyJsonLoads(text: string, intsAsFloats: boolean): PyValue {
  let pos = 0;
  const skip = () => {
    WS.lastIndex = pos;
    WS.exec(text);
    pos = WS.lastIndex;
  };
  const parseString = (): string => {
    const start = pos;
    pos++;
    let out = '';
    for (;;) {
      if (pos >= text.length) throw jsonError('Unterminated string starting at', text, start);
      const ch = text[pos];
      if (ch === '"') {
        pos++;
        return out;
      }
      if (ch === '\\') {
        const esc = text[pos + 1];
        if (esc === undefined) throw jsonError('Unterminated string starting at', text, start);
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (esc in simple) {
          out += simple[esc];
          pos += 2;
        } else if (esc === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw jsonError('Invalid \\uXXXX escape', text, pos + 1);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 6;
        } else throw jsonError('Invalid \\escape', text, pos);
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) throw jsonError('Invalid control character at', text, pos);
      out += ch;
      pos++;
    }
  };
  const parseValue = (): PyValue => {
    const ch = text[pos];
    if (ch === '"') return parseString();
    if (ch === '{') {
      pos++;
      const obj: Record<string, PyValue> = {};
      skip();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        if (text[pos] !== '"') throw jsonError('Expecting property name enclosed in double quotes', text, pos);
        const key = parseString();
        skip();
        if (text[pos] !== ':') throw jsonError("Expecting ':' delimiter", text, pos);
        pos++;
        skip();
        obj[key] = parseValue();
        skip();
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        if (text[pos] !== ',') throw jsonError("Expecting ',' delimiter", text, pos);
        pos++;
        skip();
      }
    }
    if (ch === '[') {
      pos++;
      const arr: PyValue[] = [];
      skip();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue());
        skip();
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        if (text[pos] !== ',') throw jsonError("Expecting ',' delimiter", text, pos);
        pos++;
        skip();
      }
    }
    for (const [word, value] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', Number.NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (match) {
      pos = NUMBER.lastIndex;
      const isInt = match[2] === undefined && match[3] === undefined;
      if (isInt && !intsAsFloats) return BigInt(match[0]);
      return Number(match[0]);
    }
    throw jsonError('Expecting value', text, pos);
  };
  skip();
  const value = parseValue();
  skip();
  if (pos !== text.length) throw jsonError('Extra data', text, pos);
  return value;
}

/** Python `json.dumps(value)` with default separators (`, ` and `: `), optionally `sort_keys=True`. */
export function pyJsonDumpsCompact(value: PyValue | undefined, sortKeys = false, rule: FloatRule = ALL_FLOATS, key?: string): string {
  if (value === null || value === undefined || typeof value !== 'object') return pyJsonDumpsIndent(value, rule, 0, key);
  if (Array.isArray(value)) return `[${value.map((item) => pyJsonDumpsCompact(item, sortKeys, rule, key)).join(', ')}]`;
  const entries = Object.entries(value);
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, item]) => `${pyJsonString(k)}: ${pyJsonDumpsCompact(item, sortKeys, rule, k)}`).join(', ')}}`;
}

/** Python `int(x)`: truncates floats, parses integer strings; ValueError/TypeError otherwise. */
export function pyInt(value: PyValue): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new PyException(
        'ValueError',
        Number.isNaN(value) ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer',
      );
    }
    return Math.trunc(value);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^[+-]?\d(?:_?\d)*$/.test(text)) return Number(text.replaceAll('_', ''));
    throw new PyException('ValueError', `invalid literal for int() with base 10: ${pyReprString(value)}`);
  }
  throw new PyException('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(value)}'`);
}
