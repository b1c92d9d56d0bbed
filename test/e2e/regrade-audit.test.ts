import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { auditStoredRun } from '../../src/audit-runner/audit-stored-run.ts';
import { episodeAuditSchema, type EpisodeAudit, type RunAudit } from '../../src/schema/audit.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const cli = (args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, `groundwork ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};
const asStored = (audit: EpisodeAudit): EpisodeAudit => episodeAuditSchema.parse(JSON.parse(JSON.stringify(audit)));
const withoutStamp = ({ createdAt: _createdAt, ...audit }: RunAudit) => audit;

test('regrade brings the stored audits and the run audit up to date with the new rewards', async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'gw-regrade-audit-')), 'g.db');
  const { runId } = JSON.parse(
    cli(['run', '--tasks', '4', '--trials', '1', '--agent', 'oracle', '--agent', 'naive', '--agent', 'noop', '--json', '--store', db]),
  );

  // A wrong stored grade of an oracle episode (as an old grader might have made it), audited as such:
  // the task then has `oracle_fails`, and noop's failed episode of it is blamed on the task.
  let store = SqliteStore.open(db);
  const [oracle] = await store.listEpisodes(runId, { agent: 'oracle' });
  const episode = (await store.getEpisode(runId, oracle.id))!;
  await store.updateOutcome(oracle.id, { ...episode.outcome, reward: 0, state: { ...episode.outcome.state, pass: false } });
  await store.close();
  const before = JSON.parse(cli(['audit', runId, '--json', '--store', db]));
  assert.ok(
    before.taskProblems.some((p: { taskId: string; kind: string }) => p.taskId === oracle.taskId && p.kind === 'oracle_fails'),
    'the wrong grade shows as a task problem',
  );
  assert.ok(before.agents.noop.faultCauses.task > 0, 'noop failures blamed on the task');

  const regraded = JSON.parse(cli(['regrade', runId, '--json', '--store', db]));
  assert.equal(regraded.rewardChanged, 1);
  assert.equal(regraded.audit.status, 'updated');

  // What `groundwork audit` makes of the regraded run, nothing written.
  store = SqliteStore.open(db);
  try {
    const offline = new Map<string, EpisodeAudit>();
    const reference = await auditStoredRun(store, runId, { save: false, onEpisodeAudit: (id, audit) => offline.set(id, audit) });
    assert.equal(reference.agents.noop.faultCauses.task, 0, 'the problem is gone');
    assert.deepEqual(withoutStamp((await store.getRunAudit(runId))!), withoutStamp(reference), 'run audit');
    let stored = 0;
    for await (const audit of store.iterateEpisodeAudits(runId)) {
      assert.deepEqual(audit, asStored(offline.get(audit.episodeId)!), `episode audit ${audit.episodeId}`);
      stored++;
    }
    assert.equal(stored, offline.size);
    // The indexed columns (filters, totals) follow the audits.
    const totals = await store.auditTotals(runId);
    const causes: Record<string, number> = {};
    for (const audit of offline.values()) if (audit.fault) causes[audit.fault.cause] = (causes[audit.fault.cause] ?? 0) + 1;
    for (const [cause, count] of Object.entries(totals.faultCauses)) assert.equal(count, causes[cause] ?? 0, `fault cause ${cause}`);
    assert.equal(await store.countEpisodes(runId, { faultCause: 'task' }), causes.task ?? 0);
  } finally {
    await store.close();
  }
});
