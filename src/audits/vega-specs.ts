/**
 * Vega-Lite spec builders with Groundwork's shared look, for the charts audits describe (and the
 * report's own charts). Pure: specs in, specs out; rendering happens in `report/charts.ts`.
 */
import type { TopLevelSpec } from 'vega-lite';

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

/** A complete spec with the shared look around `spec` (data, marks, encodings). */
export function vegaChart(spec: Record<string, unknown>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    background: 'white',
    padding: 8,
    ...spec,
  } as TopLevelSpec;
}

/** A 0–1 heatmap of agents (rows) against a category (columns), the value written in each cell. */
export function shareHeatmap(
  values: object[],
  agents: readonly string[],
  column: Record<string, unknown>,
  valueTitle: string,
  columnStep: number,
): TopLevelSpec {
  return vegaChart({
    data: { values },
    width: { step: columnStep },
    height: { step: 30 },
    encoding: { x: { type: 'nominal', ...column }, y: { field: 'agent', type: 'nominal', title: 'agent', sort: agents } },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          color: { field: 'value', type: 'quantitative', title: valueTitle, scale: { domain: [0, 1], scheme: 'redyellowgreen' } },
        },
      },
      {
        mark: { type: 'text', fontSize: 11, fontWeight: 600 },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: '.2f' },
          color: { condition: { test: 'datum.value < 0.25 || datum.value > 0.8', value: 'white' }, value: '#111827' },
        },
      },
    ],
  });
}

/** Horizontal bars per agent, stacked by a category with fixed colours. */
export function stackedAgentBars(
  values: object[],
  agents: readonly string[],
  x: { field: string; title: string },
  color: { field: string; title: string; domain: readonly string[]; range: readonly string[] },
  order?: string,
): TopLevelSpec {
  return vegaChart({
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
