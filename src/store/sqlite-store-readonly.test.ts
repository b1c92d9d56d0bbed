import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { SQLITE_STORE_VERSION, SqliteStore } from './sqlite-store.ts';
import { copyToLegacyLayout } from './sqlite-store-legacy.test.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'gw-store-ro-'));

async function storedRun(path: string): Promise<string> {
  const store = SqliteStore.open(path);
  const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 2 }, agents: ['oracle'], trials: 1 });
  await executeRun(runId, { store });
  await store.close();
  return runId;
}

test('openReadOnly: a missing database is NO_DATABASE and nothing is created', () => {
  const path = join(tempDir(), 'missing-dir', 'x.db');
  assert.throws(
    () => SqliteStore.openReadOnly(path),
    (error: { code?: string; message: string }) => error.code === 'NO_DATABASE' && /no database at .*x\.db/.test(error.message),
  );
  assert.equal(existsSync(join(path, '..')), false);
});

test('openReadOnly reads runs and refuses every write, leaving the file as it was', async () => {
  const path = join(tempDir(), 'g.db');
  const runId = await storedRun(path);
  const before = { bytes: readFileSync(path), mtimeMs: statSync(path).mtimeMs };
  const store = SqliteStore.openReadOnly(path);
  assert.deepEqual(
    (await store.listRuns()).map((r) => r.id),
    [runId],
  );
  assert.equal((await store.listEpisodes(runId)).length, 2);
  const run = (await store.getRun(runId))!;
  await assert.rejects(
    store.createRun({ id: 'run-x', config: run.config, tasks: [], planned: 0, createdAt: new Date().toISOString() }),
    /readonly|read-only/i,
  );
  await assert.rejects(store.setRunStatus(runId, 'interrupted'), /readonly|read-only/i);
  await store.close();
  assert.ok(readFileSync(path).equals(before.bytes));
  assert.equal(statSync(path).mtimeMs, before.mtimeMs);
});

test('openReadOnly upgrades an older layout once (writable), then reads; refuses newer and foreign databases', async () => {
  const dir = tempDir();
  const path = join(dir, 'old.db');
  const current = join(dir, 'current.db');
  const runId = await storedRun(current);
  // Layout 3: before content hashes of run tasks (4), run leases (5) and the layout for scale (6).
  await copyToLegacyLayout(current, path, 3);
  const store = SqliteStore.openReadOnly(path);
  assert.equal((await store.runTaskHashes(runId)).size, 2);
  await store.close();
  const check = new Database(path, { readonly: true });
  assert.equal(
    (check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value,
    String(SQLITE_STORE_VERSION),
  );
  check.close();

  const newer = join(dir, 'newer.db');
  await storedRun(newer);
  const bump = new Database(newer);
  bump.prepare("UPDATE meta SET value = '999' WHERE key = 'schema_version'").run();
  bump.close();
  assert.throws(() => SqliteStore.openReadOnly(newer), /layout version 999, newer than this Groundwork/);

  const foreign = join(dir, 'foreign.db');
  const other = new Database(foreign);
  other.exec('CREATE TABLE t (x)');
  other.close();
  assert.throws(() => SqliteStore.openReadOnly(foreign), /an SQLite database but not a Groundwork one/);
  const text = join(dir, 'text.db');
  writeFileSync(text, 'not a database at all');
  assert.throws(
    () => SqliteStore.openReadOnly(text),
    (error: { code?: string }) => error.code === 'STORE_FAILED',
  );
});
