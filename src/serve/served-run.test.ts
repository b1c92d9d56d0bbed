import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { auditStoredRun } from '../audit-runner/audit-stored-run.ts';
import { GroundworkError } from '../errors.ts';
import { summariseRun } from '../report/run-summary.ts';
import { createRun } from '../runner/local-runner.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { EpisodeSession } from './episode-session.ts';
import { ServedRun, servedAgentName } from './served-run.ts';

const LEASE = { ttlMs: 60_000, heartbeatMs: 20_000 };
const dir = mkdtempSync(join(tmpdir(), 'gw-served-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gwCode = (expected: string) => (e: unknown) => GroundworkError.isInstance(e) && e.code === expected;

test('servedAgentName: served:<client>, external by default, plain names only', () => {
  assert.equal(servedAgentName(), 'served:external');
  assert.equal(servedAgentName('  '), 'served:external');
  assert.equal(servedAgentName('my-agent'), 'served:my-agent');
  assert.throws(() => servedAgentName('bad name\n'), gwCode('INVALID_ARGUMENT'));
});

test('a served run is an ordinary stored run: runs, tasks, episodes, summary, audit; lease and status', async () => {
  const path = join(dir, 'a.db');
  const store = SqliteStore.open(path);
  const run = await ServedRun.open({ store, domain: 'helpdesk', clientName: 'trl', lease: LEASE });
  const stored = await store.getRun(run.runId);
  assert.ok(stored);
  assert.equal(stored.status, 'running');
  assert.ok(stored.lease, 'the server holds the lease');
  assert.deepEqual(stored.config.agents, ['served:trl']);
  assert.equal(stored.config.domain, 'helpdesk');
  assert.equal(stored.config.split, 'test');
  assert.equal(stored.config.user, 'scripted');
  const tasks = await store.runTasks(run.runId);
  assert.deepEqual(
    tasks.map((t) => t.id),
    run.tasks.map((t) => t.id),
  );
  assert.equal(tasks.length, run.domain.tasks({ split: 'test' }).length, 'every task of the split is stored');

  // A second server on the same run is refused while the lease is held.
  const other = SqliteStore.open(path);
  await assert.rejects(ServedRun.open({ store: other, domain: 'helpdesk', runId: run.runId, lease: LEASE }), gwCode('RUN_BUSY'));

  // The same task many times: one trial each, distinct episode ids.
  const task = run.tasks[0];
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const session = new EpisodeSession(run);
    const first = await session.reset({ taskId: task.id });
    assert.equal(first.trial, i);
    ids.push(first.episodeId);
    await session.step({ type: 'end', content: 'Goodbye.' });
    assert.equal(session.state().done, true);
  }
  assert.equal(new Set(ids).size, 3);
  assert.throws(() => run.reserveEpisode({ taskId: 'no-such-task' }), gwCode('UNKNOWN_TASK'));

  const rows = await store.listEpisodes(run.runId);
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => r.agent === 'served:trl' && r.termination === 'agent_stop'));
  const summary = await summariseRun(store, (await store.getRun(run.runId))!);
  assert.ok(summary);
  const audit = await auditStoredRun(store, run.runId);
  assert.equal(audit.episodes, 3);

  await run.close();
  const closed = await store.getRun(run.runId);
  assert.equal(closed?.status, 'finished');
  assert.equal(closed?.lease, undefined);

  // Reopened (a restarted server): trials go on after the stored ones, nothing collides.
  const again = await ServedRun.open({ store: other, domain: 'ignored', runId: run.runId, lease: LEASE });
  assert.equal(again.agentName, 'served:trl');
  const session = new EpisodeSession(again);
  const first = await session.reset({ taskId: task.id });
  assert.equal(first.trial, 3);
  assert.ok(!ids.includes(first.episodeId));
  await session.close();
  assert.equal((await store.listEpisodes(run.runId)).length, 4);
  await again.close('interrupted');
  assert.equal((await store.getRun(run.runId))?.status, 'interrupted');
  await other.close();
  await store.close();
});

test('only served runs can be reopened; a bad domain or split fails before anything is stored', async () => {
  const store = SqliteStore.open(':memory:');
  const { runId } = await createRun(store, { domain: 'helpdesk', agents: ['oracle'], tasks: { count: 1 } });
  await assert.rejects(ServedRun.open({ store, domain: 'helpdesk', runId, lease: LEASE }), gwCode('INVALID_ARGUMENT'));
  await assert.rejects(ServedRun.open({ store, domain: 'no-such-domain', lease: LEASE }), gwCode('UNKNOWN_DOMAIN'));
  await assert.rejects(ServedRun.open({ store, domain: 'helpdesk', user: 'nobody', lease: LEASE }), gwCode('UNKNOWN_USER'));
  assert.equal((await store.listRuns()).length, 1);
  await store.close();
});
