import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createNoopAgent, createOracleAgent } from '../agents/oracle.ts';
import { createTau2MockDomain } from '../domains/tau2-bench/mock/index.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { runEpisode } from './orchestrator.ts';

/** τ²'s own rewards of the oracle and do-nothing trajectories of every mock task (how: the file's `how`). */
const reference = JSON.parse(readFileSync(new URL('../domains/tau2-bench/mock/tau2-reference.json', import.meta.url), 'utf8')) as {
  tasks: Record<string, { rewards: Record<'oracle' | 'noop', { reward?: number; exception?: string }> }>;
};

test('mock episodes end to end: oracle and noop with the scripted user get τ²’s rewards on every task', async () => {
  const domain = createTau2MockDomain();
  const rewards: Record<string, Record<string, number>> = {};
  for (const task of domain.tasks({})) {
    for (const [kind, agent] of [
      ['oracle', createOracleAgent()],
      ['noop', createNoopAgent()],
    ] as const) {
      const { trajectory, initialState, finalState } = await runEpisode({
        domain,
        task,
        agent,
        user: createScriptedUser(),
        episodeId: `${task.id}-${kind}`,
        trial: 0,
        seed: 1,
      });
      const outcome = gradeEpisode({ domain, task, initialState, finalState, trajectory });
      (rewards[task.id] ??= {})[kind] = outcome.reward;
    }
  }
  // τ² raises instead of grading when an assertion names a task that does not exist (noop on
  // create_task_1_with_env_assertions): no reward at all, which is a failure here.
  const expected = Object.fromEntries(
    Object.entries(reference.tasks).map(([id, entry]) => [
      id,
      { oracle: entry.rewards.oracle.reward ?? 0, noop: entry.rewards.noop.reward ?? 0 },
    ]),
  );
  assert.deepEqual(rewards, expected);
  assert.equal(Object.values(rewards).filter((r) => r.oracle === 1).length, 8);
  assert.equal(Object.values(rewards).filter((r) => r.noop === 1).length, 1);
});
