import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAuditView } from './audit-view.ts';
import { chartFor, chartsFor, isInertSvg, renderChartSvg } from './charts.ts';
import type { RunReportData } from './report-data.ts';

const terminations = { user_stop: 3, agent_stop: 0, max_steps: 1, agent_error: 0, user_error: 0, infra_error: 0 };
function data(agent: string, extra: Partial<RunReportData> = {}): RunReportData {
  const metrics = {
    episodes: 4,
    graded: 4,
    infraErrors: 0,
    meanReward: 0.5,
    passHatK: { '1': 0.5, '2': 0.25 },
    passAtK: { '1': 0.5 },
    ci95: [0, 1] as [number, number],
    flipRate: 0.5,
    tasks: 2,
    terminations,
    families: { erase: { episodes: 4, meanReward: 0.5 } },
    usage: {},
  };
  return {
    summary: {
      runId: 'r',
      status: 'finished',
      createdAt: '',
      domain: 'd',
      split: 'test',
      tasks: 2,
      trials: 2,
      user: 'scripted',
      seed: 1,
      planned: 4,
      episodes: 4,
      agents: { [agent]: metrics },
      usage: {},
    },
    agents: [agent],
    families: ['erase'],
    failed: { total: 2, episodes: [] },
    ...extra,
  } as RunReportData;
}

test('isInertSvg accepts plain drawing markup and rejects scripts, handlers and links', () => {
  assert.ok(isInertSvg('<svg><g><text aria-label="x onerror=1 &lt;script&gt;">&lt;script&gt; onload=</text><rect fill="red"/></g></svg>'));
  for (const bad of [
    '<svg><script>1</script></svg>',
    '<svg onload="x()"></svg>',
    '<svg><a href="javascript:x"><text>t</text></a></svg>',
    '<svg><foreignObject><div/></foreignObject></svg>',
    '<svg><image href="http://x"/></svg>',
    '<svg><rect style="x"/></svg>',
  ]) {
    assert.equal(isInertSvg(bad), false, bad);
  }
});

test('charts render to inert SVG with hostile agent names written as text', async () => {
  const name = '<img src=x onerror="window.__pwned=1">';
  const charts = chartsFor(data(name));
  assert.deepEqual(
    charts.map((c) => c.id),
    ['pass-hat-k', 'families', 'terminations'],
  );
  for (const chart of charts) {
    const svg = await renderChartSvg(chart.spec);
    assert.match(svg, /^<svg/);
    assert.ok(isInertSvg(svg));
    assert.doesNotMatch(svg, /<img/);
    assert.match(svg, /&lt;img src=x/);
  }
});

test('audit and usage charts appear only with their data; audit charts come from the registered audits', () => {
  const base = data('a');
  base.summary.agents.a.usage = { agent: { calls: 2, inputTokens: 100, outputTokens: 20, costUsd: 0.01, latencyMs: 3 } };
  // A stored run audit, read back through the audit view as the report does.
  const stored = {
    schemaVersion: 1,
    runId: 'r',
    createdAt: 'now',
    auditorVersion: 'groundwork-auditor/3',
    episodes: 4,
    taskProblems: [],
    notes: [],
    agents: {
      a: {
        episodes: 4,
        graded: 4,
        claims: {
          successClaimed: 3,
          confidentFailures: 1,
          confidentFailureRate: 1 / 3,
          total: 3,
          verified: 2,
          contradicted: 1,
          unverifiable: 0,
          examples: [],
        },
        calibration: {
          reports: 4,
          missing: 0,
          brier: 0.2,
          ece: 0.1,
          auroc: null,
          meanConfidence: 0.7,
          successRate: 0.5,
          reliability: [{ lower: 0.6, upper: 0.7, count: 4, meanConfidence: 0.65, meanOutcome: 0.5 }],
          meanRlcrReward: 0.3,
        },
        fidelity: {
          goalKept: {
            objectives: { kept: 1, counted: 2, noChance: 0, rate: 0.5 },
            preferences: { kept: 0, counted: 0, noChance: 2, rate: null },
          },
          faultedEpisodes: 1,
          faultRate: 0.25,
          faultRateByKind: { premature_stop: 0.25 },
          passHatK: { '1': 0.5 },
          passHatKClean: { '1': 0.66 },
        },
        goalOutcome: { objectives: { completed: 0, blocked: 2, open: 0, unknown: 0 } },
        faultCauses: { agent: 2, user_simulator: 0, task: 0, infrastructure: 0 },
        toolErrors: { episodes: 4, calls: 10, errors: 2, errorRate: 0.2, episodesWithError: 1, episodeShare: 0.25, worstTool: 'erase' },
      },
    },
  };
  const withAudit = {
    ...base,
    audit: runAuditView(stored, { failed: { a: 2 } })!,
    learningCurves: [{ agent: 'a', metric: 'reward', step: 1, value: 0.5 }],
  };
  const charts = chartsFor(withAudit);
  assert.deepEqual(
    charts.map((c) => c.id),
    [
      'pass-hat-k',
      'families',
      'terminations',
      'usage',
      'reliability',
      'confident-failures',
      'goal-success',
      'simulator-faults',
      'goal-outcomes',
      'fault-causes',
      'tool-errors',
      'learning-curves',
    ],
  );
  // Fidelity charts only the categories that were measured; the n/a preferences get no cell.
  const fidelity = charts.find((c) => c.id === 'goal-success')!;
  assert.deepEqual((fidelity.spec.data as { values: unknown[] }).values, [{ agent: 'a', category: 'objectives', value: 0.5 }]);
  assert.match(fidelity.description, /measures the simulated user, not the agent/i);
  assert.match(charts.find((c) => c.id === 'goal-outcomes')!.description, /Measures the agent/);
  // An audit missing from an older stored record is marked stale, not drawn from nothing.
  const { toolErrors: _dropped, ...older } = stored.agents.a;
  const view = runAuditView({ ...stored, agents: { a: older } })!;
  assert.match(view.sections.find((s) => s.name === 'toolErrors')!.stale ?? '', /run groundwork audit r again/);
  assert.ok(!chartsFor({ ...base, audit: view }).some((c) => c.id === 'tool-errors'));
  // An unknown chart id is an error, never an empty picture.
  assert.throws(
    () => chartFor(withAudit, 'nope'),
    (error: Error & { code?: string }) => error.code === 'UNKNOWN_CHART',
  );
});
