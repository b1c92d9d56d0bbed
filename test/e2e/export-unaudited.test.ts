import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { auditStoredRun } from '../../src/audit-runner/audit-stored-run.ts';
import { EXPORT_FORMATS, EXPORT_LINE_SCHEMAS } from '../../src/experience/export/schemas.ts';
import { createRun, executeRun } from '../../src/runner/local-runner.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

// Runs made by `groundwork serve` or `POST /grade?store=1` are never audited; `groundwork export`
// opens the store read-only, so it must label simulator faults without storing audits.
const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const dir = mkdtempSync(join(tmpdir(), 'gw-export-unaudited-'));
const db = join(dir, 'groundwork.db');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The database's bytes (with its write-ahead log, if any), to show nothing was written. */
function fingerprint(path: string): string {
  const hash = createHash('sha256');
  for (const file of [path, `${path}-wal`]) if (existsSync(file)) hash.update(readFileSync(file));
  return hash.digest('hex');
}

function auditRows(path: string): { runAudits: number; episodeAudits: number; cache: number } {
  const raw = new Database(path, { readonly: true });
  try {
    const count = (table: string) => (raw.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { runAudits: count('run_audits'), episodeAudits: count('episode_audits'), cache: count('audit_cache') };
  } finally {
    raw.close();
  }
}

const readLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);

describe('groundwork export on a run that was never audited', () => {
  let runId = '';
  let episodes = 0;
  before(async () => {
    const store = SqliteStore.open(db);
    try {
      ({ runId } = await createRun(store, { domain: 'helpdesk', agents: ['oracle', 'naive'], tasks: { count: 4 }, trials: 1 }));
      await executeRun(runId, { store });
      episodes = await store.countEpisodes(runId);
      assert.equal(await store.getRunAudit(runId), undefined, 'the run is not audited');
    } finally {
      await store.close();
    }
    assert.ok(episodes > 0);
  });

  for (const format of EXPORT_FORMATS) {
    it(`--format ${format} writes validated lines and leaves the database unchanged`, () => {
      const before = fingerprint(db);
      const file = join(dir, `${format}.jsonl`);
      const result = cli(['export', runId, '--format', format, '-o', file, '--db', db, '--json']);
      assert.equal(result.status, 0, result.stderr);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.episodes, episodes);
      assert.ok(summary.lines > 0, `${format}: some lines`);
      // Every episode was labelled by the audits computed now, none of them stored.
      assert.deepEqual(summary.audits, { audited: episodes, faulted: 0, unaudited: 0, auditedNow: true });
      const lines = readLines(file);
      assert.equal(lines.length, summary.lines);
      for (const line of lines) assert.ok(EXPORT_LINE_SCHEMAS[format].safeParse(line).success, `${format}: a valid line`);
      assert.ok(!existsSync(`${file}.partial`));
      assert.equal(fingerprint(db), before, 'the database is unchanged');
      assert.deepEqual(auditRows(db), { runAudits: 0, episodeAudits: 0, cache: 0 }, 'no audit rows added');
    });
  }

  it('labels episodes as the stored audits would: the export of the audited run is the same', async () => {
    const audited = join(dir, 'audited.db');
    copyFileSync(db, audited);
    const store = SqliteStore.open(audited);
    try {
      await auditStoredRun(store, runId);
    } finally {
      await store.close();
    }
    const unauditedFile = join(dir, 'rl-unaudited.jsonl');
    const auditedFile = join(dir, 'rl-audited.jsonl');
    const first = cli(['export', runId, '--format', 'rl', '-o', unauditedFile, '--db', db, '--json']);
    assert.equal(first.status, 0, first.stderr);
    const second = cli(['export', runId, '--format', 'rl', '-o', auditedFile, '--db', audited, '--json']);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).audits.auditedNow, false);
    assert.equal(readFileSync(unauditedFile, 'utf8'), readFileSync(auditedFile, 'utf8'));
  });
});
