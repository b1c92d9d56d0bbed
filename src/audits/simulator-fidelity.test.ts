import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBuiltInAgent } from '../agents/registry.ts';
import { createDomain } from '../domains/registry.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { gradeEpisode } from '../grading/grade.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { TableState } from '../state/table-state.ts';
import { INJECTED_REFERENCE, internalIdOf, withInjectedDrift, type DriftInjection } from '../users/drift-injection.ts';
import { createScriptedUser } from '../users/scripted.ts';
import type { UserSimulator } from '../users/user.ts';
import { auditEpisode } from './audit-run.ts';
import { goalItemsFor, trackGoalState } from './goal-state.ts';
import { stateTokenIndex } from './simulator-fidelity.ts';

const domain = createDomain('helpdesk');
const tasks = domain.tasks({ split: 'test' });
const indexOf = (state: TableState) => stateTokenIndex(state.tables().flatMap((t) => state.keys(t).map((key) => ({ key, record: state.get(t, key) }))));

async function audited(task: Task, agentName: string, user: UserSimulator, seed = 1) {
  const result = await runEpisode({ domain, task, agent: createBuiltInAgent(agentName), user, episodeId: `fid-${task.id}-${agentName}`, trial: 0, seed });
  const outcome = gradeEpisode({ domain, task, initialState: result.initialState, finalState: result.finalState, trajectory: result.trajectory });
  const episode = { id: result.trajectory.episodeId, runId: 'test', agent: agentName, taskId: task.id, trial: 0, reward: outcome.reward, termination: result.trajectory.termination.reason, trajectory: result.trajectory, outcome };
  return auditEpisode({ episode, task, domain, initialState: result.initialState, finalState: result.finalState, exists: indexOf(result.initialState), taskProblems: [] });
}

describe('simulator fidelity', () => {
  it('the clean scripted user is never flagged over the whole test split (every agent, two seeds)', async () => {
    for (const task of tasks) {
      for (const agent of ['oracle', 'naive', 'noop']) {
        for (const seed of [1, 2]) {
          const audit = await audited(task, agent, createScriptedUser(), seed);
          assert.deepEqual(audit.simulatorFaults, [], `${task.id} ${agent} seed ${seed}`);
          assert.equal(audit.goal.timeline.length, audit.goal.timeline.at(-1)!.turn + 1);
          assert.equal(audit.goal.source, 'task');
        }
      }
    }
  });

  const cases: { kind: string; inject: DriftInjection; text?: (task: Task) => string | undefined }[] = [
    { kind: 'contradiction', inject: { contradictAt: 1 }, text: (task) => `not.${task.user.known.find((f) => f.id === 'email')!.value}` },
    { kind: 'invented_fact', inject: { inventAt: 1 }, text: () => INJECTED_REFERENCE },
    { kind: 'revealed_unknown', inject: { revealUnknownAt: 1 }, text: internalIdOf },
    { kind: 'premature_stop', inject: { stopEarlyAt: 1 } },
  ];
  for (const { kind, inject, text } of cases) {
    it(`an injected ${kind} is flagged at its turn, with evidence, on every task`, async () => {
      let checked = 0;
      for (const task of tasks) {
        if (kind === 'revealed_unknown' && !internalIdOf(task)) continue;
        const audit = await audited(task, 'oracle', withInjectedDrift(createScriptedUser(), inject));
        const found = audit.simulatorFaults.filter((f) => f.kind === kind);
        assert.equal(found.length, 1, `${task.id}: ${JSON.stringify(audit.simulatorFaults)}`);
        assert.equal(found[0].turn, 1);
        if (text) assert.ok(found[0].evidence.includes(text(task)!), found[0].evidence);
        if (kind === 'contradiction') {
          assert.equal(found[0].item, 'profile:email');
          assert.equal(audit.goal.final['profile:email'], 'MISALIGNED');
        }
        if (kind === 'premature_stop') {
          assert.equal(audit.goal.final['objective:request'], 'INCOMPLETE');
          assert.equal(audit.reward, 0);
          assert.equal(audit.fault?.cause, 'user_simulator');
        }
        checked++;
      }
      assert.ok(checked >= 15, `checked ${checked} tasks`);
    });
  }
});

describe('goal-state tracker (rules)', () => {
  it('moves objectives, requirements and preferences as the conversation goes', () => {
    const task = tasks.find((t) => t.family === 'clarify')!;
    const { items } = goalItemsFor(task);
    const msg = (role: 'user' | 'agent', content: string, control?: string): TrajectoryEvent => ({ type: 'message', role, content, ...(control ? { control } : {}) });
    const events: TrajectoryEvent[] = [
      msg('user', task.user.openings[0]),
      msg('agent', 'You have two files by that name. Which one should I delete?'),
      msg('user', task.user.clarification!),
      msg('agent', 'Shall I proceed?'),
      msg('user', 'Yes, go ahead.'),
      msg('agent', 'Done: the file is deleted.'),
      msg('user', 'Thanks!', '###STOP###'),
    ];
    const { timeline, final } = trackGoalState(items, events);
    assert.deepEqual(
      timeline.map((s) => [s.turn, s.statuses['objective:request'], s.statuses['requirement:clarify'], s.statuses['preference:confirmation']]),
      [
        [0, 'INCOMPLETE', 'INCOMPLETE', 'MISALIGNED'],
        [1, 'INCOMPLETE', 'COMPLETE', 'MISALIGNED'],
        [2, 'INCOMPLETE', 'COMPLETE', 'ALIGNED'],
        [3, 'COMPLETE', 'COMPLETE', 'ALIGNED'],
      ],
    );
    assert.equal(final['profile:email'], 'ALIGNED');
  });
});
