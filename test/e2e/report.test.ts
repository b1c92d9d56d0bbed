import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowser } from './browser-helper.ts';
import { createInjectionRun, PAYLOADS } from './injection-fixture.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const dir = mkdtempSync(join(tmpdir(), 'gw-report-'));
const db = join(dir, 'groundwork.db');
/** Screenshots land here (a temp dir); the path is printed so a human can look. */
const shots = mkdtempSync(join(tmpdir(), 'gw-report-shots-'));

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

let browser: Browser | undefined;
let runId: string;
let report: { path: string; charts: string[]; failedTotal: number; failedIncluded: number };

before(async () => {
  runId = JSON.parse(cli(['run', '--json', '--db', db])).runId;
  report = JSON.parse(cli(['report', runId, '-o', join(dir, 'report.html'), '--json', '--db', db]));
  if (!browserSkipReason) browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Open a local file with every network request refused; returns the URLs the page asked for. */
async function openOffline(path: string): Promise<{ page: Page; requests: string[]; dialogs: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url().startsWith('file:') ? route.continue() : route.abort();
  });
  await page.goto(pathToFileURL(path).href);
  return { page, requests, dialogs };
}

test('`groundwork report` writes one self-contained file with charts, tables and failed episodes', () => {
  const html = readFileSync(report.path, 'utf8');
  // `groundwork run` audits the run, so the audit charts are drawn too.
  assert.deepEqual(report.charts, [
    'pass-hat-k',
    'families',
    'terminations',
    'reliability',
    'confident-failures',
    'goal-success',
    'simulator-faults',
    'goal-outcomes',
    'fault-causes',
    'tool-errors',
  ]);
  assert.ok(report.failedTotal > 0 && report.failedIncluded === report.failedTotal);
  // No script at all, no external reference; a CSP forbids both anyway.
  // (Tests, not assert.match: a failure must not print a 400 KB document.)
  assert.ok(!/<script/i.test(html), 'no <script> in the report');
  assert.ok(!/\b(src|href)="(https?:)?\/\//i.test(html), 'no external reference');
  assert.ok(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-[^']+'/.test(html), 'CSP meta tag');
  for (const id of report.charts)
    assert.ok(
      html.includes(`<figure class="chart" data-chart="${id}"><figcaption>`) &&
        new RegExp(`data-chart="${id}">[\\s\\S]*?</figcaption><svg`).test(html),
      `chart ${id}`,
    );
  assert.ok(html.includes('<table class="diff">'), 'a diff table');
});

test('the report opens with no network, shows every chart, and links to each failed episode’s transcript and diff', {
  skip: browserSkipReason,
}, async () => {
  const { page, requests } = await openOffline(report.path);
  // Every chart is an inline SVG that was drawn (has marks and a real size).
  for (const id of report.charts) {
    const box = await page.locator(`figure[data-chart="${id}"] svg`).boundingBox();
    assert.ok(box && box.width > 100 && box.height > 50, `${id}: ${JSON.stringify(box)}`);
    assert.ok(
      (await page
        .locator(
          `figure[data-chart="${id}"] svg .mark-rect path, figure[data-chart="${id}"] svg .mark-symbol path, figure[data-chart="${id}"] svg .mark-line path`,
        )
        .count()) > 0,
      id,
    );
  }
  assert.equal(await page.locator('table.summary tbody tr').count(), 3);
  assert.equal(await page.locator('figure.chart svg').count(), report.charts.length);
  // The inline stylesheet is allowed by its hash in the CSP: the layout is styled.
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('header.top')!).position), 'sticky');
  await page.screenshot({ path: join(shots, 'report-top.png'), fullPage: false });

  // Click from the failed-episode index to a confident failure: naive erased one copy of a
  // customer's data and said all of it was deleted. Its diff, claims and transcript are in view.
  const link = page.locator('table.failed-index tr', { hasText: 'erase' }).filter({ hasText: 'confident failure' }).first().locator('a');
  const target = (await link.getAttribute('href'))!;
  assert.match(target, /^#ep-/);
  await link.click();
  const section = page.locator(target);
  await section.locator('table.diff').waitFor();
  const top = await section.evaluate((el) => el.getBoundingClientRect().top);
  assert.ok(top >= 0 && top < 300, `episode section top at ${top}`);
  assert.ok((await section.locator('table.diff tbody tr').count()) > 0 || (await section.locator('text=No change of state').count()) > 0);
  assert.ok((await section.locator('ol.transcript li.msg.agent').count()) > 0);
  assert.ok((await section.locator('ul.checks li.bad').count()) > 0);
  const contradicted = section.locator('ul.claims li.claim.contradicted');
  assert.ok((await contradicted.count()) > 0, 'a contradicted claim');
  assert.match((await contradicted.first().textContent())!, /contradicted.*deleted.*still reachable/s);
  assert.ok((await section.locator('table.diff tbody tr.required').count()) > 0);
  await page.screenshot({ path: join(shots, 'report-episode.png') });
  assert.deepEqual(
    requests.filter((url) => !url.startsWith('file:')),
    [],
  );
  await page.close();
  process.stderr.write(`report screenshots: ${shots}\n`);
});

test('transcripts, tool results, diffs and names are escaped in the report: injected markup never runs', {
  skip: browserSkipReason,
}, async () => {
  const injectionDb = join(dir, 'injection.db');
  const { runId: evil } = await createInjectionRun(injectionDb);
  const out = JSON.parse(cli(['report', evil, '-o', join(dir, 'injection.html'), '--json', '--db', injectionDb]));
  assert.ok(out.charts.includes('usage'), 'the injection run records usage by role, so the usage chart is drawn');
  const html = readFileSync(out.path, 'utf8');
  assert.ok(!/<script|<img|<iframe|<svg onload|<a href="javascript/i.test(html), 'payloads are escaped in the file');
  const { page, requests, dialogs } = await openOffline(out.path);
  // The payloads are visible as text…
  for (const payload of PAYLOADS.slice(0, 3)) assert.ok((await page.getByText(payload, { exact: false }).count()) > 0, payload);
  // …and none became an element.
  const active = await page.evaluate(() => ({
    scripts: document.scripts.length,
    images: document.images.length,
    iframes: document.querySelectorAll('iframe').length,
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
    hrefs: [...document.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? ''),
  }));
  assert.deepEqual({ ...active, hrefs: [] }, { scripts: 0, images: 0, iframes: 0, handlers: 0, hrefs: [] });
  assert.ok(
    active.hrefs.every((href) => /^#[A-Za-z0-9_-]+$/.test(href)),
    active.hrefs.join(' '),
  );
  // Click every link of the report; nothing runs, no dialog opens.
  const links = page.locator('a');
  for (let i = 0; i < (await links.count()); i++) await links.nth(i).click();
  await page.getByText(PAYLOADS[2], { exact: false }).first().click();
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(
    requests.filter((url) => !url.startsWith('file:')),
    [],
  );
  await page.screenshot({ path: join(shots, 'report-injection.png'), fullPage: true });
  await page.close();
});
