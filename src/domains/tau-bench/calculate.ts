import { pyFloatRepr, pyRound } from './py-format.ts';

/**
 * τ-bench's `calculate` tool: `str(round(float(eval(expression)), 2))` over the characters
 * `0123456789+-*\/(). `, with Python 3.11's arithmetic (exact ints, IEEE floats, floor division,
 * `**`) and its error messages. Returns the result text or throws `CalcError` with Python's message.
 */
export function pythonCalculate(expression: string): string {
  const value = evaluate(expression);
  if (value.t === 'tuple') throw new CalcError("float() argument must be a string or a real number, not 'tuple'");
  const x = value.t === 'int' ? intToFloat(value.v) : value.v;
  return pyFloatRepr(pyRound(x, 2));
}

/** A Python exception raised while evaluating; `message` is `str(e)`. */
export class CalcError extends Error {}

type Value = { t: 'int'; v: bigint } | { t: 'float'; v: number } | { t: 'tuple' };
type Token = { k: 'num'; text: string } | { k: 'op'; text: string };

const OPS = ['**', '//', '*', '/', '+', '-', '(', ')', '.'];

function syntaxError(message: string, line = 1): CalcError {
  return new CalcError(`${message} (<string>, line ${line})`);
}

/** Tokenize like CPython's tokenizer; its errors win over parser errors, as in CPython. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === ' ') {
      i++;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i;
      while (/[0-9]/.test(src[j] ?? '')) j++;
      let isFloat = false;
      if (src[j] === '.') {
        isFloat = true;
        j++;
        while (/[0-9]/.test(src[j] ?? '')) j++;
      }
      const text = src.slice(i, j);
      if (!isFloat && text.length > 1 && text[0] === '0' && /[1-9]/.test(text)) {
        throw syntaxError('leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers');
      }
      tokens.push({ k: 'num', text });
      i = j;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i))!;
    if (op === '(') depth++;
    if (op === ')') {
      if (depth === 0) throw syntaxError("unmatched ')'");
      depth--;
    }
    tokens.push({ k: 'op', text: op });
    i += op.length;
  }
  if (depth > 0) throw syntaxError("'(' was never closed");
  return tokens;
}

function evaluate(src: string): Value {
  if (!/^[0-9+\-*/(). ]*$/.test(src)) throw new CalcError('invalid characters in expression');
  const tokens = tokenize(src);
  if (tokens.length === 0) throw syntaxError('invalid syntax', 0);
  // Parse to a tree first: CPython reports a syntax error before evaluating anything.
  let pos = 0;
  const peek = (text: string) => tokens[pos]?.k === 'op' && tokens[pos].text === text;
  const invalid = () => syntaxError('invalid syntax');
  type Node =
    | { n: 'num'; text: string }
    | { n: 'tuple' }
    | { n: 'un'; op: string; a: Node }
    | { n: 'bin'; op: string; a: Node; b: Node }
    | { n: 'call'; f: Node; arg?: Node };
  const arith = (): Node => {
    let left = term();
    while (peek('+') || peek('-')) {
      const op = tokens[pos++].text;
      left = { n: 'bin', op, a: left, b: term() };
    }
    return left;
  };
  const term = (): Node => {
    let left = factor();
    while (peek('*') || peek('/') || peek('//')) {
      const op = tokens[pos++].text;
      left = { n: 'bin', op, a: left, b: factor() };
    }
    return left;
  };
  const factor = (): Node => {
    if (peek('+') || peek('-')) {
      const op = tokens[pos++].text;
      return { n: 'un', op, a: factor() };
    }
    return power();
  };
  const power = (): Node => {
    const base = primary();
    if (peek('**')) {
      pos++;
      return { n: 'bin', op: '**', a: base, b: factor() };
    }
    return base;
  };
  const primary = (): Node => {
    let node = atom();
    while (peek('(')) {
      pos++;
      if (peek(')')) {
        pos++;
        node = { n: 'call', f: node };
      } else {
        const arg = arith();
        if (!peek(')')) throw invalid();
        pos++;
        node = { n: 'call', f: node, arg };
      }
    }
    return node;
  };
  const atom = (): Node => {
    const token = tokens[pos];
    if (!token) throw invalid();
    if (token.k === 'num') {
      pos++;
      return { n: 'num', text: token.text };
    }
    if (token.text === '(') {
      pos++;
      if (peek(')')) {
        pos++;
        return { n: 'tuple' };
      }
      const inner = arith();
      if (!peek(')')) throw invalid();
      pos++;
      return inner;
    }
    throw invalid();
  };
  const tree = arith();
  if (pos !== tokens.length) throw invalid();
  return run(tree);

  function run(node: Node): Value {
    switch (node.n) {
      case 'num':
        return node.text.includes('.') ? { t: 'float', v: Number(node.text) } : { t: 'int', v: BigInt(node.text) };
      case 'tuple':
        return { t: 'tuple' };
      case 'un':
        return unary(node.op, run(node.a));
      case 'bin': {
        const a = run(node.a);
        const b = run(node.b);
        return binary(node.op, a, b);
      }
      case 'call': {
        const f = run(node.f);
        if (node.arg) run(node.arg);
        throw new CalcError(`'${typeName(f)}' object is not callable`);
      }
    }
  }
}

function typeName(v: Value): string {
  return v.t;
}

function intToFloat(v: bigint): number {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new CalcError('int too large to convert to float');
  return x;
}

function unary(op: string, a: Value): Value {
  if (a.t === 'tuple') throw new CalcError(`bad operand type for unary ${op}: 'tuple'`);
  if (op === '+') return a;
  return a.t === 'int' ? { t: 'int', v: -a.v } : { t: 'float', v: -a.v };
}

function binary(op: string, a: Value, b: Value): Value {
  if (a.t === 'tuple' || b.t === 'tuple') return tupleOp(op, a, b);
  if (a.t === 'int' && b.t === 'int') return intOp(op, a.v, b.v);
  const x = a.t === 'int' ? intToFloat(a.v) : a.v;
  const y = b.t === 'int' ? intToFloat(b.v) : b.v;
  return { t: 'float', v: floatOp(op, x, y) };
}

function tupleOp(op: string, a: Value, b: Value): Value {
  if (op === '+' && a.t === 'tuple' && b.t === 'tuple') return a;
  if (op === '+' && a.t === 'tuple') throw new CalcError(`can only concatenate tuple (not "${typeName(b)}") to tuple`);
  if (op === '*' && (a.t === 'int' || b.t === 'int')) return { t: 'tuple' };
  if (op === '*') throw new CalcError(`can't multiply sequence by non-int of type '${typeName(a.t === 'tuple' ? b : a)}'`);
  const shown = op === '**' ? '** or pow()' : op;
  throw new CalcError(`unsupported operand type(s) for ${shown}: '${typeName(a)}' and '${typeName(b)}'`);
}

function intOp(op: string, a: bigint, b: bigint): Value {
  switch (op) {
    case '+':
      return { t: 'int', v: a + b };
    case '-':
      return { t: 'int', v: a - b };
    case '*':
      return { t: 'int', v: a * b };
    case '/':
      if (b === 0n) throw new CalcError('division by zero');
      return { t: 'float', v: Number(a) / Number(b) };
    case '//': {
      if (b === 0n) throw new CalcError('integer division or modulo by zero');
      let q = a / b;
      if (a % b !== 0n && a < 0n !== b < 0n) q -= 1n;
      return { t: 'int', v: q };
    }
    default: {
      if (b < 0n) {
        if (a === 0n) throw new CalcError('0.0 cannot be raised to a negative power');
        return { t: 'float', v: floatOp('**', intToFloat(a), intToFloat(b)) };
      }
      if (a === 0n || a === 1n) return { t: 'int', v: b === 0n ? 1n : a };
      if (a === -1n) return { t: 'int', v: b % 2n === 0n ? 1n : -1n };
      // Beyond this size any later float conversion overflows; avoid building a huge BigInt.
      if (BigInt(a.toString(2).length) * b > 200_000n) throw new CalcError('int too large to convert to float');
      return { t: 'int', v: a ** b };
    }
  }
}

function floatOp(op: string, x: number, y: number): number {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) throw new CalcError('float division by zero');
      return x / y;
    case '//':
      if (y === 0) throw new CalcError('float floor division by zero');
      return floorDiv(x, y);
    default:
      return floatPow(x, y);
  }
}

/** CPython's float_floor_div (float_divmod). */
function floorDiv(vx: number, wx: number): number {
  let mod = vx % wx;
  let div = (vx - mod) / wx;
  if (mod) {
    if (wx < 0 !== mod < 0) {
      mod += wx;
      div -= 1.0;
    }
  }
  if (div) {
    let floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
    return floordiv;
  }
  return Math.sign(vx / wx) < 0 || Object.is(vx / wx, -0) ? -0.0 : 0.0;
}

/** CPython's float_pow, including its errors. */
function floatPow(iv: number, iw: number): number {
  if (iw === 0) return 1.0;
  if (Number.isNaN(iv)) return iv;
  if (Number.isNaN(iw)) return iv === 1.0 ? 1.0 : iw;
  if (!Number.isFinite(iw) || !Number.isFinite(iv)) return iv ** iw;
  if (iv === 0) {
    if (iw < 0) throw new CalcError('0.0 cannot be raised to a negative power');
    return iv ** iw;
  }
  if (iv < 0 && !Number.isInteger(iw)) throw new CalcError("float() argument must be a string or a real number, not 'complex'");
  const result = iv ** iw;
  if (!Number.isFinite(result)) throw new CalcError("(34, 'Numerical result out of range')");
  return result;
}
