import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { diffTable, renderHtmlReport } from './html-report.ts';
import { collectReportData } from './report-data.ts';

/**
 * A τ²-bench mock task in τ²'s format whose gold actions include one of the user's: the oracle
 * asks the user to dismiss the notification and the scripted user does it on its side. Its
 * assertion expects the notification still unread, so the oracle fails and the report shows it.
 */
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

test('the report shows which side made each tool call and both sides’ state diffs, the user’s labelled as such', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-dual-report-'));
  const tasksFile = join(dir, 'tasks.json');
  writeFileSync(tasksFile, JSON.stringify([TASK]));
  const store = SqliteStore.open(':memory:');
  try {
    const { runId } = await createRun(store, { domain: 'tau2-bench/mock', domainOptions: { tasksFile }, agents: ['oracle'], trials: 1 });
    await executeRun(runId, { store });
    const data = await collectReportData(store, runId);
    assert.equal(data.failed.total, 1);
    const [episode] = data.failed.episodes;
    assert.deepEqual(episode.userTables, ['notifications']);
    const calls = episode.trajectory.events.flatMap((e) => (e.type === 'tool_call' ? [`${e.actor ?? 'agent'}:${e.name}`] : []));
    assert.deepEqual(calls, ['agent:update_task_status', 'user:dismiss_notification']);
    assert.deepEqual(
      episode.outcome.diff.map((c) => `${c.table}/${c.key}.${c.path}`),
      ['notifications/notif_1.status', 'tasks/task_1.status'],
    );

    const html = await renderHtmlReport(data);
    assert.match(html, /<span class="who">user call<\/span><code><b>dismiss_notification<\/b>/);
    assert.match(html, /<span class="who">call<\/span><code><b>update_task_status<\/b>/);
    assert.match(html, /<span class="who">user result<\/span><pre>Notification notif_1 dismissed<\/pre>/);
    const agentSide = html.indexOf('Agent side (the service’s records)');
    const userSide = html.indexOf('User side (the user’s own state)');
    assert.ok(agentSide > 0 && userSide > agentSide);
    const agentTable = html.slice(agentSide, userSide);
    const userTable = html.slice(userSide, html.indexOf('</table>', userSide));
    assert.match(agentTable, /<code>tasks\/task_1<\/code>/);
    assert.doesNotMatch(agentTable, /notifications\//);
    assert.match(userTable, /<code>notifications\/notif_1<\/code>/);
    assert.doesNotMatch(userTable, /tasks\//);
  } finally {
    store.close();
  }
});

test('without user tables the diff is one table, as before', () => {
  const change = {
    table: 'kv',
    key: 'color',
    op: 'update' as const,
    path: 'value',
    before: 'red',
    after: 'blue',
    verdict: 'required' as const,
  };
  const plain = String(diffTable([change]));
  assert.doesNotMatch(plain, /side/);
  assert.equal(String(diffTable([change], undefined, [])), plain);
  assert.match(String(diffTable([change], undefined, ['phone'])), /User side[\s\S]*No change\./);
});
