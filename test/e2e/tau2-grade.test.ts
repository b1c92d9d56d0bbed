import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

// `grade --format tau2` and `export --format tau2-submission` through the CLI, on results files
// written by τ²'s own runner (test/fixtures/tau2-results/README.md).

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const FIXTURES = resolve(import.meta.dirname, '../fixtures/tau2-results');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('`groundwork grade --format tau2` stores an imported run that show, report and export read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tau2-grade-'));
  const db = join(dir, 'g.db');
  const graded = cli(['grade', '--format', 'tau2', join(FIXTURES, 'retail-dir'), '--db', db, '--json']);
  assert.equal(graded.status, 0, graded.stderr);
  const out = JSON.parse(graded.stdout);
  assert.equal(out.domain, 'tau2-bench/retail');
  assert.equal(out.form, 'directory');
  assert.equal(out.summary.agreement, out.summary.noJudgeNeeded);
  assert.equal(out.summary.judgedByTau2, 2);
  assert.ok(out.records.filter((r: { judgedBy: string }) => r.judgedBy === 'tau2-recorded').length === 2);
  assert.ok(existsSync(out.log));

  const shown = cli(['show', out.runId, '--db', db]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /τ² reward \(τ²'s rule\): 0\.500 mean, 5\/10 passed/);
  assert.match(shown.stdout, /Groundwork's checks beside it/);
  assert.match(
    shown.stdout,
    /Imported τ² results: recomputed reward equals τ²'s recorded one on 8\/8 records needing no judge; 2 judged by τ²/,
  );

  const report = cli(['report', out.runId, '--db', db, '-o', join(dir, 'r.html')]);
  assert.equal(report.status, 0, report.stderr);
  assert.match(readFileSync(join(dir, 'r.html'), 'utf8'), /τ² reward 0: DB failed/);

  const file = join(dir, 'submission.json');
  const exported = cli(['export', out.runId, '--format', 'tau2-submission', '--model-organization', 'Scripted', '-o', file, '--db', db]);
  assert.equal(exported.status, 0, exported.stderr);
  const submission = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(submission.results.retail, { pass_1: 50, pass_2: 0, pass_3: null, pass_4: null, cost: 0 });
  assert.equal(cli(['export', '--schema', 'tau2-submission']).status, 0);
});

test('bad τ² input: one error line naming file, simulation and field; exit 2; nothing stored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tau2-bad-'));
  const db = join(dir, 'g.db');
  const results = JSON.parse(readFileSync(join(FIXTURES, 'mock.json'), 'utf8'));
  results.simulations[3].messages[1].tool_calls = [{ id: 'x', arguments: {} }];
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(results));
  const bad = cli(['grade', '--format', 'tau2', join(dir, 'bad.json'), '--db', db]);
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr.trimEnd().split('\n').length, 1);
  assert.match(bad.stderr, /^groundwork: error: .*bad\.json: simulation 3: field messages\.1\.tool_calls\.0\.name: /);
  assert.equal(existsSync(db), false);

  const wrongDomain = cli(['grade', '--format', 'tau2', join(FIXTURES, 'mock.json'), '--domain', 'tau2-bench/retail', '--no-store']);
  assert.equal(wrongDomain.status, 2);
  assert.match(wrongDomain.stderr, /results are of τ²'s mock \(tau2-bench\/mock\), not tau2-bench\/retail/);
});
