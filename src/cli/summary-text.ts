import { TERMINATION_REASONS } from '../schema/trajectory.ts';
import type { RunSummary } from '../report/run-summary.ts';
import { ci, num, table } from './format.ts';

/** The human summary of a run: metrics per agent, per family, terminations. */
export function formatRunSummary(summary: RunSummary): string {
  const agents = Object.entries(summary.agents);
  const ks = [...new Set(agents.flatMap(([, m]) => Object.keys(m.passHatK)))].sort((a, b) => Number(a) - Number(b));
  const lines: string[] = [];
  lines.push(
    `Run ${summary.runId}  ${summary.domain}/${summary.split ?? '-'}  ${summary.tasks} tasks × ${agents.length} agents × ${summary.trials} trials  user=${summary.user}  ${summary.episodes}/${summary.planned} episodes  [${summary.statusText}]`,
  );
  lines.push('');
  lines.push(
    table(
      ['agent', 'episodes', 'reward', ...ks.map((k) => `pass^${k}`), 'pass^1 95% CI', 'flip rate', 'infra errors'],
      agents.map(([name, m]) => [
        name,
        m.episodes,
        num(m.meanReward),
        ...ks.map((k) => num(m.passHatK[k])),
        ci(m.ci95),
        num(m.flipRate, 2),
        m.infraErrors,
      ]),
    ),
  );
  // What qualifies the table: agents with nothing graded (no reward, not 0), pass^k columns over different tasks.
  for (const note of summary.notes) lines.push(`Note: ${note}`);
  const families = [...new Set(agents.flatMap(([, m]) => Object.keys(m.families)))].sort();
  if (families.length > 0) {
    lines.push('', 'Success by task family (mean reward):');
    lines.push(
      table(
        ['family', ...agents.map(([n]) => n)],
        families.map((f) => [f, ...agents.map(([, m]) => num(m.families[f]?.meanReward, 2))]),
      ),
    );
  }
  lines.push('', 'Termination reasons:');
  lines.push(
    table(
      ['agent', ...TERMINATION_REASONS],
      agents.map(([n, m]) => [n, ...TERMINATION_REASONS.map((r) => m.terminations[r])]),
    ),
  );
  const roles = Object.keys(summary.usage);
  if (roles.length > 0) {
    lines.push('', 'Model usage (calls, tokens in/out, cost, model time):');
    const rows: (string | number)[][] = [];
    for (const [name, m] of agents) {
      for (const [role, u] of Object.entries(m.usage))
        rows.push([name, role, u.calls, u.inputTokens, u.outputTokens, `$${u.costUsd.toFixed(4)}`, `${(u.latencyMs / 1000).toFixed(1)}s`]);
    }
    for (const role of roles) {
      const u = summary.usage[role];
      rows.push(['(run)', role, u.calls, u.inputTokens, u.outputTokens, `$${u.costUsd.toFixed(4)}`, `${(u.latencyMs / 1000).toFixed(1)}s`]);
    }
    lines.push(table(['agent', 'role', 'calls', 'input tokens', 'output tokens', 'cost', 'model time'], rows));
  }
  const infra = agents.reduce((a, [, m]) => a + m.infraErrors, 0);
  if (infra > 0)
    lines.push(
      '',
      `${infra} episode(s) could not run (infra_error); they are excluded from the rates above. Re-run them with: groundwork run --resume ${summary.runId} --retry-errors`,
    );
  if (summary.status !== 'finished')
    lines.push('', `The run is ${summary.status}: continue it with: groundwork run --resume ${summary.runId}`);
  return lines.join('\n');
}
