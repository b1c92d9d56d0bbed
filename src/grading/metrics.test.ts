import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapMeanCi, passKCoverageNote, summarise, type EpisodeFacts } from './metrics.ts';

const ep = (
  taskId: string,
  trial: number,
  reward: number,
  termination: EpisodeFacts['termination'] = 'user_stop',
  family = 'f',
): EpisodeFacts => ({ agent: 'a', taskId, family, trial, reward, termination });

test('flip rate, families and terminations; infra errors are counted but not graded', () => {
  const m = summarise([
    ep('t1', 0, 1),
    ep('t1', 1, 0),
    ep('t2', 0, 1),
    ep('t2', 1, 1),
    ep('t3', 0, 0, 'max_steps', 'g'),
    ep('t3', 1, 0, 'infra_error', 'g'),
  ]).a;
  assert.equal(m.episodes, 6);
  assert.equal(m.graded, 5);
  assert.equal(m.infraErrors, 1);
  assert.equal(m.terminations.infra_error, 1);
  assert.equal(m.terminations.max_steps, 1);
  assert.equal(m.meanReward, 3 / 5);
  // t1 flips, t2 does not; t3 has one graded trial so it cannot flip.
  assert.equal(m.flipRate, 1 / 2);
  assert.deepEqual(m.families, { f: { episodes: 4, meanReward: 0.75 }, g: { episodes: 1, meanReward: 0 } });
  assert.equal(m.passHatK['1'], (0.5 + 1 + 0) / 3);
  assert.equal(m.passHatK['2'], (0 + 1) / 2);
});

test('bootstrap CI brackets the mean, is seeded, and collapses for constant data', () => {
  const values = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1];
  const [lo, hi] = bootstrapMeanCi(values, 2000, 7);
  assert.ok(lo < 0.7 && 0.7 < hi, `${lo} < 0.7 < ${hi}`);
  assert.deepEqual(bootstrapMeanCi(values, 2000, 7), [lo, hi]);
  assert.deepEqual(bootstrapMeanCi([1, 1, 1], 500, 1), [1, 1]);
});

test('an agent with nothing graded has no reward, no CI and no flip rate (null), not zeros', () => {
  const m = summarise([ep('t1', 0, 0, 'infra_error'), ep('t2', 0, 0, 'infra_error'), ep('t2', 1, 0, 'infra_error')]).a;
  assert.equal(m.episodes, 3);
  assert.equal(m.graded, 0);
  assert.equal(m.infraErrors, 3);
  assert.equal(m.meanReward, null);
  assert.equal(m.ci95, null);
  assert.equal(m.flipRate, null);
  assert.equal(m.tasks, 0);
  assert.deepEqual(m.passHatK, {});
  assert.deepEqual(m.passKTasks, {});
  assert.equal(passKCoverageNote(m), undefined);
  // Null, not 0, in JSON too.
  assert.match(JSON.stringify(m), /"meanReward":null.*"ci95":null/);
});

test('a partial run: pass^k columns over different tasks are counted per k and noted', () => {
  // Interrupted after every task's first trial, but only 2 of 4 tasks got all 3 trials. The two
  // complete tasks always pass, the others failed once: pass^3 (1.0) > pass^1 (0.5).
  const episodes = [
    ep('t1', 0, 1),
    ep('t1', 1, 1),
    ep('t1', 2, 1),
    ep('t2', 0, 1),
    ep('t2', 1, 1),
    ep('t2', 2, 1),
    ep('t3', 0, 0),
    ep('t4', 0, 0),
  ];
  const m = summarise(episodes).a;
  assert.deepEqual(m.passKTasks, { '1': 4, '2': 2, '3': 2 });
  assert.equal(m.passHatK['3'], 1);
  assert.equal(m.passHatK['1'], 0.5);
  assert.equal(passKCoverageNote(m), 'pass^2–3 over 2 tasks, pass^1 over 4 tasks');
  const complete = summarise([ep('t1', 0, 1), ep('t1', 1, 0), ep('t2', 0, 1), ep('t2', 1, 1)]).a;
  assert.deepEqual(complete.passKTasks, { '1': 2, '2': 2 });
  assert.equal(passKCoverageNote(complete), undefined);
  assert.equal(passKCoverageNote({ passKTasks: { '1': 21, '2': 21, '3': 12 } }), 'pass^3 over 12 tasks, pass^1–2 over 21 tasks');
});
