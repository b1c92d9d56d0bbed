import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { auditStoredRun } from '../../src/audit-runner/audit-stored-run.ts';
import { builtInDomains } from '../../src/domains/registry.ts';
import { regradeEpisode } from '../../src/grading/regrade.ts';
import { createRun, executeRun } from '../../src/runner/local-runner.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

// Shapes that make backtracking patterns explode: long runs of what an email, id, amount, name,
// quoted phrase or clause pattern starts with but never finishes.
const SHAPES = [
  'a@',
  '.',
  ' ',
  '7',
  '-',
  'a.',
  'x@y ',
  '"abc ',
  '([{',
  'order ',
  'Ann ',
  '1,',
  '1.',
  '$1',
  '#W',
  'I have ',
  'is not ',
  '\t\n',
  'a-b_',
  "I've ",
  'a',
  'A',
  'aB1',
  'a_',
  ',',
  "'",
  'no ',
  '*',
  '# ',
  '\n',
  '?',
  'if ',
  'done ',
  'ID: ',
  '$',
  '1 ',
  '2024-05-',
  'May 24, ',
  'W1',
  '_',
];

/** `bytes` characters made of one long run per shape. */
function adversarial(bytes: number, salt: number): string {
  const per = Math.floor(bytes / SHAPES.length);
  return SHAPES.map((s, i) => SHAPES[(i + salt) % SHAPES.length].repeat(Math.ceil(per / s.length)).slice(0, per)).join('');
}

/** Store a real run, then grow its first episodes and task instructions with adversarial text of `bytes` per field. */
async function adversarialRun(domain: string, bytes: number): Promise<{ file: string; runId: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'gw-adv-')), 'groundwork.db');
  const store = SqliteStore.open(file);
  const { runId } = await createRun(store, { domain, tasks: { count: 1 }, agents: ['oracle', 'naive'], trials: 1 });
  await executeRun(runId, { store });
  await store.close();
  const db = new Database(file);
  try {
    const episodes = db.prepare('SELECT id, trajectory FROM episodes WHERE run_id = ?').all(runId) as { id: string; trajectory: string }[];
    for (const [n, row] of episodes.entries()) {
      const trajectory = JSON.parse(row.trajectory);
      const first = trajectory.events.findIndex((e: { type: string }) => e.type === 'message');
      const tool = trajectory.events.find((e: { type: string }) => e.type === 'tool_call')?.name ?? 'lookup';
      trajectory.events.splice(
        first + 1,
        0,
        { type: 'message', role: 'user', content: adversarial(bytes, n) },
        { type: 'message', role: 'agent', content: adversarial(bytes, n + 3) },
        { type: 'tool_call', id: 'adv', name: tool, arguments: { text: adversarial(bytes, n + 5) } },
        { type: 'tool_result', callId: 'adv', name: tool, content: adversarial(bytes, n + 7), isError: false },
      );
      trajectory.events.push({ type: 'message', role: 'agent', content: adversarial(bytes, n + 9) });
      db.prepare('UPDATE episodes SET trajectory = ? WHERE id = ?').run(JSON.stringify(trajectory), row.id);
    }
    const tasks = db.prepare('SELECT task_id, task FROM run_tasks WHERE run_id = ?').all(runId) as { task_id: string; task: string }[];
    for (const row of tasks) {
      const task = JSON.parse(row.task);
      task.user.instructions = adversarial(bytes, 11);
      db.prepare('UPDATE run_tasks SET task = ? WHERE run_id = ? AND task_id = ?').run(JSON.stringify(task), runId, row.task_id);
    }
  } finally {
    db.close();
  }
  return { file, runId };
}

/** Audit and re-grade every episode of the stored run; returns seconds. */
async function auditAndGrade(domainName: string, bytes: number): Promise<number> {
  const { file, runId } = await adversarialRun(domainName, bytes);
  const store = SqliteStore.open(file);
  try {
    const started = performance.now();
    const audit = await auditStoredRun(store, runId);
    assert.equal(audit.episodes, 2);
    const run = (await store.getRun(runId))!;
    const domain = builtInDomains.create(run.config.domain, run.config.domainOptions);
    const tasks = new Map((await store.runTasks(runId)).map((t) => [t.id, t]));
    for await (const episode of store.iterateEpisodes(runId)) regradeEpisode(domain, tasks.get(episode.taskId)!, episode.trajectory);
    return (performance.now() - started) / 1000;
  } finally {
    await store.close();
    rmSync(join(file, '..'), { recursive: true, force: true });
  }
}

for (const domain of ['helpdesk', 'tau-bench/retail']) {
  test(`${domain}: the audit and grading of 1 MB adversarial user, agent, tool and instruction texts run in linear time`, async () => {
    const half = await auditAndGrade(domain, 512 * 1024);
    const full = await auditAndGrade(domain, 1024 * 1024);
    console.log(`${domain}: 0.5 MB per field ${half.toFixed(2)} s, 1 MB per field ${full.toFixed(2)} s, ratio ${(full / half).toFixed(2)}`);
    assert.ok(full < 30, `1 MB took ${full.toFixed(1)} s`);
    assert.ok(full / half < 3, `doubling the text multiplied the time by ${(full / half).toFixed(2)}`);
  });
}
