/**
 * Viewer responsiveness on a large run: stores a 10,500-episode helpdesk run (700 tasks × 3 agents
 * × 5 trials, audited like `groundwork run` does), starts the viewer, and times its endpoints —
 * the run page (cold and cached), episode-list pages near the start and the end (server-side
 * LIMIT/OFFSET), audit filters, one episode, a chart, the NDJSON stream of every episode — and,
 * when chromium is installed, the browser from navigation to a rendered list and one page turn.
 * Prints numbers; asserts nothing.
 *
 *   node --import tsx bench/viewer-large-run.ts [tasks] [trials]
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditStoredRun } from '../src/audit-runner/audit-stored-run.ts';
import { createRun, executeRun } from '../src/runner/local-runner.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import { ensureViewerBundle } from '../src/viewer/bundle.ts';
import { startViewer } from '../src/viewer/server.ts';

const tasks = Number(process.argv[2] ?? 700);
const trials = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'gw-bench-viewer-'));
const store = SqliteStore.open(join(dir, 'bench.db'));

let started = performance.now();
const { runId } = await createRun(store, {
  domain: 'helpdesk',
  tasks: { count: tasks },
  agents: ['oracle', 'naive', 'noop'],
  trials,
  concurrency: 4,
});
const result = await executeRun(runId, { store });
console.log(`stored ${result.ran} episodes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
started = performance.now();
await auditStoredRun(store, runId);
console.log(`audited in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const bundle = await ensureViewerBundle();
const server = await startViewer({ store, bundleDir: bundle.dir, port: 0 });
const base = server.url.replace(/\/$/, '');

async function time(label: string, path: string, repeat = 5): Promise<unknown> {
  let body: unknown;
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    const response = await fetch(base + path);
    const text = await response.text();
    times.push(performance.now() - t);
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    bytes = text.length;
    body = path.endsWith('.ndjson') || path.endsWith('.svg') ? text : JSON.parse(text);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(44)} min ${fmt(times[0])}  median ${fmt(times[Math.floor(times.length / 2)])}  max ${fmt(times[times.length - 1])}  ${(bytes / 1024).toFixed(1)} KB`,
  );
  return body;
}
const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;

console.log(`\nviewer on ${server.url} — ${result.ran} episodes (times over 5 requests; the first run-page request is cold)`);
started = performance.now();
await fetch(`${base}/api/runs/${runId}`).then((r) => r.text());
console.log(`${'run page, cold (summary + audit + charts list)'.padEnd(44)} ${fmt(performance.now() - started)}`);
await time('run page, cached', `/api/runs/${runId}`);
await time('runs list', '/api/runs');
const first = (await time('episodes page 1 (50 rows)', `/api/runs/${runId}/episodes?limit=50&offset=0`)) as {
  total: number;
  episodes: { id: string }[];
};
await time('episodes page 100 (offset 4950)', `/api/runs/${runId}/episodes?limit=50&offset=4950`);
await time(`episodes last page (offset ${first.total - 50})`, `/api/runs/${runId}/episodes?limit=50&offset=${first.total - 50}`);
await time('filter agent=naive, fail, page 20', `/api/runs/${runId}/episodes?agent=naive&result=fail&limit=50&offset=950`);
await time('filter confident failures (audit join)', `/api/runs/${runId}/episodes?confident=true&limit=50`);
await time('filter fault cause=agent, last page', `/api/runs/${runId}/episodes?cause=agent&limit=50&offset=6700`);
await time('one episode (transcript, diff, audit)', `/api/runs/${runId}/episodes/${first.episodes[0].id}`);
await time('chart pass^k (SVG, cached after first)', `/api/runs/${runId}/charts/pass-hat-k.svg`);
started = performance.now();
const stream = (await fetch(`${base}/api/runs/${runId}/episodes.ndjson`).then((r) => r.text())).trim().split('\n');
const seconds = (performance.now() - started) / 1000;
console.log(
  `${'NDJSON stream of every episode'.padEnd(44)} ${stream.length} episodes in ${seconds.toFixed(2)} s = ${(stream.length / seconds).toFixed(0)} episodes/s`,
);
console.log(`bench process RSS (runner, store and server together) ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);

if (existsSync('/usr/bin/chromium')) {
  const { launchBrowser } = await import('../test/e2e/browser-helper.ts');
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  started = performance.now();
  await page.goto(`${server.url}#/runs/${runId}`);
  await page.locator('table.episodes tbody tr').nth(49).waitFor();
  console.log(`\nbrowser: navigation to 50 rendered rows       ${fmt(performance.now() - started)}`);
  started = performance.now();
  await page.getByRole('button', { name: 'next →' }).click();
  await page.waitForFunction(() => /page 2 of/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  console.log(`browser: next page rendered                   ${fmt(performance.now() - started)}`);
  started = performance.now();
  await page.selectOption('select[name=confident]', 'true');
  await page.waitForFunction(() => /^\d+ episodes · page 1/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  console.log(`browser: filter confident failures rendered   ${fmt(performance.now() - started)}`);
  const rows = await page.locator('table.episodes tbody tr').count();
  console.log(`browser: DOM holds ${rows} episode rows of ${first.total} (server-side pages)`);
  await browser.close();
}
await server.close();
await store.close();
