import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchmarksDir } from '../domains/tau-bench/data.ts';
import { createDomain } from '../domains/registry.ts';
import { finalStateFrom, initialStateFor } from '../domains/initial-state.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { summariseRun } from '../report/run-summary.ts';
import { executeRun } from '../runner/local-runner.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { importTauResultsAsRun } from './store-import.ts';
import { parseTauResults, readTauResultsFile } from './tau-bench-results.ts';

const HISTORICAL = join(benchmarksDir(), 'tau-bench', 'airline', 'historical_gpt-4o.json');
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'gw-import-')), 'g.db');

test('imported τ-bench records become a finished run that re-grades from stored data alone and resumes as a no-op', async () => {
  const store = SqliteStore.open(tempDb());
  try {
    const records = readTauResultsFile(HISTORICAL);
    const imported = await importTauResultsAsRun(records, {
      store,
      domain: createDomain('tau-bench/airline'),
      agent: 'imported:gpt-4o',
      now: () => new Date('2026-01-02T03:04:05Z'),
    });
    assert.equal(imported.missing, 0);
    const run = (await store.getRun(imported.runId))!;
    assert.equal(run.status, 'finished');
    assert.equal(run.planned, 200);
    assert.deepEqual(run.config.agents, ['imported:gpt-4o']);
    assert.equal(run.config.trials, 4);
    assert.equal(run.config.tasks.ids?.length, 50);

    const summary = await summariseRun(store, run);
    assert.equal(summary.episodes, 200);
    assert.equal(summary.agents['imported:gpt-4o'].meanReward, 0.42);
    assert.equal(summary.agents['imported:gpt-4o'].passHatK['4'], 0.2);

    // Re-grade every stored episode the way later re-grades and audits do: domain from the stored
    // config, tasks from the store, final state from the stored changes.
    const domain = createDomain(run.config.domain, run.config.domainOptions);
    const tasks = new Map((await store.runTasks(run.id)).map((t) => [t.id, t]));
    let regraded = 0;
    for await (const episode of store.iterateEpisodes(run.id)) {
      const task = tasks.get(episode.taskId)!;
      const initialState = initialStateFor(domain, task);
      assert.equal(initialState.hash(), episode.trajectory.initialStateHash);
      const finalState = finalStateFrom(initialState, episode.trajectory.finalChanges);
      assert.equal(finalState.hash(), episode.trajectory.finalStateHash);
      const outcome = gradeEpisode({ domain, task, initialState, finalState, trajectory: episode.trajectory });
      assert.deepEqual(JSON.parse(JSON.stringify(outcome)), episode.outcome, `${episode.taskId}/${episode.trial}`);
      const record = records.find((r) => String(r.task_id) === episode.taskId && r.trial === episode.trial)!;
      assert.equal(episode.reward, record.reward);
      regraded++;
    }
    assert.equal(regraded, 200);

    // Everything planned is stored: resuming runs nothing (and never builds the imported agent).
    const resumed = await executeRun(run.id, { store });
    assert.deepEqual([resumed.status, resumed.ran, resumed.skipped], ['finished', 0, 200]);
  } finally {
    await store.close();
  }
});

test('duplicate task × trial records are refused before anything is stored; gaps in the grid are reported', async () => {
  const store = SqliteStore.open(tempDb());
  try {
    const domain = createDomain('tau-bench/airline');
    const record = { task_id: 1, trial: 0, reward: 0, info: {}, traj: [{ role: 'user', content: 'hi ###STOP###' }] };
    await assert.rejects(
      importTauResultsAsRun(parseTauResults([record, record]), { store, domain, agent: 'imported:x' }),
      /two records of task 1 trial 0/,
    );
    assert.equal((await store.listRuns()).length, 0);

    const gappy = await importTauResultsAsRun(parseTauResults([record, { ...record, task_id: 2, trial: 1 }]), {
      store,
      domain,
      agent: 'imported:x',
    });
    assert.equal(gappy.missing, 2);
    assert.equal((await store.getRun(gappy.runId))!.planned, 4);
    assert.equal((await store.listEpisodes(gappy.runId)).length, 2);
  } finally {
    await store.close();
  }
});
