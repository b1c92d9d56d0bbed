// When the runner calls `auditEpisode`: not inside the microtask that graded the episode but at the
// event loop's next check phase, the episodes graded since audited back to back (it costs about a
// third of the CPU at high concurrency: docs/scale.md), and each audit stored with its episode.
import assert from 'node:assert/strict';
import { executionAsyncResource } from 'node:async_hooks';
import { test } from 'node:test';
import { createEpisodeAuditor, type EpisodeAuditor } from '../audit-runner/episode-auditor.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { createRun, executeRun } from './local-runner.ts';

test('episodes are audited at the next check phase, those graded in one turn back to back, each stored with its audit', async () => {
  const store = SqliteStore.open(':memory:');
  const { runId, tasks } = await createRun(store, {
    domain: 'helpdesk',
    tasks: { count: 6 },
    agents: ['oracle', 'naive'],
    trials: 2,
    concurrency: 8,
  });
  const batches = new Map<object, string[]>();
  const failed: string[] = [];
  let auditor: EpisodeAuditor | undefined;
  const result = await executeRun(runId, {
    store,
    auditEpisode: (graded, task, domain) => {
      const resource = executionAsyncResource();
      batches.set(resource, [...(batches.get(resource) ?? []), graded.record.id]);
      if (graded.record.trial === 1 && graded.record.agent === 'naive') throw new Error('this audit fails');
      return (auditor ??= createEpisodeAuditor({ domain, tasks })).audit(graded, task);
    },
    onAuditError: (episodeId) => failed.push(episodeId),
  });
  assert.equal(result.ran, 24);
  const calls = [...batches.values()].flat();
  assert.equal(calls.length, 24);
  assert.ok(
    [...batches.keys()].every((resource) => resource.constructor.name === 'Immediate'),
    'every audit ran in a setImmediate callback',
  );
  assert.ok(
    [...batches.values()].some((ids) => ids.length > 1),
    `some episodes graded in one turn are audited in one check phase (batches of ${[...batches.values()].map((ids) => ids.length)})`,
  );
  // An audit that throws loses only itself: its episode is stored without one, the others with theirs.
  assert.equal(failed.length, 6);
  const stored = await store.listEpisodes(runId);
  assert.equal(stored.length, 24);
  for (const row of stored)
    assert.equal((await store.getEpisodeAudit(row.id)) !== undefined, !failed.includes(row.id), `audit of ${row.id} (${row.agent})`);
  await store.close();
});
