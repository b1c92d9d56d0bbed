import type { Command } from 'commander';
import { auditStoredRun } from '../../audits/audit-run.ts';
import { GroundworkError } from '../../errors.ts';
import { ModelHub } from '../../models/model-hub.ts';
import { loadRunFile } from '../../runner/run-file.ts';
import { GOAL_CATEGORIES, SIMULATOR_FAULT_KINDS, FAULT_CAUSES, type EpisodeAudit, type RunAudit } from '../../schema/audit.ts';
import { clip, num, table } from '../format.ts';
import { openStore, printJson } from '../context.ts';
import { requireRun } from '../../store/store.ts';

/** `groundwork audit RUN_ID [--judge MODEL]`: audit a stored or imported run, store and print the results. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('audit a stored run: claims vs state (confident failures), calibration, simulator fidelity (UGST), fault attribution; results are stored')
    .argument('<runId>', 'run id (see groundwork runs)')
    .option('--judge <model>', 'LLM judge (model spec or configured name) for claims in free text, τ-bench goal decomposition and LLM-user goal tracking')
    .option('--config <file>', 'YAML file with named models (same format as a run file); adds to the run\'s stored models')
    .option('--record <dir>', 'record every judge request and response in DIR (cassettes)')
    .option('--replay <dir>', 'answer every judge request from cassettes in DIR; no network')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string, options: { judge?: string; config?: string; record?: string; replay?: string; db?: string; json?: boolean }) => {
      if ((options.config || options.record || options.replay) && !options.judge) throw new GroundworkError('INVALID_ARGUMENT', '--config, --record and --replay configure the judge model', { hint: 'add --judge MODEL' });
      const configured = options.config ? (loadRunFile(options.config).models ?? {}) : {};
      const store = openStore(options.db);
      try {
        const run = await requireRun(store, runId);
        // The AI SDK prints its own warnings to the console; keep stdout a single document.
        (globalThis as Record<string, unknown>).AI_SDK_LOG_WARNINGS = false;
        const judge = options.judge ? { hub: new ModelHub({ models: { ...run.config.models, ...configured }, record: options.record, replay: options.replay }), model: options.judge } : undefined;
        if (judge) judge.hub.resolve(judge.model);
        const audit = await auditStoredRun(store, runId, { ...(judge ? { judge } : {}) });
        if (options.json) printJson(audit);
        else process.stdout.write(`${formatRunAudit(audit)}\n`);
      } finally {
        await store.close();
      }
    });
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The human form of a run audit (also the audit section of `groundwork show`). */
export function formatRunAudit(audit: RunAudit): string {
  const agents = Object.entries(audit.agents);
  const lines: string[] = [`Audit of ${audit.runId}  (${audit.episodes} episodes, ${audit.auditorVersion}${audit.judge ? `, judge ${audit.judge}` : ''})`, ''];
  lines.push('Claims vs state (confident failure: reward 0 while the agent said it was done):');
  lines.push(
    table(
      ['agent', 'claimed done', 'confident failures', 'rate', 'claims', 'verified', 'contradicted', 'unverifiable'],
      agents.map(([name, a]) => [name, a.claims.successClaimed, a.claims.confidentFailures, pct(a.claims.confidentFailureRate), a.claims.total, a.claims.verified, a.claims.contradicted, a.claims.unverifiable]),
    ),
  );
  const examples = agents.flatMap(([name, a]) => a.claims.examples.slice(0, 3).map((e) => `  ${name} ${e.episodeId} (${e.taskId}): "${clip(e.claim, 100)}" — ${clip(e.evidence, 160)}`));
  if (examples.length) lines.push('Examples:', ...examples);
  const calibrated = agents.filter(([, a]) => a.calibration);
  if (calibrated.length) {
    lines.push('', 'Calibration (outcome reports vs grounded outcome):');
    lines.push(
      table(
        ['agent', 'reports', 'mean q', 'success', 'Brier', 'ECE', 'AUROC', 'RLCR reward'],
        calibrated.map(([name, a]) => {
          const c = a.calibration!;
          return [name, c.reports, num(c.meanConfidence), num(c.successRate), num(c.brier), num(c.ece), c.auroc === null ? '-' : num(c.auroc), num(c.meanRlcrReward)];
        }),
      ),
    );
  }
  lines.push('', 'Simulator fidelity (UGST goal success by category; simulator faults):');
  lines.push(table(['agent', ...GOAL_CATEGORIES], agents.map(([name, a]) => [name, ...GOAL_CATEGORIES.map((c) => num(a.fidelity.goalSuccess[c] ?? undefined, 2))])));
  const ks = [...new Set(agents.flatMap(([, a]) => Object.keys(a.fidelity.passHatK)))].sort();
  lines.push(
    table(
      ['agent', 'faulted', ...SIMULATOR_FAULT_KINDS, ...ks.flatMap((k) => [`pass^${k}`, `pass^${k} clean`])],
      agents.map(([name, a]) => [name, `${a.fidelity.faultedEpisodes} (${pct(a.fidelity.faultRate)})`, ...SIMULATOR_FAULT_KINDS.map((k) => pct(a.fidelity.faultRateByKind[k] ?? 0)), ...ks.flatMap((k) => [num(a.fidelity.passHatK[k]), num(a.fidelity.passHatKClean[k])])]),
    ),
  );
  lines.push('', 'Failed episodes by primary cause:');
  lines.push(table(['agent', ...FAULT_CAUSES], agents.map(([name, a]) => [name, ...FAULT_CAUSES.map((c) => a.faultCauses[c] ?? 0)])));
  if (audit.taskProblems.length) {
    lines.push('', `Task problems (${audit.taskProblems.length}):`);
    lines.push(...audit.taskProblems.slice(0, 10).map((p) => `  ${p.taskId} ${p.kind}: ${clip(p.detail, 200)}`));
  }
  if (audit.notes.length) lines.push('', 'Notes:', ...audit.notes.slice(0, 10).map((n) => `  ${n}`));
  return lines.join('\n');
}

/** The audit part of `groundwork show --episode`: claims with verdicts, goal-state timeline, simulator faults, fault cause. */
export function formatEpisodeAudit(audit: EpisodeAudit): string {
  const lines: string[] = ['', `Audit (${audit.auditorVersion}):`];
  lines.push(`  success claimed: ${audit.successClaimed ? 'yes' : 'no'}${audit.confidentFailure ? '  → CONFIDENT FAILURE' : ''}`);
  if (audit.claims.length) {
    lines.push('  Claims:');
    for (const c of audit.claims) lines.push(`    ${c.verdict === 'verified' ? '✓' : c.verdict === 'contradicted' ? '✗' : '?'} [${c.verdict}] ${c.action}(${c.target.id ?? c.target.name ?? c.target.kind}) "${clip(c.text, 120)}" — ${clip(c.evidence, 200)}`);
  }
  if (audit.outcomeReport) lines.push(`  Outcome report: success=${audit.outcomeReport.success} q=${audit.outcomeReport.confidence}${audit.rlcrReward !== undefined ? `  RLCR reward ${audit.rlcrReward.toFixed(3)}` : ''}`);
  lines.push(`  Goal state (${audit.goal.source}, tracked by ${audit.goal.tracker}):`);
  for (const item of audit.goal.items) {
    const trail = audit.goal.timeline.map((s) => s.statuses[item.id]?.[0] ?? '·').join('');
    lines.push(`    ${item.category.padEnd(12)} ${(audit.goal.final[item.id] ?? '').padEnd(10)} ${trail.padEnd(8)} ${clip(item.description, 90)}`);
  }
  if (audit.simulatorFaults.length) {
    lines.push('  Simulator faults:');
    for (const f of audit.simulatorFaults) lines.push(`    ${f.kind} at user turn ${f.turn}${f.item ? ` (${f.item})` : ''}: "${clip(f.text, 100)}" — ${clip(f.evidence, 200)}`);
  } else lines.push('  Simulator faults: none');
  if (audit.fault) lines.push(`  Primary cause of failure: ${audit.fault.cause} — ${clip(audit.fault.evidence, 300)}`);
  return lines.join('\n');
}
