import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparePaired, matchTasks, mcnemarExact, taskPairKeys, withTaskKeys, type PairedEpisodeFacts } from './compare.ts';

const episodes = (agent: string, outcomes: number[][]): PairedEpisodeFacts[] =>
  outcomes.flatMap((trials, task) =>
    trials.map((reward, trial) => ({
      agent,
      taskId: `t-${String(task).padStart(2, '0')}`,
      taskKey: `h-${task}`,
      trial,
      reward,
      termination: 'user_stop',
    })),
  );

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
    const a = episodes(
      'x',
      Array.from({ length: 12 }, () => [0, 0]),
    );
    const b = episodes(
      'y',
      Array.from({ length: 12 }, (_, i) => (i < 10 ? [1, 1] : [0, 0])),
    );
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
    const a = episodes('x', [
      [1, 0],
      [1, 1],
      [0, 0],
      [1, 0],
    ]);
    const b = episodes('x', [
      [1, 1],
      [1, 0],
      [0, 0],
      [1, 0],
    ]);
    b.push({ agent: 'x', taskId: 't-09', taskKey: 'h-9', trial: 0, reward: 1, termination: 'user_stop' });
    b[0] = { ...b[0], termination: 'infra_error' };
    const c = comparePaired(a, b);
    assert.equal(c.pairs, 7);
    assert.equal(c.withinNoise, true);
    assert.match(c.verdict, /within noise/);
    assert.deepEqual(comparePaired(a, b), c, 'deterministic');
  });
});

describe('pairing on task content', () => {
  const facts = (agent: string, taskId: string, reward: number) => ({ agent, taskId, trial: 0, reward, termination: 'user_stop' });

  it('never pairs the same id with different content; pairs the same content under another id', () => {
    const hashesA = new Map([
      ['t-1', 'aaa'],
      ['t-2', 'bbb'],
      ['t-3', 'ccc'],
    ]);
    // B: t-1 is another task (another world), A's t-3 is B's t-9.
    const hashesB = new Map([
      ['t-1', 'zzz'],
      ['t-2', 'bbb'],
      ['t-9', 'ccc'],
    ]);
    const match = matchTasks(hashesA, hashesB);
    assert.deepEqual({ ...match, note: undefined }, { tasksA: 3, tasksB: 3, shared: 2, differ: 1, onlyA: 0, onlyB: 0, note: undefined });
    assert.equal(match.note, 'comparing 2 of 3 tasks: 1 differ in content');
    const a = withTaskKeys([facts('x', 't-1', 1), facts('x', 't-2', 1), facts('x', 't-3', 0)], taskPairKeys(hashesA));
    const b = withTaskKeys([facts('x', 't-1', 0), facts('x', 't-2', 1), facts('x', 't-9', 1)], taskPairKeys(hashesB));
    const c = comparePaired(a, b);
    assert.equal(c.pairs, 2);
    assert.equal(c.tasks, 2);
    // t-1 went 1 → 0 by id, but it is not the same task: no flip is reported for it.
    assert.deepEqual(c.flips, [{ taskId: 't-3', taskIdB: 't-9', a: '0/1', b: '1/1', direction: 'b_better' }]);
  });

  it('identical task sets have no note; disjoint ones share nothing', () => {
    const hashes = new Map([
      ['t-1', 'aaa'],
      ['t-2', 'bbb'],
    ]);
    assert.equal(matchTasks(hashes, new Map(hashes)).note, undefined);
    const other = matchTasks(
      hashes,
      new Map([
        ['t-1', 'xxx'],
        ['t-2', 'yyy'],
        ['t-5', 'zzz'],
      ]),
    );
    assert.equal(other.shared, 0);
    assert.equal(other.note, 'comparing 0 of 2 tasks (B has 3): 2 differ in content, 1 only in B');
  });

  it('two tasks of identical content in one run pair one to one, not twice', () => {
    const keys = taskPairKeys(
      new Map([
        ['t-1', 'same'],
        ['t-2', 'same'],
      ]),
    );
    assert.deepEqual([...keys.values()], ['same', 'same#1']);
  });
});
