import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { isBuiltInAgent } from '../../agents/registry.ts';
import { auditStoredRun } from '../../audit-runner/audit-stored-run.ts';
import { describeError, GroundworkError } from '../../errors.ts';
import type { RunAudit } from '../../schema/audit.ts';
import { infraReason, summariseRun } from '../../report/run-summary.ts';
import { createPlannedRun, executeRun, leaseTiming, planRun, runBusyError, type RunPlan } from '../../runner/local-runner.ts';
import type { ParticipantFactory } from '../../runner/build.ts';
import type { ModelsConfig } from '../../models/model-config.ts';
import type { RunConfigInput } from '../../schema/run-config.ts';
import { PROBE_PACK_NAMES } from '../../schema/probe.ts';
import { loadRunFile, type RunFile } from '../../runner/run-file.ts';
import { createProgressReporter } from '../progress.ts';
import { checkProbePack, openStore, parseTaskSelection, printJson, resolveDbPath } from '../context.ts';
import { modelParticipants } from '../participants.ts';
import { openRunLog } from '../run-log.ts';
import { formatRunSummary } from '../summary-text.ts';
import { formatRunAudit } from './audit.ts';
import { requireRun } from '../../store/store.ts';

/** The probe audit's name (src/audits/probe-audit.ts): the audit section a probe run prints. */
const PROBE_AUDIT = 'probe';

/** Default agents when neither flags nor a run file name any. */
const DEFAULT_AGENTS = ['oracle', 'naive', 'noop'];

/** Options that define a run's plan: not allowed with --resume, which reuses the stored plan. */
const PLAN_OPTIONS = [
  'domain',
  'split',
  'tasks',
  'agent',
  'user',
  'trials',
  'seed',
  'domainSeed',
  'data',
  'taskFile',
  'domainVariant',
  'maxSteps',
  'config',
  'outcomeReport',
  'steerUser',
  'maxEpisodes',
  'probes',
  'pack',
];

export interface RunOptions {
  /** Probe pack whose variants are the run's tasks (`run --probes`, `probe --pack`). */
  probes?: string;
  domain?: string;
  split?: string;
  tasks?: string;
  agent?: string[];
  user?: string;
  trials?: number;
  concurrency?: number;
  seed?: number;
  domainSeed?: number;
  data?: string;
  taskFile?: string;
  domainVariant?: string;
  maxSteps?: number;
  /** Most episodes the new run may plan (default MAX_PLANNED_EPISODES). */
  maxEpisodes?: number;
  config?: string;
  record?: string;
  replay?: string;
  db?: string;
  resume?: string;
  retryErrors?: boolean;
  outcomeReport?: boolean;
  steerUser?: boolean;
  json?: boolean;
}

/** Run file(s) first, flags over them. */
function configFrom(file: RunFile, options: RunOptions): RunConfigInput {
  const tasks =
    options.tasks !== undefined
      ? parseTaskSelection(options.tasks)
      : typeof file.tasks === 'number'
        ? { count: file.tasks }
        : file.tasks
          ? { ids: file.tasks }
          : {};
  const domainSeed = options.domainSeed ?? file.domainSeed;
  const data = options.data ?? file.data;
  const taskFile = options.taskFile ?? file.taskFile;
  const domainVariant = options.domainVariant ?? file.domainVariant;
  const split = options.split ?? file.split;
  const maxSteps = options.maxSteps ?? file.maxSteps;
  const concurrency = options.concurrency ?? file.concurrency;
  const probes = options.probes ?? file.probes;
  return {
    domain: options.domain ?? file.domain ?? 'helpdesk',
    ...(probes ? { probes: { pack: checkProbePack(probes) } } : {}),
    domainOptions: {
      ...(domainSeed !== undefined ? { seed: domainSeed } : {}),
      ...(data ? { dataDir: data } : {}),
      ...(taskFile ? { tasksFile: taskFile } : {}),
      ...(domainVariant ? { variant: domainVariant } : {}),
    },
    ...(split ? { split } : {}),
    tasks,
    agents: options.agent && options.agent.length > 0 ? options.agent : (file.agents ?? DEFAULT_AGENTS),
    user: options.user ?? file.user ?? 'scripted',
    trials: options.trials ?? file.trials ?? 3,
    ...(concurrency ? { concurrency } : {}),
    seed: options.seed ?? file.seed ?? 1,
    ...(maxSteps ? { maxSteps } : {}),
    ...(file.maxInvalidToolCalls !== undefined ? { maxInvalidToolCalls: file.maxInvalidToolCalls } : {}),
    models: file.models ?? {},
    // Built-in agents report for free; model agents only when asked (the extra tool changes their prompt).
    outcomeReport:
      options.outcomeReport ??
      (options.agent && options.agent.length > 0 ? options.agent : (file.agents ?? DEFAULT_AGENTS)).every((name) => isBuiltInAgent(name)),
    steerUser: options.steerUser ?? false,
  };
}

/** `groundwork probe --pack NAME …`: `run --probes NAME …`. */
export async function probeAction(runFile: string | undefined, options: RunOptions & { pack?: string }, command: Command): Promise<void> {
  const { pack, ...rest } = options;
  if (pack === undefined && !options.resume)
    throw new GroundworkError('INVALID_ARGUMENT', `probe needs --pack NAME (packs: ${PROBE_PACK_NAMES.join(', ')})`, {
      hint: 'see groundwork probes list',
    });
  return runAction(runFile, { ...rest, ...(pack !== undefined ? { probes: checkProbePack(pack) } : {}) }, command);
}

/** A cassette folder that cannot work fails now, not as an infra error in every episode of a stored run. */
function checkCassetteDirs(options: RunOptions): void {
  const kind = (dir: string) => (existsSync(dir) ? (statSync(dir).isDirectory() ? 'dir' : 'file') : 'none');
  if (options.replay !== undefined && kind(options.replay) !== 'dir')
    throw new GroundworkError('INVALID_ARGUMENT', `--replay ${options.replay}: no such directory`, {
      hint: 'pass the folder a run wrote with --record DIR',
    });
  if (options.record !== undefined && kind(options.record) === 'file')
    throw new GroundworkError('INVALID_ARGUMENT', `--record ${options.record}: a file, not a directory`, {
      hint: 'pass a new or existing folder for the cassettes',
    });
}

/** `groundwork run [RUN_FILE]`: plan, run, grade and store episodes; print the summary. */
export async function runAction(runFile: string | undefined, options: RunOptions, command: Command): Promise<void> {
  if (options.retryErrors && !options.resume) throw new GroundworkError('INVALID_ARGUMENT', '--retry-errors needs --resume RUN_ID');
  if (options.resume) {
    const conflicting = PLAN_OPTIONS.filter((name) => command.getOptionValueSource(name) === 'cli');
    if (runFile) conflicting.unshift('runFile');
    if (conflicting.length > 0) {
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `--resume continues a stored run with its stored plan; drop ${conflicting.map((n) => (n === 'runFile' ? 'the run file' : `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)).join(', ')}`,
      );
    }
  }
  // Validate files before opening the database: bad input never touches what is stored.
  checkCassetteDirs(options);
  const fromConfig: RunFile = options.config ? loadRunFile(options.config) : {};
  const fromRunFile: RunFile = runFile ? loadRunFile(runFile) : {};
  const file: RunFile = { ...fromConfig, ...fromRunFile, models: { ...fromConfig.models, ...fromRunFile.models } };
  const dbPath = resolveDbPath(options.db);
  let log: ReturnType<typeof openRunLog> | undefined;
  const modelEvents: unknown[] = [];
  const participants = (models: ModelsConfig, steerUser: boolean): ParticipantFactory =>
    modelParticipants({
      models,
      steerUser,
      record: options.record,
      replay: options.replay,
      onEvent: (event) => (log ? log.logger.warn(event, `model ${event.type}`) : modelEvents.push(event)),
      // An external agent's stderr (redacted) goes to the run log, never into results.
      onAgentStderr: (agent, line) => log?.logger.info({ agent, line }, 'agent stderr'),
    }).factory;
  // A new run's plan (domain, split, tasks, agents, user) is checked before the database is
  // opened: input that cannot run never creates a database or touches one.
  let fresh: { factory: ParticipantFactory; plan: RunPlan } | undefined;
  if (!options.resume) {
    const factory = participants(file.models ?? {}, options.steerUser ?? false);
    const maxEpisodes = options.maxEpisodes ?? file.maxEpisodes;
    fresh = { factory, plan: planRun(configFrom(file, options), { participants: factory, ...(maxEpisodes ? { maxEpisodes } : {}) }) };
  }
  const lease = leaseTiming(); // GROUNDWORK_LEASE_MS, checked before anything is stored
  const store = await openStore(options.db);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\n${signal}: finishing the episodes in flight, then stopping (again to quit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let runId: string;
    let factory: ParticipantFactory;
    if (fresh) {
      factory = fresh.factory;
      runId = (await createPlannedRun(store, fresh.plan)).runId;
    } else {
      runId = options.resume!;
      const stored = await requireRun(store, runId);
      // Refused before its log is touched; executeRun takes the lease atomically all the same.
      if (stored.lease) throw runBusyError(runId, stored.lease);
      factory = participants(stored.config.models, stored.config.steerUser);
    }
    log = openRunLog(dbPath, runId);
    for (const event of modelEvents) log.logger.warn(event as object, 'model event');
    const run = (await store.getRun(runId))!;
    log.logger.info(
      {
        config: run.config,
        resume: Boolean(options.resume),
        retryErrors: Boolean(options.retryErrors),
        mode: options.replay ? 'replay' : options.record ? 'record' : 'live',
      },
      'run start',
    );
    if (!options.json) process.stderr.write(`run ${runId} (log: ${log.path})\n`);
    const progress = createProgressReporter();
    const logger = log.logger;
    const result = await executeRun(runId, {
      store,
      participants: factory,
      signal: controller.signal,
      retryErrors: options.retryErrors,
      lease,
      onProgress: (p) => {
        progress.update(p);
        if (p.last) logger.info(p.last, 'episode stored');
      },
    });
    progress.finish();
    logger.info(
      { status: result.status, ran: result.ran, skipped: result.skipped, retried: result.retried, durationMs: result.durationMs },
      'run end',
    );
    const summary = await summariseRun(store, (await store.getRun(runId))!);
    // The deterministic audits are cheap: run them so the summary shows confident failures at once.
    let audit: RunAudit | undefined;
    try {
      audit = await auditStoredRun(store, runId, { signal: controller.signal });
    } catch (error) {
      // Stopped by Ctrl-C/SIGTERM during the audit: the episodes are stored; the audit can be run again.
      const stopped = controller.signal.aborted;
      logger.warn({ error: describeError(error) }, stopped ? 'audit stopped by a signal' : 'audit failed');
      if (!options.json) {
        process.stderr.write(
          stopped
            ? `audit stopped; the episodes are stored (run groundwork audit ${runId} to finish it)\n`
            : `audit failed: ${describeError(error)} (run groundwork audit ${runId})\n`,
        );
      }
    }
    if (options.json) {
      printJson({
        ...summary,
        ran: result.ran,
        skipped: result.skipped,
        retried: result.retried,
        durationMs: result.durationMs,
        ...(audit ? { audit } : {}),
      });
    } else {
      // A probe run shows the probe audit's tables (the other audits: groundwork audit / show).
      const auditText = audit && formatRunAudit(audit, undefined, run.config.probes ? { only: [PROBE_AUDIT] } : {});
      process.stdout.write(
        `${formatRunSummary(summary)}\n${auditText ? `\n${auditText}\n` : ''}\n${result.ran} episode(s) run in ${(result.durationMs / 1000).toFixed(1)}s${result.skipped ? `, ${result.skipped} already stored` : ''}. Details: groundwork show ${runId}\n`,
      );
    }
    if (result.status === 'interrupted' || controller.signal.aborted) process.exitCode = 130;
    else {
      // A run where nothing ran is not a run of zeros: say why and fail (after printing the summary).
      const ungraded = Object.entries(summary.agents).filter(([, m]) => m.graded === 0);
      if (ungraded.length > 0) {
        const all = summary.graded === 0;
        const reason = await infraReason(store, runId, all ? undefined : ungraded[0][0], all ? summary.episodes : ungraded[0][1].episodes);
        throw new GroundworkError(
          'NOTHING_GRADED',
          `nothing graded${all ? '' : ` for ${ungraded.map(([name]) => name).join(', ')}`}: ${reason}`,
          { hint: `once fixed, run them again: groundwork run --resume ${runId} --retry-errors` },
        );
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log?.logger.flush();
    await store.close();
  }
}
