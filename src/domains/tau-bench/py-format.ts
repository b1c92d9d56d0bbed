/**
 * Python formatting helpers, so our tool results are byte-identical to τ-bench's (which builds them
 * with `json.dumps`, `str()` and `round()` on Python values).
 */

/** How `pyDumps` decides that a number is a Python float (printed `1234.0`, not `1234`). */
export interface PyDumpsOptions {
  /** Object keys whose numbers are always floats (e.g. `price`). */
  floatKeys?: ReadonlySet<string>;
  /** Finer rule, asked for every number inside an object. */
  isFloat?: (parent: object, key: string, value: number) => boolean;
  /**
   * Source key order of objects whose JavaScript key order differs from the file's (integer-like
   * keys are enumerated first by JavaScript, Python keeps insertion order).
   */
  keyOrder?: WeakMap<object, readonly string[]>;
}

/**
 * `json.dumps(value)` with Python's defaults: `, ` and `: ` separators, `ensure_ascii=True`,
 * insertion-ordered keys, floats printed with `repr`.
 */
export function pyDumps(value: unknown, options: PyDumpsOptions = {}): string {
  const parts: string[] = [];
  write(value, false, parts, options);
  return parts.join('');
}

function write(value: unknown, asFloat: boolean, out: string[], options: PyDumpsOptions): void {
  if (value === null || value === undefined) out.push('null');
  else if (typeof value === 'string') out.push(pyJsonString(value));
  else if (typeof value === 'boolean') out.push(value ? 'true' : 'false');
  else if (typeof value === 'number') out.push(pyJsonNumber(value, asFloat));
  else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(', ');
      write(item, asFloat, out, options);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = options.keyOrder?.get(obj) ?? Object.keys(obj);
    out.push('{');
    let first = true;
    for (const key of keys) {
      const child = obj[key];
      if (child === undefined) continue;
      if (!first) out.push(', ');
      first = false;
      out.push(pyJsonString(key), ': ');
      const float =
        typeof child === 'number' || Array.isArray(child)
          ? (options.floatKeys?.has(key) ?? false) || (typeof child === 'number' && (options.isFloat?.(obj, key, child) ?? false))
          : false;
      write(child, float, out, options);
    }
    out.push('}');
  } else out.push(pyJsonString(String(value)));
}

/** A JSON number as Python prints it: ints plain, floats with `repr`; `Infinity`/`NaN` like json.dumps. */
export function pyJsonNumber(value: number, asFloat = false): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(value) && !asFloat && Math.abs(value) < 1e21) return String(value);
  return pyFloatRepr(value);
}

/** `str(x)` of a Python number: ints plain, floats with `repr` (`inf`, `nan`). */
export function pyStr(value: number, asFloat = false): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return pyJsonNumber(value, asFloat);
}

/** Python `repr(float)`: shortest round-trip digits, fixed for 1e-4 <= |x| < 1e16, else `1e+16` style. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, like repr.
  const [mantissa, expText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1) || '0';
    return `${sign}${intPart}.${frac}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expOut = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${sign}${mant}e${expOut}`;
}

/** A JSON string literal as Python's json.dumps writes it (ensure_ascii: non-ASCII as \uXXXX). */
export function pyJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const ch = text[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Python `round(x, ndigits)` on a float: correctly rounded on the exact binary value, ties to
 * even (`round(2.675, 2)` is 2.67 because 2.675 is stored as 2.67499999...).
 */
export function pyRound(value: number, ndigits = 2): number {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return value;
  // toFixed rounds the exact binary value correctly but breaks exact ties away from zero.
  const exact = Math.abs(value).toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + ndigits);
  let result = Number(value.toFixed(ndigits));
  if (/^50*$/.test(rest)) {
    const truncated = Number(`${value < 0 ? '-' : ''}${exact.slice(0, dot + 1 + ndigits)}`);
    const lastDigit = Number(ndigits === 0 ? exact[dot - 1] : exact[dot + ndigits]);
    // A true tie: keep the even neighbour (the truncated value when its last digit is even).
    if (lastDigit % 2 === 0) result = truncated;
  }
  return result === 0 ? (value < 0 ? -0 : 0) : result;
}

/** Python `repr(str)`: single quotes unless the text has a single quote and no double quote. */
export function pyReprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}
