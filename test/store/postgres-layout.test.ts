// What only the PostgreSQL store does, checked against SQLite (the reference) and a real server:
// the same layout, the same answers to every read of the same data, migrations under concurrent
// opens, an older layout upgraded with its data, connection failures that never show a password,
// and exactly one row per slot when several processes save at once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createRun } from '../../src/runner/local-runner.ts';
import type { EpisodeAudit } from '../../src/schema/audit.ts';
import { openStore } from '../../src/store/open-store.ts';
import { POSTGRES_MIGRATIONS, POSTGRES_STORE_VERSION, PostgresStore } from '../../src/store/postgres-store.ts';
import { SQLITE_STORE_VERSION } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freePort, skipWithoutServer } from '../../src/testing/local-servers.ts';
import { FILTERS, allPages, auditsFor, seedStore, type SeededStore } from './conformance.ts';
import { postgresFixture } from './pg-backend.ts';

const pg = postgresFixture();
const sqlitePath = () => join(mkdtempSync(join(tmpdir(), 'gw-pg-layout-')), 'g.db');

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Copies a run through the Store interface (what `copy-runs` does), episodes with their audits. */
async function copyRun(source: Store, target: Store, runId: string): Promise<void> {
  const run = (await source.getRun(runId))!;
  const hashes = await source.runTaskHashes(runId);
  await target.createRun({
    id: run.id,
    config: run.config,
    tasks: await source.runTasks(runId),
    planned: run.planned,
    createdAt: run.createdAt,
    taskHashes: Object.fromEntries(hashes),
  });
  await target.setRunStatus(runId, run.status);
  for await (const episode of source.iterateEpisodes(runId)) {
    const audit = await source.getEpisodeAudit(episode.id);
    assert.equal(await target.saveEpisode(episode, audit), true);
  }
  const runAudit = await source.getRunAudit(runId);
  if (runAudit) await target.saveRunAudit(runId, runAudit);
}

describe('PostgreSQL store against SQLite and a real server', { skip: skipWithoutServer('postgres') }, () => {
  const stores: Store[] = [];
  let reference: SeededStore;
  let audits: EpisodeAudit[];

  before(async () => {
    await pg.start();
    reference = await seedStore(sqlitePath());
    stores.push(reference.store);
    audits = auditsFor(reference.episodes);
    await reference.store.saveEpisodeAudits(reference.runId, audits);
  });
  after(async () => {
    for (const store of stores) await store.close();
    await pg.stop();
  });

  test('the same layout as SQLite: version, tables and columns', async () => {
    assert.equal(POSTGRES_STORE_VERSION, SQLITE_STORE_VERSION);
    const url = await pg.freshDatabase();
    await (await PostgresStore.open(url)).close();
    const pgColumns = await pg.sql<{ table_name: string; column_name: string }>(
      url,
      'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2',
    );
    const db = new Database(reference.location, { readonly: true });
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    const sqlite = new Set(tables.flatMap((t) => (db.pragma(`table_info(${t})`) as { name: string }[]).map((c) => `${t}.${c.name}`)));
    db.close();
    const postgres = new Set(pgColumns.map((c) => `${c.table_name}.${c.column_name}`));
    // PostgreSQL has no rowid: its tables that SQLite orders by rowid carry an explicit `seq`
    // (attempts have one in both since layout 7).
    assert.deepEqual(
      [...postgres].filter((c) => !sqlite.has(c)),
      ['episode_audits.seq', 'experience.seq'],
    );
    assert.deepEqual(
      [...sqlite].filter((c) => !postgres.has(c)),
      [],
    );
  });

  test('the same data reads back the same from both stores, method by method', async () => {
    const url = await pg.freshDatabase();
    const store = await PostgresStore.open(url);
    stores.push(store);
    const sqlite = reference.store;
    const { runId } = reference;
    await sqlite.saveRunAudit(runId, {
      schemaVersion: audits[0].schemaVersion,
      runId,
      createdAt: '2026-01-01T00:00:00.000Z',
      auditorVersion: 'x',
      episodes: 16,
      agents: {},
      taskProblems: [],
      notes: [],
    });
    await copyRun(sqlite, store, runId);
    const same = async (what: string, read: (s: Store) => Promise<unknown>) =>
      assert.deepEqual(await read(store), await read(sqlite), what);
    await same('getRun', (s) => s.getRun(runId));
    await same('listRuns', (s) => s.listRuns());
    await same('runTasks', (s) => s.runTasks(runId));
    await same('runTaskHashes', (s) => s.runTaskHashes(runId));
    await same('episodeKeys', (s) => s.episodeKeys(runId));
    // Usage rows come in no specified order (both stores happen to list them by agent).
    await same('listUsage', async (s) => (await s.listUsage(runId)).sort((x, y) => x.agent.localeCompare(y.agent)));
    await same('iterateEpisodes', (s) => collect(s.iterateEpisodes(runId)));
    await same('iterateEpisodeAudits', (s) => collect(s.iterateEpisodeAudits(runId)));
    await same('auditTotals', (s) => s.auditTotals(runId));
    await same('getRunAudit', (s) => s.getRunAudit(runId));
    for (const filter of FILTERS) {
      const label = JSON.stringify(filter);
      await same(`listEpisodes ${label}`, (s) => s.listEpisodes(runId, filter));
      await same(`countEpisodes ${label}`, (s) => s.countEpisodes(runId, filter));
      await same(`listEpisodes paged ${label}`, (s) => s.listEpisodes(runId, { ...filter, limit: 3, offset: 2 }));
      await same(`listEpisodesPage ${label}`, (s) => allPages(s, runId, filter, 5));
    }
    for (const episode of reference.episodes) {
      await same(`getEpisode ${episode.id}`, (s) => s.getEpisode(runId, episode.id));
      await same(`getEpisodeAudit ${episode.id}`, (s) => s.getEpisodeAudit(episode.id));
    }
    // The stored audit documents are the same bytes (the shared compact codec).
    const pgBodies = await pg.sql<{ audit: string }>(url, 'SELECT audit FROM episode_audits ORDER BY episode_id');
    const db = new Database(reference.location, { readonly: true });
    const sqliteBodies = db.prepare('SELECT audit FROM episode_audits ORDER BY episode_id').all();
    db.close();
    assert.deepEqual(pgBodies, sqliteBodies);
    // A cursor from one store is refused cleanly by the other's parser when malformed.
    await assert.rejects(store.listEpisodesPage(runId, { limit: 2, after: 'not-a-cursor' }), /not an episode-page cursor/);
    await assert.rejects(store.listEpisodesPage(runId, { limit: 0 }), /positive integer limit/);
  });

  test('several processes opening one new database at once migrate it once', async () => {
    const url = await pg.freshDatabase();
    const opened = await Promise.all(Array.from({ length: 6 }, () => PostgresStore.open(url)));
    for (const store of opened) await store.close();
    assert.deepEqual(await pg.sql(url, 'SELECT key, value FROM meta'), [{ key: 'schema_version', value: String(POSTGRES_STORE_VERSION) }]);
  });

  test('an older layout is upgraded by a read-only open, its audits, verdicts and tags backfilled', async () => {
    const url = await pg.freshDatabase();
    // A database as layout 5 left it: audits stored as whole JSON documents, no tags, no verdict columns.
    for (const migration of POSTGRES_MIGRATIONS.slice(0, 5)) await pg.sql(url, migration);
    await pg.sql(url, "INSERT INTO meta (key, value) VALUES ('schema_version', '5')");
    const { runId, tasks, episodes } = reference;
    const run = (await reference.store.getRun(runId))!;
    await pg.sql(url, 'INSERT INTO runs (id, created_at, status, config, planned) VALUES ($1, $2, $3, $4, $5)', [
      runId,
      run.createdAt,
      'finished',
      JSON.stringify(run.config),
      run.planned,
    ]);
    for (const [position, task] of tasks.entries())
      await pg.sql(url, 'INSERT INTO run_tasks (run_id, task_id, position, task) VALUES ($1, $2, $3, $4)', [
        runId,
        task.id,
        position,
        JSON.stringify(task),
      ]);
    for (const e of episodes)
      await pg.sql(
        url,
        `INSERT INTO episodes (id, run_id, agent, task_id, trial, seed, family, split, reward, termination, trajectory, outcome, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          e.id,
          runId,
          e.agent,
          e.taskId,
          e.trial,
          e.seed,
          e.family,
          e.split,
          e.reward,
          e.termination,
          JSON.stringify(e.trajectory),
          JSON.stringify(e.outcome),
          e.createdAt,
        ],
      );
    for (const audit of audits)
      await pg.sql(url, 'INSERT INTO episode_audits (episode_id, run_id, audit) VALUES ($1, $2, $3)', [
        audit.episodeId,
        runId,
        JSON.stringify(audit),
      ]);

    const store = await PostgresStore.openReadOnly(url);
    stores.push(store);
    assert.deepEqual(await pg.sql(url, "SELECT value FROM meta WHERE key = 'schema_version'"), [{ value: String(POSTGRES_STORE_VERSION) }]);
    assert.deepEqual(await collect(store.iterateEpisodeAudits(runId)), audits);
    assert.deepEqual(await store.auditTotals(runId), await reference.store.auditTotals(runId));
    for (const filter of FILTERS)
      assert.deepEqual(await store.listEpisodes(runId, filter), await reference.store.listEpisodes(runId, filter), JSON.stringify(filter));
    // Hashes of runs stored before hashes are computed from the stored task and initial state.
    assert.deepEqual(await store.runTaskHashes(runId), await reference.store.runTaskHashes(runId));
  });

  test('an episode audit that is not valid JSON does not stop the upgrade; it is left unindexed', async () => {
    const url = await pg.freshDatabase();
    for (const migration of POSTGRES_MIGRATIONS.slice(0, 5)) await pg.sql(url, migration);
    await pg.sql(url, "INSERT INTO meta (key, value) VALUES ('schema_version', '5')");
    const { runId, episodes } = reference;
    const run = (await reference.store.getRun(runId))!;
    await pg.sql(url, 'INSERT INTO runs (id, created_at, status, config, planned) VALUES ($1, $2, $3, $4, $5)', [
      runId,
      run.createdAt,
      'finished',
      JSON.stringify(run.config),
      run.planned,
    ]);
    const [valid, invalid] = episodes.slice(0, 2);
    for (const e of [valid, invalid])
      await pg.sql(
        url,
        `INSERT INTO episodes (id, run_id, agent, task_id, trial, seed, family, split, reward, termination, trajectory, outcome, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '{}', '{}', $11)`,
        [e.id, runId, e.agent, e.taskId, e.trial, e.seed, e.family, e.split, e.reward, e.termination, e.createdAt],
      );
    await pg.sql(url, 'INSERT INTO episode_audits (episode_id, run_id, audit) VALUES ($1, $2, $3), ($4, $2, $5)', [
      valid.id,
      runId,
      JSON.stringify({ fault: { cause: 'agent' }, confidentFailure: true }),
      invalid.id,
      '{"fault": {"cause": "agent"',
    ]);
    stores.push(await PostgresStore.open(url));
    assert.deepEqual(
      await pg.sql(url, 'SELECT id, audit_fault_cause AS cause, audit_confident_failure AS confident FROM episodes ORDER BY seq'),
      [
        { id: valid.id, cause: 'agent', confident: true },
        { id: invalid.id, cause: null, confident: null },
      ],
    );
  });

  test('a missing database is created by a writable open; read-only, it is NO_DATABASE; a foreign one is refused untouched', async () => {
    const base = pg.server().url.replace(/\/groundwork$/, '');
    await assert.rejects(PostgresStore.openReadOnly(`${base}/never_made`), (error: { code?: string; message: string }) => {
      assert.equal(error.code, 'NO_DATABASE');
      assert.match(error.message, /no database "never_made" on PostgreSQL at 127\.0\.0\.1:\d+/);
      return true;
    });
    const created = await PostgresStore.open(`${base}/made_by_open`);
    await created.close();
    assert.equal((await pg.sql(`${base}/made_by_open`, 'SELECT count(*)::int AS n FROM meta'))[0].n, 1);

    const foreign = await pg.freshDatabase();
    await pg.sql(foreign, 'CREATE TABLE mine (x INTEGER); INSERT INTO mine VALUES (1)');
    for (const readOnly of [false, true])
      await assert.rejects(openStore(foreign, { readOnly }), /is a PostgreSQL database but not a Groundwork one/);
    assert.deepEqual(await pg.sql(foreign, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"), [
      { table_name: 'mine' },
    ]);
  });

  test('a schema of its own (?options=-c search_path=…) holds the store, and read-only opens of it stay read-only', async () => {
    const url = await pg.freshDatabase();
    await pg.sql(url, 'CREATE TABLE theirs (x INTEGER); CREATE SCHEMA gw');
    const inSchema = `${url}?options=${encodeURIComponent('-c search_path=gw')}`;
    const store = await openStore(inSchema);
    const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['oracle'], trials: 1 });
    await store.close();
    assert.deepEqual(await pg.sql(url, 'SELECT count(*)::int AS n FROM gw.runs WHERE id = $1', [runId]), [{ n: 1 }]);
    const reader = await openStore(inSchema, { readOnly: true });
    stores.push(reader);
    assert.ok(await reader.getRun(runId));
    await assert.rejects(reader.setRunStatus(runId, 'interrupted'), /read-only/);
  });

  test('an unreachable server is STORE_FAILED naming host:port with a hint, never the password', async () => {
    const port = await freePort();
    const url = `postgres://someone:s3cret-pass@127.0.0.1:${port}/evals?sslmode=disable`;
    for (const readOnly of [false, true]) {
      const error = await openStore(url, { readOnly }).then(
        () => assert.fail('opened'),
        (e: unknown) => e as { code?: string; message: string; hint?: string; stack?: string },
      );
      assert.equal(error.code, 'STORE_FAILED');
      assert.match(error.message, new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}`));
      assert.match(error.hint ?? '', /server is up/);
      assert.doesNotMatch(error.hint ?? '', /resume/, 'nothing ran yet: nothing to resume');
      assert.doesNotMatch(`${error.message} ${error.hint} ${error.stack}`, /s3cret/);
    }
    // A server that is reached but refuses the login says so.
    const stranger = pg.server().url.replace('groundwork@', 'nobody:s3cret-pass@');
    await assert.rejects(openStore(stranger), (error: { code?: string; message: string; hint?: string }) => {
      assert.equal(error.code, 'STORE_FAILED');
      assert.match(error.message, /PostgreSQL at 127\.0\.0\.1:\d+ refused the login: role "nobody" does not exist/);
      assert.match(error.hint ?? '', /user and password/);
      assert.doesNotMatch(`${error.message} ${error.hint}`, /s3cret/);
      return true;
    });
    // A store that loses its server reports the same way (and names it redacted).
    const live = await openStore(await pg.freshDatabase());
    assert.doesNotMatch(live.location, /s3cret/);
    await live.close();
  });

  test('processes saving the same slots at once store exactly one row per slot', async () => {
    const url = await pg.freshDatabase();
    const store = await PostgresStore.open(url);
    stores.push(store);
    await copyRun(reference.store, store, reference.runId);
    assert.equal(await store.deleteInfraErrors(reference.runId), 0);
    // Each process saves the same 40 new slots (trials 10..49), with an audit, under its own ids.
    const script = `
      import { PostgresStore } from ${JSON.stringify(new URL('../../src/store/postgres-store.ts', import.meta.url).pathname)};
      const [url, runId, template, tag, auditJson] = process.argv.slice(1);
      const store = await PostgresStore.open(url);
      const episode = JSON.parse(template);
      const saves = [];
      for (let trial = 10; trial < 50; trial++) {
        const e = { ...episode, runId, trial, id: 'ep-' + tag + '-' + trial };
        saves.push(store.saveEpisode(e, { ...JSON.parse(auditJson), episodeId: e.id, trial }));
      }
      const saved = (await Promise.all(saves)).filter(Boolean).length;
      await store.close();
      process.stdout.write(String(saved));
    `;
    const episode = reference.episodes[1];
    const audit = audits[0];
    const run = (tag: string) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            script,
            url,
            reference.runId,
            JSON.stringify(episode),
            tag,
            JSON.stringify(audit),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`child ${tag} failed: ${err}`))));
      });
    const saved = await Promise.all(['a', 'b', 'c'].map(run));
    assert.equal(
      saved.reduce((a, b) => a + b, 0),
      40,
    );
    const counts = await pg.sql<{ n: number; slots: number; audits: number }>(
      url,
      `SELECT count(*)::int AS n, count(DISTINCT (agent, task_id, trial))::int AS slots,
         (SELECT count(*)::int FROM episode_audits) AS audits FROM episodes`,
    );
    assert.deepEqual(counts, [{ n: 56, slots: 56, audits: audits.length + 40 }]);
    assert.equal((await store.auditTotals(reference.runId)).audited, audits.length + 40);
  });
});
