/**
 * A JSON parser that remembers the file's key order where JavaScript would lose it.
 *
 * JavaScript enumerates integer-like keys ("1008292230") first and in numeric order; Python keeps
 * insertion order, and τ-bench prints product variants in file order. Objects with such keys get
 * their source order recorded in `keyOrder` (keyed by object identity, so it follows the frozen
 * base records; tools never rewrite those objects).
 */
export interface OrderedJson {
  value: unknown;
  keyOrder: WeakMap<object, readonly string[]>;
}

const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

/** Parse JSON text; like JSON.parse plus `keyOrder` for objects with integer-like keys. */
export function parseOrderedJson(text: string, keyOrder: WeakMap<object, readonly string[]> = new WeakMap()): OrderedJson {
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`invalid JSON at offset ${pos}: ${what}`);
  };
  const skip = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 10 || c === 13 || c === 9) pos++;
      else return;
    }
  };
  const parseString = (): string => {
    // pos is at the opening quote.
    let end = pos + 1;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(end);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 92) {
        escaped = true;
        end += 2;
        continue;
      }
      if (c === 34) break;
      end++;
    }
    const raw = text.slice(pos, end + 1);
    pos = end + 1;
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  const parseValue = (): unknown => {
    skip();
    const c = text.charCodeAt(pos);
    if (c === 123) {
      pos++;
      const obj: Record<string, unknown> = {};
      const order: string[] = [];
      let hasIndexKey = false;
      skip();
      if (text.charCodeAt(pos) === 125) {
        pos++;
        return obj;
      }
      for (;;) {
        skip();
        if (text.charCodeAt(pos) !== 34) fail('expected key');
        const key = parseString();
        skip();
        if (text.charCodeAt(pos) !== 58) fail('expected colon');
        pos++;
        const child = parseValue();
        if (!Object.hasOwn(obj, key)) order.push(key);
        if (INDEX_KEY.test(key) && Number(key) <= 4294967294) hasIndexKey = true;
        obj[key] = child;
        skip();
        const next = text.charCodeAt(pos++);
        if (next === 44) continue;
        if (next === 125) break;
        fail('expected , or }');
      }
      if (hasIndexKey) keyOrder.set(obj, order);
      return obj;
    }
    if (c === 91) {
      pos++;
      const arr: unknown[] = [];
      skip();
      if (text.charCodeAt(pos) === 93) {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue());
        skip();
        const next = text.charCodeAt(pos++);
        if (next === 44) continue;
        if (next === 93) break;
        fail('expected , or ]');
      }
      return arr;
    }
    if (c === 34) return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    const start = pos;
    while (pos < text.length && '+-0123456789.eE'.includes(text[pos])) pos++;
    if (start === pos) fail('unexpected character');
    const num = Number(text.slice(start, pos));
    if (Number.isNaN(num)) fail('bad number');
    return num;
  };
  const value = parseValue();
  skip();
  if (pos < text.length) fail('trailing characters');
  return { value, keyOrder };
}
