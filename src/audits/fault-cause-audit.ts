import { z } from 'zod';
import { evaluatePredicate } from '../grading/grade.ts';
import { agentAuditSchema, episodeAuditSchema, FAULT_CAUSES } from '../schema/audit.ts';
import { defineAudit } from './audit.ts';
import { attributeFault } from './fault-attribution.ts';
import { stackedAgentBars } from './vega-specs.ts';

/** Fault attribution: the primary cause of each failed episode (infrastructure → task → user simulator → agent). */
export const faultCauseAudit = defineAudit({
  name: 'faultCauses',
  version: 'fault-causes/4',
  requires: ['claims', 'fidelity'],
  fields: z.object({ fault: episodeAuditSchema.shape.fault }),
  summary: agentAuditSchema.shape.faultCauses,
  audit({ episode, taskProblems, domain, initialState, work }, earlier) {
    const fault = attributeFault({
      reward: episode.reward,
      termination: episode.termination,
      terminationDetail: episode.trajectory.termination.detail,
      outcome: episode.outcome,
      claims: earlier.claims ?? [],
      simulatorFaults: earlier.simulatorFaults ?? [],
      taskProblems,
      initially: work ? (predicate) => work.initially(predicate) : (predicate) => evaluatePredicate(domain, initialState, predicate),
    });
    return fault ? { fault } : {};
  },
  summarise(episodes) {
    const causes: Record<string, number> = Object.fromEntries(FAULT_CAUSES.map((c) => [c, 0]));
    for (const a of episodes) if (a.fault) causes[a.fault.cause]++;
    return causes;
  },
  display: {
    title: 'Failed episodes by primary cause',
    text: 'Each failed episode is attributed to one cause, checked in order: infrastructure (infra_error), task (a lint problem, the oracle fails it), user simulator (a simulator fault), else the agent.',
    tables: (rows) => [
      { columns: ['agent', ...FAULT_CAUSES], rows: rows.map(({ agent, summary }) => [agent, ...FAULT_CAUSES.map((c) => summary[c] ?? 0)]) },
    ],
    charts: [
      {
        id: 'fault-causes',
        title: 'Failures by cause',
        description: 'Failed episodes attributed to a cause.',
        spec: (rows, agents) => {
          const values = rows.flatMap(({ agent, summary }) =>
            Object.entries(summary)
              .filter(([, count]) => count > 0)
              .map(([cause, count]) => ({ agent, cause, count })),
          );
          if (values.length === 0) return undefined;
          return stackedAgentBars(
            values,
            agents,
            { field: 'count', title: 'failed episodes' },
            { field: 'cause', title: 'cause', domain: FAULT_CAUSES, range: ['#dc2626', '#9333ea', '#ca8a04', '#4b5563'] },
          );
        },
      },
    ],
    episodeLines: ({ fault }) =>
      fault
        ? [
            `Primary cause of failure: ${fault.cause} — ${fault.evidence.length > 300 ? `${fault.evidence.slice(0, 300)}…` : fault.evidence}`,
          ]
        : [],
  },
});
