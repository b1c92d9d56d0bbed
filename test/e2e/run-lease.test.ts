import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';

// Real processes on one database: a run in a child, a second `--resume` of it, SIGKILL, resume.
const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
// Short lease so expiry-based detection is quick (documented in local-runner's `leaseTiming`).
const ENV = { ...process.env, GROUNDWORK_LEASE_MS: '1500' };

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: ENV, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function query<T>(db: string, sql: string): T | undefined {
  try {
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return reader.prepare(sql).get() as T;
    } finally {
      reader.close();
    }
  } catch {
    return undefined;
  }
}

/** Parse a command's JSON output; on failure, show its stderr. */
function json(args: string[]) {
  const result = cli(args);
  assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

const count = (db: string) => query<{ n: number }>(db, 'SELECT count(*) AS n FROM episodes')?.n ?? 0;

test('a second process cannot run a running run; a SIGKILLed run shows interrupted and resumes to exactly the plan', async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'gw-lease-')), 'groundwork.db');
  const planned = 700 * 3 * 5;
  const child = spawn(process.execPath, [BIN, 'run', '--tasks', '700', '--trials', '5', '--concurrency', '2', '--db', db, '--json'], {
    stdio: 'ignore',
    env: ENV,
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const deadline = Date.now() + 60_000;
  while (count(db) < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const runId = query<{ id: string }>(db, 'SELECT id FROM runs')!.id;

  // While it runs: `runs` says running, and a second process is refused with one line naming the owner.
  assert.equal(json(['runs', '--json', '--db', db]).runs[0].status, 'running');
  const second = cli(['run', '--resume', runId, '--db', db]);
  assert.equal(second.status, 1, second.stderr);
  const lines = second.stderr.trim().split('\n');
  assert.equal(lines.length, 1, second.stderr);
  assert.match(lines[0], new RegExp(`^groundwork: error: run ${runId} is being run by pid ${child.pid} on .*--resume ${runId}`));
  const retry = cli(['run', '--resume', runId, '--retry-errors', '--db', db]);
  assert.equal(retry.status, 1, retry.stderr);

  child.kill('SIGKILL');
  await exited;
  const atKill = count(db);
  assert.ok(atKill < planned, 'killed mid-way');
  // The killed run's pid is gone: interrupted at once, from the lease; after its expiry as well.
  assert.equal(json(['runs', '--json', '--db', db]).runs[0].status, 'interrupted');
  await new Promise((r) => setTimeout(r, 1600));
  assert.equal(json(['show', runId, '--json', '--db', db]).status, 'interrupted');

  const resumed = cli(['run', '--resume', runId, '--json', '--db', db]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const out = JSON.parse(resumed.stdout);
  assert.equal(out.skipped, atKill);
  assert.equal(out.ran + out.skipped, planned);
  assert.equal(out.status, 'finished');
  assert.equal(count(db), planned);
  assert.equal(query<{ n: number }>(db, 'SELECT count(*) AS n FROM (SELECT DISTINCT agent, task_id, trial FROM episodes)')!.n, planned);
  // Finished: the lease is released.
  assert.equal(query<{ o: string | null }>(db, 'SELECT lease_owner AS o FROM runs')!.o, null);
});
