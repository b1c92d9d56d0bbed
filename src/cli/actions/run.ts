import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { isBuiltInAgent } from '../../agents/registry.ts';
import { createEpisodeAuditor, type EpisodeAuditor } from '../../audit-runner/episode-auditor.ts';
import { MAX_AUDITS_IN_MEMORY, summariseStoredRun } from '../../audit-runner/summarise-stored-run.ts';
import { describeError, GroundworkError } from '../../errors.ts';
import type { RunAudit } from '../../schema/audit.ts';
import { infraReason, summariseRun } from '../../report/run-summary.ts';
import {
  createPlannedRun,
  domainFor,
  executeRun,
  leaseTiming,
  planRun,
  runBusyError,
  type EpisodeExecutor,
  type RunPlan,
} from '../../runner/local-runner.ts';
import type { ParticipantFactory } from '../../runner/build.ts';
import type { ModelsConfig } from '../../models/model-config.ts';
import { ModelHub } from '../../models/model-hub.ts';
import type { ModelEvent } from '../../models/model-session.ts';
import { SharedAdmissions } from '../../models/shared-admission.ts';
import { DEFAULT_CONCURRENCY, type RunConfig, type RunConfigInput } from '../../schema/run-config.ts';
import { PROBE_PACK_NAMES } from '../../schema/probe.ts';
import { loadRunFile, type RunFile } from '../../runner/run-file.ts';
import { createProgressReporter } from '../progress.ts';
import { checkProbePack, openStore, parseTaskSelection, printJson, resolveStoreLocation } from '../context.ts';
import { modelParticipants } from '../participants.ts';
import { openRunLog } from '../run-log.ts';
import { formatRunSummary } from '../summary-text.ts';
import { formatRunAudit } from './audit.ts';
import { episodeKey, requireRun, type RunRecord, type Store } from '../../store/store.ts';
import { planEpisodes } from '../../runner/plan.ts';
import type { Task } from '../../schema/task.ts';
import { AUTO_THREADS_MIN_CONCURRENCY, checkThreadSettings, chooseThreads } from '../threads/thread-count.ts';

/** The probe audit's name (src/audits/probe-audit.ts): the audit section a probe run prints. */
const PROBE_AUDIT = 'probe';

/** Default agents when neither flags nor a run file name any. */
const DEFAULT_AGENTS = ['oracle', 'naive', 'noop'];

/** Options that define a run's plan: not allowed with --resume, which reuses the stored plan. */
export const PLAN_OPTIONS = [
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
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  /** Where the run log goes (default: beside a SQLite store, ./.groundwork/logs for PostgreSQL). */
  logDir?: string;
  resume?: string;
  retryErrors?: boolean;
  /** A Redis URL: enqueue the run's episodes for `groundwork worker`s instead of running them here (run-queue.ts). */
  queue?: string | boolean;
  /** With --queue: return once the episodes are enqueued instead of following the run. */
  detach?: boolean;
  /** Worker threads that run the episodes (default: automatic, see chooseThreads). */
  threads?: number;
  outcomeReport?: boolean;
  steerUser?: boolean;
  json?: boolean;
}

/** Run file(s) first, flags over them. */
export function configFrom(file: RunFile, options: RunOptions): RunConfigInput {
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
export function checkCassetteDirs(options: RunOptions): void {
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
  if (options.queue) return (await import('./run-queue.ts')).runQueueAction(runFile, options, command);
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
  const storeLocation = resolveStoreLocation(options.store);
  let log: ReturnType<typeof openRunLog> | undefined;
  const modelEvents: unknown[] = [];
  // The run's model hub: a model with no configured concurrency limit takes the run's concurrency
  // (so a default never caps a run silently), and a limit that held the run back is reported.
  let hub: ModelHub | undefined;
  const onModelEvent = (event: ModelEvent) => (log ? log.logger.warn(event, `model ${event.type}`) : modelEvents.push(event));
  const participants = (models: ModelsConfig, steerUser: boolean, concurrency: number): ParticipantFactory => {
    const built = modelParticipants({
      models,
      steerUser,
      concurrency,
      record: options.record,
      replay: options.replay,
      onEvent: onModelEvent,
      // An external agent's stderr (redacted) goes to the run log, never into results.
      onAgentStderr: (agent, line) => log?.logger.info({ agent, line }, 'agent stderr'),
    });
    hub = built.hub;
    return built.factory;
  };
  // A new run's plan (domain, split, tasks, agents, user) is checked before the database is
  // opened: input that cannot run never creates a database or touches one.
  let fresh: { factory: ParticipantFactory; plan: RunPlan } | undefined;
  if (!options.resume) {
    const config = configFrom(file, options);
    const factory = participants(file.models ?? {}, options.steerUser ?? false, config.concurrency ?? DEFAULT_CONCURRENCY);
    const maxEpisodes = options.maxEpisodes ?? file.maxEpisodes;
    fresh = { factory, plan: planRun(config, { participants: factory, ...(maxEpisodes ? { maxEpisodes } : {}) }) };
  }
  const lease = leaseTiming(); // GROUNDWORK_LEASE_MS, checked before anything is stored
  checkThreadSettings({ requested: options.threads, env: process.env.GROUNDWORK_THREADS, recording: options.record !== undefined });
  const store = await openStore(storeLocation);
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
      // A distributed run: running its slots here as well would race the workers for them.
      if (stored.status === 'queued')
        throw new GroundworkError(
          'INVALID_ARGUMENT',
          `run ${runId} is queued for groundwork workers; a local --resume would run its episodes beside them`,
          {
            hint: `follow it with: groundwork run --resume ${runId} --queue (GROUNDWORK_QUEUE or the URL) --store …`,
          },
        );
      factory = participants(stored.config.models, stored.config.steerUser, stored.config.concurrency);
    }
    log = openRunLog(storeLocation, runId, { logDir: options.logDir });
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
    // Each episode is audited as it is graded and stored with its audit; the end of the run only
    // summarises the stored audits (and audits again the few a later task problem made stale).
    const tasks = await store.runTasks(runId);
    const earlier = options.resume ? await store.listEpisodes(runId) : [];
    let auditor: EpisodeAuditor | undefined;
    // Episodes on worker threads when the run is big and concurrent enough (or --threads N): the
    // threads share the models' limits through `admissions`; this thread stores what they return.
    const envThreads = process.env.GROUNDWORK_THREADS;
    // The episodes left are counted only when more than one thread could come of it.
    const mightThread =
      (options.threads ?? 1) > 1 ||
      (envThreads !== undefined && envThreads !== '') ||
      run.config.concurrency >= AUTO_THREADS_MIN_CONCURRENCY;
    const threads = chooseThreads({
      requested: options.threads,
      env: envThreads,
      todo: mightThread ? await episodesToRun(store, run, tasks, Boolean(options.retryErrors)) : 1,
      concurrency: run.config.concurrency,
      recording: options.record !== undefined,
      models: run.config.models,
    });
    let admissions: SharedAdmissions | undefined;
    let executor: EpisodeExecutor | undefined;
    if (threads > 1) {
      admissions = new SharedAdmissions();
      const { EpisodeThreads } = await import('../threads/episode-threads.ts');
      executor = new EpisodeThreads({
        threads,
        runId,
        config: run.config,
        tasks,
        ...(options.replay !== undefined ? { replay: options.replay } : {}),
        admissions,
        auditor: () =>
          (auditor ??= createEpisodeAuditor({ domain: domainFor(run.config), tasks, stored: earlier, keep: MAX_AUDITS_IN_MEMORY })),
        onModelEvent,
        onAgentStderr: (agent, line) => logger.info({ agent, line }, 'agent stderr'),
        onThreadFailed: (error) => logger.error({ error: error.message }, 'episode thread failed'),
      });
      logger.info({ threads }, 'episode threads');
    }
    let result: Awaited<ReturnType<typeof executeRun>>;
    try {
      result = await executeRun(runId, {
        store,
        participants: factory,
        signal: controller.signal,
        retryErrors: options.retryErrors,
        lease,
        tasks,
        auditEpisode: (graded, task, domain) =>
          (auditor ??= createEpisodeAuditor({ domain, tasks, stored: earlier, keep: MAX_AUDITS_IN_MEMORY })).audit(graded, task),
        onAuditError: (episodeId, error) => logger.warn({ episodeId, error: describeError(error) }, 'episode audit failed'),
        onProgress: (p) => {
          progress.update(p);
          if (p.last) logger.info(p.last, 'episode stored');
        },
        ...(executor ? { runEpisodes: executor } : {}),
      });
    } catch (error) {
      progress.finish();
      logger.error({ error: describeError(error) }, 'run failed');
      throw error;
    } finally {
      await executor?.close();
    }
    progress.finish();
    const throttle = admissions ? sharedThrottleReport(admissions, run.config, options.replay) : hub?.throttleReport();
    logger.info(
      {
        status: result.status,
        ran: result.ran,
        skipped: result.skipped,
        retried: result.retried,
        durationMs: result.durationMs,
        ...(throttle?.models.length ? { throttle: throttle.models } : {}),
      },
      'run end',
    );
    if (throttle?.text && !options.json) process.stderr.write(`${throttle.text}\n`);
    const summary = await summariseRun(store, (await store.getRun(runId))!);
    // The deterministic audits are cheap: summarise them so the summary shows confident failures at once.
    let audit: RunAudit | undefined;
    try {
      // Also after Ctrl-C/SIGTERM: audits made before a task problem appeared are made again (a
      // few, cheap) so the stored audits are what `groundwork audit` makes of the stored episodes;
      // a second signal quits at once (onSignal). A killed run (SIGKILL) gets this from
      // `run --resume` or `groundwork audit`.
      if (controller.signal.aborted && !options.json)
        process.stderr.write('summarising the audits of the stored episodes (again to quit now)\n');
      audit = await summariseStoredRun(store, runId, auditor ? { auditor } : {});
    } catch (error) {
      // The episodes are stored; the audit can be run again.
      logger.warn({ error: describeError(error) }, 'audit failed');
      if (!options.json) process.stderr.write(`audit failed: ${describeError(error)} (run groundwork audit ${runId})\n`);
    }
    // The log's last lines on disk before the results are reported (lines are synced in the background).
    log.sync();
    if (options.json) {
      printJson({
        ...summary,
        ran: result.ran,
        skipped: result.skipped,
        retried: result.retried,
        durationMs: result.durationMs,
        ...(throttle?.models.length ? { throttle: throttle.models } : {}),
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

/** Episodes of a run not stored yet (with --retry-errors, its infra errors count as not stored). */
async function episodesToRun(store: Store, run: RunRecord, tasks: readonly Task[], retryErrors: boolean): Promise<number> {
  const planned = planEpisodes(run.id, run.config.seed, tasks, run.config.agents, run.config.trials);
  const stored = await store.episodeKeys(run.id);
  const left = planned.filter((spec) => !stored.has(episodeKey(spec.agent, spec.taskId, spec.trial))).length;
  // --retry-errors deletes the infra errors later: count every planned episode (an upper bound).
  return retryErrors ? planned.length : left;
}

/**
 * The throttle report of a run whose episodes ran on threads: a hub over the shared admissions
 * (one per model the threads met, in that order) reads what every thread's requests waited.
 */
function sharedThrottleReport(admissions: SharedAdmissions, config: RunConfig, replay: string | undefined) {
  const reporter = new ModelHub({
    models: config.models,
    defaultConcurrency: config.concurrency,
    ...(replay !== undefined ? { replay } : {}),
    admission: (model) =>
      admissions.admission(model.name, {
        concurrency: model.limits.concurrency,
        ...(model.limits.requestsPerMinute !== undefined ? { requestsPerMinute: model.limits.requestsPerMinute } : {}),
      }),
  });
  for (const name of admissions.names()) reporter.admission(reporter.resolve(name));
  return reporter.throttleReport();
}
