import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtInDomains } from '../domains/registry.ts';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { episodeAuditSchema, type EpisodeAudit } from '../schema/audit.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { auditStoredRun } from './audit-stored-run.ts';
import { createEpisodeAuditor, RUN_TASK_PROBLEMS_FIELD, type EpisodeAuditor } from './episode-auditor.ts';
import { summariseStoredRun } from './summarise-stored-run.ts';

const fixedNow = () => new Date('2026-01-02T03:04:05Z');
const asStored = (audit: EpisodeAudit): EpisodeAudit => episodeAuditSchema.parse(JSON.parse(JSON.stringify(audit)));

/** A helpdesk run audited episode by episode, as `groundwork run` does, then summarised. */
async function auditedRun(store: Store): Promise<string> {
  const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 4 }, agents: ['oracle', 'naive', 'noop'], trials: 1 });
  const tasks = await store.runTasks(runId);
  let auditor: EpisodeAuditor | undefined;
  await executeRun(runId, {
    store,
    auditEpisode: (graded, task, domain) => (auditor ??= createEpisodeAuditor({ domain, tasks })).audit(graded, task),
  });
  await summariseStoredRun(store, runId, { ...(auditor ? { auditor } : {}), now: fixedNow });
  return runId;
}

/** The stored run audit and every stored episode audit equal what `groundwork audit` makes of the stored run. */
async function assertEqualToOffline(store: Store, runId: string, message: string): Promise<void> {
  const offline = new Map<string, EpisodeAudit>();
  const reference = await auditStoredRun(store, runId, { save: false, now: fixedNow, onEpisodeAudit: (id, a) => offline.set(id, a) });
  assert.deepEqual(await store.getRunAudit(runId), reference, `${message}: run audit`);
  for await (const audit of store.iterateEpisodeAudits(runId))
    assert.deepEqual(audit, asStored(offline.get(audit.episodeId)!), `${message}: episode audit ${audit.episodeId}`);
}

describe('stored audits made stale by a changed reward', () => {
  it('are made again when summarised without the auditor (run --resume, the queue), as a task problem appears then disappears', async () => {
    const store = SqliteStore.open(':memory:');
    try {
      const runId = await auditedRun(store);
      const [oracle] = await store.listEpisodes(runId, { agent: 'oracle' });
      const episode = (await store.getEpisode(runId, oracle.id))!;
      assert.equal(episode.reward, 1);
      // The oracle now fails the task (a regrade): `oracle_fails` appears.
      await store.updateOutcome(oracle.id, { ...episode.outcome, reward: 0, state: { ...episode.outcome.state, pass: false } });
      const appeared = await summariseStoredRun(store, runId, { now: fixedNow });
      assert.ok(appeared.taskProblems.some((p) => p.kind === 'oracle_fails'));
      await assertEqualToOffline(store, runId, 'problem appeared');
      const noop = (await store.listEpisodes(runId, { agent: 'noop' })).find((r) => r.taskId === oracle.taskId)!;
      assert.deepEqual(
        (await store.getEpisodeAudit(noop.id))![RUN_TASK_PROBLEMS_FIELD],
        ['oracle_fails'],
        'the audit records its problems',
      );
      // Graded right again: the problem disappears, and the audits made with it are made again.
      await store.updateOutcome(oracle.id, episode.outcome);
      const gone = await summariseStoredRun(store, runId, { now: fixedNow });
      assert.ok(!gone.taskProblems.some((p) => p.kind === 'oracle_fails'));
      await assertEqualToOffline(store, runId, 'problem gone');
      assert.equal((await store.getEpisodeAudit(noop.id))![RUN_TASK_PROBLEMS_FIELD], undefined);
    } finally {
      await store.close();
    }
  });

  it('forget: an episode another attempt stored first no longer counts towards its task problems', async () => {
    const store = SqliteStore.open(':memory:');
    try {
      const runId = await auditedRun(store);
      const tasks = await store.runTasks(runId);
      const [row] = await store.listEpisodes(runId, { agent: 'oracle' });
      const task = tasks.find((t) => t.id === row.taskId)!;
      const failing = { ...(await store.getEpisode(runId, row.id))!, reward: 0 };
      const auditor = createEpisodeAuditor({ domain: builtInDomains.create('helpdesk'), tasks, keep: 10 });
      const kinds = () => auditor.problemsOf(task).map((p) => p.kind);
      auditor.audit({ record: failing }, task);
      auditor.audit({ record: { ...failing, id: `${failing.id}-other` } }, task);
      assert.deepEqual(kinds(), ['oracle_fails']);
      auditor.forget(failing);
      assert.deepEqual(kinds(), ['oracle_fails'], 'the other failing episode still counts');
      assert.equal(auditor.kept.has(failing.id), false);
      assert.equal(auditor.auditedWith.has(failing.id), false);
      auditor.forget({ ...failing, id: `${failing.id}-other` });
      assert.deepEqual(kinds(), []);
    } finally {
      await store.close();
    }
  });
});
