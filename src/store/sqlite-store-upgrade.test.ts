// Upgrading an older SQLite layout while other processes open the same file, and stored data the
// upgrade must step over. Other processes are real child processes (better-sqlite3 is synchronous:
// two connections of one process cannot wait on each other).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { SQLITE_MIGRATIONS, SQLITE_STORE_VERSION, SqliteStore } from './sqlite-store.ts';
import { copyToLegacyLayout } from './sqlite-store-legacy.test.ts';

const STORE_MODULE = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
const tempDir = () => mkdtempSync(join(tmpdir(), 'gw-store-upgrade-'));

/** A layout-5 database holding one small audited run (built once; tests copy it). */
let layout5: string;
let episodeIds: string[];

before(async () => {
  const dir = tempDir();
  const current = join(dir, 'current.db');
  const store = SqliteStore.open(current);
  const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 2 }, agents: ['noop'], trials: 2 });
  await executeRun(runId, { store });
  const rows = await store.listEpisodes(runId);
  episodeIds = rows.map((row) => row.id);
  for (const row of rows) {
    const episode = (await store.getEpisode(runId, row.id))!;
    await store.saveEpisodeAudit(row.id, runId, {
      schemaVersion: 1,
      episodeId: row.id,
      runId,
      agent: episode.agent,
      taskId: episode.taskId,
      trial: episode.trial,
      reward: episode.reward,
      termination: episode.termination,
      claims: [],
      successClaimed: false,
      confidentFailure: false,
      goal: { items: [], source: 'task', timeline: [], final: {}, tracker: 'rules' },
      simulatorFaults: [],
      fault: { cause: 'agent', evidence: 'stub' },
      auditorVersion: 'upgrade-test/1',
    });
  }
  await store.close();
  layout5 = join(dir, 'layout5.db');
  await copyToLegacyLayout(current, layout5, 5);
});

/** A copy of the layout-5 database in a new directory. */
function legacyCopy(): string {
  const path = join(tempDir(), 'g.db');
  copyFileSync(layout5, path);
  return path;
}

interface ChildResult {
  code: number | null;
  output: string;
}

/**
 * Start a process that opens `path` writable (as any writing command does), then reports the layout
 * version and episode count. `ready` resolves once it has loaded the store module and is about to open.
 */
function openInChild(path: string): { ready: Promise<void>; done: Promise<ChildResult> } {
  const script = `
    import { SqliteStore } from ${JSON.stringify(STORE_MODULE)};
    console.log('ready');
    try {
      const store = SqliteStore.open(${JSON.stringify(path)});
      const runs = await store.listRuns();
      console.log(JSON.stringify({ episodes: runs.reduce((n, r) => n + r.episodes, 0) }));
      await store.close();
    } catch (error) {
      console.log('error: ' + error.message);
      process.exitCode = 1;
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let signalReady: () => void;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('ready')) signalReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<ChildResult>((resolve) =>
    child.on('close', (code) => {
      signalReady();
      resolve({ code, output });
    }),
  );
  return { ready, done };
}

const version = (path: string): string => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string;
  } finally {
    db.close();
  }
};

test('processes opening a layout-5 database while another one upgrades it wait, then open it as upgraded', async () => {
  const path = legacyCopy();
  // "Another process" in the middle of the upgrade: migration 6 applied, not yet committed.
  const upgrader = new Database(path);
  upgrader.pragma('journal_mode = WAL');
  upgrader.exec('BEGIN IMMEDIATE');
  for (const migration of SQLITE_MIGRATIONS.slice(5)) upgrader.exec(migration);
  upgrader.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SQLITE_STORE_VERSION));
  const children = [openInChild(path), openInChild(path)];
  await Promise.all(children.map((child) => child.ready));
  // Give them the time to read the old version and reach the write lock (not an assertion on time).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  upgrader.exec('COMMIT');
  upgrader.close();
  for (const result of await Promise.all(children.map((child) => child.done))) {
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, new RegExp(`"episodes":${episodeIds.length}`));
  }
  assert.equal(version(path), String(SQLITE_STORE_VERSION));
});

test('two processes opening a layout-5 database at once both succeed; it is upgraded once', async () => {
  const path = legacyCopy();
  const children = [openInChild(path), openInChild(path), openInChild(path)];
  for (const result of await Promise.all(children.map((child) => child.done))) {
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, new RegExp(`"episodes":${episodeIds.length}`));
  }
  assert.equal(version(path), String(SQLITE_STORE_VERSION));
});

test('an episode audit that is not valid JSON does not stop the upgrade; it is left unindexed', async () => {
  const path = legacyCopy();
  const raw = new Database(path);
  raw.prepare('UPDATE episode_audits SET audit = ? WHERE episode_id = ?').run('{"fault": {"cause": "agent"', episodeIds[0]);
  raw.close();
  const store = SqliteStore.open(path);
  await store.close();
  const db = new Database(path, { readonly: true });
  const indexed = db.prepare('SELECT id, audit_fault_cause AS cause FROM episodes ORDER BY seq').all() as {
    id: string;
    cause: string | null;
  }[];
  db.close();
  assert.deepEqual(
    indexed.map((row) => row.cause),
    episodeIds.map((id) => (id === episodeIds[0] ? null : 'agent')),
  );
});
