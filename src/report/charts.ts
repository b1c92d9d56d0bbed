import type { TopLevelSpec } from 'vega-lite';
import { GroundworkError } from '../errors.ts';
import { FAULT_CAUSES, GOAL_CATEGORIES } from '../schema/audit.ts';
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

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Shared look: readable fonts, no chart border, the same agent colours everywhere. */
const CONFIG = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, gridColor: '#e5e7eb', domainColor: '#9ca3af', tickColor: '#9ca3af' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, labelLimit: 220 },
  title: { fontSize: 14, fontWeight: 600, anchor: 'start' as const, color: '#111827' },
  range: { category: ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#db2777', '#0891b2', '#ca8a04', '#4b5563', '#dc2626', '#65a30d'] },
};

const TERMINATION_COLORS: Record<string, string> = {
  user_stop: '#16a34a',
  agent_stop: '#2563eb',
  max_steps: '#ca8a04',
  agent_error: '#dc2626',
  user_error: '#9333ea',
  infra_error: '#4b5563',
};

function chart(spec: Record<string, unknown>): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, background: 'white', padding: 8, ...spec } as TopLevelSpec;
}

/** A 0–1 heatmap of agents (rows) against a category (columns), the value written in each cell. */
function shareHeatmap(values: object[], agents: readonly string[], column: Record<string, unknown>, valueTitle: string, columnStep: number): TopLevelSpec {
  return chart({
    data: { values },
    width: { step: columnStep },
    height: { step: 30 },
    encoding: { x: { type: 'nominal', ...column }, y: { field: 'agent', type: 'nominal', title: 'agent', sort: agents } },
    layer: [
      { mark: { type: 'rect', stroke: 'white', strokeWidth: 2 }, encoding: { color: { field: 'value', type: 'quantitative', title: valueTitle, scale: { domain: [0, 1], scheme: 'redyellowgreen' } } } },
      { mark: { type: 'text', fontSize: 11, fontWeight: 600 }, encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' }, color: { condition: { test: 'datum.value < 0.25 || datum.value > 0.8', value: 'white' }, value: '#111827' } } },
    ],
  });
}

/** Horizontal bars per agent, stacked by a category with fixed colours. */
function stackedAgentBars(values: object[], agents: readonly string[], x: { field: string; title: string }, color: { field: string; title: string; domain: readonly string[]; range: readonly string[] }, order?: string): TopLevelSpec {
  return chart({
    data: { values },
    width: 360,
    height: { step: 26 },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'agent', type: 'nominal', title: 'agent', sort: agents },
      x: { field: x.field, type: 'quantitative', title: x.title, stack: 'zero' },
      color: { field: color.field, type: 'nominal', title: color.title, scale: { domain: [...color.domain], range: [...color.range] } },
      ...(order ? { order: { field: order, type: 'quantitative' } } : {}),
    },
  });
}

/** pass^k against k, one line per agent. */
export function passHatKChart(data: RunReportData): ChartDefinition | undefined {
  const values = Object.entries(data.summary.agents).flatMap(([agent, m]) => Object.entries(m.passHatK).map(([k, v]) => ({ agent, k: Number(k), value: v })));
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
  const values = Object.entries(data.summary.agents).flatMap(([agent, m]) => Object.entries(m.families).map(([family, f]) => ({ agent, family, value: f.meanReward, episodes: f.episodes })));
  if (values.length === 0) return undefined;
  return {
    id: 'families',
    title: 'Success by task family',
    description: 'Mean reward of each agent on each task family (green: solved, red: failed).',
    spec: shareHeatmap(values, data.agents, { field: 'family', title: 'task family', sort: data.families, axis: { labelAngle: -30 } }, 'mean reward', 64),
  };
}

/** How episodes ended, stacked per agent. */
export function terminationChart(data: RunReportData): ChartDefinition | undefined {
  const reasons = Object.keys(TERMINATION_COLORS);
  const values = Object.entries(data.summary.agents).flatMap(([agent, m]) => Object.entries(m.terminations).filter(([, n]) => n > 0).map(([reason, n]) => ({ agent, reason, episodes: n, position: reasons.indexOf(reason) })));
  if (values.length === 0) return undefined;
  return {
    id: 'terminations',
    title: 'Termination reasons',
    description: 'Why each episode ended; agent_error, user_error and infra_error deserve a look.',
    spec: stackedAgentBars(values, data.agents, { field: 'episodes', title: 'episodes' }, { field: 'reason', title: 'termination', domain: reasons, range: reasons.map((r) => TERMINATION_COLORS[r]) }, 'position'),
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

/** Reliability diagram: stated confidence against observed success, per agent. */
export function reliabilityChart(data: RunReportData): ChartDefinition | undefined {
  const calibration = data.audit?.calibration ?? [];
  const values = calibration.flatMap((c) => c.bins.filter((b) => b.count > 0).map((b) => ({ agent: c.agent, confidence: b.meanConfidence, observed: b.observed, count: b.count })));
  if (values.length === 0) return undefined;
  return {
    id: 'reliability',
    title: 'Reliability diagram',
    description: 'Stated probability of success (binned) against the grounded success rate; the diagonal is perfect calibration, points below it are overconfidence.',
    spec: chart({
      width: 300,
      height: 300,
      layer: [
        { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line', color: '#9ca3af', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
        {
          data: { values },
          mark: { type: 'line', point: { filled: true }, strokeWidth: 2 },
          encoding: {
            x: { field: 'confidence', type: 'quantitative', title: 'stated confidence', scale: { domain: [0, 1] } },
            y: { field: 'observed', type: 'quantitative', title: 'observed success', scale: { domain: [0, 1] } },
            color: { field: 'agent', type: 'nominal', title: 'agent', sort: data.agents },
          },
        },
        {
          data: { values },
          mark: { type: 'point', filled: true, opacity: 0.35 },
          encoding: {
            x: { field: 'confidence', type: 'quantitative' },
            y: { field: 'observed', type: 'quantitative' },
            size: { field: 'count', type: 'quantitative', title: 'episodes' },
            color: { field: 'agent', type: 'nominal', sort: data.agents, legend: null },
          },
        },
      ],
    }),
  };
}

/** Failed episodes split into confident failures (claimed success) and the rest. */
export function confidentFailureChart(data: RunReportData): ChartDefinition | undefined {
  const rows = data.audit?.confidentFailures ?? [];
  const values = rows.flatMap((r) => [
    { agent: r.agent, kind: 'claimed success', episodes: r.confident },
    { agent: r.agent, kind: 'other', episodes: Math.max(0, r.failures - r.confident) },
  ]);
  if (!values.some((v) => v.episodes > 0)) return undefined;
  return {
    id: 'confident-failures',
    title: 'Confident failures',
    description: 'Failed episodes in which the agent told the user the goal was done, against other failures.',
    spec: stackedAgentBars(values, data.agents, { field: 'episodes', title: 'failed episodes' }, { field: 'kind', title: 'failure', domain: ['claimed success', 'other'], range: ['#b91c1c', '#fca5a5'] }),
  };
}

/** Simulator fidelity by UGST category: how much of the user's goal ended at its success status. */
export function goalSuccessChart(data: RunReportData): ChartDefinition | undefined {
  const values = (data.audit?.fidelity ?? []).flatMap((f) => Object.entries(f.goalSuccess).filter(([, v]) => v !== null).map(([category, value]) => ({ agent: f.agent, category, value: value as number })));
  if (values.length === 0) return undefined;
  return {
    id: 'goal-success',
    title: 'Simulator fidelity by goal category',
    description: 'Mean share of the simulated user’s goal items (UGST) that ended at their success status, per category: low values mean the user drifted or gave up.',
    spec: shareHeatmap(values, data.agents, { field: 'category', title: 'goal category', sort: [...GOAL_CATEGORIES], axis: { labelAngle: 0 } }, 'share at success', 80),
  };
}

/** Simulator faults by kind: share of each agent's graded episodes flagged with the fault. */
export function simulatorFaultChart(data: RunReportData): ChartDefinition | undefined {
  const values = (data.audit?.fidelity ?? []).flatMap((f) => Object.entries(f.faultRateByKind).map(([kind, rate]) => ({ agent: f.agent, kind, rate })));
  if (values.length === 0) return undefined;
  // At least a 0–10% axis, so a clean run reads as "no faults" rather than as a broken chart.
  const top = Math.max(0.1, ...values.map((v) => v.rate));
  return {
    id: 'simulator-faults',
    title: 'Simulator faults by kind',
    description: 'Share of graded episodes in which the simulated user contradicted its scenario, invented a fact, revealed what it should not know, or stopped early.',
    spec: chart({
      data: { values },
      width: 360,
      height: { step: 14 },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'kind', type: 'nominal', title: 'fault kind' },
        yOffset: { field: 'agent', type: 'nominal', sort: data.agents },
        x: { field: 'rate', type: 'quantitative', title: 'share of graded episodes', scale: { domain: [0, top] }, axis: { format: '.0%' } },
        color: { field: 'agent', type: 'nominal', title: 'agent', sort: data.agents },
      },
    }),
  };
}

/** Who is to blame for failures: agent, simulator, environment, grader... */
export function faultCauseChart(data: RunReportData): ChartDefinition | undefined {
  const values = (data.audit?.faultCauses ?? []).filter((f) => f.count > 0);
  if (values.length === 0) return undefined;
  return {
    id: 'fault-causes',
    title: 'Failures by cause',
    description: 'Failed episodes attributed to a cause.',
    spec: stackedAgentBars(values, data.agents, { field: 'count', title: 'failed episodes' }, { field: 'cause', title: 'cause', domain: FAULT_CAUSES, range: ['#dc2626', '#9333ea', '#ca8a04', '#4b5563'] }),
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

/** Every chart that has data for this run, in report order. */
export function chartsFor(data: RunReportData): ChartDefinition[] {
  const builders = [passHatKChart, familyChart, terminationChart, usageChart, reliabilityChart, confidentFailureChart, goalSuccessChart, simulatorFaultChart, faultCauseChart, learningCurveChart];
  return builders.map((build) => build(data)).filter((c): c is ChartDefinition => c !== undefined);
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
