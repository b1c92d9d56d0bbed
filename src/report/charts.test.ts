import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartsFor, isInertSvg, renderChartSvg } from './charts.ts';
import type { RunReportData } from './report-data.ts';

const terminations = { user_stop: 3, agent_stop: 0, max_steps: 1, agent_error: 0, user_error: 0, infra_error: 0 };
function data(agent: string, extra: Partial<RunReportData> = {}): RunReportData {
  const metrics = { episodes: 4, graded: 4, infraErrors: 0, meanReward: 0.5, passHatK: { '1': 0.5, '2': 0.25 }, passAtK: { '1': 0.5 }, ci95: [0, 1] as [number, number], flipRate: 0.5, tasks: 2, terminations, families: { erase: { episodes: 4, meanReward: 0.5 } }, usage: {} };
  return {
    summary: { runId: 'r', status: 'finished', createdAt: '', domain: 'd', split: 'test', tasks: 2, trials: 2, user: 'scripted', seed: 1, planned: 4, episodes: 4, agents: { [agent]: metrics }, usage: {} },
    agents: [agent],
    families: ['erase'],
    failed: { total: 2, episodes: [] },
    ...extra,
  } as RunReportData;
}

test('isInertSvg accepts plain drawing markup and rejects scripts, handlers and links', () => {
  assert.ok(isInertSvg('<svg><g><text aria-label="x onerror=1 &lt;script&gt;">&lt;script&gt; onload=</text><rect fill="red"/></g></svg>'));
  for (const bad of ['<svg><script>1</script></svg>', '<svg onload="x()"></svg>', '<svg><a href="javascript:x"><text>t</text></a></svg>', '<svg><foreignObject><div/></foreignObject></svg>', '<svg><image href="http://x"/></svg>', '<svg><rect style="x"/></svg>']) {
    assert.equal(isInertSvg(bad), false, bad);
  }
});

test('charts render to inert SVG with hostile agent names written as text', async () => {
  const name = '<img src=x onerror="window.__pwned=1">';
  const charts = chartsFor(data(name));
  assert.deepEqual(charts.map((c) => c.id), ['pass-hat-k', 'families', 'terminations']);
  for (const chart of charts) {
    const svg = await renderChartSvg(chart.spec);
    assert.match(svg, /^<svg/);
    assert.ok(isInertSvg(svg));
    assert.doesNotMatch(svg, /<img/);
    assert.match(svg, /&lt;img src=x/);
  }
});

test('audit and usage charts appear only with their data', () => {
  const base = data('a');
  base.summary.agents.a.usage = { agent: { calls: 2, inputTokens: 100, outputTokens: 20, costUsd: 0.01, latencyMs: 3 } };
  const withAudit = { ...base, audit: { calibration: [{ agent: 'a', episodes: 4, missing: 0, brier: 0.2, ece: 0.1, meanConfidence: 0.7, successRate: 0.5, bins: [{ lower: 0.6, upper: 0.7, count: 4, meanConfidence: 0.65, observed: 0.5 }] }], confidentFailures: [{ agent: 'a', failures: 2, confident: 1, successClaimed: 3, claims: 3, verified: 2, contradicted: 1, unverifiable: 0 }], fidelity: [{ agent: 'a', goalSuccess: { objectives: 0.5, profile: null }, faultedEpisodes: 1, faultRate: 0.25, faultRateByKind: { premature_stop: 0.25 }, passHatK: { '1': 0.5 }, passHatKClean: { '1': 0.66 } }], faultCauses: [{ agent: 'a', cause: 'agent', count: 2 }] }, learningCurves: [{ agent: 'a', metric: 'reward', step: 1, value: 0.5 }] };
  assert.deepEqual(chartsFor(withAudit).map((c) => c.id), ['pass-hat-k', 'families', 'terminations', 'usage', 'reliability', 'confident-failures', 'goal-success', 'simulator-faults', 'fault-causes', 'learning-curves']);
});
