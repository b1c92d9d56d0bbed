import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonValue } from '../../schema/json.ts';
import { canonicalTau2Json, tau2StateHash } from './canonical.ts';

// Expected texts and hashes were printed by the Python canonicaliser that made test/fixtures/tau2-parity/
// (json.dumps(sort_keys, separators, ensure_ascii=False) with ECMAScript number formatting) for these values.
const cases: { value: JsonValue; text: string; sha: string }[] = [
  {
    value: {
      b: 5.0,
      a: [1, 2.5, -0, 1e-7, 0.1, 1e21, 123456789012.0],
      é: 'naïve ☃ 😀',
      ctl: 'tab\tnl\nq"bs\\\u0001\u007f',
      n: null,
      t: true,
    },
    text: '{"a":[1,2.5,0,1e-7,0.1,1e+21,123456789012],"b":5,"ctl":"tab\\tnl\\nq\\"bs\\\\\\u0001\u007f","n":null,"t":true,"é":"naïve ☃ 😀"}',
    sha: 'e93471f63ae07ec62f21682872f706ed0e440dfcf87f04cd72570f5ae0b70daf',
  },
  {
    value: { plan: { data_limit_gb: 10.0, price_per_month: 49.99 }, z: [], y: {} },
    text: '{"plan":{"data_limit_gb":10,"price_per_month":49.99},"y":{},"z":[]}',
    sha: '09fa341fdd13350c7fcbdd81c36215645a020f74079a9893d0deda1ad9b88689',
  },
  {
    // U+FFFF sorts before U+1F600 by code point although its UTF-16 unit is larger than the surrogate's.
    value: { '😀': 1, '\uffff': 2, a: 3 },
    text: '{"a":3,"\uffff":2,"😀":1}',
    sha: '48f8c136ce1b1fb6cc384c2a496fcab8d870f137c9ef71a97d7c4475f6d0eb5d',
  },
];

test('canonical τ² JSON and its hash equal the Python canonicaliser on tricky values', () => {
  for (const { value, text, sha } of cases) {
    assert.equal(canonicalTau2Json(value), text);
    assert.equal(tau2StateHash(value), sha);
  }
});

test('canonical τ² JSON refuses numbers JSON cannot hold', () => {
  assert.throws(() => canonicalTau2Json({ x: Number.NaN }), /no form/);
  assert.throws(() => canonicalTau2Json([Number.POSITIVE_INFINITY]), /no form/);
});
