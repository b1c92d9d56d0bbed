// The viewer on a dual-control episode (τ²-bench mock): which side made each tool call, and both
// sides' state diffs with the user's labelled as the user's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { browserSkipReason, launchBrowser, startViewerProcess, type ViewerProcess } from './browser-helper.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const dir = mkdtempSync(join(tmpdir(), 'gw-viewer-dual-'));
const db = join(dir, 'groundwork.db');
const tasksFile = join(dir, 'tasks.json');

// A τ² mock task whose gold actions include the user's own (the oracle asks, the scripted user acts);
// its assertion wants the notification unread, so the oracle's episode fails and is listed.
const TASK = {
  id: 'dismiss_then_expect_unread',
  user_scenario: { instructions: 'Mark task_1 completed and dismiss your notification.' },
  evaluation_criteria: {
    actions: [
      { action_id: 'a1', name: 'update_task_status', arguments: { task_id: 'task_1', status: 'completed' } },
      { action_id: 'u1', requestor: 'user', name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } },
    ],
    env_assertions: [
      { env_type: 'user', func_name: 'assert_notification_status', arguments: { notification_id: 'notif_1', expected_status: 'unread' } },
    ],
    reward_basis: ['DB', 'ENV_ASSERTION'],
  },
};

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

let browser: Browser | undefined;
let viewer: ViewerProcess | undefined;
let url: string;
let runId: string;

before(async () => {
  if (browserSkipReason) return;
  writeFileSync(tasksFile, JSON.stringify([TASK]));
  runId = JSON.parse(
    cli(['run', '--json', '--db', db, '--domain', 'tau2-bench/mock', '--task-file', tasksFile, '--agent', 'oracle', '--trials', '1']),
  ).runId;
  viewer = await startViewerProcess(BIN, db);
  url = viewer.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await viewer?.stop();
});

test('a dual-control episode shows the user’s tool calls as the user’s and its state diff apart', { skip: browserSkipReason }, async () => {
  const [row] = JSON.parse(cli(['show', runId, '--json', '--db', db])).failedEpisodes;
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${url}#/runs/${encodeURIComponent(runId)}/episodes/${encodeURIComponent(row.id)}`);
  await page.locator('table.diff').waitFor();

  const text = async (locator: Locator) => (await locator.textContent()) ?? '';
  const userCall = page.locator('li.tool.call[data-actor=user]');
  assert.equal(await userCall.count(), 1);
  assert.match(await text(userCall), /user call[\s\S]*dismiss_notification/i);
  assert.match(await text(page.locator('li.tool.result[data-actor=user]')), /user result[\s\S]*Notification notif_1 dismissed/i);
  assert.match(await text(page.locator('li.tool.call[data-actor=agent]').first()), /^call[\s\S]*update_task_status/i);

  const agentSide = page.locator('table.diff tbody[data-side=agent]');
  const userSide = page.locator('table.diff tbody[data-side=user]');
  assert.match(await text(agentSide), /Agent side[\s\S]*tasks\/task_1/i);
  assert.doesNotMatch(await text(agentSide), /notifications/);
  assert.match(await text(userSide), /User side \(the user’s own state\)[\s\S]*notifications\/notif_1/i);
  assert.deepEqual(problems, []);
  await page.close();
});
