import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { auditStoredRun } from '../../src/audit-runner/audit-stored-run.ts';
import { episodeAuditSchema, type EpisodeAudit, type RunAudit } from '../../src/schema/audit.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const asStored = (audit: EpisodeAudit): EpisodeAudit => episodeAuditSchema.parse(JSON.parse(JSON.stringify(audit)));
const withoutStamp = ({ createdAt: _createdAt, ...audit }: RunAudit) => audit;

test('a run stopped by Ctrl-C still summarises its audits: they are what groundwork audit makes of the stored episodes', async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'gw-interrupt-audit-')), 'g.db');
  const child = spawn(
    process.execPath,
    [BIN, 'run', '--tasks', '300', '--trials', '3', '--agent', 'naive', '--agent', 'noop', '--agent', 'oracle', '--store', db],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/progress: [1-9]\d*\//.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  child.stdout.resume();
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  assert.equal(code, 130, stderr);
  const store = SqliteStore.open(db);
  try {
    const [run] = await store.listRuns();
    assert.equal(run.status, 'interrupted');
    const stored = await store.getRunAudit(run.id);
    assert.ok(stored, `the run audit is stored: ${stderr}`);
    const offline = new Map<string, EpisodeAudit>();
    const reference = await auditStoredRun(store, run.id, { save: false, onEpisodeAudit: (id, audit) => offline.set(id, audit) });
    assert.deepEqual(withoutStamp(stored), withoutStamp(reference));
    assert.ok(offline.size > 0 && offline.size < 2700);
    let audits = 0;
    for await (const audit of store.iterateEpisodeAudits(run.id)) {
      assert.deepEqual(audit, asStored(offline.get(audit.episodeId)!), `episode audit ${audit.episodeId}`);
      audits++;
    }
    assert.equal(audits, offline.size);
  } finally {
    await store.close();
  }
});
