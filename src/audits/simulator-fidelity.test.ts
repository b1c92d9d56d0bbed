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
import { summariseAudits } from './audit-run.ts';
import { goalItemsFor, keptByUser, trackGoalState } from './goal-state.ts';
import type { GoalItem } from '../schema/audit.ts';
import { stateTokenIndex } from './simulator-fidelity.ts';

const domain = createDomain('helpdesk');
const tasks = domain.tasks({ split: 'test' });
const indexOf = (state: TableState) =>
  stateTokenIndex(state.tables().flatMap((t) => state.keys(t).map((key) => ({ key, record: state.get(t, key) }))));

async function audited(task: Task, agentName: string, user: UserSimulator, seed = 1) {
  const result = await runEpisode({
    domain,
    task,
    agent: createBuiltInAgent(agentName, domain),
    user,
    episodeId: `fid-${task.id}-${agentName}`,
    trial: 0,
    seed,
  });
  const outcome = gradeEpisode({
    domain,
    task,
    initialState: result.initialState,
    finalState: result.finalState,
    trajectory: result.trajectory,
  });
  const episode = {
    id: result.trajectory.episodeId,
    runId: 'test',
    agent: agentName,
    taskId: task.id,
    trial: 0,
    reward: outcome.reward,
    termination: result.trajectory.termination.reason,
    trajectory: result.trajectory,
    outcome,
  };
  return auditEpisode({
    episode,
    task,
    domain,
    initialState: result.initialState,
    finalState: result.finalState,
    exists: indexOf(result.initialState),
    taskProblems: [],
  });
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
          // The user asked (ATTEMPTED) and left before anything was done: the objective is still open.
          assert.equal(audit.goal.final['objective:request'], 'ATTEMPTED');
          assert.equal(audit.goal.outcome?.['objective:request'], 'open');
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
    const msg = (role: 'user' | 'agent', content: string, control?: string): TrajectoryEvent => ({
      type: 'message',
      role,
      content,
      ...(control ? { control } : {}),
    });
    const events: TrajectoryEvent[] = [
      msg('user', task.user.openings[0]),
      msg('agent', 'You have two files by that name. Which one should I delete?'),
      msg('user', task.user.clarification!),
      msg('agent', 'Shall I proceed?'),
      msg('user', 'Yes, go ahead.'),
      msg('agent', 'Done: the file is deleted.'),
      msg('user', 'Thanks!', '###STOP###'),
    ];
    const { timeline, final, chance, heard } = trackGoalState(items, events);
    // Asking is pursuing (ATTEMPTED); COMPLETE comes only from the final state, never from "Done".
    assert.deepEqual(
      timeline.map((s) => [
        s.turn,
        s.statuses['objective:request'],
        s.statuses['requirement:clarify'],
        s.statuses['preference:confirmation'],
      ]),
      [
        [0, 'ATTEMPTED', 'INCOMPLETE', 'MISALIGNED'],
        [1, 'ATTEMPTED', 'ATTEMPTED', 'MISALIGNED'],
        [2, 'ATTEMPTED', 'ATTEMPTED', 'ALIGNED'],
        [3, 'ATTEMPTED', 'ATTEMPTED', 'ALIGNED'],
      ],
    );
    assert.equal(final['profile:email'], 'ALIGNED');
    assert.deepEqual(chance, {
      'profile:email': true,
      'profile:name': true,
      'policy:unknown:internal_ids': true,
      'objective:request': true,
      'requirement:clarify': true,
      'preference:confirmation': true,
    });
    assert.deepEqual(heard, { 'objective:request': 'done', 'requirement:clarify': 'done' });
  });

  it('counts a preference or a clarification only where the agent gave the chance, and fails a user that ignores it', () => {
    const task = tasks.find((t) => t.family === 'clarify')!;
    const { items } = goalItemsFor(task);
    const msg = (role: 'user' | 'agent', content: string, control?: string): TrajectoryEvent => ({
      type: 'message',
      role,
      content,
      ...(control ? { control } : {}),
    });
    // Nobody asked which one or asked to confirm: neither item is counted.
    const unasked = trackGoalState(items, [
      msg('user', task.user.openings[0]),
      msg('agent', "I'm sorry, I can't help with that."),
      msg('user', 'Okay.', '###STOP###'),
    ]);
    const verdicts = keptByUser(items, unasked.final, unasked.chance);
    assert.equal(verdicts['preference:confirmation'], 'no_chance');
    assert.equal(verdicts['requirement:clarify'], 'no_chance');
    assert.equal(verdicts['objective:request'], 'kept');
    // Asked both, the user answers neither: both count against it.
    const ignored = trackGoalState(items, [
      msg('user', task.user.openings[0]),
      msg('agent', 'Which one do you mean?'),
      msg('user', 'Whatever.'),
      msg('agent', 'Shall I proceed?'),
      msg('user', 'Bye.', '###STOP###'),
    ]);
    const ignoredVerdicts = keptByUser(items, ignored.final, ignored.chance);
    assert.equal(ignoredVerdicts['preference:confirmation'], 'not_kept');
    assert.equal(ignoredVerdicts['requirement:clarify'], 'not_kept');
  });
});

describe('goal-state tracker (rules): how cues are read', () => {
  it('cues match as trimmed, lowercased whole words; empty cues never match; no cues means the opening pursues it', () => {
    const msg = (role: 'user' | 'agent', content: string): TrajectoryEvent => ({ type: 'message', role, content });
    const items: GoalItem[] = [
      { id: 'objective:open', category: 'objectives', description: 'no cues', cues: [] },
      { id: 'objective:cued', category: 'objectives', description: 'cued', cues: ['  Finance FOLDER '] },
      { id: 'requirement:uncued', category: 'requirements', description: 'no cue list' },
      { id: 'requirement:empty', category: 'requirements', description: 'only empty cues', cues: ['', '   '] },
      { id: 'requirement:value', category: 'requirements', description: 'by value', cues: [], value: 'ACCT-0042' },
      { id: 'preference:asked', category: 'preferences', description: 'asked first', cues: [' YES '], askedBy: ['  Shall I PROCEED '] },
    ];
    const opening = trackGoalState(items, [msg('user', 'Hello there.'), msg('agent', 'Hi.'), msg('user', 'bye')]);
    assert.deepEqual(opening.timeline[0].statuses, {
      'objective:open': 'ATTEMPTED',
      'objective:cued': 'INCOMPLETE',
      'requirement:uncued': 'ATTEMPTED',
      'requirement:empty': 'INCOMPLETE',
      'requirement:value': 'INCOMPLETE',
      'preference:asked': 'MISALIGNED',
    });
    assert.equal(opening.chance['preference:asked'], false);
    const later = trackGoalState(items, [
      msg('user', 'Hi.'),
      msg('agent', 'Shall I proceed?'),
      msg('user', 'Yes. The finance folder, account acct-0042.'),
    ]);
    assert.deepEqual(later.final, {
      'objective:open': 'ATTEMPTED',
      'objective:cued': 'ATTEMPTED',
      'requirement:uncued': 'ATTEMPTED',
      'requirement:empty': 'INCOMPLETE',
      'requirement:value': 'ATTEMPTED',
      'preference:asked': 'ALIGNED',
    });
    assert.equal(later.chance['preference:asked'], true);
    // Whole words only: "yesterday" is not "yes", "finance folders" is not "finance folder".
    const partial = trackGoalState(items, [
      msg('user', 'Hi.'),
      msg('agent', 'Shall I proceed?'),
      msg('user', 'Yesterday, finance folders.'),
    ]);
    assert.equal(partial.final['preference:asked'], 'MISALIGNED');
    assert.equal(partial.final['objective:cued'], 'INCOMPLETE');
  });
});

describe('simulator fidelity measures the simulator, goal outcomes the agent', () => {
  const agents = ['oracle', 'naive', 'noop'];
  it('the same scripted user gets the same fidelity whichever agent it talks to (test split, two seeds)', async () => {
    const audits = [];
    for (const task of tasks) {
      for (const seed of [1, 2]) {
        const perAgent = [];
        for (const agent of agents) perAgent.push(await audited(task, agent, createScriptedUser(), seed));
        for (const audit of perAgent) {
          const notKept = Object.entries(audit.goal.kept ?? {}).filter(([, v]) => v === 'not_kept');
          assert.deepEqual(notKept, [], `${task.id} ${audit.agent} seed ${seed}`);
        }
        audits.push(...perAgent.map((a) => ({ ...a, trial: seed, episodeId: `${a.episodeId}-${seed}` })));
      }
    }
    const summary = summariseAudits('test', audits, { agents, createdAt: 'now' });
    const rates = agents.map((agent) =>
      Object.fromEntries(Object.entries(summary.agents[agent].fidelity.goalKept!).map(([c, k]) => [c, k.rate])),
    );
    assert.deepEqual(rates[0], { profile: 1, policy: 1, objectives: 1, requirements: 1, preferences: 1 });
    // naive and noop never ask to confirm: the user's confirmation preference is not measurable
    // there (n/a, not 0); everything measurable is the same.
    assert.deepEqual(rates[1], { ...rates[0], preferences: null });
    assert.deepEqual(rates[2], { ...rates[0], preferences: null });
    // What differs between agents is their side: how many objectives ended completed in the state.
    const completed = agents.map((agent) => summary.agents[agent].goalOutcome!.objectives.completed);
    assert.ok(completed[0] > completed[1] && completed[1] >= completed[2], JSON.stringify(completed));
    assert.equal(completed[2], 0);
  });

  it('completion is read from the state: a false "Done!" stays open, a correct refusal is blocked', async () => {
    const erase = tasks.find((t) => t.family === 'erase')!;
    const naive = await audited(erase, 'naive', createScriptedUser());
    assert.ok(naive.successClaimed && naive.reward === 0);
    assert.equal(naive.goal.final['objective:request'], 'ATTEMPTED');
    assert.equal(naive.goal.outcome?.['objective:request'], 'open');
    const oracle = await audited(erase, 'oracle', createScriptedUser());
    assert.equal(oracle.goal.final['objective:request'], 'COMPLETE');
    assert.equal(oracle.goal.outcome?.['objective:request'], 'completed');
    const hold = tasks.find((t) => t.family === 'legal_hold')!;
    const refused = await audited(hold, 'oracle', createScriptedUser());
    assert.equal(refused.reward, 1);
    assert.equal(refused.goal.outcome?.['objective:request'], 'blocked');
    assert.equal(refused.goal.kept?.['objective:request'], 'kept');
    const approval = tasks.find((t) => t.tags.includes('variant:needs-approval'));
    if (approval) {
      // Filing the approval request is the right outcome, but the user's access is not granted yet.
      const filed = await audited(approval, 'oracle', createScriptedUser());
      assert.equal(filed.reward, 1);
      assert.notEqual(filed.goal.outcome?.['objective:request'], 'completed');
    }
  });
});
