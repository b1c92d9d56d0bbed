import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparePaired, mcnemarExact, type PairedEpisodeFacts } from './compare.ts';

const episodes = (agent: string, outcomes: number[][]): PairedEpisodeFacts[] =>
  outcomes.flatMap((trials, task) => trials.map((reward, trial) => ({ agent, taskId: `t-${String(task).padStart(2, '0')}`, trial, reward, termination: 'user_stop' })));

describe('McNemar exact test', () => {
  it('matches the binomial tail computed by hand', () => {
    assert.equal(mcnemarExact(0, 5), 2 / 32); // 2 · 0.5^5
    assert.ok(Math.abs(mcnemarExact(1, 9) - 22 / 1024) < 1e-12); // 2 · (1 + 10) / 2^10
    assert.equal(mcnemarExact(3, 3), 1);
    assert.equal(mcnemarExact(0, 0), 1);
  });
});

describe('comparePaired', () => {
  it('a clear improvement: significant, CI above 0, flips listed', () => {
    const a = episodes('x', Array.from({ length: 12 }, () => [0, 0]));
    const b = episodes('y', Array.from({ length: 12 }, (_, i) => (i < 10 ? [1, 1] : [0, 0])));
    const c = comparePaired(a, b, { seed: 3 });
    assert.equal(c.pairs, 24);
    assert.equal(c.tasks, 12);
    assert.equal(c.passA, 0);
    assert.equal(c.difference, 0.833);
    assert.deepEqual(c.mcnemar.aOnly, 0);
    assert.equal(c.mcnemar.bOnly, 20);
    assert.ok(c.ci95[0] > 0);
    assert.equal(c.flips.length, 10);
    assert.equal(c.flips[0].direction, 'b_better');
    assert.equal(c.withinNoise, false);
    assert.match(c.verdict, /^B is better/);
  });

  it('a difference within noise says so in plain words; infra errors and unpaired episodes are left out', () => {
    const a = episodes('x', [[1, 0], [1, 1], [0, 0], [1, 0]]);
    const b = episodes('x', [[1, 1], [1, 0], [0, 0], [1, 0]]);
    b.push({ agent: 'x', taskId: 't-09', trial: 0, reward: 1, termination: 'user_stop' });
    b[0] = { ...b[0], termination: 'infra_error' };
    const c = comparePaired(a, b);
    assert.equal(c.pairs, 7);
    assert.equal(c.withinNoise, true);
    assert.match(c.verdict, /within noise/);
    assert.deepEqual(comparePaired(a, b), c, 'deterministic');
  });
});
