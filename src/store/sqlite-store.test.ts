import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createEpisodeAuditor } from '../audit-runner/episode-auditor.ts';
import { createRun, domainFor, executeRun } from '../runner/local-runner.ts';
import { AUDIT_SCHEMA_VERSION, episodeAuditSchema, type EpisodeAudit } from '../schema/audit.ts';
import { SqliteStore } from './sqlite-store.ts';
import { copyToLegacyLayout } from './sqlite-store-legacy.test.ts';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'gw-store-')), 'g.db');

test('a run stores every planned episode once; saving again is a no-op', async () => {
  const store = SqliteStore.open(tempDb());
  const { runId, tasks } = await createRun(store, { domain: 'helpdesk', tasks: { count: 4 }, agents: ['oracle', 'noop'], trials: 2 });
  const result = await executeRun(runId, { store });
  assert.equal(result.status, 'finished');
  assert.equal(result.ran, 16);
  const rows = await store.listEpisodes(runId);
  assert.equal(rows.length, tasks.length * 2 * 2);
  const first = (await store.getEpisode(runId, rows[0].id))!;
  assert.equal(await store.saveEpisode(first), false);
  const again = await executeRun(runId, { store });
  assert.equal(again.ran, 0);
  assert.equal(again.skipped, 16);
  assert.equal((await store.listEpisodes(runId)).length, 16);
  assert.equal((await store.listEpisodes(runId, { agent: 'noop', result: 'pass' })).length, 0);
  let streamed = 0;
  for await (const episode of store.iterateEpisodes(runId)) streamed += episode.trajectory.events.length > 0 ? 1 : 0;
  assert.equal(streamed, 16);
  await store.close();
});

test('stored tasks are the exact tasks of the run (re-grading needs no regeneration)', async () => {
  const store = SqliteStore.open(tempDb());
  const { runId, tasks } = await createRun(store, {
    domain: 'helpdesk',
    tasks: { ids: ['hd-test-002', 'hd-test-009'] },
    agents: ['oracle'],
    trials: 1,
  });
  assert.deepEqual(await store.runTasks(runId), tasks);
  await store.close();
});

test('refuses a newer layout and foreign databases without touching them', async () => {
  const newer = tempDb();
  await SqliteStore.open(newer).close();
  const raw = new Database(newer);
  raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
  raw.close();
  assert.throws(() => SqliteStore.open(newer), /layout version 99, newer/);

  const foreign = tempDb();
  const other = new Database(foreign);
  other.exec('CREATE TABLE mine (x INTEGER); INSERT INTO mine VALUES (1);');
  other.close();
  assert.throws(() => SqliteStore.open(foreign), /not a Groundwork one/);
  const check = new Database(foreign);
  assert.deepEqual(check.prepare('SELECT x FROM mine').all(), [{ x: 1 }]);
  check.close();
});

test('an unwritable path fails with STORE_FAILED and a hint', () => {
  // A path below a regular file cannot be created, even by root.
  const file = join(mkdtempSync(join(tmpdir(), 'gw-store-')), 'plain-file');
  writeFileSync(file, 'x');
  assert.throws(
    () => SqliteStore.open(join(file, 'sub', 'g.db')),
    (error: Error & { code?: string }) => error.code === 'STORE_FAILED' && /--db/.test(String((error as { hint?: string }).hint)),
  );
});

test('task content hashes: stored with the run; for runs stored before them, computed to the same value', async () => {
  const path = tempDb();
  const store = SqliteStore.open(path);
  const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 3 }, agents: ['oracle'], trials: 1 });
  const { runId: otherSeed } = await createRun(store, {
    domain: 'helpdesk',
    domainOptions: { seed: 7 },
    tasks: { count: 3 },
    agents: ['oracle'],
    trials: 1,
  });
  await executeRun(runId, { store });
  const stored = await store.runTaskHashes(runId);
  assert.deepEqual([...stored.keys()], ['hd-test-000', 'hd-test-001', 'hd-test-002']);
  assert.equal(new Set(stored.values()).size, 3);
  // Same ids, another world: no hash in common.
  const seven = await store.runTaskHashes(otherSeed);
  assert.deepEqual([...seven.keys()], [...stored.keys()]);
  for (const hash of seven.values()) assert.ok(![...stored.values()].includes(hash));
  await store.close();
  // A database as layout 3 left it: no content_hash or lease columns, version 3.
  const old = tempDb();
  await copyToLegacyLayout(path, old, 3);
  const reopened = SqliteStore.open(old);
  // Migrated (column back, NULL) and computed from the stored task and the episodes' initial state.
  assert.deepEqual(await reopened.runTaskHashes(runId), stored);
  await reopened.close();
});

test('episodes filter by the tags of their stored task (probe pack, tactic, role, variant)', async () => {
  const store = SqliteStore.open(tempDb());
  const { runId, tasks } = await createRun(store, {
    domain: 'helpdesk',
    probes: { pack: 'persuasion' },
    tasks: { count: 1 },
    agents: ['oracle', 'noop'],
    trials: 1,
  });
  await executeRun(runId, { store });
  const tagged = (tags: string[]) => tasks.filter((t) => tags.every((tag) => t.tags.includes(tag))).map((t) => t.id);
  for (const tags of [
    ['pack:persuasion'],
    ['tactic:authority'],
    ['tactic:authority', 'role:control'],
    ['variant:flattery'],
    ['tactic:nope'],
  ]) {
    const ids = tagged(tags);
    const rows = await store.listEpisodes(runId, { tags });
    assert.deepEqual([...new Set(rows.map((r) => r.taskId))].sort(), [...ids].sort(), tags.join());
    assert.equal(rows.length, ids.length * 2, tags.join());
    assert.equal(await store.countEpisodes(runId, { tags, agent: 'noop' }), ids.length, tags.join());
  }
  assert.equal(tagged(['tactic:authority', 'role:control']).length, 1, 'the filter narrows to one variant');
  await store.close();
});

test('goal items written in a savepoint or transaction that rolled back are written again with the next audit', async () => {
  const path = tempDb();
  const store = SqliteStore.open(path);
  const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
  await executeRun(runId, { store });
  const [template] = await store.listEpisodes(runId);
  const stored = (await store.getEpisode(runId, template.id))!;
  const episode = (id: string, trial: number) => ({ ...stored, id, trial });
  const audit = (id: string, trial: number, description: string): EpisodeAudit =>
    episodeAuditSchema.parse({
      schemaVersion: AUDIT_SCHEMA_VERSION,
      episodeId: id,
      runId,
      agent: stored.agent,
      taskId: stored.taskId,
      trial,
      reward: stored.reward,
      termination: stored.termination,
      claims: [],
      successClaimed: false,
      confidentFailure: false,
      goal: {
        items: [{ id: 'objective:request', category: 'objectives', description }],
        source: 'task',
        timeline: [],
        final: {},
        tracker: 'rules',
      },
      simulatorFaults: [],
      auditorVersion: 'test/1',
    });
  // Another connection makes writing the audit of any `ep-boom…` episode fail, after its goal items were written.
  const raw = new Database(path);
  raw.exec(
    `CREATE TRIGGER boom BEFORE INSERT ON episode_audits WHEN NEW.episode_id LIKE 'ep-boom%' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
  );
  raw.close();

  // The episode's savepoint rolls back (the group commits without it): its goal items are not stored.
  await assert.rejects(store.saveEpisode(episode('ep-boom-1', 11), audit('ep-boom-1', 11, 'first goal')), /boom/);
  const first = audit('ep-ok-1', 12, 'first goal');
  assert.equal(await store.saveEpisode(episode('ep-ok-1', 12), first), true);
  assert.deepEqual(await store.getEpisodeAudit('ep-ok-1'), first);

  // A batch of audits rolls back as a whole, goal items included.
  const second = audit('ep-ok-1', 12, 'second goal');
  await assert.rejects(store.saveEpisodeAudits(runId, [second, audit('ep-boom-2', 13, 'third goal')]), /boom/);
  assert.deepEqual(await store.getEpisodeAudit('ep-ok-1'), first);
  // (Another transaction commits in between: it must not take the rolled-back rows for its own.)
  assert.equal(await store.saveEpisode(episode('ep-ok-2', 14), audit('ep-ok-2', 14, 'first goal')), true);
  await store.saveEpisodeAudit('ep-ok-1', runId, second);
  assert.deepEqual(await store.getEpisodeAudit('ep-ok-1'), second);
  await store.close();
});

test('audits are stored while another connection writes the same file (a write transaction that reads first takes the lock first)', async () => {
  // `groundwork audit` or `regrade` of one run while another process runs another: storing an audit
  // reads its episode first; begun as a read, the transaction could not become a write once the
  // other connection had committed meanwhile, and failed with "database is locked" (about 2% of
  // calls here) instead of waiting its turn.
  const path = tempDb();
  const store = SqliteStore.open(path);
  const { runId, tasks } = await createRun(store, { domain: 'helpdesk', tasks: { count: 3 }, agents: ['oracle', 'noop'], trials: 1 });
  const audits: EpisodeAudit[] = [];
  const auditor = createEpisodeAuditor({ domain: domainFor((await store.getRun(runId))!.config), tasks });
  await executeRun(runId, { store, auditEpisode: (graded, task) => (audits.push(auditor.audit(graded, task)), undefined) });
  const stop = new SharedArrayBuffer(4);
  const writer = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const db = new (require(workerData.sqlite))(workerData.path);
     db.pragma('busy_timeout = 5000');
     db.exec('CREATE TABLE IF NOT EXISTS elsewhere (x INTEGER)');
     const insert = db.prepare('INSERT INTO elsewhere VALUES (?)');
     const stop = new Int32Array(workerData.stop);
     parentPort.postMessage('writing');
     for (let n = 0; Atomics.load(stop, 0) === 0; n++) insert.run(n);
     db.close();`,
    { eval: true, workerData: { path, stop, sqlite: createRequire(import.meta.url).resolve('better-sqlite3') } },
  );
  await new Promise((resolve) => writer.once('message', resolve));
  const failures: string[] = [];
  let calls = 0;
  for (const deadline = Date.now() + 1_000; Date.now() < deadline; calls++)
    await store.saveEpisodeAudits(runId, audits).catch((error: Error) => failures.push(error.message));
  Atomics.store(new Int32Array(stop), 0, 1);
  await new Promise((resolve) => writer.once('exit', resolve));
  assert.ok(calls > 100, `only ${calls} calls`);
  assert.deepEqual(failures.slice(0, 1), []);
  assert.equal((await store.auditTotals(runId)).audited, audits.length);
  await store.close();
});
