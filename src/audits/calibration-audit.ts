import { z } from 'zod';
import { calibrationSummarySchema, outcomeReportSchema } from '../schema/audit.ts';
import { defineAudit, fixedCell } from './audit.ts';
import { calibrationSummary, rlcrReward, type CalibrationPoint } from './calibration.ts';
import { vegaChart } from './vega-specs.ts';

const calibrationFields = z.object({
  /** The agent's own structured outcome report, when it gave one. */
  outcomeReport: outcomeReportSchema.optional(),
  /** RLCR-style reward y − (q − y)², when an outcome report exists and the episode was graded. */
  rlcrReward: z.number().optional(),
});

/** Calibration: the agent's stated probability of success against the grounded outcome. */
export const calibrationAudit = defineAudit({
  name: 'calibration',
  version: 'calibration/1',
  fields: calibrationFields,
  summary: calibrationSummarySchema.nullable(),
  audit({ episode }) {
    const last = episode.trajectory.events.filter((e) => e.type === 'outcome_report').at(-1);
    if (last?.type !== 'outcome_report') return {};
    const outcomeReport = { success: last.success, confidence: last.confidence, summary: last.summary };
    if (episode.termination === 'infra_error') return { outcomeReport };
    return { outcomeReport, rlcrReward: rlcrReward({ q: outcomeReport.confidence, y: episode.reward >= 1 ? 1 : 0 }) };
  },
  summarise(episodes) {
    const graded = episodes.filter((a) => a.termination !== 'infra_error');
    const points: CalibrationPoint[] = graded.flatMap((a) =>
      a.outcomeReport ? [{ q: a.outcomeReport.confidence, y: a.reward >= 1 ? (1 as const) : (0 as const) }] : [],
    );
    return points.length ? calibrationSummary(points, graded.length - points.length) : null;
  },
  display: {
    title: 'Calibration',
    text: 'Outcome reports against the grounded outcome: Brier = mean((q − y)²), ECE over 10 equal-width bins, AUROC (– with one class), mean RLCR reward y − (q − y)².',
    tables: (rows) => {
      const reported = rows.filter((r) => r.summary !== null && r.summary.reports > 0);
      if (reported.length === 0) return [];
      return [
        {
          columns: ['agent', 'reports', 'missing', 'mean confidence', 'success rate', 'Brier', 'ECE', 'AUROC', 'RLCR reward'],
          rows: reported.map(({ agent, summary: c }) => [
            agent,
            c!.reports,
            c!.missing,
            fixedCell(c!.meanConfidence),
            fixedCell(c!.successRate),
            fixedCell(c!.brier),
            fixedCell(c!.ece),
            fixedCell(c!.auroc),
            fixedCell(c!.meanRlcrReward),
          ]),
        },
      ];
    },
    charts: [
      {
        id: 'reliability',
        title: 'Reliability diagram',
        description:
          'Stated probability of success (binned) against the grounded success rate; the diagonal is perfect calibration, points below it are overconfidence.',
        spec: (rows, agents) => {
          const values = rows.flatMap(({ agent, summary }) =>
            (summary?.reliability ?? [])
              .filter((b) => b.count > 0)
              .map((b) => ({
                agent,
                confidence: b.meanConfidence ?? (b.lower + b.upper) / 2,
                observed: b.meanOutcome ?? 0,
                count: b.count,
              })),
          );
          if (values.length === 0) return undefined;
          return vegaChart({
            width: 300,
            height: 300,
            layer: [
              {
                data: {
                  values: [
                    { x: 0, y: 0 },
                    { x: 1, y: 1 },
                  ],
                },
                mark: { type: 'line', color: '#9ca3af', strokeDash: [4, 4] },
                encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
              },
              {
                data: { values },
                mark: { type: 'line', point: { filled: true }, strokeWidth: 2 },
                encoding: {
                  x: { field: 'confidence', type: 'quantitative', title: 'stated confidence', scale: { domain: [0, 1] } },
                  y: { field: 'observed', type: 'quantitative', title: 'observed success', scale: { domain: [0, 1] } },
                  color: { field: 'agent', type: 'nominal', title: 'agent', sort: agents },
                },
              },
              {
                data: { values },
                mark: { type: 'point', filled: true, opacity: 0.35 },
                encoding: {
                  x: { field: 'confidence', type: 'quantitative' },
                  y: { field: 'observed', type: 'quantitative' },
                  size: { field: 'count', type: 'quantitative', title: 'episodes' },
                  color: { field: 'agent', type: 'nominal', sort: agents, legend: null },
                },
              },
            ],
          });
        },
      },
    ],
    episodeLines: (fields) =>
      fields.outcomeReport
        ? [
            `Outcome report: success=${fields.outcomeReport.success} q=${fields.outcomeReport.confidence}${fields.rlcrReward !== undefined ? `  RLCR reward ${fields.rlcrReward.toFixed(3)}` : ''}`,
          ]
        : [],
  },
});
