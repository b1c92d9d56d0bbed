import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const BENCHMARKS = process.env.GROUNDWORK_BENCHMARKS_DIR ?? resolve(import.meta.dirname, '../../../shared/benchmarks');
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'gw-audit-')), 'groundwork.db');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('the default run is audited: naive has confident failures, oracle none; audit, show and compare read the stored audit', () => {
  const db = tempDb();
  const run = cli(['run', '--json', '--db', db, '--trials', '2']);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  const { oracle, naive, noop } = out.audit.agents;
  assert.equal(oracle.claims.confidentFailures, 0);
  assert.ok(naive.claims.confidentFailures > 0);
  assert.ok(naive.claims.contradicted > 0);
  // Calibration: the built-in agents report; naive is overconfident, the oracle calibrated.
  assert.equal(oracle.calibration.brier, 0);
  assert.ok(naive.calibration.brier > 0.5, JSON.stringify(naive.calibration));
  assert.ok(noop.calibration.meanConfidence < 0.1);
  assert.equal(naive.fidelity.faultedEpisodes, 0);
  // The same scripted user meets all three agents: equal fidelity rows (n/a where the agent never asked to confirm).
  const rates = (a: any) =>
    Object.fromEntries(Object.entries(a.fidelity.goalKept as Record<string, { rate: number | null }>).map(([c, k]) => [c, k.rate]));
  assert.deepEqual(rates(oracle), { profile: 1, policy: 1, objectives: 1, requirements: 1, preferences: 1 });
  assert.deepEqual(rates(naive), { ...rates(oracle), preferences: null });
  assert.deepEqual(rates(noop), { ...rates(oracle), preferences: null });
  // The agents differ on their side: objectives completed in the state.
  const completed = [oracle, naive, noop].map((a) => a.goalOutcome.objectives.completed);
  assert.ok(completed[0] > completed[1] && completed[1] > 0 && completed[2] === 0, JSON.stringify(completed));

  // `groundwork audit` again: same numbers (pure), one JSON document.
  const audit = cli(['audit', out.runId, '--json', '--db', db]);
  assert.equal(audit.status, 0, audit.stderr);
  const again = JSON.parse(audit.stdout);
  assert.deepEqual(again.agents, out.audit.agents);

  const shown = cli(['show', out.runId, '--db', db]);
  assert.match(shown.stdout, /Claims vs state/);
  assert.match(shown.stdout, /naive\s+42\s+\d+/);
  const failed = JSON.parse(cli(['show', out.runId, '--json', '--db', db]).stdout).failedEpisodes.find(
    (e: { agent: string; family: string }) => e.agent === 'naive' && e.family === 'erase',
  );
  const episode = cli(['show', out.runId, '--episode', failed.id, '--db', db]);
  assert.match(episode.stdout, /CONFIDENT FAILURE/);
  assert.match(episode.stdout, /✗ \[contradicted\] erase_customer/);
  assert.match(episode.stdout, /Goal state \(task, tracked by rules\)/);
  assert.match(episode.stdout, /Primary cause of failure: agent/);

  // Compare with a run of another seed: paired, within noise for these deterministic agents.
  const other = JSON.parse(cli(['run', '--json', '--db', db, '--trials', '2', '--seed', '5', '--agent', 'naive']).stdout);
  const compared = cli(['compare', out.runId, other.runId, '--json', '--db', db]);
  assert.equal(compared.status, 0, compared.stderr);
  const [comparison] = JSON.parse(compared.stdout).comparisons;
  assert.equal(comparison.agentA, 'naive');
  assert.equal(comparison.pairs, 42);
  assert.equal(comparison.withinNoise, true);
  assert.match(cli(['compare', out.runId, other.runId, '--db', db]).stdout, /within noise/);
});

test('`groundwork audit` works on a run imported from τ-bench trajectories', () => {
  const db = tempDb();
  const imported = cli([
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
  ]);
  assert.equal(imported.status, 0, imported.stderr);
  const { runId } = JSON.parse(imported.stdout);
  const audit = cli(['audit', runId, '--json', '--db', db]);
  assert.equal(audit.status, 0, audit.stderr);
  const out = JSON.parse(audit.stdout);
  assert.equal(out.episodes, 200);
  const [agent] = Object.values(out.agents) as any[];
  assert.ok(agent.claims.successClaimed > 0);
  assert.ok(agent.claims.confidentFailures > 0, 'gpt-4o says it booked or changed things the state does not show');
  assert.ok(agent.claims.contradicted > 0);
  assert.equal(agent.fidelity.passHatK['1'], 0.42);
  assert.ok(agent.faultCauses.agent > 0);
  assert.equal(
    Object.values(agent.faultCauses as Record<string, number>).reduce((a, b) => a + b, 0),
    200 - 84,
  );
  assert.match(cli(['show', runId, '--db', db]).stdout, /Simulator fidelity/);
  // Recorded LLM users: every one made its request; the confirmation preference is counted only where gpt-4o asked to confirm.
  assert.equal(agent.fidelity.goalKept.objectives.rate, 1);
  assert.ok(
    agent.fidelity.goalKept.preferences.noChance > 0 && agent.fidelity.goalKept.preferences.rate > 0.8,
    JSON.stringify(agent.fidelity.goalKept),
  );
  assert.equal(
    Object.values(agent.goalOutcome.objectives as Record<string, number>).reduce((a, b) => a + b, 0),
    200,
  );
});
