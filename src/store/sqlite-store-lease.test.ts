import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createRun } from '../runner/local-runner.ts';
import { SqliteStore } from './sqlite-store.ts';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'gw-lease-')), 'g.db');
const host = hostname();

test('one lease per run across connections: refused while live, taken over once expired', async () => {
  const path = tempDb();
  const a = SqliteStore.open(path);
  const b = SqliteStore.open(path);
  const { runId } = await createRun(a, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['oracle'], trials: 1 });
  // Created but never run: no process holds it.
  assert.equal((await b.getRun(runId))!.status, 'interrupted');

  const first = { owner: 'first', pid: process.pid, host };
  assert.deepEqual(await a.acquireLease(runId, first, 60_000), { acquired: true });
  const run = (await b.getRun(runId))!;
  assert.equal(run.status, 'running');
  assert.equal(run.lease?.pid, process.pid);
  const refused = await b.acquireLease(runId, { owner: 'second', pid: process.pid, host }, 60_000);
  assert.equal(refused.acquired, false);
  assert.equal(!refused.acquired && refused.holder.owner, 'first');
  assert.equal(await a.renewLease(runId, 'first', 60_000), true);
  assert.equal(await b.renewLease(runId, 'second', 60_000), false);

  // Expired (a heartbeat that stopped, on another host where pids cannot be checked): interrupted, and free.
  await a.acquireLease(runId, { owner: 'first', pid: 1, host: 'elsewhere' }, 1);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await b.getRun(runId))!.status, 'interrupted');
  assert.deepEqual(await b.acquireLease(runId, { owner: 'second', pid: process.pid, host }, 60_000), { acquired: true });
  assert.equal(await a.renewLease(runId, 'first', 60_000), false, 'the old owner learns it lost the lease');
  await b.releaseLease(runId, 'second');
  assert.equal((await a.getRun(runId))!.lease, undefined);
  await a.close();
  await b.close();
});

test('a lease whose owner pid is dead on this host is not live, long before it expires', async () => {
  const path = tempDb();
  const store = SqliteStore.open(path);
  const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['oracle'], trials: 1 });
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(dead.stdout);
  await store.acquireLease(runId, { owner: `${pid}@${host}#x`, pid, host }, 3_600_000);
  assert.equal((await store.getRun(runId))!.status, 'interrupted');
  assert.equal((await store.acquireLease(runId, { owner: 'me', pid: process.pid, host }, 60_000)).acquired, true);
  await store.close();
  // Stored as columns of the run (layout 5).
  const raw = new Database(path, { readonly: true });
  assert.deepEqual(raw.prepare('SELECT lease_owner, lease_pid FROM runs').get(), { lease_owner: 'me', lease_pid: process.pid });
  raw.close();
});
