import { createHash } from 'node:crypto';
import { GroundworkError } from '../../errors.ts';
import type { JsonValue } from '../../schema/json.ts';

/**
 * The canonical JSON the τ² parity fixtures hash (test/fixtures/tau2-parity/): object keys sorted by
 * code point, separators `,` and `:`, no whitespace, non-ASCII characters written as they are, strings
 * escaped as JSON.stringify escapes them (the same escapes Python's `json.dumps(ensure_ascii=False)` makes),
 * and numbers as ECMAScript's Number::toString writes them — so 5.0 is `5`, 0.1 is `0.1`, 1e-7 is `1e-7`.
 * The reference side produced the same text from τ²'s `db.model_dump(mode="json")` with a Python
 * port of that number rule. Non-finite numbers have no JSON form and are refused. `memo` (optional)
 * remembers the text of frozen objects and arrays, which states share across tasks (frozen is taken
 * to mean deeply frozen, as `freezeTables` freezes a base).
 */
export function canonicalTau2Json(value: JsonValue, memo?: WeakMap<object, string>): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new GroundworkError('INVALID_ARGUMENT', `canonical τ² JSON has no form for ${value}`);
    return JSON.stringify(value);
  }
  // Frozen values cannot change, so their text may be reused (states share frozen base records).
  const cached = memo && Object.isFrozen(value) ? memo.get(value) : undefined;
  if (cached !== undefined) return cached;
  let text: string;
  if (Array.isArray(value)) {
    text = '[';
    for (let i = 0; i < value.length; i++) text += (i > 0 ? ',' : '') + canonicalTau2Json(value[i] as JsonValue, memo);
    text += ']';
  } else {
    text = '{';
    let first = true;
    for (const key of sortedKeys(Object.keys(value))) {
      const item = value[key];
      if (item === undefined) continue;
      text += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalTau2Json(item, memo)}`;
      first = false;
    }
    text += '}';
  }
  if (memo && Object.isFrozen(value)) memo.set(value, text);
  return text;
}

/** sha256 (hex) of the canonical JSON: the state hash of one side's τ² database. */
export function tau2StateHash(value: JsonValue, memo?: WeakMap<object, string>): string {
  return createHash('sha256').update(canonicalTau2Json(value, memo), 'utf8').digest('hex');
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Python sorts str keys by code point; JavaScript's default sort compares UTF-16 units, which differs only above U+FFFF. */
function sortedKeys(keys: string[]): string[] {
  keys.sort();
  return keys.some((key) => SURROGATE.test(key)) ? keys.sort(byCodePoint) : keys;
}

function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
