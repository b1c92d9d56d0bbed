import path from 'node:path';
import { createDomain } from '../../domains/registry.ts';
import { GroundworkError } from '../../errors.ts';
import { importTauResultsAsRun } from '../../importers/store-import.ts';
import { readTauResultsFile, regradeTauResults, type ImportedEpisode, type TauRegradeResult } from '../../importers/tau-bench-results.ts';
import { importTau2ResultsAsRun } from '../../importers/tau2-import-run.ts';
import {
  readTau2Results,
  regradeTau2Results,
  tau2DomainName,
  tau2ParticipantNames,
  type ImportedTau2Episode,
  type Tau2RegradeResult,
} from '../../importers/tau2-results.ts';
import { num, table } from '../format.ts';
import { openStore, printJson, resolveStoreLocation, taskFileOption, warnDeprecated } from '../context.ts';
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
  /** Required for tau-bench; τ²: from the file unless given. */
  domain?: string;
  data?: string;
  taskFile?: string;
  /** Deprecated spelling of --task-file. */
  tasksFile?: string;
  agentName?: string;
  /** true: --store; false: --no-store; absent: the format's default (tau-bench: no, tau2: yes). */
  store?: boolean;
  /** Where the run is stored (with --store): a SQLite path or a PostgreSQL URL. */
  db?: string;
  /** Where the run log goes (default: beside a SQLite store, ./.groundwork/logs for PostgreSQL). */
  logDir?: string;
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
  if (options.format === 'tau2') return gradeTau2Action(file, options);
  if (options.format !== 'tau-bench') {
    throw new GroundworkError('INVALID_ARGUMENT', `unknown results format ${JSON.stringify(options.format)}`, {
      hint: 'supported: --format tau-bench, --format tau2',
    });
  }
  if (!options.domain)
    throw new GroundworkError('INVALID_ARGUMENT', '--domain is required with --format tau-bench', {
      hint: 'use --domain tau-bench/airline or tau-bench/retail',
    });
  let domainName = TAU_DOMAINS.has(options.domain) ? options.domain : undefined;
  if (!domainName && DEPRECATED_TAU_DOMAINS.has(options.domain)) {
    domainName = DEPRECATED_TAU_DOMAINS.get(options.domain)!;
    warnDeprecated(`--domain ${options.domain}`, `--domain ${domainName}`);
  }
  if (!domainName)
    throw new GroundworkError('UNKNOWN_DOMAIN', `τ-bench results cannot be graded on ${JSON.stringify(options.domain)}`, {
      hint: 'use --domain tau-bench/airline or tau-bench/retail',
    });
  if (options.db && options.store !== true)
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
    const store = await openStore(options.db);
    try {
      const imported = await importTauResultsAsRun(records, { store, domain, domainOptions, agent });
      result = imported;
      // The imported run gets its log like any run (logs/RUN_ID.log beside the database).
      const log = openRunLog(resolveStoreLocation(options.db), imported.runId, { logDir: options.logDir });
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

/** Per-record line of the τ² JSON output. */
function tau2RecordLine(episode: ImportedTau2Episode) {
  return {
    index: episode.index,
    simulationId: episode.simulationId,
    taskId: episode.taskId,
    trial: episode.trial,
    tau2Termination: episode.tau2Termination,
    recordedReward: episode.recorded?.reward ?? null,
    reward: episode.reward,
    judgedBy: episode.judgedBy,
    comparison: episode.comparison,
    toolOutputMismatches: episode.toolOutputMismatches.length,
    ...(episode.taskDiffersFromDomain ? { taskDiffersFromDomain: true } : {}),
  };
}

/**
 * `groundwork grade --format tau2`: imports a τ² results file (single-file or directory form) as a
 * stored run. Every simulation is replayed on our domain (both sides' tool calls, initialisation
 * first), graded by τ²'s rule and compared with τ²'s recorded reward; everything is read and graded
 * before anything is stored, so bad input stores nothing.
 */
async function gradeTau2Action(file: string, options: GradeOptions): Promise<void> {
  if (options.taskFile || options.tasksFile)
    throw new GroundworkError('INVALID_ARGUMENT', '--task-file is for --format tau-bench', {
      hint: 'τ² results carry their tasks; the domain gives the rest',
    });
  const store = options.store !== false;
  if (options.db && !store) throw new GroundworkError('INVALID_ARGUMENT', '--db is not used with --no-store');
  const results = readTau2Results(file);
  const domainName = tau2DomainName(results, options.domain);
  // banking_knowledge: the retrieval configuration τ² ran with is the domain's variant.
  const variant = domainName === 'tau2-bench/banking_knowledge' ? (results.info.retrieval_config ?? undefined) : undefined;
  const domainOptions = { ...(options.data ? { dataDir: path.resolve(options.data) } : {}), ...(variant ? { variant } : {}) };
  const domain = createDomain(domainName, domainOptions);
  const { agent, user } = tau2ParticipantNames(results, options.agentName);

  let result: Tau2RegradeResult;
  let stored: { runId: string; missing: number; log: string } | undefined;
  if (store) {
    const opened = await openStore(options.db);
    try {
      const imported = await importTau2ResultsAsRun(results, { store: opened, domain, domainOptions, agent, user });
      result = imported;
      const log = openRunLog(resolveStoreLocation(options.db), imported.runId, { logDir: options.logDir });
      log.logger.info(
        {
          import: { format: 'tau2', file: path.resolve(file), form: results.form, simulations: results.simulations.length },
          domain: domainName,
          agent,
          user,
        },
        'run start',
      );
      for (const e of imported.episodes)
        log.logger.info({ ...tau2RecordLine(e), termination: e.trajectory.termination.reason }, 'episode stored');
      log.logger.info({ status: 'finished', missing: imported.missing, summary: imported.summary }, 'run end');
      log.logger.flush();
      stored = { runId: imported.runId, missing: imported.missing, log: log.path };
    } finally {
      await opened.close();
    }
  } else {
    result = regradeTau2Results(results, { domain, agent, user });
  }

  if (options.json) {
    printJson({
      format: 'tau2',
      domain: domainName,
      file: path.resolve(file),
      form: results.form,
      agent,
      user,
      records: result.episodes.map(tau2RecordLine),
      summary: result.summary,
      ...(stored ? { runId: stored.runId, missingEpisodes: stored.missing, log: stored.log } : {}),
    });
    return;
  }
  process.stdout.write(`${formatTau2GradeText(result, domainName, file)}\n`);
  if (stored) {
    process.stdout.write(
      `\nStored as run ${stored.runId}${stored.missing ? ` (${stored.missing} planned task × trial slot(s) have no simulation)` : ''}. Details: groundwork show ${stored.runId}, groundwork report ${stored.runId}\nLog: ${stored.log}\n`,
    );
  }
}

const JUDGED: Record<ImportedTau2Episode['judgedBy'], string> = { 'none-needed': '', 'tau2-recorded': 'by τ²', pending: 'PENDING' };

/** Text report of a τ² import: one row per simulation, then agreement (records needing no judge first). */
export function formatTau2GradeText(result: Tau2RegradeResult, domainName: string, file: string): string {
  const { summary } = result;
  const reward = (r: number | null | undefined) => (r === null || r === undefined ? '-' : String(r));
  const rows = result.episodes.map((e) => [
    String(e.index),
    e.taskId,
    String(e.trial),
    e.tau2Termination,
    reward(e.recorded?.reward),
    reward(e.reward),
    e.comparison.reward === null ? '-' : e.comparison.reward ? 'yes' : 'NO',
    JUDGED[e.judgedBy],
    String(e.toolOutputMismatches.length),
  ]);
  const ks = Object.keys(summary.recordedPassHatK);
  const components = Object.entries(summary.componentDisagreements).filter(([, n]) => n > 0);
  const lines = [
    `Re-graded ${summary.records} τ² simulation(s) of ${path.basename(file)} on ${domainName} (τ²'s reward rule)`,
    '',
    table(['#', 'task', 'trial', 'τ² termination', 'τ² reward', 'ours', 'agree', 'NL judged', 'tool-output diffs'], rows),
    '',
    `Agreement on records whose reward needs no judge: ${summary.agreement}/${summary.noJudgeNeeded}`,
    `Judged by τ² (its recorded NL-assertion verdicts used, not judged here): ${summary.judgedByTau2} (agree ${summary.judgedByTau2Agreement}/${summary.judgedByTau2})`,
    `Pending (reward needs a judge, none recorded; never counted as passed): ${summary.pending}`,
  ];
  if (summary.unrecorded) lines.push(`Without a recorded reward (τ² did not evaluate them): ${summary.unrecorded}`);
  if (summary.disagreements.length)
    lines.push(
      `Differ: ${summary.disagreements.map((d) => `#${d.index} task ${d.taskId}/${d.trial} (τ² ${d.recorded}, ours ${reward(d.ours)})`).join(', ')}`,
    );
  if (components.length) lines.push(`Components differing from τ²'s: ${components.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (ks.length)
    lines.push(
      '',
      table(
        ['', ...ks.map((k) => `pass^${k}`)],
        [
          ['ours', ...ks.map((k) => num(summary.passHatK[k]))],
          ['τ² recorded', ...ks.map((k) => num(summary.recordedPassHatK[k]))],
        ],
      ),
    );
  lines.push('', `Tool outputs differing from the recorded ones: ${summary.toolOutputMismatches}`);
  if (summary.tasksDifferingFromDomain > 0)
    lines.push(`Tasks whose criteria in the file differ from the domain's (graded with the file's): ${summary.tasksDifferingFromDomain}`);
  return lines.join('\n');
}
