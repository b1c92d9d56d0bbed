import type { TopLevelSpec } from 'vega-lite';
import { GroundworkError } from '../errors.ts';
import { shareHeatmap, stackedAgentBars, vegaChart as chart } from '../audits/vega-specs.ts';
import type { RunReportData } from './report-data.ts';

/** One chart of a run: a Vega-Lite spec plus what it shows. */
export interface ChartDefinition {
  /** Stable id, used in the viewer's chart URLs and as `data-chart` in the report. */
  id: string;
  title: string;
  /** One sentence on how to read it. */
  description: string;
  spec: TopLevelSpec;
}

const TERMINATION_COLORS: Record<string, string> = {
  user_stop: '#16a34a',
  agent_stop: '#2563eb',
  max_steps: '#ca8a04',
  agent_error: '#dc2626',
  user_error: '#9333ea',
  infra_error: '#4b5563',
};

/** pass^k against k, one line per agent. */
export function passHatKChart(data: RunReportData): ChartDefinition | undefined {
  const values = Object.entries(data.summary.agents).flatMap(([agent, m]) =>
    Object.entries(m.passHatK).map(([k, v]) => ({ agent, k: Number(k), value: v })),
  );
  if (values.length === 0) return undefined;
  return {
    id: 'pass-hat-k',
    title: 'pass^k by agent',
    description: 'Probability that all k trials of a task succeed, averaged over tasks: a reliable agent stays flat as k grows.',
    spec: chart({
      width: 360,
      height: 220,
      data: { values },
      mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2.5 },
      encoding: {
        x: { field: 'k', type: 'ordinal', title: 'k (trials that must all succeed)', axis: { labelAngle: 0 } },
        y: { field: 'value', type: 'quantitative', title: 'pass^k', scale: { domain: [0, 1] } },
        color: { field: 'agent', type: 'nominal', title: 'agent', sort: data.agents },
      },
    }),
  };
}

/** Mean reward per task family and agent, as a heatmap with the value written in each cell. */
export function familyChart(data: RunReportData): ChartDefinition | undefined {
  const values = Object.entries(data.summary.agents).flatMap(([agent, m]) =>
    Object.entries(m.families).map(([family, f]) => ({ agent, family, value: f.meanReward, episodes: f.episodes })),
  );
  if (values.length === 0) return undefined;
  return {
    id: 'families',
    title: 'Success by task family',
    description: 'Mean reward of each agent on each task family (green: solved, red: failed).',
    spec: shareHeatmap(
      values,
      data.agents,
      { field: 'family', title: 'task family', sort: data.families, axis: { labelAngle: -30 } },
      'mean reward',
      64,
    ),
  };
}

/** How episodes ended, stacked per agent. */
export function terminationChart(data: RunReportData): ChartDefinition | undefined {
  const reasons = Object.keys(TERMINATION_COLORS);
  const values = Object.entries(data.summary.agents).flatMap(([agent, m]) =>
    Object.entries(m.terminations)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => ({ agent, reason, episodes: n, position: reasons.indexOf(reason) })),
  );
  if (values.length === 0) return undefined;
  return {
    id: 'terminations',
    title: 'Termination reasons',
    description: 'Why each episode ended; agent_error, user_error and infra_error deserve a look.',
    spec: stackedAgentBars(
      values,
      data.agents,
      { field: 'episodes', title: 'episodes' },
      { field: 'reason', title: 'termination', domain: reasons, range: reasons.map((r) => TERMINATION_COLORS[r]) },
      'position',
    ),
  };
}

/** Tokens and cost by participant role (agent, user, judge...) per agent. */
export function usageChart(data: RunReportData): ChartDefinition | undefined {
  const values = Object.entries(data.summary.agents).flatMap(([agent, m]) =>
    Object.entries(m.usage ?? {}).flatMap(([role, u]) => [
      { agent, role, measure: 'tokens', value: u.inputTokens + u.outputTokens },
      { agent, role, measure: 'cost (USD)', value: u.costUsd },
    ]),
  );
  if (!values.some((v) => v.value > 0)) return undefined;
  return {
    id: 'usage',
    title: 'Tokens and cost by role',
    description: 'Model tokens (input + output) and cost of each role, summed over the run, per agent under test.',
    spec: chart({
      data: { values },
      facet: { column: { field: 'measure', type: 'nominal', title: null, header: { labelFontSize: 12, labelFontWeight: 600 } } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 240,
        height: { step: 22 },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'agent', type: 'nominal', title: 'agent', sort: data.agents },
          x: { field: 'value', type: 'quantitative', title: null, stack: 'zero' },
          color: { field: 'role', type: 'nominal', title: 'role', scale: { scheme: 'set2' } },
        },
      },
    }),
  };
}

/** Learning curves (metric against training step), when a learner recorded them. */
export function learningCurveChart(data: RunReportData): ChartDefinition | undefined {
  const values = data.learningCurves ?? [];
  if (values.length === 0) return undefined;
  return {
    id: 'learning-curves',
    title: 'Learning curves',
    description: 'A learning agent’s metric after each step of experience.',
    spec: chart({
      data: { values },
      width: 360,
      height: 220,
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: 'value' },
        color: { field: 'agent', type: 'nominal', title: 'agent' },
        strokeDash: { field: 'metric', type: 'nominal', title: 'metric' },
      },
    }),
  };
}

/** The report's own charts (results of the run), by id, in report order. */
export const CORE_CHARTS = {
  'pass-hat-k': passHatKChart,
  families: familyChart,
  terminations: terminationChart,
  usage: usageChart,
} as const;
/** Charts after the audits' charts. */
const TRAILING_CHARTS = { 'learning-curves': learningCurveChart } as const;

/**
 * Every chart that has data for this run, in report order: the run's results, then each
 * registered audit's charts (from the audit view), then learning curves. Ids must be unique: a
 * clash is an error, not a chart silently replaced.
 */
export function chartsFor(data: RunReportData): ChartDefinition[] {
  const charts = [
    ...Object.values(CORE_CHARTS).map((build) => build(data)),
    ...(data.audit?.sections ?? []).flatMap((section) => section.charts),
    ...Object.values(TRAILING_CHARTS).map((build) => build(data)),
  ].filter((c): c is ChartDefinition => c !== undefined);
  const seen = new Set<string>();
  for (const chart of charts) {
    if (seen.has(chart.id)) throw new GroundworkError('INVALID_ARGUMENT', `two charts have the id ${JSON.stringify(chart.id)}`);
    seen.add(chart.id);
  }
  return charts;
}

/** The chart of that id for this run; an id no chart has (or one without data) is an UNKNOWN_CHART error. */
export function chartFor(data: RunReportData, id: string): ChartDefinition {
  const chart = chartsFor(data).find((c) => c.id === id);
  if (!chart) throw new GroundworkError('UNKNOWN_CHART', `no chart ${JSON.stringify(id)} for this run`);
  return chart;
}

// Elements and attributes a chart must never contain: it is inlined into pages, so it must stay
// inert. Checked on tags only (quoted attribute values removed): escaped text may mention anything.
const ACTIVE_ELEMENT = /^<\s*(script|foreignobject|iframe|object|embed|a|use|image|animate|set|handler|style)\b/i;
const ACTIVE_ATTRIBUTE = /\s(on[a-z]+|href|xlink:href|src|style)\s*=/i;

/** True when an SVG string has no scripts, event handlers, links or external references. */
export function isInertSvg(svg: string): boolean {
  for (const [tag] of svg.matchAll(/<[^>]*>/g)) {
    const bare = tag.replace(/"[^"]*"|'[^']*'/g, '""');
    if (ACTIVE_ELEMENT.test(bare) || ACTIVE_ATTRIBUTE.test(bare)) return false;
  }
  return true;
}

/**
 * Render a Vega-Lite spec to an SVG string, in Node with no browser. Vega escapes text it
 * writes; the result is also checked to hold no active markup before anyone inlines it.
 */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: Vega adds ~0.4 s to start-up, and most commands draw no chart.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  // Warnings go nowhere: a report command prints one line, and the specs are ours.
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logLevel: vega.None });
  try {
    const svg = await view.toSVG();
    if (!isInertSvg(svg)) throw new GroundworkError('INVALID_ARGUMENT', 'a rendered chart contains active markup; refusing to embed it');
    return svg;
  } finally {
    view.finalize();
  }
}
