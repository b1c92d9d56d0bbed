import type { Command } from 'commander';
import { BUILT_IN_AGENTS } from '../../agents/registry.ts';
import { auditStoredRun } from '../../audits/audit-run.ts';
import { describeError, GroundworkError } from '../../errors.ts';
import type { RunAudit } from '../../schema/audit.ts';
import { summariseRun } from '../../report/run-summary.ts';
import { createRun, executeRun } from '../../runner/local-runner.ts';
import type { RunConfigInput } from '../../runner/config.ts';
import { loadRunFile, type RunFile } from '../../runner/run-file.ts';
import { createProgressReporter } from '../progress.ts';
import { collect, integer, openStore, parseTaskSelection, positiveInt, printJson, resolveDbPath } from '../context.ts';
import { modelParticipants } from '../participants.ts';
import { openRunLog } from '../run-log.ts';
import { formatRunSummary } from '../summary-text.ts';
import { formatRunAudit } from './audit.ts';
import { requireRun } from '../../store/store.ts';

/** Default agents when neither flags nor a run file name any. */
const DEFAULT_AGENTS = ['oracle', 'naive', 'noop'];

/** Options that define a run's plan: not allowed with --resume, which reuses the stored plan. */
const PLAN_OPTIONS = ['domain', 'split', 'tasks', 'agent', 'user', 'trials', 'seed', 'domainSeed', 'data', 'taskFile', 'maxSteps', 'config', 'outcomeReport', 'steerUser'];

interface RunOptions {
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
  maxSteps?: number;
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
  const tasks = options.tasks !== undefined ? parseTaskSelection(options.tasks) : typeof file.tasks === 'number' ? { count: file.tasks } : file.tasks ? { ids: file.tasks } : {};
  const domainSeed = options.domainSeed ?? file.domainSeed;
  const data = options.data ?? file.data;
  const taskFile = options.taskFile ?? file.taskFile;
  const split = options.split ?? file.split;
  const maxSteps = options.maxSteps ?? file.maxSteps;
  const concurrency = options.concurrency ?? file.concurrency;
  return {
    domain: options.domain ?? file.domain ?? 'helpdesk',
    domainOptions: { ...(domainSeed !== undefined ? { seed: domainSeed } : {}), ...(data ? { dataDir: data } : {}), ...(taskFile ? { tasksFile: taskFile } : {}) },
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
    outcomeReport: options.outcomeReport ?? (options.agent && options.agent.length > 0 ? options.agent : (file.agents ?? DEFAULT_AGENTS)).every((name) => name in BUILT_IN_AGENTS),
    steerUser: options.steerUser ?? false,
  };
}

/** `groundwork run [RUN_FILE]`: plan, run, grade and store episodes; print the summary. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a graded evaluation (default: helpdesk test split with oracle, naive and noop, 3 trials)')
    .argument('[runFile]', 'YAML run file (see groundwork init); flags override it')
    .option('--domain <name>', 'domain to run (default helpdesk)')
    .option('--split <name>', 'task split (default: the domain default, e.g. test)')
    .option('--tasks <count|ids>', 'first N tasks, or comma-separated task ids')
    .option('--agent <name>', 'agent under test, repeatable: oracle, naive, noop, a model spec (openai:MODEL...) or a configured model', collect)
    .option('--user <name>', 'user simulator: scripted (default), a model spec or a configured model')
    .option('--trials <n>', 'trials per task and agent (default 3)', positiveInt('--trials'))
    .option('--concurrency <n>', 'episodes run at once (default 4)', positiveInt('--concurrency'))
    .option('--seed <n>', 'seed of the episodes: simulated users, agents (default 1)', integer('--seed'))
    .option('--domain-seed <n>', 'seed of generated domains: helpdesk world and tasks (default 42)', integer('--domain-seed'))
    .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
    .option('--task-file <file>', 'task file to load instead of the split default (τ-bench domains)')
    .option('--max-steps <n>', 'steps per episode before max_steps', positiveInt('--max-steps'))
    .option('--config <file>', 'YAML file with named models and run defaults (same format as a run file)')
    .option('--record <dir>', 'record every model request and response in DIR (cassettes)')
    .option('--replay <dir>', 'answer every model request from cassettes in DIR; no network')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--resume <runId>', 'continue a stored run (skips episodes already stored)')
    .option('--retry-errors', 'with --resume: run the infra_error episodes again')
    .option('--outcome-report', 'ask agents for a structured outcome report at the end of each episode (default: on when every agent is built in)')
    .option('--no-outcome-report', 'do not ask agents for outcome reports')
    .option('--steer-user', 'write the tracked goal state (UGST) into the LLM user prompt every turn')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runFile: string | undefined, options: RunOptions, command: Command) => {
      if (options.retryErrors && !options.resume) throw new GroundworkError('INVALID_ARGUMENT', '--retry-errors needs --resume RUN_ID');
      if (options.resume) {
        const conflicting = PLAN_OPTIONS.filter((name) => command.getOptionValueSource(name) === 'cli');
        if (runFile) conflicting.unshift('runFile');
        if (conflicting.length > 0) {
          throw new GroundworkError('INVALID_ARGUMENT', `--resume continues a stored run with its stored plan; drop ${conflicting.map((n) => (n === 'runFile' ? 'the run file' : `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)).join(', ')}`);
        }
      }
      // Validate files before opening the database: bad input never touches what is stored.
      const fromConfig: RunFile = options.config ? loadRunFile(options.config) : {};
      const fromRunFile: RunFile = runFile ? loadRunFile(runFile) : {};
      const file: RunFile = { ...fromConfig, ...fromRunFile, models: { ...fromConfig.models, ...fromRunFile.models } };
      const dbPath = resolveDbPath(options.db);
      const store = openStore(options.db);
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
      let log: ReturnType<typeof openRunLog> | undefined;
      try {
        let runId = options.resume;
        let models = file.models ?? {};
        let steerUser = options.steerUser ?? false;
        if (runId) {
          const run = await requireRun(store, runId);
          models = run.config.models;
          steerUser = run.config.steerUser;
        }
        const modelEvents: unknown[] = [];
        const { factory } = modelParticipants({ models, steerUser, record: options.record, replay: options.replay, onEvent: (event) => (log ? log.logger.warn(event, `model ${event.type}`) : modelEvents.push(event)) });
        if (!runId) runId = (await createRun(store, configFrom(file, options), { participants: factory })).runId;
        log = openRunLog(dbPath, runId);
        for (const event of modelEvents) log.logger.warn(event as object, 'model event');
        const run = (await store.getRun(runId))!;
        log.logger.info({ config: run.config, resume: Boolean(options.resume), retryErrors: Boolean(options.retryErrors), mode: options.replay ? 'replay' : options.record ? 'record' : 'live' }, 'run start');
        if (!options.json) process.stderr.write(`run ${runId} (log: ${log.path})\n`);
        const progress = createProgressReporter();
        const logger = log.logger;
        const result = await executeRun(runId, {
          store,
          participants: factory,
          signal: controller.signal,
          retryErrors: options.retryErrors,
          onProgress: (p) => {
            progress.update(p);
            if (p.last) logger.info(p.last, 'episode stored');
          },
        });
        progress.finish();
        logger.info({ status: result.status, ran: result.ran, skipped: result.skipped, retried: result.retried, durationMs: result.durationMs }, 'run end');
        const summary = await summariseRun(store, (await store.getRun(runId))!);
        // The deterministic audits are cheap: run them so the summary shows confident failures at once.
        let audit: RunAudit | undefined;
        try {
          audit = await auditStoredRun(store, runId);
        } catch (error) {
          logger.warn({ error: describeError(error) }, 'audit failed');
          if (!options.json) process.stderr.write(`audit failed: ${describeError(error)} (run groundwork audit ${runId})\n`);
        }
        if (options.json) {
          printJson({ ...summary, ran: result.ran, skipped: result.skipped, retried: result.retried, durationMs: result.durationMs, ...(audit ? { audit } : {}) });
        } else {
          process.stdout.write(`${formatRunSummary(summary)}\n${audit ? `\n${formatRunAudit(audit)}\n` : ''}\n${result.ran} episode(s) run in ${(result.durationMs / 1000).toFixed(1)}s${result.skipped ? `, ${result.skipped} already stored` : ''}. Details: groundwork show ${runId}\n`);
        }
        if (result.status === 'interrupted') process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        log?.logger.flush();
        await store.close();
      }
    });
}
