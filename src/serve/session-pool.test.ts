import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore } from '../store/sqlite-store.ts';
import { CapacityError, SessionError } from './episode-session.ts';
import { ServedRun } from './served-run.ts';
import { SessionPool } from './session-pool.ts';

const LEASE = { ttlMs: 60_000, heartbeatMs: 20_000 };
const code = (expected: string) => (error: unknown) => error instanceof SessionError && error.code === expected;

describe('SessionPool', () => {
  let store: SqliteStore;
  let run: ServedRun;

  before(async () => {
    store = SqliteStore.open(':memory:');
    run = await ServedRun.open({ store, domain: 'helpdesk', lease: LEASE });
  });
  after(async () => {
    await run.close();
    await store.close();
  });

  test('a token of session A is rejected on session B; unknown ids are refused', async () => {
    const pool = new SessionPool(run, { maxSessions: 4, idleMs: 60_000, sweepMs: 0 });
    const a = pool.create();
    const b = pool.create();
    assert.notEqual(a.token, b.token);
    assert.ok(a.token.length >= 43, 'at least 256 bits');
    assert.equal(pool.get(a.id, a.token), a.session);
    assert.throws(() => pool.get(b.id, a.token), code('INVALID_TOKEN'));
    assert.throws(() => pool.get(a.id, b.token), code('INVALID_TOKEN'));
    assert.throws(() => pool.get(a.id, ''), code('INVALID_TOKEN'));
    assert.throws(() => pool.get('ses-nope', a.token), code('UNKNOWN_SESSION'));
    await assert.rejects(pool.close(b.id, a.token), code('INVALID_TOKEN'));
    assert.equal(pool.size, 2, 'a wrong token closes nothing');
    await pool.closeAll();
  });

  test('the cap refuses one session more with CAPACITY_REACHED; closing one frees its slot', async () => {
    const pool = new SessionPool(run, { maxSessions: 2, idleMs: 60_000, sweepMs: 0 });
    const a = pool.create();
    pool.create();
    assert.throws(
      () => pool.create(),
      (e: unknown) => e instanceof CapacityError && e.code === 'CAPACITY_REACHED' && e.capacity === 2,
    );
    await pool.close(a.id, a.token);
    assert.equal(pool.size, 1);
    pool.create();
    assert.throws(() => pool.create(), CapacityError);
    await pool.closeAll();
    assert.equal(pool.size, 0);
    assert.throws(() => pool.create(), code('SESSION_CLOSED'));
  });

  test('a client that disconnects mid-episode leaves a stored, marked episode and a freed slot', async () => {
    const pool = new SessionPool(run, { maxSessions: 1, idleMs: 60_000, sweepMs: 0 });
    const { id, token, session } = pool.create();
    const first = await session.reset({ taskId: run.tasks[0].id });
    await session.step({ type: 'message', content: 'Looking into it.' });
    await pool.close(id, token);
    assert.equal(pool.size, 0);
    const stored = await store.getEpisode(run.runId, first.episodeId);
    assert.ok(stored);
    assert.equal(stored.termination, 'agent_error');
    assert.deepEqual(stored.trajectory.termination, { reason: 'agent_error', detail: 'client disconnected' });
    assert.equal(stored.reward, 0);
    assert.equal(stored.agent, 'served:external');
    assert.ok(stored.trajectory.events.some((e) => e.type === 'message' && e.content === 'Looking into it.'));
    assert.throws(() => pool.get(id, token), code('UNKNOWN_SESSION'));
    pool.create(); // the slot is free again
    await pool.closeAll();
  });

  test('an idle session is reaped: episode stored as "session reaped", slot freed; an active one stays', async () => {
    let now = 1_000;
    const pool = new SessionPool(run, { maxSessions: 2, idleMs: 5_000, sweepMs: 0, clock: () => now });
    const idle = pool.create();
    const busy = pool.create();
    const first = await idle.session.reset({ taskId: run.tasks[2].id });
    await busy.session.reset({ taskId: run.tasks[3].id });
    now += 4_000;
    pool.get(busy.id, busy.token); // activity
    assert.equal(await pool.reap(), 0);
    now += 1_500;
    assert.equal(await pool.reap(), 1);
    assert.equal(pool.size, 1);
    assert.throws(() => pool.get(idle.id, idle.token), code('UNKNOWN_SESSION'));
    const stored = await store.getEpisode(run.runId, first.episodeId);
    assert.deepEqual(stored?.trajectory.termination, { reason: 'agent_error', detail: 'session reaped' });
    assert.equal(pool.get(busy.id, busy.token).state().done, false);
    await pool.closeAll();
    const shut = await store.listEpisodes(run.runId, { termination: 'agent_error' });
    assert.ok(shut.length >= 2);
  });

  test('the reaper runs on its own timer', async () => {
    const pool = new SessionPool(run, { maxSessions: 1, idleMs: 100 });
    const { session } = pool.create();
    const first = await session.reset();
    await sleep(500);
    assert.equal(pool.size, 0);
    const stored = await store.getEpisode(run.runId, first.episodeId);
    assert.equal(stored?.trajectory.termination.detail, 'session reaped');
    await pool.closeAll();
  });

  test('shutdown stores every running episode as "server shutdown"', async () => {
    const pool = new SessionPool(run, { maxSessions: 3, idleMs: 60_000, sweepMs: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await pool.create().session.reset({ taskId: run.tasks[4].id })).episodeId);
    assert.equal(new Set(ids).size, 3);
    await pool.closeAll();
    for (const id of ids) {
      const stored = await store.getEpisode(run.runId, id);
      assert.deepEqual(stored?.trajectory.termination, { reason: 'agent_error', detail: 'server shutdown' });
    }
  });
});
