import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { type EpisodeDetail, FIELD_CAP, TEXT_BUDGET } from './api.ts';
import { startViewer, type ViewerServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'gw-viewer-large-'));
const file = join(dir, 'groundwork.db');
const HUGE = 20 * 1024 * 1024;
let store: SqliteStore;
let server: ViewerServer;
let runId: string;
let episodeId: string;
let huge: string;

before(async () => {
  const setup = SqliteStore.open(file);
  ({ runId } = await createRun(setup, { domain: 'helpdesk', agents: ['oracle'], tasks: { count: 1 }, trials: 1 }));
  await executeRun(runId, { store: setup });
  await setup.close();
  // A stored row as a 50 MB model reply leaves it: a 20 MB message, a 20 MB tool result, 40 more 1 MB messages.
  huge = 'The reply goes on. '.repeat(Math.ceil(HUGE / 19)).slice(0, HUGE);
  const db = new Database(file);
  const row = db.prepare('SELECT id, trajectory FROM episodes WHERE run_id = ?').get(runId) as { id: string; trajectory: string };
  episodeId = row.id;
  const trajectory = JSON.parse(row.trajectory);
  trajectory.events.unshift(
    { type: 'message', role: 'agent', content: huge },
    { type: 'tool_result', callId: 'x', name: 'lookup', content: huge, isError: false },
    ...Array.from({ length: 40 }, () => ({ type: 'message', role: 'user', content: 'x'.repeat(1024 * 1024) })),
  );
  db.prepare('UPDATE episodes SET trajectory = ? WHERE id = ?').run(JSON.stringify(trajectory), row.id);
  db.close();
  store = SqliteStore.open(file);
  server = await startViewer({ store, port: 0 });
});

after(async () => {
  await server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an episode with a 20 MB message is served cut to a bounded response; the load-all endpoint serves the whole text', async () => {
  const base = `http://127.0.0.1:${server.port}/api/runs/${runId}/episodes/${episodeId}`;
  let started = performance.now();
  const response = await fetch(base);
  const body = await response.text();
  const ms = performance.now() - started;
  console.log(
    `episode response: ${(body.length / 1024).toFixed(0)} KB in ${ms.toFixed(0)} ms (stored text ${(2 * HUGE + 40 * 2 ** 20) / 2 ** 20} MB)`,
  );
  assert.equal(response.status, 200);
  assert.ok(body.length < TEXT_BUDGET + 2 * FIELD_CAP + 256 * 1024, `${body.length} bytes`);
  const detail = JSON.parse(body) as EpisodeDetail;
  const events = detail.episode.trajectory.events;
  assert.deepEqual(detail.truncated.slice(0, 2), [
    { index: 0, length: HUGE },
    { index: 1, length: HUGE },
  ]);
  assert.equal(detail.truncated.length, 42);
  const first = events[0];
  assert.ok(
    first.type === 'message' &&
      first.content.startsWith('The reply goes on.') &&
      first.content.endsWith(`[truncated: ${HUGE} characters in all]`),
  );
  // The events after the cut ones are all still there, short ones in full.
  assert.ok(events.length > 42 && events.slice(42).every((e) => e.type !== 'message' || !e.content.includes('[truncated')));

  started = performance.now();
  const full = await fetch(`${base}/events/0`);
  const text = await full.text();
  console.log(`load all: ${(text.length / 2 ** 20).toFixed(1)} MB in ${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(full.status, 200);
  assert.match(full.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal(text, huge);
  assert.equal((await fetch(`${base}/events/9999`)).status, 400);
});
