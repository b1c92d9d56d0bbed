import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOracleAgent } from '../../agents/oracle.ts';
import { createTau2MockDomain } from '../../domains/tau2-bench/mock/index.ts';
import { runEpisode } from '../../episode/orchestrator.ts';
import type { Outcome } from '../../schema/outcome.ts';
import type { EpisodeRecord } from '../../store/store.ts';
import type { UserSimulator, UserTurn } from '../../users/user.ts';
import { earlyExperienceLines } from './early-experience.ts';

test("early experience of a dual-control episode: the user's own calls move the state on but are never agent actions", async () => {
  const domain = createTau2MockDomain();
  const [task] = domain.tasks({ ids: ['update_task_with_user_tools'] });
  // The user dismisses its notification on its side before asking, then the oracle completes task_1.
  const turns: UserTurn[] = [
    { content: '', toolCalls: [{ name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } }] },
    { content: 'I finished task_1, please mark it completed.' },
    { content: 'Thanks! ###STOP###' },
  ];
  const user: UserSimulator = { name: 'inbox-user', start: () => ({ next: async () => turns.shift() ?? { content: '###STOP###' } }) };
  const { trajectory, finalState } = await runEpisode({
    domain,
    task,
    agent: createOracleAgent(),
    user,
    episodeId: 'ee-dual',
    trial: 0,
    seed: 1,
  });
  assert.equal(finalState.get('notifications', 'notif_1')?.status, 'read');
  const episode: EpisodeRecord = {
    id: 'ee-dual',
    runId: 'run-1',
    agent: 'oracle',
    taskId: task.id,
    trial: 0,
    seed: 1,
    family: task.family,
    split: task.split,
    reward: 1,
    termination: trajectory.termination.reason,
    trajectory,
    outcome: {} as Outcome,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const lines = earlyExperienceLines(episode, task, domain, [], 'oracle', { alternatives: 3 });
  assert.deepEqual(
    lines.map((l) => [l.action.name, l.expert]),
    [['update_task_status', true]],
    "one row, the agent's call: the user's dismissal is neither a row nor an alternative",
  );
  // The agent's action was taken in the state the user's dismissal had left.
  assert.equal(lines[0].next.hash, trajectory.finalStateHash);
  assert.deepEqual(
    lines[0].next.changes.map((c) => `${c.table}/${c.key}.${c.path}`),
    ['tasks/task_1.status'],
  );
});
