// The store conformance suite on the embedded SQLite store (the reference the PostgreSQL store matches),
// and its layout-7 upgrade of attempts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.ts';
import { SQLITE_MIGRATIONS, SQLITE_STORE_VERSION } from '../../src/store/sqlite-store.ts';
import { storeConformance } from './conformance.ts';

storeConformance({
  name: 'SQLite',
  skip: false,
  freshLocation: async () => join(mkdtempSync(join(tmpdir(), 'gw-conformance-')), 'g.db'),
  setLayoutVersion: async (location, version) => {
    const db = new Database(location);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(version));
    db.close();
  },
  countRows: async (location, table) => {
    const db = new Database(location, { readonly: true });
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
    db.close();
    return n;
  },
});

test('layout 7: a layout-6 database keeps its attempts, in the order they were recorded, and new ones come after', async () => {
  const location = join(mkdtempSync(join(tmpdir(), 'gw-attempts-v6-')), 'g.db');
  const legacy = new Database(location);
  legacy.exec(SQLITE_MIGRATIONS.slice(0, 6).join(';\n'));
  legacy.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '6')").run();
  legacy
    .prepare("INSERT INTO runs (id, created_at, status, config, planned) VALUES ('r', '2026-01-01T00:00:00Z', 'queued', '{}', 1)")
    .run();
  const insert = legacy.prepare(
    "INSERT INTO episode_attempts (run_id, episode_id, attempt, worker, status, started_at) VALUES ('r', 'e', ?, ?, 'abandoned', ?)",
  );
  // Recorded in this order; the second worker's clock is behind the first's.
  insert.run(1, 'fast', '2026-01-01T00:10:00.000Z');
  insert.run(2, 'slow', '2026-01-01T00:00:00.000Z');
  legacy.close();
  const store = await openStore(location);
  try {
    await store.saveAttempt({
      runId: 'r',
      episodeId: 'e',
      attempt: 3,
      worker: 'w',
      status: 'running',
      startedAt: '2025-01-01T00:00:00.000Z',
    });
    assert.deepEqual(
      (await store.listAttempts('r')).map((a) => `${a.attempt}@${a.worker}`),
      ['1@fast', '2@slow', '3@w'],
    );
  } finally {
    await store.close();
  }
  const check = new Database(location, { readonly: true });
  assert.equal(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), String(SQLITE_STORE_VERSION));
  assert.equal(SQLITE_STORE_VERSION, 7);
  check.close();
});
