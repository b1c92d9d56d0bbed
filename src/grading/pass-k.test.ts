import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choose, passAtK, passHatK, taskPassAtK, taskPassHatK } from './pass-k.ts';

/** All k-subsets of n trials: the definition pass^k is an unbiased estimator of. */
function bruteForce(outcomes: boolean[], k: number): { all: number; any: number } {
  let subsets = 0;
  let all = 0;
  let any = 0;
  const walk = (start: number, picked: boolean[]) => {
    if (picked.length === k) {
      subsets++;
      if (picked.every(Boolean)) all++;
      if (picked.some(Boolean)) any++;
      return;
    }
    for (let i = start; i < outcomes.length; i++) walk(i + 1, [...picked, outcomes[i]]);
  };
  walk(0, []);
  return { all: all / subsets, any: any / subsets };
}

test('choose matches Pascal', () => {
  assert.equal(choose(5, 2), 10);
  assert.equal(choose(8, 0), 1);
  assert.equal(choose(3, 4), 0);
  assert.equal(choose(20, 10), 184756);
});

test('per-task pass^k and pass@k equal the subset enumeration for every n, c, k', () => {
  for (let n = 1; n <= 7; n++) {
    for (let c = 0; c <= n; c++) {
      const outcomes = Array.from({ length: n }, (_, i) => i < c);
      for (let k = 1; k <= n; k++) {
        const expected = bruteForce(outcomes, k);
        assert.ok(Math.abs(taskPassHatK(c, n, k)! - expected.all) < 1e-12, `pass^${k} n=${n} c=${c}`);
        assert.ok(Math.abs(taskPassAtK(c, n, k)! - expected.any) < 1e-12, `pass@${k} n=${n} c=${c}`);
      }
    }
  }
});

test('pass^k averages over tasks and skips tasks with fewer than k trials', () => {
  const tasks = [
    { successes: 4, trials: 4 },
    { successes: 2, trials: 4 },
    { successes: 0, trials: 4 },
    { successes: 1, trials: 1 },
  ];
  assert.equal(passHatK(tasks, 1), (1 + 0.5 + 0 + 1) / 4);
  // k = 2: C(2,2)/C(4,2) = 1/6 for the second task; the single-trial task is skipped.
  assert.ok(Math.abs(passHatK(tasks, 2)! - (1 + 1 / 6 + 0) / 3) < 1e-12);
  assert.ok(Math.abs(passAtK(tasks, 2)! - (1 + (1 - 1 / 6) + 0) / 3) < 1e-12);
  assert.equal(passHatK(tasks, 5), undefined);
});
