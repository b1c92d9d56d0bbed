import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditStoredRun } from '../audit-runner/audit-stored-run.ts';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { EXPERIENCE_SCHEMA_VERSION, type LearningSession } from '../schema/experience.ts';
import type { Outcome } from '../schema/outcome.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { chartsFor } from './charts.ts';
import { collectReportData, fairShares, failureReasons } from './report-data.ts';

test('fairShares splits a budget evenly, giving what small groups leave to larger ones', () => {
  const cases: [number[], number, number[]][] = [
    [[0, 63, 63], 200, [0, 63, 63]],
    [[0, 3000, 3000], 200, [0, 100, 100]],
    [[5, 3000, 3000], 200, [5, 98, 97]],
    [[10, 10], 0, [0, 0]],
    [[1, 1, 1], 2, [1, 1, 0]],
    [[], 10, []],
  ];
  for (const [sizes, budget, expected] of cases) {
    const shares = fairShares(sizes, budget);
    assert.deepEqual(shares, expected, `${sizes} / ${budget}`);
    assert.equal(
      shares.reduce((a, b) => a + b, 0),
      Math.min(
        budget,
        sizes.reduce((a, b) => a + b, 0),
      ),
    );
  }
});

test('failureReasons reads the grade, not the transcript', () => {
  const outcome: Outcome = {
    schemaVersion: 1,
    reward: 0,
    alternative: 0,
    state: {
      pass: false,
      predicates: [
        { predicate: { kind: 'absent', table: 't', key: 'k' }, pass: false },
        { predicate: { kind: 'absent', table: 't', key: 'j' }, pass: true },
      ],
    },
    collateral: { pass: false, changes: [{ table: 't', key: 'x', op: 'delete', path: '', verdict: 'collateral' }] },
    communication: { pass: false, items: [{ id: 'why', pass: false }] },
    diff: [],
    graderVersion: 'test',
  };
  assert.deepEqual(failureReasons(outcome, 'max_steps'), [
    'ended by max_steps',
    '1 required check failed',
    '1 collateral change',
    '1 required fact not told',
  ]);
  assert.deepEqual(
    failureReasons(
      {
        ...outcome,
        state: { pass: true, predicates: [] },
        collateral: { pass: true, changes: [] },
        communication: { pass: true, items: [] },
      },
      'user_stop',
    ),
    [],
  );
});

test('collectReportData reads the stored audit and the learning session a run belongs to', async () => {
  const store = SqliteStore.open(':memory:');
  try {
    // Outcome reports give the audit calibration data (stated confidence per episode).
    const { runId } = await createRun(store, {
      domain: 'helpdesk',
      agents: ['oracle', 'naive'],
      tasks: { count: 7 },
      trials: 2,
      outcomeReport: true,
    });
    await executeRun(runId, { store });
    const bare = await collectReportData(store, runId, { maxFailed: 3 });
    assert.equal(bare.audit, undefined);
    assert.equal(bare.learningCurves, undefined);
    assert.equal(bare.failed.episodes.length, 3);
    assert.ok(bare.failed.episodes.every((e) => e.row.agent === 'naive' && e.audit === undefined && e.why.length > 0));

    await auditStoredRun(store, runId);
    const session: LearningSession = {
      schemaVersion: EXPERIENCE_SCHEMA_VERSION,
      id: 'learn-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      status: 'finished',
      domain: 'helpdesk',
      agent: 'model-x',
      critic: 'none',
      mechanisms: [],
      settings: {},
      rounds: [1, 2].map((round) => ({
        round,
        runId: round === 2 ? runId : 'other',
        episodes: 14,
        successRate: round / 4,
        passHatK: { '1': round / 4 },
        ci95: [0, 1] as [number, number],
        experience: {},
      })),
      test: {},
      usage: {},
    };
    await store.saveLearningSession(session);
    const data = await collectReportData(store, runId);
    // The claims section, from the claims audit's own table: naive made contradicted claims and confident failures.
    const claimsSection = data.audit?.sections.find((section) => section.name === 'claims');
    const [header, ...rows] = [claimsSection!.tables[0].columns, ...claimsSection!.tables[0].rows];
    const naive = rows.find((row) => row[0] === 'naive')!;
    assert.ok((naive[header.indexOf('confident failures')] as number) > 0 && (naive[header.indexOf('contradicted')] as number) > 0);
    // Its chart splits every failed episode of naive into claimed success and other.
    const bars = (claimsSection!.charts[0].spec.data as { values: { agent: string; episodes: number }[] }).values.filter(
      (v) => v.agent === 'naive',
    );
    assert.equal(
      bars.reduce((sum, v) => sum + v.episodes, 0),
      data.failed.episodes.length,
    );
    const reliability = data.audit?.sections.find((section) => section.name === 'calibration')?.charts.find((c) => c.id === 'reliability');
    assert.ok(reliability && JSON.stringify(reliability.spec).includes('"agent":"naive"'));
    const claims = data.failed.episodes.flatMap((e) => e.audit?.claims ?? []);
    assert.ok(claims.some((c) => c.verdict === 'contradicted' && c.evidence));
    assert.ok(data.failed.episodes.every((e) => e.audit?.goalStates?.length));
    assert.deepEqual(data.learningCurves, [
      { agent: 'model-x', metric: 'train success', step: 1, value: 0.25 },
      { agent: 'model-x', metric: 'train success', step: 2, value: 0.5 },
    ]);
    assert.ok(chartsFor(data).some((c) => c.id === 'learning-curves'));
  } finally {
    await store.close();
  }
});
