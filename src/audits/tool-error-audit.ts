import { z } from 'zod';
import { OUTCOME_REPORT_TOOL_NAME } from '../agents/outcome-report.ts';
import { defineAudit, percentCell } from './audit.ts';
import { vegaChart } from './vega-specs.ts';

const count = z.number().int().nonnegative();

/** Tool errors of one episode: results the agent got back flagged as errors (unknown tool, bad arguments, refusal). */
const toolErrorFields = z.object({
  toolErrors: z.object({
    /** Tool results the agent received. */
    calls: count,
    /** Of those, results that were errors. */
    errors: count,
    /** Errors per tool name (only tools that erred). */
    byTool: z.record(z.string(), count),
  }),
});

const toolErrorSummary = z.object({
  /** Graded episodes (infra errors left out). */
  episodes: count,
  calls: count,
  errors: count,
  /** errors / calls; null when the agent made no tool call. */
  errorRate: z.number().nullable(),
  /** Graded episodes with at least one tool error. */
  episodesWithError: count,
  /** episodesWithError / episodes; null without graded episodes. */
  episodeShare: z.number().nullable(),
  /** The tool that erred most often, if any did. */
  worstTool: z.string().nullable(),
});

/** Tool-error rate per agent: the share of tool calls that returned an error, and the episodes with at least one. */
export const toolErrorAudit = defineAudit({
  name: 'toolErrors',
  version: 'tool-errors/2',
  fields: toolErrorFields,
  summary: toolErrorSummary,
  audit({ episode }) {
    // Only the agent's calls that reached the domain: `report_outcome` is intercepted by the episode, not a
    // tool of the world, and the simulated user's own calls (dual control, `actor: 'user'`) are not the agent's.
    const results = episode.trajectory.events.flatMap((e) =>
      e.type === 'tool_result' && e.name !== OUTCOME_REPORT_TOOL_NAME && e.actor !== 'user' ? [e] : [],
    );
    const byTool: Record<string, number> = {};
    for (const r of results) if (r.isError) byTool[r.name] = (byTool[r.name] ?? 0) + 1;
    return { toolErrors: { calls: results.length, errors: results.filter((r) => r.isError).length, byTool } };
  },
  summarise(episodes) {
    const graded = episodes.filter((a) => a.termination !== 'infra_error');
    const calls = graded.reduce((sum, a) => sum + a.toolErrors.calls, 0);
    const errors = graded.reduce((sum, a) => sum + a.toolErrors.errors, 0);
    const withError = graded.filter((a) => a.toolErrors.errors > 0).length;
    const byTool = new Map<string, number>();
    for (const a of graded) for (const [tool, n] of Object.entries(a.toolErrors.byTool)) byTool.set(tool, (byTool.get(tool) ?? 0) + n);
    // Ties go to the tool name first in order, so the summary is deterministic.
    const worst = [...byTool].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))[0];
    return {
      episodes: graded.length,
      calls,
      errors,
      errorRate: calls ? errors / calls : null,
      episodesWithError: withError,
      episodeShare: graded.length ? withError / graded.length : null,
      worstTool: worst ? worst[0] : null,
    };
  },
  display: {
    title: 'Tool errors',
    text: 'Share of the agent’s tool calls that returned an error (unknown tool, invalid arguments, a refusal by the tool), and graded episodes with at least one such error.',
    tables: (rows) => [
      {
        columns: ['agent', 'tool calls', 'errors', 'error rate', 'episodes with ≥1 error', 'share of episodes', 'most errors'],
        rows: rows.map(({ agent, summary: t }) => [
          agent,
          t.calls,
          t.errors,
          percentCell(t.errorRate),
          t.episodesWithError,
          percentCell(t.episodeShare),
          t.worstTool,
        ]),
      },
    ],
    charts: [
      {
        id: 'tool-errors',
        title: 'Tool-error rate',
        description: 'Share of each agent’s tool calls that returned an error; the label gives errors / calls.',
        spec: (rows, agents) => {
          const values = rows
            .filter((r) => r.summary.calls > 0)
            .map(({ agent, summary: t }) => ({ agent, rate: t.errorRate ?? 0, label: `${t.errors}/${t.calls}` }));
          if (values.length === 0) return undefined;
          const top = Math.max(0.1, ...values.map((v) => v.rate));
          return vegaChart({
            data: { values },
            width: 360,
            height: { step: 26 },
            encoding: { y: { field: 'agent', type: 'nominal', title: 'agent', sort: agents } },
            layer: [
              {
                mark: { type: 'bar', color: '#dc2626' },
                encoding: {
                  x: {
                    field: 'rate',
                    type: 'quantitative',
                    title: 'share of tool calls that erred',
                    scale: { domain: [0, top] },
                    axis: { format: '.0%' },
                  },
                },
              },
              {
                mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
                encoding: { x: { field: 'rate', type: 'quantitative' }, text: { field: 'label' } },
              },
            ],
          });
        },
      },
    ],
    episodeLines: ({ toolErrors: t }) => [
      `Tool errors: ${t.errors} of ${t.calls} call(s)${
        t.errors
          ? ` (${Object.entries(t.byTool)
              .map(([tool, n]) => `${tool} ×${n}`)
              .join(', ')})`
          : ''
      }`,
    ],
  },
});
