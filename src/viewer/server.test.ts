import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { isLoopbackHost, startViewer, VIEWER_CSP, type ViewerServer } from './server.ts';

let store: SqliteStore;
let server: ViewerServer;
let runId: string;
const dir = mkdtempSync(join(tmpdir(), 'gw-viewer-'));

before(async () => {
  store = SqliteStore.open(join(dir, 'groundwork.db'));
  ({ runId } = await createRun(store, { domain: 'helpdesk', agents: ['oracle', 'naive'], tasks: { count: 12 }, trials: 2 }));
  await executeRun(runId, { store });
  // A stand-in bundle: the server serves exactly the files of the directory it is given.
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'assets'), { recursive: true });
  writeFileSync(join(bundle, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(bundle, 'assets', 'app.js'), 'export {}');
  writeFileSync(join(dir, 'secret.txt'), 'not for the browser');
  server = await startViewer({ store, bundleDir: bundle, port: 0 });
});

after(async () => {
  await server.close();
  await store.close();
});

/** A raw HTTP request (fetch would normalise the path and forbid some headers). */
function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the viewer binds 127.0.0.1 by default and refuses a non-loopback host unless allowed', async () => {
  assert.equal(server.host, '127.0.0.1');
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await assert.rejects(
    startViewer({ store, host: '0.0.0.0', port: 0 }),
    (error: Error & { hint?: string }) => /refusing to bind/.test(error.message) && /--allow-remote/.test(error.hint ?? ''),
  );
  const remote = await startViewer({ store, host: '0.0.0.0', port: 0, allowRemote: true });
  await remote.close();
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '10.0.0.1']) assert.equal(isLoopbackHost(host), false, host);
});

test('only GET and HEAD are answered: the viewer has no write endpoint', async () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    for (const path of ['/api/runs', `/api/runs/${runId}`, '/']) {
      const res = await call(method, path);
      assert.equal(res.status, 405, `${method} ${path}`);
    }
  }
  const head = await call('HEAD', '/api/runs');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('every response carries the CSP and nosniff; only bundle files are served', async () => {
  for (const path of ['/', '/assets/app.js', '/api/runs', '/nope']) {
    const res = await call('GET', path);
    assert.equal(res.headers['content-security-policy'], VIEWER_CSP, path);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
  assert.match(VIEWER_CSP, /default-src 'self'/);
  assert.doesNotMatch(VIEWER_CSP, /unsafe-inline|unsafe-eval/);
  assert.equal((await call('GET', '/')).status, 200);
  assert.equal((await call('GET', '/assets/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/index.html/../../secret.txt']) {
    const res = await call('GET', path);
    assert.ok(res.status === 404 || res.status === 400, `${path} → ${res.status}`);
    assert.doesNotMatch(res.body, /not for the browser/);
  }
});

test('requests naming another host are refused (DNS rebinding)', async () => {
  assert.equal((await call('GET', '/api/runs', { Host: 'evil.example:80' })).status, 403);
  assert.equal((await call('GET', '/api/runs', { Host: `localhost:${server.port}` })).status, 200);
});

test('the episode list is filtered and paginated by the database', async () => {
  const all = JSON.parse((await call('GET', `/api/runs/${runId}/episodes?limit=500`)).body);
  assert.equal(all.total, 48);
  assert.equal(all.episodes.length, 48);
  const page = JSON.parse((await call('GET', `/api/runs/${runId}/episodes?agent=naive&result=fail&limit=5&offset=5`)).body);
  const naiveFails = all.episodes.filter((e: { agent: string; reward: number }) => e.agent === 'naive' && e.reward < 1);
  assert.equal(page.total, naiveFails.length);
  assert.deepEqual(
    page.episodes.map((e: { id: string }) => e.id),
    naiveFails.slice(5, 10).map((e: { id: string }) => e.id),
  );
  assert.equal(JSON.parse((await call('GET', `/api/runs/${runId}/episodes?limit=100000`)).body).limit, 500);
  assert.equal((await call('GET', `/api/runs/${runId}/episodes?result=maybe`)).status, 400);
  assert.equal((await call('GET', `/api/runs/${runId}/episodes?offset=-1`)).status, 400);
  assert.equal((await call('GET', '/api/runs/no-such-run/episodes')).status, 404);
});

test('the episode list pages by keyset: following `next` walks the filtered list once, in order', async () => {
  const all = JSON.parse((await call('GET', `/api/runs/${runId}/episodes?limit=500`)).body);
  assert.equal(all.next, null);
  const naiveFails = all.episodes.filter((e: { agent: string; reward: number }) => e.agent === 'naive' && e.reward < 1);
  const walked: string[] = [];
  let after = '';
  do {
    const page = JSON.parse((await call('GET', `/api/runs/${runId}/episodes?agent=naive&result=fail&limit=3${after}`)).body);
    assert.equal(page.total, naiveFails.length);
    assert.equal(page.offset, after ? null : 0);
    walked.push(...page.episodes.map((e: { id: string }) => e.id));
    after = page.next ? `&after=${encodeURIComponent(page.next)}` : '';
  } while (after);
  assert.deepEqual(
    walked,
    naiveFails.map((e: { id: string }) => e.id),
  );
  // A page asked by offset gives the cursor of the one after it.
  const byOffset = JSON.parse((await call('GET', `/api/runs/${runId}/episodes?limit=10&offset=10`)).body);
  const following = JSON.parse((await call('GET', `/api/runs/${runId}/episodes?limit=10&after=${encodeURIComponent(byOffset.next)}`)).body);
  assert.deepEqual(
    following.episodes.map((e: { id: string }) => e.id),
    all.episodes.slice(20, 30).map((e: { id: string }) => e.id),
  );
  assert.equal((await call('GET', `/api/runs/${runId}/episodes?after=nonsense`)).status, 400);
  assert.equal((await call('GET', `/api/runs/${runId}/episodes?offset=5&after=${encodeURIComponent(byOffset.next)}`)).status, 400);
});

test('run page, episode, chart and NDJSON stream endpoints', async () => {
  const page = JSON.parse((await call('GET', `/api/runs/${runId}`)).body);
  assert.deepEqual(page.agents, ['oracle', 'naive']);
  assert.deepEqual(
    page.charts.map((c: { id: string }) => c.id),
    ['pass-hat-k', 'families', 'terminations'],
  );
  assert.ok(page.failedTotal > 0);
  const failed = JSON.parse((await call('GET', `/api/runs/${runId}/episodes?result=fail&limit=1`)).body).episodes[0];
  const detail = JSON.parse((await call('GET', `/api/runs/${runId}/episodes/${failed.id}`)).body);
  assert.equal(detail.episode.row.id, failed.id);
  assert.ok(detail.episode.why.length > 0);
  assert.ok(detail.episode.trajectory.events.length > 0);
  assert.equal(detail.task.id, failed.taskId);
  const svg = await call('GET', `/api/runs/${runId}/charts/pass-hat-k.svg`);
  assert.equal(svg.status, 200);
  assert.match(svg.headers['content-type'] as string, /^image\/svg\+xml/);
  assert.match(svg.body, /^<svg/);
  // An unknown chart id is an error the client sees, never an empty picture.
  assert.equal((await call('GET', `/api/runs/${runId}/charts/nope.svg`)).status, 404);
  assert.equal((await call('GET', `/api/runs/${runId}/episodes/ep-nope`)).status, 404);
  const stream = await call('GET', `/api/runs/${runId}/episodes.ndjson?agent=oracle`);
  const lines = stream.body
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.equal(lines.length, 24);
  assert.ok(lines.every((e) => e.agent === 'oracle' && e.trajectory));
});

test('compare pairs the shared agents of two runs', async () => {
  const { runId: other } = await createRun(store, { domain: 'helpdesk', agents: ['naive', 'noop'], tasks: { count: 12 }, trials: 2 });
  await executeRun(other, { store });
  const res = JSON.parse((await call('GET', `/api/compare?a=${runId}&b=${other}`)).body);
  assert.equal(res.a.summary.runId, runId);
  assert.equal(res.b.summary.runId, other);
  assert.deepEqual(
    res.pairs.map((p: { agentA: string }) => p.agentA),
    ['naive'],
  );
  assert.equal(res.pairs[0].pairs, 24);
  assert.equal(res.pairs[0].difference, 0);
  assert.equal((await call('GET', `/api/compare?a=${runId}`)).status, 400);
});
