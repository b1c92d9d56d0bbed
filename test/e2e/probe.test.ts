import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';

// `groundwork probe` / `run --probes` / `probes list` / `tasks lint --probes` end to end with the
// built-in probe test agents, whose verdicts are known (src/agents/probe-agents.ts).

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'gw-probe-')), 'groundwork.db');

/** Runs the CLI without blocking, so the tests below run at once. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

async function json(args: string[]) {
  const result = await cli(args);
  assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Rows of a database query (read-only). */
function query<T>(db: string, sql: string, ...params: unknown[]): T[] {
  const reader = new Database(db, { readonly: true });
  try {
    return reader.prepare(sql).all(...params) as T[];
  } finally {
    reader.close();
  }
}

/** The stored probe audit field of every episode of a run, by agent and task id. */
function probeFields(db: string, runId: string): Map<string, Record<string, unknown>> {
  const rows = query<{ agent: string; task_id: string; audit: string }>(
    db,
    'SELECT e.agent, e.task_id, a.audit FROM episodes e JOIN episode_audits a ON a.episode_id = e.id WHERE e.run_id = ?',
    runId,
  );
  return new Map(rows.map((r) => [`${r.agent} ${r.task_id}`, JSON.parse(r.audit).probe]));
}

const TACTICS = ['authority', 'urgency', 'emotional-appeal', 'reframing', 'flattery', 'false-approval', 'complaint-threat', 'are-you-sure'];

// Each test has its own database and processes: they run at once.
describe('probe runs from the command line', { concurrency: true }, () => {
  it('`probe --pack persuasion`: the variants of one base scenario, stored as a run, verdicts from the state', async () => {
    const db = tempDb();
    const out = await json([
      'probe',
      '--pack',
      'persuasion',
      '--agent',
      'policy-following,always-comply',
      '--tasks',
      '1',
      '--trials',
      '1',
      '--db',
      db,
      '--json',
    ]);
    // One base scenario: a probe and a control per tactic.
    assert.equal(out.tasks, 2 * TACTICS.length);
    assert.equal(out.episodes, 2 * 2 * TACTICS.length);
    assert.equal(out.status, 'finished');
    const config = JSON.parse(query<{ config: string }>(db, 'SELECT config FROM runs WHERE id = ?', out.runId)[0].config);
    assert.deepEqual(config.probes, { pack: 'persuasion' });
    const taskIds = query<{ task_id: string }>(db, 'SELECT task_id FROM run_tasks WHERE run_id = ? ORDER BY position', out.runId).map(
      (r) => r.task_id,
    );
    assert.ok(
      taskIds.every((id) => /~persuasion~(control-)?[a-z-]+$/.test(id)),
      taskIds.join(),
    );
    assert.deepEqual(new Set(taskIds.map((id) => id.split('~')[2])), new Set([...TACTICS, ...TACTICS.map((t) => `control-${t}`)]));

    // The audit ran with the run: the pack's metrics per agent.
    const comply = out.audit.agents['always-comply'].probe.persuasion;
    const policy = out.audit.agents['policy-following'].probe.persuasion;
    assert.equal(comply.overall.probes, TACTICS.length);
    assert.equal(comply.overall.capitulations, TACTICS.length);
    assert.equal(comply.overall.capitulationRate, 1);
    assert.ok(comply.overall.meanCapitulationTurn >= 1);
    assert.equal(policy.overall.capitulations, 0);
    assert.equal(policy.overall.capitulationRate, 0);
    for (const agent of [comply, policy]) {
      assert.equal(agent.overall.controls, TACTICS.length);
      assert.equal(agent.overall.falseResistances, 0);
      assert.deepEqual(Object.keys(agent.byTactic).sort(), [...TACTICS].sort());
    }

    // Per episode: always-comply's probes capitulated under pressure, with the change placed on a tool result.
    const fields = probeFields(db, out.runId);
    const rows = query<{ agent: string; task_id: string; trajectory: string }>(
      db,
      'SELECT agent, task_id, trajectory FROM episodes WHERE run_id = ?',
      out.runId,
    );
    for (const row of rows) {
      const probe = fields.get(`${row.agent} ${row.task_id}`)!;
      assert.ok(probe, `${row.agent} ${row.task_id} has a probe field`);
      const isProbe = probe.role === 'probe';
      assert.equal(probe.capitulated, row.agent === 'always-comply' && isProbe, `${row.agent} ${row.task_id}`);
      if (probe.capitulated) {
        assert.ok((probe.capitulationTurn as number) >= 1);
        const events = JSON.parse(row.trajectory).events;
        assert.equal(events[probe.changedAtEvent as number]?.type, 'tool_result', `${row.task_id} changedAtEvent ${probe.changedAtEvent}`);
      } else if (isProbe) assert.equal(probe.changedAtEvent, null);
    }

    // Text form: the summary and the probe audit's tables, nothing else of the audit.
    const text = await cli(['probe', '--pack', 'persuasion', '--agent', 'always-comply', '--tasks', '1', '--trials', '1', '--db', db]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^Run run-\S+ +helpdesk\/test +16 tasks × 1 agents × 1 trials/m);
    for (const tactic of TACTICS) assert.match(text.stdout, new RegExp(`^\\S*\\s*${tactic}\\b`, 'm'), tactic);
    assert.doesNotMatch(text.stdout, /Calibration|Simulator fidelity/i);
  });

  it('`run --probes NAME` is `probe --pack NAME`; variant ids select tasks; the report and regrade rebuild the same domain', async () => {
    const db = tempDb();
    const probe = await json([
      'probe',
      '--pack',
      'persuasion',
      '--agent',
      'always-comply',
      '--tasks',
      '1',
      '--trials',
      '1',
      '--db',
      db,
      '--json',
    ]);
    const run = await json([
      'run',
      '--probes',
      'persuasion',
      '--agent',
      'always-comply',
      '--tasks',
      '1',
      '--trials',
      '1',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(run.tasks, probe.tasks);
    assert.deepEqual(run.audit.agents['always-comply'].probe, probe.audit.agents['always-comply'].probe);
    const ids = query<{ task_id: string }>(db, 'SELECT task_id FROM run_tasks WHERE run_id = ? ORDER BY position', run.runId).map(
      (r) => r.task_id,
    );
    const picked = [ids[0], ids.find((id) => id.endsWith('~control-urgency'))!];
    const some = await json([
      'run',
      '--probes',
      'persuasion',
      '--agent',
      'always-comply',
      '--tasks',
      picked.join(','),
      '--trials',
      '1',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(some.tasks, 2);
    const unknown = await cli(['run', '--probes', 'persuasion', '--agent', 'oracle', '--tasks', 'hd-test-001', '--db', db]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr.trim(), /^groundwork: error: no persuasion variant "hd-test-001" in helpdesk\/test .*~persuasion~/);

    // Honeypot: the stored config carries the pack's domain options, so the report rebuilds the honeypot domain.
    const honeypot = await json([
      'probe',
      '--pack',
      'honeypot',
      '--agent',
      'honeypot-toucher',
      '--tasks',
      '2',
      '--trials',
      '1',
      '--db',
      db,
      '--json',
    ]);
    const config = JSON.parse(query<{ config: string }>(db, 'SELECT config FROM runs WHERE id = ?', honeypot.runId)[0].config);
    assert.equal(config.domainOptions.honeypots, true);
    const touches = honeypot.audit.agents['honeypot-toucher'].probe.honeypot.byVariant;
    assert.equal(touches.monitored.rate, 0);
    for (const variant of ['unmonitored', 'monitored-memory', 'unmonitored-memory']) assert.equal(touches[variant].rate, 1, variant);
    assert.equal(honeypot.agents['honeypot-toucher'].infraErrors, 0);
    const html = join(mkdtempSync(join(tmpdir(), 'gw-probe-report-')), 'r.html');
    const report = await cli(['report', honeypot.runId, '-o', html, '--db', db]);
    assert.equal(report.status, 0, report.stderr);
    // The report's probes section comes from the probe audit's display: its touch table, one row per variant.
    const section = readFileSync(html, 'utf8').split('data-audit="probe"')[1]?.split('data-audit=')[0] ?? '';
    for (const variant of ['monitored', 'unmonitored', 'monitored-memory', 'unmonitored-memory'])
      assert.match(section, new RegExp(`<td>${variant}</td>`), variant);
    const regrade = await cli(['regrade', honeypot.runId, '--db', db, '--json']);
    assert.equal(regrade.status, 0, regrade.stderr);
  });

  it('`probes list`: packs, variants, and per domain whether it supports them and how many tasks they make', async () => {
    const out = await json(['probes', 'list', '--json']);
    assert.deepEqual(
      out.packs.map((p: { name: string }) => p.name),
      ['persuasion', 'emotion', 'persona', 'honeypot', 'missing-info'],
    );
    const persuasion = out.packs.find((p: { name: string }) => p.name === 'persuasion');
    assert.deepEqual(persuasion.variants, [...TACTICS, ...TACTICS.map((t) => `control-${t}`)]);
    assert.deepEqual(
      out.domains.map((d: { domain: string }) => d.domain),
      ['helpdesk', 'tau-bench/retail', 'tau-bench/airline'],
    );
    for (const domain of out.domains) {
      assert.ok(!('error' in domain), `${domain.domain}: ${domain.error}`);
      for (const pack of domain.packs) {
        assert.equal(pack.supported, true, `${domain.domain} ${pack.name}: ${pack.unsupported}`);
        assert.ok(pack.tasks >= pack.baseScenarios && pack.baseScenarios > 0, `${domain.domain} ${pack.name}`);
      }
      const counts = Object.fromEntries(domain.packs.map((p: { name: string; tasks: number; baseScenarios: number }) => [p.name, p]));
      assert.equal(counts.persuasion.tasks, counts.persuasion.baseScenarios * 2 * TACTICS.length);
      assert.equal(counts.honeypot.tasks, counts.honeypot.baseScenarios * 4);
    }
    // The counts are what a probe run plans.
    const helpdesk = out.domains[0].packs.find((p: { name: string }) => p.name === 'emotion');
    const db = tempDb();
    const run = await json(['probe', '--pack', 'emotion', '--agent', 'oracle', '--trials', '1', '--db', db, '--json']);
    assert.equal(run.tasks, helpdesk.tasks);

    // Without the benchmark data the τ-bench rows say so; the command still succeeds.
    const missing = await cli(['probes', 'list', '--data', join(tmpdir(), 'gw-no-such-data')]);
    assert.equal(missing.status, 0, missing.stderr);
    assert.match(missing.stdout, /tau-bench\/retail .*data not found/);
    assert.match(missing.stdout, /helpdesk +test +persuasion +yes/);
  });

  it('`tasks lint --probes`: every variant of a base scenario is lint-clean', async () => {
    for (const pack of ['persuasion', 'missing-info']) {
      const out = await json(['tasks', 'lint', '--probes', pack, '--tasks', '2', '--json']);
      assert.ok(out.tasks > 2, `${pack}: ${out.tasks} variants`);
      assert.deepEqual(out.problems, [], pack);
    }
  });

  it('an interrupted probe run resumes to exactly its plan', async () => {
    const db = tempDb();
    const args = [
      'probe',
      '--pack',
      'persuasion',
      '--agent',
      'always-comply',
      '--tasks',
      '6',
      '--trials',
      '4',
      '--concurrency',
      '1',
      '--db',
      db,
    ];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/progress: [1-9]\d*\//.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    assert.equal(code, 130, stderr);
    assert.match(stdout, /\[interrupted\]/);
    const [stored] = (await json(['runs', '--json', '--db', db])).runs;
    assert.equal(stored.status, 'interrupted');
    const planned = 6 * 2 * TACTICS.length * 4;
    assert.equal(stored.planned, planned);
    assert.ok(stored.episodes > 0 && stored.episodes < planned, `${stored.episodes} of ${planned}`);

    // Plan options are refused on resume; the stored plan (its variants) is used.
    const conflicting = await cli(['probe', '--resume', stored.runId, '--pack', 'emotion', '--db', db]);
    assert.equal(conflicting.status, 2);
    assert.match(conflicting.stderr, /drop --pack/);
    const resumed = await json(['probe', '--resume', stored.runId, '--db', db, '--json']);
    assert.equal(resumed.status, 'finished');
    assert.equal(resumed.skipped, stored.episodes);
    assert.equal(resumed.ran + resumed.skipped, planned);
    const [distinct] = query<{ n: number }>(
      db,
      'SELECT count(*) AS n FROM (SELECT DISTINCT agent, task_id, trial FROM episodes WHERE run_id = ?)',
      stored.runId,
    );
    assert.equal(distinct.n, planned);
    assert.equal(resumed.audit.agents['always-comply'].probe.persuasion.overall.capitulationRate, 1);
  });

  it('bad input: one error line, non-zero exit, nothing stored', async () => {
    const db = tempDb();
    const cases: [string[], RegExp][] = [
      [
        ['probe', '--pack', 'nope', '--agent', 'oracle', '--db', db],
        /unknown probe pack "nope" \(packs: persuasion, emotion, persona, honeypot, missing-info\)/,
      ],
      [['run', '--probes', 'nope', '--agent', 'oracle', '--db', db], /unknown probe pack "nope"/],
      [['probe', '--agent', 'oracle', '--db', db], /probe needs --pack NAME/],
      [['probe', '--pack', 'persuasion', '--agent', 'gpt-9000', '--db', db], /unknown agent "gpt-9000"/],
      [['probes', 'list', '--domain', 'nowhere'], /unknown domain "nowhere"/],
      [['tasks', 'lint', '--probes', 'nope'], /unknown probe pack "nope"/],
    ];
    for (const [args, message] of cases) {
      const { status, stderr, stdout } = await cli(args);
      assert.notEqual(status, 0, args.join(' '));
      assert.equal(stdout, '', args.join(' '));
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${stderr}`);
      assert.match(lines[0], /^groundwork: error: /);
      assert.match(lines[0], message);
    }
    assert.equal((await cli(['runs', '--db', db])).status, 2, 'no database was created');
  });
});
