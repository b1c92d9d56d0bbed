/**
 * Viewer responsiveness on a large run (issue 16: every filter under 50 ms at 50k episodes).
 *
 * Builds a helpdesk run of `--episodes` episodes (default 50,000; 3 agents: oracle, naive, noop)
 * audited like `groundwork run` does. Fast by default: the first trial of every task and agent is
 * run and audited for real, then copied as the further trials inside the database (same rows,
 * new ids and trial numbers, in one transaction); `--real` runs and audits every episode instead.
 * `--db PATH --run ID` measures an existing database instead (opened with this code, so one of an
 * older layout is upgraded first: the upgrade is timed).
 *
 * Prints database and audit bytes per episode, then times the viewer's endpoints over HTTP —
 * run page, first page, last page (by offset and by keyset cursor), each filter (confident
 * failures, fault cause, family, tag, result, termination, agent + result) — and the same
 * filters in the store alone (count + first page), and, when chromium is installed, the browser.
 * Prints numbers; asserts nothing.
 *
 *   node --import tsx bench/viewer-large-run.ts [--episodes 50000] [--tasks 700] [--real]
 *   node --import tsx bench/viewer-large-run.ts --db PATH --run RUN_ID
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { auditStoredRun } from '../src/audit-runner/audit-stored-run.ts';
import { createRun, executeRun } from '../src/runner/local-runner.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { EpisodeFilter } from '../src/store/store.ts';
import { ensureViewerBundle } from '../src/viewer/bundle.ts';
import { startViewer } from '../src/viewer/server.ts';

const { values: args } = parseArgs({
  options: {
    episodes: { type: 'string', default: '50000' },
    tasks: { type: 'string', default: '700' },
    real: { type: 'boolean', default: false },
    db: { type: 'string' },
    run: { type: 'string' },
  },
});
const AGENTS = ['oracle', 'naive', 'noop'];
const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const { path, runId } = args.db ? { path: args.db, runId: args.run! } : await buildRun();
let started = performance.now();
const store = SqliteStore.open(path);
console.log(`opened ${path} in ${seconds(started)} (includes upgrading an older layout)`);
printSizes(path);

/** A fresh database holding one audited run of about `--episodes` episodes. */
async function buildRun(): Promise<{ path: string; runId: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-bench-viewer-')), 'bench.db');
  const store = SqliteStore.open(path);
  const tasks = Number(args.tasks);
  const trials = Math.max(1, Math.round(Number(args.episodes) / (tasks * AGENTS.length)));
  const started = performance.now();
  const { runId } = await createRun(store, {
    domain: 'helpdesk',
    tasks: { count: tasks },
    agents: AGENTS,
    trials: args.real ? trials : 1,
    concurrency: 4,
  });
  const result = await executeRun(runId, { store });
  await auditStoredRun(store, runId);
  console.log(`ran and audited ${result.ran} episodes in ${seconds(started)}`);
  await store.close();
  if (!args.real && trials > 1) {
    const copied = performance.now();
    replicateTrials(path, runId, trials);
    console.log(`copied them as trials 1–${trials - 1} in ${seconds(copied)}`);
  }
  return { path, runId };
}

/** Copy trial 0 of every task and agent as trials 1…trials-1 (rows, audits and the run's plan). */
function replicateTrials(path: string, runId: string, trials: number): void {
  const db = new Database(path);
  db.pragma('synchronous = OFF');
  db.transaction(() => {
    for (let k = 1; k < trials; k++) {
      db.prepare(
        `INSERT INTO episodes (id, run_id, agent, task_id, trial, seed, family, split, reward, termination, created_at,
           audit_fault_cause, audit_confident_failure, trajectory, outcome)
         SELECT id || '-t' || @k, run_id, agent, task_id, @k, seed + @k, family, split, reward, termination, created_at,
           audit_fault_cause, audit_confident_failure, trajectory, outcome
         FROM episodes WHERE run_id = @run AND trial = 0 ORDER BY seq`,
      ).run({ k, run: runId });
      db.prepare(
        `INSERT INTO episode_audits (episode_id, run_id, audit, goal_key)
         SELECT a.episode_id || '-t' || @k, a.run_id, a.audit, a.goal_key FROM episode_audits a JOIN episodes e ON e.id = a.episode_id
         WHERE e.run_id = @run AND e.trial = 0 ORDER BY a.rowid`,
      ).run({ k, run: runId });
    }
    const planned = db.prepare('SELECT count(*) FROM episodes WHERE run_id = ?').pluck().get(runId) as number;
    db.prepare("UPDATE runs SET planned = ?, config = json_set(config, '$.trials', ?) WHERE id = ?").run(planned, trials, runId);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Database bytes per episode, and stored audit bytes per episode (bodies plus shared goal items when the layout has them). */
function printSizes(path: string): void {
  const db = new Database(path, { readonly: true });
  const episodes = db.prepare('SELECT count(*) FROM episodes').pluck().get() as number;
  const audits = db.prepare('SELECT coalesce(sum(length(audit)), 0) FROM episode_audits').pluck().get() as number;
  const hasGoals = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'audit_goal_items'").pluck().get() === 1;
  const goals = hasGoals ? (db.prepare('SELECT coalesce(sum(length(items)), 0) FROM audit_goal_items').pluck().get() as number) : 0;
  const bytes = statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
  db.close();
  console.log(
    `${episodes} episodes: database ${(bytes / episodes / 1024).toFixed(2)} KB/episode (${(bytes / 1024 / 1024).toFixed(0)} MB); ` +
      `audits ${(audits / episodes / 1024).toFixed(2)} KB/episode stored${hasGoals ? ` + ${(goals / episodes).toFixed(0)} B/episode of shared goal items` : ''}`,
  );
}

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
    `${label.padEnd(48)} min ${fmt(times[0])}  median ${fmt(times[Math.floor(times.length / 2)])}  max ${fmt(times[times.length - 1])}  ${(bytes / 1024).toFixed(1)} KB`,
  );
  return body;
}

type Page = { total: number; episodes: { id: string; family: string }[]; next: string | null };
const episodesUrl = (query: string) => `/api/runs/${runId}/episodes?limit=50${query ? `&${query}` : ''}`;

console.log(`\nviewer on ${server.url} (times over 5 requests; the first run-page request is cold)`);
started = performance.now();
await fetch(`${base}/api/runs/${runId}`).then((r) => r.text());
console.log(`${'run page, cold (summary + audit + charts list)'.padEnd(48)} ${fmt(performance.now() - started)}`);
await time('run page, cached', `/api/runs/${runId}`);
const first = (await time('episodes first page (50 rows, with total)', episodesUrl(''))) as Page;
await time('episodes page 2 by cursor', episodesUrl(`after=${encodeURIComponent(first.next!)}`));
await time('episodes page 100 by offset 4950', episodesUrl('offset=4950'));
await time(`episodes last page by offset ${first.total - 50}`, episodesUrl(`offset=${first.total - 50}`));
// The cursor of the last page, as the page before it returned it.
const beforeLast = (await store.listEpisodesPage(runId, { limit: 50, offset: first.total - 100 })).next!;
await time('episodes last page by cursor', episodesUrl(`after=${encodeURIComponent(beforeLast)}`));

const family = first.episodes[0].family;
const filters: [string, string, EpisodeFilter][] = [
  ['filter confident failures', 'confident=true', { confidentFailure: true }],
  ['filter fault cause = agent', 'cause=agent', { faultCause: 'agent' }],
  [`filter family = ${family}`, `family=${family}`, { family }],
  ['filter tag variant:approved', 'variant=approved', { tags: ['variant:approved'] }],
  ['filter result = pass', 'result=pass', { result: 'pass' }],
  ['filter termination = user_stop', 'termination=user_stop', { termination: 'user_stop' }],
  ['filter agent = naive, result = fail', 'agent=naive&result=fail', { agent: 'naive', result: 'fail' }],
];
for (const [label, query] of filters) {
  const page = (await time(`${label}, first page`, episodesUrl(query))) as Page;
  if (page.next) await time(`${label}, page 2 by cursor`, episodesUrl(`${query}&after=${encodeURIComponent(page.next)}`));
}

console.log('\nthe store alone (count + first page of 50; median of 5)');
for (const [label, , filter] of filters) {
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    total = await store.countEpisodes(runId, filter);
    await store.listEpisodesPage(runId, { ...filter, limit: 50 });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(48)} median ${fmt(times[2])}  (${total} episodes match)`);
}
started = performance.now();
const totals = await store.auditTotals(runId);
console.log(`${'audit totals'.padEnd(48)} ${fmt(performance.now() - started)}  (${totals.audited} audited)`);

await time('one episode (transcript, diff, audit)', `/api/runs/${runId}/episodes/${first.episodes[0].id}`);
console.log(`bench process RSS (store and server together) ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);

if (existsSync('/usr/bin/chromium')) {
  const { launchBrowser } = await import('../test/e2e/browser-helper.ts');
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  started = performance.now();
  await page.goto(`${server.url}#/runs/${runId}`);
  await page.locator('table.episodes tbody tr').nth(49).waitFor();
  console.log(`\nbrowser: navigation to 50 rendered rows       ${fmt(performance.now() - started)}`);
  // The run page's charts load meanwhile; turn pages once the server is idle.
  await page.waitForLoadState('networkidle');
  for (const n of [2, 3]) {
    started = performance.now();
    await page.getByRole('button', { name: 'next →' }).click();
    await page.waitForFunction(
      (n) => new RegExp(`page ${n} of`).test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''),
      n,
    );
    console.log(`browser: page ${n} rendered (by cursor)           ${fmt(performance.now() - started)}`);
  }
  started = performance.now();
  await page.selectOption('select[name=confident]', 'true');
  await page.waitForFunction(() => /^\d+ episodes · page 1/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  console.log(`browser: filter confident failures rendered   ${fmt(performance.now() - started)}`);
  await browser.close();
}
await server.close();
await store.close();
