import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

test('regrade recomputes stored outcomes from stored trajectories only', () => {
  const db = join(mkdtempSync(join(tmpdir(), 'gw-regrade-')), 'g.db');
  const run = JSON.parse(
    cli(['run', '--tasks', '7', '--trials', '1', '--agent', 'oracle', '--agent', 'naive', '--json', '--db', db]).stdout,
  );

  // A clean run re-grades to exactly the same outcomes.
  const clean = JSON.parse(cli(['regrade', run.runId, '--json', '--db', db]).stdout);
  assert.equal(clean.episodes, 14);
  assert.equal(clean.changed, 0);
  assert.equal(clean.initialStateMismatches, 0);

  // Corrupt two stored grades (as an old grader might have produced them).
  const raw = new Database(db);
  const rows = raw.prepare("SELECT id, outcome FROM episodes WHERE agent = 'oracle' LIMIT 2").all() as { id: string; outcome: string }[];
  for (const row of rows) {
    const outcome = JSON.parse(row.outcome);
    outcome.reward = 0;
    outcome.state.pass = false;
    raw.prepare('UPDATE episodes SET outcome = ?, reward = 0 WHERE id = ?').run(JSON.stringify(outcome), row.id);
  }
  raw.close();

  const dry = JSON.parse(cli(['regrade', run.runId, '--dry-run', '--json', '--db', db]).stdout);
  assert.equal(dry.rewardChanged, 2);
  assert.equal(
    JSON.parse(cli(['run', '--resume', run.runId, '--json', '--db', db]).stdout).agents.oracle.meanReward,
    5 / 7,
    'dry run stored nothing',
  );

  const fixed = JSON.parse(cli(['regrade', run.runId, '--json', '--db', db]).stdout);
  assert.deepEqual(
    fixed.changes.map((c: { before: number; after: number }) => [c.before, c.after]),
    [
      [0, 1],
      [0, 1],
    ],
  );
  assert.equal(JSON.parse(cli(['show', run.runId, '--json', '--db', db]).stdout).agents.oracle.meanReward, 1);
});
