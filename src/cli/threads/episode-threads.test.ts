// Episodes on a worker thread as the runner drives them: the thread tells the main thread when an
// episode is played, and the lane starts its next one then, while the thread grades and audits the
// last one (as a lane on the runner's own thread does). Real worker threads, a real SQLite store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEpisodeAuditor, type EpisodeAuditor } from '../../audit-runner/episode-auditor.ts';
import { createDomain } from '../../domains/registry.ts';
import { SharedAdmissions } from '../../models/shared-admission.ts';
import { createRun, executeRun, type EpisodeExecutor } from '../../runner/local-runner.ts';
import { SqliteStore } from '../../store/sqlite-store.ts';
import { EpisodeThreads } from './episode-threads.ts';

test("a lane sends its next episode to the thread once the last one is played, before that one's result is back", async () => {
  const store = SqliteStore.open(':memory:');
  const { runId, config, tasks } = await createRun(store, {
    domain: 'helpdesk',
    tasks: { count: 3 },
    agents: ['oracle'],
    trials: 2,
    concurrency: 1,
  });
  let auditor: EpisodeAuditor | undefined;
  const threads = new EpisodeThreads({
    threads: 1,
    runId,
    config,
    tasks,
    admissions: new SharedAdmissions(),
    auditor: () => (auditor ??= createEpisodeAuditor({ domain: createDomain('helpdesk'), tasks })),
  });
  // The threads' executor as the runner sees it, each step noted in order.
  const events: string[] = [];
  const observed: EpisodeExecutor & Required<Pick<EpisodeExecutor, 'play'>> = {
    run: (spec, task) => threads.run(spec, task),
    async play(spec, task) {
      events.push('send');
      const { executed } = await threads.play(spec, task);
      events.push('played');
      return {
        executed: executed.then((result) => {
          events.push('result');
          return result;
        }),
      };
    },
    close: () => threads.close(),
  };
  try {
    const result = await executeRun(runId, { store, runEpisodes: observed });
    assert.equal(result.ran, 6);
  } finally {
    await threads.close();
  }
  assert.deepEqual(
    ['send', 'played', 'result'].map((kind) => events.filter((event) => event === kind).length),
    [6, 6, 6],
  );
  assert.ok(
    events.indexOf('send', 1) < events.indexOf('result'),
    `the second episode went to the thread before the first one's result came back (${events.join(' ')})`,
  );
  // Every episode stored with the audit made on the thread.
  const stored = await store.listEpisodes(runId);
  assert.equal(stored.length, 6);
  for (const row of stored) assert.ok(await store.getEpisodeAudit(row.id), `audit of ${row.id}`);
  await store.close();
});
