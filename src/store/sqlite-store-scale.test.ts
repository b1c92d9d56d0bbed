import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { auditStoredRun } from '../audit-runner/audit-stored-run.ts';
import { createRun, executeRun } from '../runner/local-runner.ts';
import type { EpisodeAudit } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import { SQLITE_STORE_VERSION, SqliteStore } from './sqlite-store.ts';
import { copyToLegacyLayout } from './sqlite-store-legacy.test.ts';
import type { EpisodeFilter, EpisodeRecord, EpisodeRow } from './store.ts';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'gw-store-scale-')), 'g.db');

// One audited run with probe variants (tags), three agents and two trials, shared by the tests.
let path: string;
let runId: string;
let tasks: Task[];
let episodes: EpisodeRow[];
let audits: Map<string, EpisodeAudit>;

before(async () => {
  path = tempDb();
  const store = SqliteStore.open(path);
  ({ runId, tasks } = await createRun(store, {
    domain: 'helpdesk',
    probes: { pack: 'persuasion' },
    tasks: { count: 3 },
    agents: ['oracle', 'naive', 'noop'],
    trials: 2,
  }));
  await executeRun(runId, { store });
  await auditStoredRun(store, runId);
  episodes = await store.listEpisodes(runId);
  audits = new Map();
  for (const episode of episodes) audits.set(episode.id, (await store.getEpisodeAudit(episode.id))!);
  await store.close();
});

/** The filters the viewer offers, each with the rows it must keep (computed here from the rows, audits and tasks). */
function filters(): { filter: EpisodeFilter; keep: (row: EpisodeRow) => boolean }[] {
  const tagsOf = new Map(tasks.map((t) => [t.id, t.tags]));
  const someTag = tasks.flatMap((t) => t.tags).find((tag) => tag.startsWith('tactic:'))!;
  const cause = [...audits.values()].find((a) => a.fault)!.fault!.cause;
  return [
    { filter: {}, keep: () => true },
    { filter: { agent: 'naive' }, keep: (r) => r.agent === 'naive' },
    { filter: { family: episodes[0].family }, keep: (r) => r.family === episodes[0].family },
    { filter: { result: 'pass' }, keep: (r) => r.reward >= 1 },
    { filter: { result: 'fail' }, keep: (r) => r.reward < 1 },
    { filter: { agent: 'naive', result: 'fail' }, keep: (r) => r.agent === 'naive' && r.reward < 1 },
    { filter: { termination: episodes[0].termination }, keep: (r) => r.termination === episodes[0].termination },
    { filter: { faultCause: cause }, keep: (r) => audits.get(r.id)?.fault?.cause === cause },
    { filter: { confidentFailure: true }, keep: (r) => audits.get(r.id)?.confidentFailure === true },
    { filter: { confidentFailure: false }, keep: (r) => audits.get(r.id)?.confidentFailure === false },
    { filter: { tags: [someTag] }, keep: (r) => tagsOf.get(r.taskId)!.includes(someTag) },
  ];
}

test('keyset pages, concatenated, are the full filtered list in order, for every filter', async () => {
  const store = SqliteStore.openReadOnly(path);
  assert.ok(episodes.length === 3 * 2 * tasks.length && tasks.length > 3);
  assert.ok([...audits.values()].some((a) => a.confidentFailure) && [...audits.values()].some((a) => a.fault));
  for (const { filter, keep } of filters()) {
    const expected = episodes.filter(keep);
    assert.ok(expected.length > 0, JSON.stringify(filter));
    assert.deepEqual(await store.listEpisodes(runId, filter), expected, JSON.stringify(filter));
    assert.equal(await store.countEpisodes(runId, filter), expected.length);
    for (const limit of [1, 4, expected.length]) {
      const pages: EpisodeRow[][] = [];
      let after: string | undefined;
      do {
        const page = await store.listEpisodesPage(runId, { ...filter, limit, ...(after ? { after } : {}) });
        assert.ok(page.rows.length <= limit && page.rows.length > 0);
        pages.push(page.rows);
        after = page.next ?? undefined;
      } while (after);
      assert.deepEqual(pages.flat(), expected, `${JSON.stringify(filter)} by ${limit}`);
      assert.equal(pages.length, Math.ceil(expected.length / limit));
    }
  }
  await assert.rejects(store.listEpisodesPage(runId, { limit: 5, after: 'not-a-cursor' }), { code: 'INVALID_ARGUMENT' });
  await store.close();
});

test('audit totals and streamed audits come from what was stored; goal items are stored once per task', async () => {
  const store = SqliteStore.openReadOnly(path);
  const all = [...audits.values()];
  const causes: Record<string, number> = {};
  for (const a of all) if (a.fault) causes[a.fault.cause] = (causes[a.fault.cause] ?? 0) + 1;
  assert.deepEqual(await store.auditTotals(runId), {
    audited: all.length,
    confidentFailures: all.filter((a) => a.confidentFailure).length,
    faultCauses: causes,
  });
  const streamed: EpisodeAudit[] = [];
  for await (const audit of store.iterateEpisodeAudits(runId)) streamed.push(audit);
  assert.deepEqual(new Map(streamed.map((a) => [a.episodeId, a])), audits);
  await store.close();
  const raw = new Database(path, { readonly: true });
  const goals = raw.prepare('SELECT count(*) AS n FROM audit_goal_items').get() as { n: number };
  assert.ok(goals.n <= tasks.length, `${goals.n} goal-item rows for ${tasks.length} tasks`);
  // The stored body does not repeat the episode's identity.
  const body = raw.prepare('SELECT audit FROM episode_audits LIMIT 1').pluck().get() as string;
  for (const field of ['episodeId', 'runId', 'agent', 'taskId', 'items']) assert.ok(!body.includes(`"${field}":`), field);
  raw.close();
});

test('a layout-5 database migrates in place: data kept, indexed audit values and tags filled', async () => {
  const old = tempDb();
  await copyToLegacyLayout(path, old, 5);
  const legacy = new Database(old, { readonly: true });
  assert.equal(legacy.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '5');
  assert.equal(legacy.prepare('SELECT count(*) FROM episode_audits').pluck().get(), episodes.length);
  legacy.close();

  const store = SqliteStore.open(old);
  const current = SqliteStore.openReadOnly(path);
  assert.deepEqual(await store.listRuns(), await current.listRuns());
  for (const { filter } of filters()) assert.deepEqual(await store.listEpisodes(runId, filter), await current.listEpisodes(runId, filter));
  assert.deepEqual(await store.auditTotals(runId), await current.auditTotals(runId));
  for (const episode of episodes) {
    assert.deepEqual(await store.getEpisode(runId, episode.id), await current.getEpisode(runId, episode.id));
    assert.deepEqual(await store.getEpisodeAudit(episode.id), audits.get(episode.id));
  }
  await current.close();
  await store.close();
  const raw = new Database(old, { readonly: true });
  assert.equal(raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SQLITE_STORE_VERSION));
  assert.equal(raw.prepare('SELECT count(*) FROM episodes WHERE audit_confident_failure IS NULL').pluck().get(), 0);
  assert.equal(
    raw.prepare('SELECT count(*) FROM run_task_tags').pluck().get(),
    tasks.reduce((n, t) => n + new Set(t.tags).size, 0),
  );
  raw.close();
  // An upgraded database opens read-only.
  const readOnly = SqliteStore.openReadOnly(old);
  assert.equal((await readOnly.listEpisodes(runId)).length, episodes.length);
  await readOnly.close();
});

test('two connections saving the same episode with its audit: one row, one of them returns false', async () => {
  const source = SqliteStore.openReadOnly(path);
  const record = (await source.getEpisode(runId, episodes[0].id)) as EpisodeRecord;
  const audit = audits.get(record.id)!;
  const run = (await source.getRun(runId))!;
  await source.close();
  const target = tempDb();
  const a = SqliteStore.open(target);
  const b = SqliteStore.open(target);
  await a.createRun({ id: runId, config: run.config, tasks, planned: run.planned, createdAt: run.createdAt });
  const saved = await Promise.all([
    a.saveEpisode(record, audit),
    b.saveEpisode(record, { ...audit, confidentFailure: !audit.confidentFailure }),
  ]);
  assert.deepEqual(saved.sort(), [false, true]);
  assert.equal((await b.listEpisodes(runId)).length, 1);
  // The audit is the winner's, stored with it in the same transaction.
  assert.deepEqual(await b.getEpisodeAudit(record.id), audit);
  assert.equal(await a.countEpisodes(runId, { confidentFailure: audit.confidentFailure }), 1);
  await a.close();
  await b.close();
});

test('attempts: recorded, updated in place, listed oldest first', async () => {
  const store = SqliteStore.open(tempDb());
  const source = SqliteStore.openReadOnly(path);
  const run = (await source.getRun(runId))!;
  await source.close();
  await store.createRun({ id: runId, config: run.config, tasks, planned: run.planned, createdAt: run.createdAt });
  const first = { runId, episodeId: 'ep-1', attempt: 1, worker: 'w1', status: 'running' as const, startedAt: '2026-01-01T00:00:00Z' };
  await store.saveAttempt(first);
  await store.saveAttempt({ ...first, episodeId: 'ep-2', worker: 'w2', startedAt: '2026-01-01T00:00:01Z' });
  await store.saveAttempt({ ...first, status: 'abandoned', endedAt: '2026-01-01T00:00:05Z', detail: 'stalled' });
  await store.saveAttempt({
    ...first,
    attempt: 2,
    worker: 'w2',
    status: 'stored',
    startedAt: '2026-01-01T00:00:05Z',
    endedAt: '2026-01-01T00:00:06Z',
  });
  assert.deepEqual(await store.listAttempts(runId, 'ep-1'), [
    { ...first, status: 'abandoned', endedAt: '2026-01-01T00:00:05Z', detail: 'stalled' },
    { ...first, attempt: 2, worker: 'w2', status: 'stored', startedAt: '2026-01-01T00:00:05Z', endedAt: '2026-01-01T00:00:06Z' },
  ]);
  assert.deepEqual(
    (await store.listAttempts(runId)).map((a) => `${a.episodeId}#${a.attempt}`),
    ['ep-1#1', 'ep-2#1', 'ep-1#2'],
  );
  assert.deepEqual(await store.listAttempts('other-run'), []);
  await store.close();
});

/** A new database holding only the shared run (no episodes), and the first `count` of its episode records. */
async function emptyCopyOfRun(count: number): Promise<{ records: EpisodeRecord[]; target: string; store: SqliteStore }> {
  const source = SqliteStore.openReadOnly(path);
  const records: EpisodeRecord[] = [];
  for (const row of episodes.slice(0, count)) records.push((await source.getEpisode(runId, row.id))!);
  const run = (await source.getRun(runId))!;
  await source.close();
  const target = tempDb();
  const store = SqliteStore.open(target);
  await store.createRun({ id: runId, config: run.config, tasks, planned: run.planned, createdAt: run.createdAt });
  return { records, target, store };
}

test('group commit: saves of one tick commit together; a duplicate slot is false and a failing episode rejects alone', async () => {
  const { records, target, store } = await emptyCopyOfRun(6);
  const saves = [
    ...records.map((r) => store.saveEpisode(r, audits.get(r.id))),
    store.saveEpisode(records[0]),
    // No such run: the foreign key fails this episode only.
    store.saveEpisode({ ...records[1], id: 'ep-orphan', runId: 'no-such-run' }),
  ];
  const settled = await Promise.allSettled(saves);
  assert.deepEqual(
    settled.slice(0, 7).map((s) => s.status === 'fulfilled' && s.value),
    [true, true, true, true, true, true, false],
  );
  assert.equal(settled[7].status, 'rejected');
  assert.equal((settled[7] as PromiseRejectedResult).reason.code, 'STORE_FAILED');
  // Stored in call order, each with its audit; visible to another connection once resolved.
  const other = SqliteStore.openReadOnly(target);
  assert.deepEqual(
    (await other.listEpisodes(runId)).map((e) => e.id),
    records.map((r) => r.id),
  );
  for (const r of records) assert.deepEqual(await other.getEpisodeAudit(r.id), audits.get(r.id));
  await other.close();
  // A save still queued when the store closes is committed first.
  const late = store.saveEpisode({ ...records[0], id: 'ep-late', trial: 99 });
  await store.close();
  assert.equal(await late, true);
});

test('group commit: a failure that rolls back the whole transaction rejects the whole group, and no save reports what is not stored', async () => {
  const { records, target, store } = await emptyCopyOfRun(3);
  // As a full disk or an I/O error can: SQLite ends the whole transaction, not just the statement.
  const raw = new Database(target);
  raw.exec(`CREATE TRIGGER whole BEFORE INSERT ON episodes WHEN NEW.id = 'ep-rollback' BEGIN SELECT RAISE(ROLLBACK, 'rolled back'); END`);
  raw.close();
  const group = [records[0], { ...records[1], id: 'ep-rollback', trial: 50 }, records[2]];
  const settled = await Promise.allSettled(
    group.map((record, i) => store.saveEpisode(record, i === 1 ? undefined : audits.get(record.id))),
  );
  const stored = new Set((await store.listEpisodes(runId)).map((e) => e.id));
  for (const [i, outcome] of settled.entries())
    assert.equal(
      outcome.status === 'fulfilled',
      stored.has(group[i].id),
      `${group[i].id}: ${outcome.status}, stored ${stored.has(group[i].id)}`,
    );
  assert.deepEqual(
    settled.map((outcome) => outcome.status),
    ['rejected', 'rejected', 'rejected'],
  );
  // The store goes on: the next group commits.
  assert.equal(await store.saveEpisode(records[2], audits.get(records[2].id)), true);
  assert.deepEqual(await store.getEpisodeAudit(records[2].id), audits.get(records[2].id));
  await store.close();
});
