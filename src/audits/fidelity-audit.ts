import { z } from 'zod';
import { passHatK, type TaskTally } from '../grading/pass-k.ts';
import {
  agentAuditSchema,
  episodeAuditSchema,
  GOAL_CATEGORIES,
  SIMULATOR_FAULT_KINDS,
  type EpisodeAudit,
  type GoalKept,
} from '../schema/audit.ts';
import { defineAudit, fixedCell, percentCell, type AuditTable, type EpisodeAuditInput } from './audit.ts';
import { FIDELITY_TEXT } from './audit-texts.ts';
import { completionFromState, goalItemsFor } from './goal-state.ts';
import { auditSimulator, scenarioText } from './simulator-fidelity.ts';
import type { TaskAuditWork } from './task-work.ts';
import { shareHeatmap, vegaChart } from './vega-specs.ts';

const fidelityFields = z.object({ goal: episodeAuditSchema.shape.goal, simulatorFaults: episodeAuditSchema.shape.simulatorFaults });

/** pass^k by k over the episodes' tasks. */
function passHat(audits: readonly Pick<EpisodeAudit, 'taskId' | 'reward'>[]): Record<string, number> {
  const tallies = new Map<string, TaskTally>();
  for (const audit of audits) {
    const tally = tallies.get(audit.taskId) ?? { successes: 0, trials: 0 };
    tally.trials++;
    if (audit.reward >= 1) tally.successes++;
    tallies.set(audit.taskId, tally);
  }
  const list = [...tallies.values()];
  const out: Record<string, number> = {};
  const max = Math.max(0, ...list.map((t) => t.trials));
  for (let k = 1; k <= max; k++) {
    const value = passHatK(list, k);
    if (value !== undefined) out[String(k)] = value;
  }
  return out;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}…`);
const keptCell = (k: GoalKept | undefined) =>
  !k || k.rate === null ? 'n/a' : `${fixedCell(k.rate, 2)} (${k.kept}/${k.counted}${k.noChance ? `, ${k.noChance} n/a` : ''})`;

/** The fidelity fields of one episode; `work`: the task's shared work (only for the task's own goal items). */
function fidelityOf(input: EpisodeAuditInput, work?: TaskAuditWork): z.infer<typeof fidelityFields> {
  const { episode, task } = input;
  const goal = input.judged?.goal ? { items: input.judged.goal, source: 'llm' as const } : (work?.goal ?? goalItemsFor(task));
  // Completion of objectives and requirements is read from the final state, never from the agent's words.
  const statePass = episode.outcome.state.pass;
  const completion = work
    ? work.completion(episode.trajectory.finalChanges, input.finalState, statePass)
    : completionFromState(goal.items, { task, domain: input.domain, finalState: input.finalState, statePass });
  const simulator = auditSimulator({
    items: goal.items,
    events: episode.trajectory.events,
    scenario: work?.scenario ?? scenarioText(task, goal.items),
    ...(work ? { scenarioNormal: work.scenarioNormal } : {}),
    ...(input.work ? { texts: input.work.texts } : {}),
    exists: input.exists,
    timeline: input.judged?.timeline,
    completion,
  });
  return {
    goal: {
      items: goal.items,
      source: goal.source,
      timeline: simulator.timeline,
      final: simulator.final,
      tracker: input.judged?.timeline ? ('llm' as const) : ('rules' as const),
      kept: simulator.kept,
      outcome: simulator.outcome,
    },
    simulatorFaults: simulator.faults,
  };
}

/**
 * Simulator fidelity (UGST): what the simulated user did with its goal items, and the simulator
 * faults it made. Measures the user, not the agent. Completion is read from the final state.
 */
export const fidelityAudit = defineAudit({
  name: 'fidelity',
  version: 'fidelity/2',
  fields: fidelityFields,
  summary: agentAuditSchema.shape.fidelity,
  audit(input) {
    // The task's shared work holds the task's own goal items: not for a judge's.
    return fidelityOf(input, input.judged?.goal ? undefined : input.work);
  },
  summarise(episodes) {
    const graded = episodes.filter((a) => a.termination !== 'infra_error');
    // Items pool over episodes; items the user had no chance to express are left out.
    // One pass over the items (the end of every run summarises every audit): verdicts counted per category.
    const tallies = new Map<string, { kept: number; counted: number; noChance: number }>(
      GOAL_CATEGORIES.map((category) => [category, { kept: 0, counted: 0, noChance: 0 }]),
    );
    for (const a of graded) {
      const verdicts = a.goal.kept;
      for (const item of a.goal.items) {
        const tally = tallies.get(item.category);
        const verdict = verdicts?.[item.id];
        if (!tally || verdict === undefined) continue;
        if (verdict === 'kept') tally.kept++;
        if (verdict === 'kept' || verdict === 'not_kept') tally.counted++;
        else if (verdict === 'no_chance') tally.noChance++;
      }
    }
    const goalKept: Record<string, GoalKept> = {};
    for (const [category, { kept, counted, noChance }] of tallies)
      goalKept[category] = { kept, counted, noChance, rate: counted ? kept / counted : null };
    const faulted = graded.filter((a) => a.simulatorFaults.length > 0);
    // Episodes with at least one fault of each kind.
    const withKind = new Map<string, number>(SIMULATOR_FAULT_KINDS.map((kind) => [kind, 0]));
    for (const a of faulted)
      for (const kind of new Set(a.simulatorFaults.map((f) => f.kind))) if (withKind.has(kind)) withKind.set(kind, withKind.get(kind)! + 1);
    const faultRateByKind: Record<string, number> = {};
    for (const [kind, n] of withKind) faultRateByKind[kind] = graded.length ? n / graded.length : 0;
    return {
      goalKept,
      faultedEpisodes: faulted.length,
      faultRate: graded.length ? faulted.length / graded.length : 0,
      faultRateByKind,
      passHatK: passHat(graded),
      passHatKClean: passHat(graded.filter((a) => a.simulatorFaults.length === 0)),
    };
  },
  display: {
    title: 'Simulator fidelity',
    text: FIDELITY_TEXT,
    tables: (rows) => {
      const tables: AuditTable[] = [];
      // Stored by auditors before groundwork-auditor/2: no per-category verdicts.
      if (rows.every((r) => r.summary.goalKept)) {
        const categories = [...new Set(rows.flatMap((r) => Object.keys(r.summary.goalKept ?? {})))];
        tables.push({
          title: 'Goal items the simulated user kept (kept/counted; n/a: never had the chance)',
          columns: ['agent', ...categories],
          rows: rows.map((r) => [r.agent, ...categories.map((c) => keptCell(r.summary.goalKept?.[c]))]),
        });
      } else
        tables.push({
          title: 'Goal items the simulated user kept',
          columns: ['note'],
          rows: [['stored by an older auditor: run groundwork audit on this run again to measure simulator fidelity']],
        });
      const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.summary.faultRateByKind)))];
      const ks = [...new Set(rows.flatMap((r) => Object.keys(r.summary.passHatK)))].sort((a, b) => Number(a) - Number(b));
      tables.push({
        title: 'Simulator faults (share of graded episodes; pass^k raw and without faulted episodes)',
        columns: ['agent', 'faulted', ...kinds.map((k) => k.replace(/_/g, ' ')), ...ks.flatMap((k) => [`pass^${k}`, `pass^${k} clean`])],
        rows: rows.map(({ agent, summary: f }) => [
          agent,
          `${f.faultedEpisodes} (${percentCell(f.faultRate)})`,
          ...kinds.map((k) => percentCell(f.faultRateByKind[k] ?? 0)),
          ...ks.flatMap((k) => [fixedCell(f.passHatK[k]), fixedCell(f.passHatKClean[k])]),
        ]),
      });
      return tables;
    },
    charts: [
      {
        id: 'goal-success',
        title: 'Simulator fidelity: goal items the user kept',
        description:
          'Measures the simulated user, not the agent: share of its goal items (UGST) it kept, per category — profile and policy never violated, objectives and requirements asked for, preferences expressed when the agent gave the chance. Items it never had the chance to express are left out (blank cell: none counted). The same user should score the same with every agent.',
        spec: (rows, agents) => {
          const values = rows.flatMap(({ agent, summary }) =>
            Object.entries(summary.goalKept ?? {}).flatMap(([category, k]) =>
              k.rate === null ? [] : [{ agent, category, value: k.rate }],
            ),
          );
          if (values.length === 0) return undefined;
          return shareHeatmap(
            values,
            agents,
            { field: 'category', title: 'goal category', sort: [...GOAL_CATEGORIES], axis: { labelAngle: 0 } },
            'share kept',
            80,
          );
        },
      },
      {
        id: 'simulator-faults',
        title: 'Simulator faults by kind',
        description:
          'Share of graded episodes in which the simulated user contradicted its scenario, invented a fact, revealed what it should not know, or stopped early.',
        spec: (rows, agents) => {
          const values = rows.flatMap(({ agent, summary }) =>
            Object.entries(summary.faultRateByKind).map(([kind, rate]) => ({ agent, kind, rate })),
          );
          if (values.length === 0) return undefined;
          // At least a 0–10% axis, so a clean run reads as "no faults" rather than as a broken chart.
          const top = Math.max(0.1, ...values.map((v) => v.rate));
          return vegaChart({
            data: { values },
            width: 360,
            height: { step: 14 },
            mark: { type: 'bar' },
            encoding: {
              y: { field: 'kind', type: 'nominal', title: 'fault kind' },
              yOffset: { field: 'agent', type: 'nominal', sort: agents },
              x: {
                field: 'rate',
                type: 'quantitative',
                title: 'share of graded episodes',
                scale: { domain: [0, top] },
                axis: { format: '.0%' },
              },
              color: { field: 'agent', type: 'nominal', title: 'agent', sort: agents },
            },
          });
        },
      },
    ],
    episodeLines: ({ goal, simulatorFaults }) => [
      `Goal state (${goal.source}, tracked by ${goal.tracker}):`,
      "  columns: final status (completion read from the state), status per user turn, whether the simulated user kept the item (n/a: never had the chance), outcome (the agent's side)",
      ...goal.items.map((item) => {
        const trail = goal.timeline.map((s) => s.statuses[item.id]?.[0] ?? '·').join('');
        const kept = goal.kept?.[item.id];
        const outcome = goal.outcome?.[item.id];
        return `  ${item.category.padEnd(12)} ${(goal.final[item.id] ?? '').padEnd(10)} ${trail.padEnd(8)} ${(kept === 'no_chance' ? 'user n/a' : kept ? `user ${kept.replace(/_/g, ' ')}` : '').padEnd(15)} ${(outcome ?? '').padEnd(9)} ${clip(item.description, 90)}`;
      }),
      ...(simulatorFaults.length
        ? [
            'Simulator faults:',
            ...simulatorFaults.map(
              (f) => `  ${f.kind} at user turn ${f.turn}${f.item ? ` (${f.item})` : ''}: "${clip(f.text, 100)}" — ${clip(f.evidence, 200)}`,
            ),
          ]
        : ['Simulator faults: none']),
    ],
  },
});
