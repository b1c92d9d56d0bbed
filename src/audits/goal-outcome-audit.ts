import { z } from 'zod';
import { GOAL_OUTCOMES } from '../schema/audit.ts';
import { defineAudit } from './audit.ts';
import { GOAL_OUTCOME_TEXT } from './audit-texts.ts';
import { stackedAgentBars } from './vega-specs.ts';

/**
 * Goal outcomes: the agent's side of the user's goal — what became of each objective and
 * requirement, read from the final state. Reads the fidelity audit's per-item outcomes.
 */
export const goalOutcomeAudit = defineAudit({
  name: 'goalOutcome',
  version: 'goal-outcome/2',
  requires: ['fidelity'],
  // Nothing of its own per episode: the outcomes are part of the fidelity audit's goal state.
  fields: z.object({}),
  summary: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())).optional(),
  audit: () => ({}),
  summarise(episodes) {
    const graded = episodes.filter((a) => a.termination !== 'infra_error');
    const counts: Record<string, Record<string, number>> = { objectives: {}, requirements: {} };
    for (const category of ['objectives', 'requirements'] as const) for (const value of GOAL_OUTCOMES) counts[category][value] = 0;
    // One pass over the items (the end of every run summarises every audit).
    for (const a of graded) {
      const outcomes = a.goal.outcome;
      if (!outcomes) continue;
      for (const item of a.goal.items) {
        if (item.category !== 'objectives' && item.category !== 'requirements') continue;
        const outcome = outcomes[item.id];
        if (typeof outcome === 'string' && Object.hasOwn(counts[item.category], outcome)) counts[item.category][outcome]++;
      }
    }
    return counts;
  },
  display: {
    title: 'Goal outcomes',
    text: GOAL_OUTCOME_TEXT,
    tables: (rows) => {
      const lines = rows.flatMap(({ agent, summary }) =>
        Object.entries(summary ?? {})
          .filter(([, counts]) => Object.values(counts).some((n) => n > 0))
          .map(([category, counts]) => [agent, category, ...GOAL_OUTCOMES.map((o) => counts[o] ?? 0)]),
      );
      return lines.length ? [{ columns: ['agent', 'category', ...GOAL_OUTCOMES], rows: lines }] : [];
    },
    charts: [
      {
        id: 'goal-outcomes',
        title: 'Goal outcomes: the user’s objectives',
        description:
          'Measures the agent: each objective of the simulated user is completed (the final state shows it done), blocked (not done; the agent refused or asked for what the user cannot know), open (not done) or unknown (the state cannot tell). Never read from the agent’s words.',
        spec: (rows, agents) => {
          const values = rows.flatMap(({ agent, summary }) =>
            Object.entries(summary?.objectives ?? {})
              .filter(([, count]) => count > 0)
              .map(([outcome, count]) => ({ agent, category: 'objectives', outcome, count })),
          );
          if (values.length === 0) return undefined;
          return stackedAgentBars(
            values,
            agents,
            { field: 'count', title: 'objectives' },
            { field: 'outcome', title: 'outcome', domain: GOAL_OUTCOMES, range: ['#16a34a', '#2563eb', '#dc2626', '#9ca3af'] },
          );
        },
      },
    ],
  },
});
