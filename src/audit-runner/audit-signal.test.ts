import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { SqliteStore } from '../store/sqlite-store.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  test(`groundwork audit stops within a second on ${signal}: stored episode audits stay, no run audit, the run still shows`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-audit-signal-'));
    const file = join(dir, 'groundwork.db');
    try {
      const store = SqliteStore.open(file);
      // Large enough that the audit takes seconds (about 1 ms per episode).
      const { runId } = await createRun(store, {
        domain: 'helpdesk',
        tasks: { count: 400 },
        agents: ['oracle', 'naive', 'noop'],
        trials: 4,
      });
      await executeRun(runId, { store });
      await store.close();
      const child = spawn(process.execPath, [BIN, 'audit', runId, '--db', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
      const db = new Database(file, { readonly: true });
      const audited = () => (db.prepare('SELECT count(*) AS n FROM episode_audits').get() as { n: number }).n;
      const started = performance.now();
      while (audited() < 200) {
        assert.ok(performance.now() - started < 60_000, `the audit never started: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const sent = performance.now();
      child.kill(signal);
      const exitCode = await exited;
      const ms = performance.now() - sent;
      const stored = audited();
      const runAudits = (db.prepare('SELECT count(*) AS n FROM run_audits').get() as { n: number }).n;
      db.close();
      console.log(`${signal}: exit ${exitCode} after ${ms.toFixed(0)} ms; ${stored} of 4800 episode audits stored`);
      assert.equal(exitCode, code, stderr);
      assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms to stop`);
      assert.ok(stored < 4800, 'the audit finished before the signal arrived; make the run larger');
      assert.equal(runAudits, 0, 'a run audit was written by a stopped audit');
      assert.match(stderr, new RegExp(`stopped by ${signal}`));
      const show = spawnSync(process.execPath, [BIN, 'show', runId, '--json', '--db', file], { encoding: 'utf8' });
      assert.equal(show.status, 0, show.stderr);
      assert.equal(JSON.parse(show.stdout).runId ?? runId, runId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
