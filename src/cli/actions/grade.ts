import path from 'node:path';
import { createDomain } from '../../domains/registry.ts';
import { GroundworkError } from '../../errors.ts';
import { importTauResultsAsRun } from '../../importers/store-import.ts';
import { readTauResultsFile, regradeTauResults, type ImportedEpisode, type TauRegradeResult } from '../../importers/tau-bench-results.ts';
import { num, table } from '../format.ts';
import { openStore, printJson, resolveDbPath, taskFileOption, warnDeprecated } from '../context.ts';
import { openRunLog } from '../run-log.ts';

/** Domains whose results `--format tau-bench` can re-grade, by their registry names. */
const TAU_DOMAINS: ReadonlySet<string> = new Set(['tau-bench/airline', 'tau-bench/retail']);
/** Short names accepted before: still work, with a deprecation note. */
const DEPRECATED_TAU_DOMAINS: ReadonlyMap<string, string> = new Map([
  ['airline', 'tau-bench/airline'],
  ['retail', 'tau-bench/retail'],
]);

export interface GradeOptions {
  format: string;
  domain: string;
  data?: string;
  taskFile?: string;
  /** Deprecated spelling of --task-file. */
  tasksFile?: string;
  agentName?: string;
  store?: boolean;
  db?: string;
  json?: boolean;
}

/** `imported:NAME` from `--agent-name`, else from the file name (`historical_gpt-4o.json` → `imported:gpt-4o`). */
export function importedAgentName(file: string, agentName?: string): string {
  const name =
    agentName ??
    path
      .basename(file)
      .replace(/\.json$/i, '')
      .replace(/^historical[_-]/, '');
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
export async function gradeAction(file: string, options: GradeOptions): Promise<void> {
  if (options.format !== 'tau-bench') {
    throw new GroundworkError('INVALID_ARGUMENT', `unknown results format ${JSON.stringify(options.format)}`, {
      hint: 'supported: --format tau-bench',
    });
  }
  let domainName = TAU_DOMAINS.has(options.domain) ? options.domain : undefined;
  if (!domainName && DEPRECATED_TAU_DOMAINS.has(options.domain)) {
    domainName = DEPRECATED_TAU_DOMAINS.get(options.domain)!;
    warnDeprecated(`--domain ${options.domain}`, `--domain ${domainName}`);
  }
  if (!domainName)
    throw new GroundworkError('UNKNOWN_DOMAIN', `τ-bench results cannot be graded on ${JSON.stringify(options.domain)}`, {
      hint: 'use --domain tau-bench/airline or tau-bench/retail',
    });
  if (options.db && !options.store)
    throw new GroundworkError('INVALID_ARGUMENT', '--db is only used with --store', { hint: 'add --store to keep the episodes as a run' });
  const taskFile = taskFileOption(options as unknown as Record<string, unknown>, { tasksFile: '--tasks-file' });
  const domainOptions = {
    ...(options.data ? { dataDir: path.resolve(options.data) } : {}),
    ...(taskFile ? { tasksFile: path.resolve(taskFile) } : {}),
  };
  const agent = importedAgentName(file, options.agentName);
  const records = readTauResultsFile(file);
  const domain = createDomain(domainName, domainOptions);

  let result: TauRegradeResult;
  let stored: { runId: string; missing: number; log: string } | undefined;
  if (options.store) {
    const store = openStore(options.db);
    try {
      const imported = await importTauResultsAsRun(records, { store, domain, domainOptions, agent });
      result = imported;
      // The imported run gets its log like any run (logs/RUN_ID.log beside the database).
      const log = openRunLog(resolveDbPath(options.db), imported.runId);
      log.logger.info(
        { import: { format: 'tau-bench', file: path.resolve(file), records: records.length }, domain: domainName, domainOptions, agent },
        'run start',
      );
      for (const e of imported.episodes) {
        log.logger.info(
          {
            taskId: e.taskId,
            trial: e.trial,
            reward: e.reward,
            recordedReward: e.recordedReward,
            termination: e.trajectory.termination.reason,
            toolOutputMismatches: e.toolOutputMismatches.length,
          },
          'episode stored',
        );
      }
      log.logger.info({ status: 'finished', missing: imported.missing, summary: imported.summary }, 'run end');
      log.logger.flush();
      stored = { runId: imported.runId, missing: imported.missing, log: log.path };
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
      ...(stored ? { runId: stored.runId, missingEpisodes: stored.missing, log: stored.log } : {}),
    });
    return;
  }
  process.stdout.write(`${formatGradeText(result, summary.toolOutputMismatchesByTool, domainName, file)}\n`);
  if (stored) {
    process.stdout.write(
      `\nStored as run ${stored.runId}${stored.missing ? ` (${stored.missing} planned task × trial slot(s) have no record)` : ''}. Details: groundwork show ${stored.runId}\nLog: ${stored.log}\n`,
    );
  }
}

/** Text report: one row per record, then the summary. */
export function formatGradeText(result: TauRegradeResult, byTool: Record<string, number>, domainName: string, file: string): string {
  const { summary } = result;
  const rows = result.episodes.map((e) => [
    e.taskId,
    String(e.trial),
    String(e.recordedReward),
    String(e.reward),
    e.reward === e.recordedReward ? 'yes' : 'NO',
    e.trajectory.termination.reason,
    String(e.toolOutputMismatches.length),
  ]);
  const ks = Object.keys(summary.passHatK);
  const lines = [
    `Re-graded ${summary.records} τ-bench record(s) of ${path.basename(file)} on ${domainName}`,
    '',
    table(['task', 'trial', 'recorded', 'ours', 'agree', 'termination', 'tool-output diffs'], rows),
    '',
    `Agreement: ${summary.agreement}/${summary.records}${summary.disagreements.length ? `  (differ: ${summary.disagreements.map((d) => `${d.taskId}/${d.trial}`).join(', ')})` : ''}`,
    '',
    table(
      ['', ...ks.map((k) => `pass^${k}`)],
      [
        ['ours', ...ks.map((k) => num(summary.passHatK[k]))],
        ['recorded', ...ks.map((k) => num(summary.recordedPassHatK[k]))],
      ],
    ),
    '',
    `Tool outputs differing from the recorded ones: ${summary.toolOutputMismatches}${
      summary.toolOutputMismatches
        ? ` (${Object.entries(byTool)
            .map(([tool, n]) => `${tool} ${n}`)
            .join(', ')})`
        : ''
    }`,
  ];
  if (summary.tasksDifferingFromDomain > 0)
    lines.push(`Records whose info.task differs from the domain's task (graded with the record's): ${summary.tasksDifferingFromDomain}`);
  return lines.join('\n');
}
