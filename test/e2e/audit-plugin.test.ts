// A registered audit shows up everywhere without touching the renderers: the tool-error audit
// (src/audits/tool-error-audit.ts plus one registry line) in `run`, `show`, the HTML report and
// the viewer. Its numbers are checked against the stored trajectories, read straight from SQLite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { browserSkipReason, launchBrowser, startViewerProcess, type ViewerProcess } from './browser-helper.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const BENCHMARKS = process.env.GROUNDWORK_BENCHMARKS_DIR ?? resolve(import.meta.dirname, '../../../shared/benchmarks');
const dir = mkdtempSync(join(tmpdir(), 'gw-audit-plugin-'));
const db = join(dir, 'groundwork.db');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** The rows of the text table under a heading line, as arrays of cells (split on 2+ spaces). */
function textTable(output: string, heading: RegExp): string[][] {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => heading.test(line));
  assert.ok(start >= 0, `no ${heading} in:\n${output}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 3)) {
    if (!line.trim()) break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

/** Tool results and errors per agent, counted from the stored trajectories (graded episodes only). */
function countFromStore(runId: string): Map<string, { calls: number; errors: number; episodesWithError: number }> {
  const sqlite = new Database(db, { readonly: true });
  try {
    const counts = new Map<string, { calls: number; errors: number; episodesWithError: number }>();
    for (const row of sqlite
      .prepare("SELECT agent, trajectory FROM episodes WHERE run_id = ? AND termination <> 'infra_error'")
      .all(runId) as { agent: string; trajectory: string }[]) {
      // Calls that reached the domain: the intercepted `report_outcome` is not a tool of the world.
      const results = (JSON.parse(row.trajectory).events as { type: string; name?: string; isError?: boolean }[]).filter(
        (e) => e.type === 'tool_result' && e.name !== 'report_outcome',
      );
      const count = counts.get(row.agent) ?? { calls: 0, errors: 0, episodesWithError: 0 };
      count.calls += results.length;
      count.errors += results.filter((e) => e.isError).length;
      if (results.some((e) => e.isError)) count.episodesWithError++;
      counts.set(row.agent, count);
    }
    return counts;
  } finally {
    sqlite.close();
  }
}

/** What the table row of an agent must say, from the independent count. */
const expectedRow = (c: { calls: number; errors: number; episodesWithError: number }) => [
  String(c.calls),
  String(c.errors),
  c.calls ? `${((c.errors / c.calls) * 100).toFixed(1)}%` : '-',
  String(c.episodesWithError),
];

// gpt-4o's published τ-bench airline trajectories, replayed through our tools: real tool errors.
let imported: string;
let expected: { calls: number; errors: number; episodesWithError: number };
before(() => {
  imported = JSON.parse(
    cli([
      'grade',
      join(BENCHMARKS, 'tau-bench/airline/historical_gpt-4o.json'),
      '--format',
      'tau-bench',
      '--domain',
      'tau-bench/airline',
      '--data',
      BENCHMARKS,
      '--store',
      '--db',
      db,
      '--json',
    ]),
  ).runId;
  cli(['audit', imported, '--db', db]);
  expected = countFromStore(imported).get('imported:gpt-4o')!;
  assert.ok(expected.errors > 0 && expected.errors < expected.calls, JSON.stringify(expected));
});

test('`groundwork run` prints the tool-error section, one row per agent, equal to the stored trajectories', () => {
  const out = cli(['run', '--db', db, '--trials', '1', '--tasks', '7']);
  const runId = /groundwork show (\S+)/.exec(out)![1];
  const rows = textTable(out, /^Tool errors: /);
  const counts = countFromStore(runId);
  assert.deepEqual(
    rows.map((r) => r[0]),
    ['oracle', 'naive', 'noop'],
  );
  for (const row of rows) assert.deepEqual(row.slice(1, 5), expectedRow(counts.get(row[0])!), row[0]);
});

test('`groundwork show` and `show --episode` print the tool errors of an imported run', () => {
  const [row] = textTable(cli(['show', imported, '--db', db]), /^Tool errors: /);
  assert.equal(row[0], 'imported:gpt-4o');
  assert.deepEqual(row.slice(1, 5), expectedRow(expected));
  // The per-episode line, on an episode whose stored trajectory has an error.
  const sqlite = new Database(db, { readonly: true });
  const episode = (
    sqlite.prepare('SELECT id FROM episodes WHERE run_id = ? AND trajectory LIKE \'%"isError":true%\' LIMIT 1').get(imported) as {
      id: string;
    }
  ).id;
  sqlite.close();
  assert.match(cli(['show', imported, '--episode', episode, '--db', db]), /^ {2}Tool errors: [1-9]\d* of \d+ call\(s\) \(\w+ ×\d+/m);
});

test('the HTML report draws the tool-error chart and its table', () => {
  const output = join(dir, 'report.html');
  const report = JSON.parse(cli(['report', imported, '--output', output, '--json', '--db', db]));
  assert.ok(report.charts.includes('tool-errors'), report.charts.join());
  const html = readFileSync(output, 'utf8');
  const section = /<section class="audit" data-audit="toolErrors"[\s\S]*?<\/section>/.exec(html)?.[0];
  assert.ok(section, 'a tool-errors section');
  assert.match(section, /<figure class="chart" data-chart="tool-errors"><figcaption>[\s\S]*?<\/figcaption><svg/);
  assert.match(
    section,
    new RegExp(
      `<td>imported:gpt-4o</td><td>${expected.calls}</td><td>${expected.errors}</td><td>${((expected.errors / expected.calls) * 100).toFixed(1)}%</td><td>${expected.episodesWithError}</td>`,
    ),
  );
});

test('the report in chromium: the tool-error chart is drawn with a bar', { skip: browserSkipReason }, async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    const box = await page.locator('figure[data-chart="tool-errors"] svg').boundingBox();
    assert.ok(box && box.width > 100 && box.height > 20);
    assert.ok((await page.locator('figure[data-chart="tool-errors"] svg .mark-rect path').count()) > 0);
  } finally {
    await browser.close();
  }
});

let viewer: ViewerProcess | undefined;
after(async () => {
  await viewer?.stop();
});

test('the viewer shows the tool-error table and chart on the run page', { skip: browserSkipReason }, async () => {
  viewer = await startViewerProcess(BIN, db);
  const url = viewer.url;
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${url}#/runs/${encodeURIComponent(imported)}`);
    const section = page.locator('section[data-audit="toolErrors"]');
    await section.waitFor();
    const cells = await section.locator('tbody tr').first().locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 5), ['imported:gpt-4o', ...expectedRow(expected)]);
    const chart = page.locator('figure.chart[data-chart="tool-errors"] img');
    await chart.scrollIntoViewIfNeeded();
    await page.waitForFunction(
      () => ((document.querySelector('figure.chart[data-chart="tool-errors"] img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
    );
    // The chart the page shows is served by the API; an unknown chart id is an error, not an empty picture.
    assert.equal((await page.request.get(`${url}api/runs/${imported}/charts/tool-errors.svg`)).status(), 200);
    assert.equal((await page.request.get(`${url}api/runs/${imported}/charts/no-such-chart.svg`)).status(), 404);
  } finally {
    await browser.close();
  }
});
