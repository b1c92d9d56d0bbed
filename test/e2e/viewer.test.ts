import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowser, startViewerProcess, type ViewerProcess } from './browser-helper.ts';
import { createInjectionRun, EVIL_AGENT, PAYLOADS } from './injection-fixture.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const dir = mkdtempSync(join(tmpdir(), 'gw-viewer-e2e-'));
const db = join(dir, 'groundwork.db');
const shots = mkdtempSync(join(tmpdir(), 'gw-viewer-shots-'));

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

let browser: Browser | undefined;
let viewer: ViewerProcess | undefined;
let url: string;
let mainRun: string;
let otherRun: string;
let evilRun: string;

before(async () => {
  if (browserSkipReason) return;
  mainRun = JSON.parse(cli(['run', '--json', '--db', db])).runId;
  otherRun = JSON.parse(cli(['run', '--json', '--trials', '2', '--seed', '7', '--db', db])).runId;
  evilRun = (await createInjectionRun(db)).runId;
  // The real command: builds the app bundle if it is missing or stale, then listens on a free port.
  viewer = await startViewerProcess(BIN, db);
  url = viewer.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await viewer?.stop();
});

/** A page that records console errors, CSP violations and dialogs. */
async function openPage(): Promise<{ page: Page; problems: string[]; dialogs: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, problems, dialogs };
}

test('the viewer listens on 127.0.0.1 and serves the app under a strict CSP', { skip: browserSkipReason }, async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const { page, problems } = await openPage();
  const response = await page.goto(url);
  assert.match(response!.headers()['content-security-policy'], /default-src 'self'; script-src 'self'/);
  await page.locator('table.runs tbody tr').first().waitFor();
  assert.equal(await page.locator('table.runs tbody tr').count(), 3);
  assert.deepEqual(problems, []);
  await page.close();
});

test('click from the run list to a failed episode: grade, state diff and transcript', { skip: browserSkipReason }, async () => {
  const { page, problems } = await openPage();
  await page.goto(url);
  await page.getByRole('link', { name: mainRun }).click();
  await page.locator('table.episodes tbody tr').first().waitFor();
  // Charts are SVG images rendered by the server from the same Vega-Lite specs as the report.
  const expected = (await (await page.request.get(`${url}api/runs/${mainRun}`)).json()).charts.map((c: { id: string }) => c.id);
  assert.ok(
    ['pass-hat-k', 'families', 'terminations', 'confident-failures', 'reliability'].every((id) => expected.includes(id)),
    expected.join(),
  );
  const charts = page.locator('figure.chart img');
  assert.equal(await charts.count(), expected.length);
  for (let i = 0; i < expected.length; i++) {
    await charts.nth(i).scrollIntoViewIfNeeded();
    await page.waitForFunction((index) => (document.querySelectorAll('figure.chart img')[index] as HTMLImageElement).naturalWidth > 0, i);
  }
  assert.match((await page.getByTestId('episode-count').textContent())!, /^189 episodes · page 1 of 4$/);
  await page.selectOption('select[name=agent]', 'naive');
  await page.selectOption('select[name=result]', 'fail');
  await page.waitForFunction(() => /^57 episodes/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  assert.match(page.url(), /agent=naive&result=fail|result=fail&agent=naive/);
  // Pagination is server-side, by keyset: page 2 (the remaining 7 rows) is asked after page 1's cursor.
  const pageRequests: string[] = [];
  page.on('request', (request) => {
    if (/\/episodes\?/.test(request.url())) pageRequests.push(request.url());
  });
  await page.getByRole('button', { name: 'next →' }).click();
  await page.waitForFunction(() => /page 2 of 2/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  assert.equal(await page.locator('table.episodes tbody tr').count(), 7);
  assert.ok(
    pageRequests.some((url) => /[?&]after=/.test(url) && !/[?&]offset=/.test(url)),
    pageRequests.join('\n'),
  );
  await page.getByRole('button', { name: '← previous' }).click();
  await page.waitForFunction(() => /page 1 of 2/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  // Only confident failures (from the stored audit): every naive failure claimed success.
  await page.selectOption('select[name=confident]', 'true');
  await page.waitForFunction(() =>
    /^57 episodes · page 1 of 2/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''),
  );
  await page.selectOption('select[name=family]', 'erase');
  await page.waitForFunction(() => /^9 episodes/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  // Open an erase episode: naive deleted one copy and said all the data was deleted.
  await page.locator('table.episodes tbody tr a').first().click();
  await page.locator('table.diff').waitFor();
  await page.locator('.page-head .badge.fail', { hasText: 'confident failure' }).waitFor();
  const contradicted = page.locator('.claims-card li.claim[data-verdict=contradicted]');
  assert.ok((await contradicted.count()) > 0, 'a contradicted claim');
  assert.match((await contradicted.first().textContent())!, /deleted.*still reachable/s);
  assert.ok((await page.locator('ol.transcript .inline-claim .verdict.contradicted').count()) > 0, 'the claim is marked on its message');
  assert.match((await page.locator('.page-head h1').textContent())!, /fail/);
  assert.ok((await page.locator('table.diff tbody tr[data-verdict]').count()) > 0);
  assert.match((await page.locator('ul.checks li.bad').first().textContent())!, /✗ no copy of .* data is reachable/);
  assert.ok((await page.locator('ol.transcript li.tool.call', { hasText: 'delete_file_copy' }).count()) > 0);
  assert.match((await page.locator('ol.transcript li.msg.agent').last().textContent())!, /Done!/);
  // Diff filters: hiding the verdict present hides its rows.
  const verdict = (await page.locator('table.diff tbody tr[data-verdict]').first().getAttribute('data-verdict'))!;
  await page.locator(`label.toggle.${verdict} input`).uncheck();
  assert.equal(await page.locator(`table.diff tbody tr[data-verdict=${verdict}]`).count(), 0);
  await page.locator(`label.toggle.${verdict} input`).check();
  await page.screenshot({ path: join(shots, 'viewer-episode.png'), fullPage: true });
  // Back to the agent's failed episodes through the breadcrumb.
  await page.getByRole('link', { name: 'naive’s failed episodes' }).click();
  await page.waitForFunction(() =>
    /^57 episodes · page 1 of 2/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''),
  );
  assert.deepEqual(problems, []);
  await page.close();
  process.stderr.write(`viewer screenshots: ${shots}\n`);
});

test('two runs side by side with a paired comparison', { skip: browserSkipReason }, async () => {
  const { page, problems } = await openPage();
  await page.goto(url);
  await page.getByLabel(`select ${mainRun}`).check();
  await page.getByLabel(`select ${otherRun}`).check();
  await page.getByTestId('compare-link').click();
  await page.locator('table.compare tbody tr').first().waitFor();
  assert.equal(await page.locator('table.compare tbody tr').count(), 3);
  assert.equal(await page.locator('.side').count(), 2);
  assert.match((await page.locator('.side').nth(0).textContent())!, new RegExp(mainRun));
  assert.match((await page.locator('.side').nth(1).textContent())!, new RegExp(otherRun));
  await page.screenshot({ path: join(shots, 'viewer-compare.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('injected markup in names, messages, tool calls, results and diffs never runs in the viewer', {
  skip: browserSkipReason,
}, async () => {
  const { page, problems, dialogs } = await openPage();
  await page.goto(url);
  await page.getByRole('link', { name: evilRun }).click();
  await page.locator('table.episodes tbody tr').first().waitFor();
  await page.selectOption('select[name=agent]', EVIL_AGENT);
  await page.waitForFunction(() => /^2 episodes/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  await page.locator('table.episodes tbody a').first().click();
  await page.locator('ol.transcript').waitFor();
  for (const payload of PAYLOADS.slice(0, 3))
    assert.ok((await page.getByText(payload, { exact: false }).count()) > 0, `shown as text: ${payload}`);
  assert.ok((await page.locator('table.diff', { hasText: PAYLOADS[0] }).count()) > 0, 'the payload is in the diff, as text');
  const dom = await page.evaluate(() => ({
    scripts: [...document.scripts].map((s) => s.getAttribute('src') ?? 'inline'),
    foreignImages: [...document.images].map((i) => i.getAttribute('src') ?? '').filter((src) => !src.startsWith('/api/')),
    iframes: document.querySelectorAll('iframe').length,
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
    hrefs: [...document.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? ''),
  }));
  assert.equal(dom.scripts.length, 1);
  assert.match(dom.scripts[0], /^\/assets\/index-[\w-]+\.js$/);
  assert.deepEqual([dom.foreignImages, dom.iframes, dom.handlers], [[], 0, 0]);
  assert.ok(
    dom.hrefs.every((href) => href.startsWith('#/')),
    dom.hrefs.join(' '),
  );
  // Click every link and button of the episode page, and the text of the injected link.
  await page.getByText(PAYLOADS[2], { exact: false }).first().click();
  for (const button of await page.locator('ol.transcript button').all()) await button.click();
  await page.screenshot({ path: join(shots, 'viewer-injection.png'), fullPage: true });
  // Follow every link of the episode page (each one from a fresh load of it).
  const episodeUrl = page.url();
  const count = await page.locator('a').count();
  for (let i = 0; i < count; i++) {
    await page.goto(episodeUrl);
    await page.locator('ol.transcript').waitFor();
    await page.locator('a').nth(i).click();
    await page.waitForLoadState();
  }
  await page.goto(`${url}#/runs/${encodeURIComponent(evilRun)}`);
  await page.locator('figure.chart img').first().waitFor();
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a message longer than the response cap is shown cut with a marker; "Load all" shows the whole text', {
  skip: browserSkipReason,
}, async () => {
  // Grow one stored episode of the main run (the viewer reads the database live).
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(db);
  const row = sqlite.prepare('SELECT id, trajectory FROM episodes WHERE run_id = ? LIMIT 1').get(mainRun) as {
    id: string;
    trajectory: string;
  };
  const trajectory = JSON.parse(row.trajectory);
  const long = `${'a long reply '.repeat(100_000)}THE-VERY-END`;
  trajectory.events.unshift({ type: 'message', role: 'agent', content: long });
  sqlite.prepare('UPDATE episodes SET trajectory = ? WHERE id = ?').run(JSON.stringify(trajectory), row.id);
  sqlite.close();
  const { page, problems } = await openPage();
  await page.goto(`${url}#/runs/${encodeURIComponent(mainRun)}/episodes/${encodeURIComponent(row.id)}`);
  const marker = page.locator('ol.transcript .truncated').first();
  await marker.waitFor();
  assert.match((await marker.textContent())!, new RegExp(`${long.length.toLocaleString('en')} characters in all`));
  assert.equal(await page.locator('ol.transcript').getByText('THE-VERY-END').count(), 0);
  await marker.getByRole('button', { name: 'Load all' }).click();
  await page.locator('ol.transcript .truncated').first().waitFor({ state: 'detached' });
  // LongText folds long texts behind its own toggle: open it, then the end of the full text is there.
  await page.locator('ol.transcript li').first().locator('button').first().click();
  await page.locator('ol.transcript').getByText('THE-VERY-END', { exact: false }).first().waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});
