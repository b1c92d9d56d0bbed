import path from 'node:path';
import type { Command } from 'commander';
import { createDomain } from '../../domains/registry.ts';
import { GroundworkError } from '../../errors.ts';
import { importTauResultsAsRun } from '../../importers/store-import.ts';
import { readTauResultsFile, regradeTauResults, type ImportedEpisode, type TauRegradeResult } from '../../importers/tau-bench-results.ts';
import { num, table } from '../format.ts';
import { openStore, printJson } from '../context.ts';

/** Domains whose results `--format tau-bench` can re-grade (short names accepted too). */
const TAU_DOMAINS: Record<string, string> = {
  'tau-bench/airline': 'tau-bench/airline',
  'tau-bench/retail': 'tau-bench/retail',
  airline: 'tau-bench/airline',
  retail: 'tau-bench/retail',
};

interface GradeOptions {
  format: string;
  domain: string;
  data?: string;
  tasksFile?: string;
  agentName?: string;
  store?: boolean;
  db?: string;
  json?: boolean;
}

/** `imported:NAME` from `--agent-name`, else from the file name (`historical_gpt-4o.json` → `imported:gpt-4o`). */
export function importedAgentName(file: string, agentName?: string): string {
  const name = agentName ?? path.basename(file).replace(/\.json$/i, '').replace(/^historical[_-]/, '');
  if (!name.trim()) throw new GroundworkError('INVALID_ARGUMENT', '--agent-name must not be empty');
  return name.startsWith('imported:') ? name : `imported:${name}`;
}

/** Per-record line of the JSON output. */
function recordLine(episode: ImportedEpisode) {
  return {
    task_id: Number(episode.taskId),
    trial: episode.trial,
    recordedReward: episode.recordedReward,
    reward: episode.reward,
    termination: episode.trajectory.termination.reason,
    toolOutputMismatches: episode.toolOutputMismatches.length,
    ...(episode.taskDiffersFromDomain ? { taskDiffersFromDomain: true } : {}),
  };
}

/** Mismatching tool outputs counted by tool name. */
function mismatchesByTool(result: TauRegradeResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const episode of result.episodes) for (const m of episode.toolOutputMismatches) out[m.tool] = (out[m.tool] ?? 0) + 1;
  return out;
}

/**
 * `groundwork grade --format tau-bench`: re-grades recorded τ-bench trajectories. Every tool call is
 * replayed through our tools on a fresh state, graded with τ-bench's rule, and compared with the
 * recorded reward; `--store` keeps the episodes as a run that `show` and later audits read.
 */
export function registerGradeCommand(program: Command): void {
  program
    .command('grade')
    .description('re-grade recorded trajectories (τ-bench results files) against our environment; optionally store them as a run')
    .argument('<file>', 'results file (τ-bench: a JSON list of {task_id, trial, reward, info, traj})')
    .requiredOption('--format <format>', 'format of the file: tau-bench')
    .requiredOption('--domain <name>', 'domain the results were recorded on: tau-bench/airline | tau-bench/retail')
    .option('--data <dir>', 'benchmark data folder (default $GROUNDWORK_BENCHMARKS_DIR or ../shared/benchmarks)')
    .option('--tasks-file <file>', "task file to use for records without info.task (default: the domain's test split)")
    .option('--agent-name <name>', 'agent name for the imported episodes (default: from the file name), stored as imported:NAME')
    .option('--store', 'store the re-graded episodes as a run (prints its id)')
    .option('--db <path>', 'SQLite database for --store (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (file: string, options: GradeOptions) => {
      if (options.format !== 'tau-bench') {
        throw new GroundworkError('INVALID_ARGUMENT', `unknown results format ${JSON.stringify(options.format)}`, { hint: 'supported: --format tau-bench' });
      }
      const domainName = TAU_DOMAINS[options.domain];
      if (!domainName) throw new GroundworkError('UNKNOWN_DOMAIN', `τ-bench results cannot be graded on ${JSON.stringify(options.domain)}`, { hint: 'use --domain tau-bench/airline or tau-bench/retail' });
      if (options.db && !options.store) throw new GroundworkError('INVALID_ARGUMENT', '--db is only used with --store', { hint: 'add --store to keep the episodes as a run' });
      const domainOptions = {
        ...(options.data ? { dataDir: path.resolve(options.data) } : {}),
        ...(options.tasksFile ? { tasksFile: path.resolve(options.tasksFile) } : {}),
      };
      const agent = importedAgentName(file, options.agentName);
      const records = readTauResultsFile(file);
      const domain = createDomain(domainName, domainOptions);

      let result: TauRegradeResult;
      let stored: { runId: string; missing: number } | undefined;
      if (options.store) {
        const store = openStore(options.db);
        try {
          const imported = await importTauResultsAsRun(records, { store, domain, domainOptions, agent });
          result = imported;
          stored = { runId: imported.runId, missing: imported.missing };
        } finally {
          await store.close();
        }
      } else {
        result = regradeTauResults(records, { domain, agent });
      }

      const summary = { ...result.summary, toolOutputMismatchesByTool: mismatchesByTool(result) };
      if (options.json) {
        printJson({
          format: 'tau-bench',
          domain: domainName,
          file: path.resolve(file),
          agent,
          records: result.episodes.map(recordLine),
          summary,
          ...(stored ? { runId: stored.runId, missingEpisodes: stored.missing } : {}),
        });
        return;
      }
      process.stdout.write(`${formatGradeText(result, summary.toolOutputMismatchesByTool, domainName, file)}\n`);
      if (stored) {
        process.stdout.write(`\nStored as run ${stored.runId}${stored.missing ? ` (${stored.missing} planned task × trial slot(s) have no record)` : ''}. Details: groundwork show ${stored.runId}\n`);
      }
    });
}

/** Text report: one row per record, then the summary. */
export function formatGradeText(result: TauRegradeResult, byTool: Record<string, number>, domainName: string, file: string): string {
  const { summary } = result;
  const rows = result.episodes.map((e) => [e.taskId, String(e.trial), String(e.recordedReward), String(e.reward), e.reward === e.recordedReward ? 'yes' : 'NO', e.trajectory.termination.reason, String(e.toolOutputMismatches.length)]);
  const ks = Object.keys(summary.passHatK);
  const lines = [
    `Re-graded ${summary.records} τ-bench record(s) of ${path.basename(file)} on ${domainName}`,
    '',
    table(['task', 'trial', 'recorded', 'ours', 'agree', 'termination', 'tool-output diffs'], rows),
    '',
    `Agreement: ${summary.agreement}/${summary.records}${summary.disagreements.length ? `  (differ: ${summary.disagreements.map((d) => `${d.taskId}/${d.trial}`).join(', ')})` : ''}`,
    '',
    table(['', ...ks.map((k) => `pass^${k}`)], [
      ['ours', ...ks.map((k) => num(summary.passHatK[k]))],
      ['recorded', ...ks.map((k) => num(summary.recordedPassHatK[k]))],
    ]),
    '',
    `Tool outputs differing from the recorded ones: ${summary.toolOutputMismatches}${summary.toolOutputMismatches ? ` (${Object.entries(byTool).map(([tool, n]) => `${tool} ${n}`).join(', ')})` : ''}`,
  ];
  if (summary.tasksDifferingFromDomain > 0) lines.push(`Records whose info.task differs from the domain's task (graded with the record's): ${summary.tasksDifferingFromDomain}`);
  return lines.join('\n');
}
