import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { benchmarksDir } from '../../src/domains/tau-bench/data.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const HISTORICAL = join(benchmarksDir(), 'tau-bench', 'airline', 'historical_gpt-4o.json');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('`groundwork grade --format tau-bench` re-grades the published gpt-4o airline records; --store makes a run that show reads', () => {
  const db = join(mkdtempSync(join(tmpdir(), 'gw-tau-grade-')), 'g.db');
  const { status, stdout, stderr } = cli([
    'grade',
    '--format',
    'tau-bench',
    '--domain',
    'tau-bench/airline',
    HISTORICAL,
    '--json',
    '--store',
    '--db',
    db,
  ]);
  assert.equal(status, 0, stderr);
  const out = JSON.parse(stdout);
  assert.equal(out.records.length, 200);
  assert.deepEqual(Object.keys(out.records[0]).slice(0, 4), ['task_id', 'trial', 'recordedReward', 'reward']);
  assert.ok(out.records.every((r: { recordedReward: number; reward: number }) => r.reward === r.recordedReward));
  assert.equal(out.summary.records, 200);
  assert.equal(out.summary.agreement, 200);
  assert.deepEqual(out.summary.disagreements, []);
  assert.deepEqual(out.summary.passHatK, out.summary.recordedPassHatK);
  assert.equal(out.summary.toolOutputMismatches, 122);
  assert.equal(out.agent, 'imported:gpt-4o');
  assert.match(out.runId, /^run-/);

  const shown = cli(['show', out.runId, '--json', '--limit', '200', '--db', db]);
  assert.equal(shown.status, 0, shown.stderr);
  const summary = JSON.parse(shown.stdout);
  assert.equal(summary.domain, 'tau-bench/airline');
  assert.equal(summary.episodes, 200);
  assert.equal(summary.status, 'finished');
  assert.equal(summary.agents['imported:gpt-4o'].meanReward, 0.42);
  const failed = summary.failedEpisodes.find((e: { taskId: string; trial: number }) => e.taskId === '46' && e.trial === 3);
  const episode = cli(['show', out.runId, '--episode', failed.id, '--db', db]);
  assert.equal(episode.status, 0, episode.stderr);
  assert.match(episode.stdout, /termination=max_steps/);
  assert.match(episode.stdout, /→ get_user_details/);
  assert.match(episode.stdout, /τ-bench gives 0 to an episode that did not end/);
});

test('`groundwork grade` text mode prints a table and the summary', () => {
  const { status, stdout, stderr } = cli(['grade', '--format', 'tau-bench', '--domain', 'airline', HISTORICAL]);
  assert.equal(status, 0, stderr);
  assert.match(stdout, /task\s+trial\s+recorded\s+ours\s+agree/);
  assert.match(stdout, /Agreement: 200\/200/);
  assert.match(stdout, /ours\s+0\.420\s+0\.273\s+0\.220\s+0\.200/);
  assert.match(stdout, /get_user_details 120/);
});

test('bad results files: one error line, non-zero exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tau-bad-'));
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, 'nope\nnot json\n');
  const wrongShape = join(dir, 'shape.json');
  writeFileSync(wrongShape, JSON.stringify([{ task_id: 1, reward: 1, traj: [{ role: 'robot' }] }]));
  for (const [args, pattern] of [
    [[notJson], /is not valid JSON/],
    [[wrongShape], /not a τ-bench results file: .* at 0\.traj\.0\.role/],
    [[join(dir, 'missing.json')], /cannot read/],
  ] as const) {
    const { status, stdout, stderr } = cli(['grade', '--format', 'tau-bench', '--domain', 'tau-bench/airline', ...args, '--json']);
    assert.equal(status, 2, stderr);
    assert.equal(stdout, '');
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^groundwork: error: /);
    assert.match(lines[0], pattern);
  }
});
