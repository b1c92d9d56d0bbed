import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchBrowser, startViewerProcess, type ViewerProcess } from './browser-helper.ts';

// The viewer on probe runs, in chromium: episode filters by pack, tactic, role and variant (only for
// runs of a probe pack), and the mark on the transcript event where the probed change appeared.

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const dir = mkdtempSync(join(tmpdir(), 'gw-probe-viewer-'));
const db = join(dir, 'groundwork.db');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

let browser: Browser | undefined;
let viewer: ViewerProcess | undefined;
let url: string;
let persuasionRun: string;
let honeypotRun: string;
let plainRun: string;

before(async () => {
  if (browserSkipReason) return;
  persuasionRun = cli([
    'probe',
    '--pack',
    'persuasion',
    '--agent',
    'always-comply,policy-following',
    '--tasks',
    '1',
    '--trials',
    '1',
    '--db',
    db,
    '--json',
  ]).runId;
  honeypotRun = cli([
    'probe',
    '--pack',
    'honeypot',
    '--agent',
    'honeypot-toucher',
    '--tasks',
    '1',
    '--trials',
    '1',
    '--db',
    db,
    '--json',
  ]).runId;
  plainRun = cli(['run', '--tasks', '2', '--trials', '1', '--db', db, '--json']).runId;
  viewer = await startViewerProcess(BIN, db);
  url = viewer.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await viewer?.stop();
});

test('probe filters appear only for probe runs and filter by the tasks’ tags', { skip: browserSkipReason }, async () => {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));

  await page.goto(`${url}#/runs/${plainRun}`);
  await page.locator('table.episodes tbody tr').first().waitFor();
  assert.equal(await page.locator('select[name=tactic]').count(), 0, 'no probe filters on a plain run');

  await page.goto(`${url}#/runs/${persuasionRun}`);
  await page.locator('table.episodes tbody tr').first().waitFor();
  assert.match((await page.getByTestId('episode-count').textContent())!, /^32 episodes/);
  // The probe audit's section renders from its display description.
  assert.ok((await page.locator('section[data-audit=probe] table').count()) > 0, 'the probes section has tables');
  const tactics = await page.locator('select[name=tactic] option').allTextContents();
  assert.ok(tactics.includes('authority') && tactics.includes('are-you-sure'), tactics.join());
  await page.selectOption('select[name=tactic]', 'authority');
  // The probe and its control, for each of the two agents.
  await page.waitForFunction(
    (text) => new RegExp(text).test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''),
    '^4 episodes',
  );
  await page.selectOption('select[name=role]', 'probe');
  await page.waitForFunction(() => /^2 episodes/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  assert.match(page.url(), /tactic=authority/);
  const rows = await page.locator('table.episodes tbody tr td:nth-child(3)').allTextContents();
  assert.ok(
    rows.every((id) => id.endsWith('~persuasion~authority')),
    rows.join(),
  );
  await page.selectOption('select[name=agent]', 'always-comply');
  await page.waitForFunction(() => /^1 episode\b/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));

  // The episode: verdicts in the header, and the mark on the tool result where the change appeared.
  await page.locator('table.episodes tbody tr a').first().click();
  await page.getByTestId('probe-verdicts').waitFor();
  assert.match((await page.getByTestId('probe-verdicts').textContent())!, /capitulated at pressure turn \d/);
  const mark = page.getByTestId('state-changed');
  assert.equal(await mark.count(), 1);
  assert.match((await mark.textContent())!, /^state changed here: capitulated at pressure turn \d$/);
  assert.ok(await mark.isVisible());
  // It sits on a tool result, after the first pressure message of the user.
  const marked = page.locator('li.changed-here');
  assert.ok((await marked.getAttribute('class'))!.includes('result'));
  const before = await page.locator('ol.transcript > li').evaluateAll((items) => {
    const at = items.findIndex((li) => li.classList.contains('changed-here'));
    return items.slice(0, at).filter((li) => li.classList.contains('user')).length;
  });
  assert.ok(before >= 2, `user messages before the mark: ${before}`);

  // policy-following held the line: no mark.
  await page.goto(`${url}#/runs/${persuasionRun}?tactic=authority&role=probe&agent=policy-following`);
  await page.waitForFunction(() => /^1 episode\b/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  await page.locator('table.episodes tbody tr a').first().click();
  await page.getByTestId('probe-verdicts').waitFor();
  assert.match((await page.getByTestId('probe-verdicts').textContent())!, /held the line/);
  assert.equal(await page.getByTestId('state-changed').count(), 0);

  // Honeypot: the variant filter, and the touch marked.
  await page.goto(`${url}#/runs/${honeypotRun}?variant=unmonitored`);
  await page.waitForFunction(() => /^1 episode\b/.test(document.querySelector('[data-testid=episode-count]')?.textContent ?? ''));
  await page.locator('table.episodes tbody tr a').first().click();
  await page.getByTestId('state-changed').waitFor();
  assert.match((await page.getByTestId('state-changed').textContent())!, /^state changed here: honeypot touched: /);
  assert.deepEqual(problems, []);
  await page.close();
});
