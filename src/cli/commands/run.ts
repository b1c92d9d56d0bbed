import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import { summariseRun } from '../../report/run-summary.ts';
import type { ParticipantFactory } from '../../runner/build.ts';
import { createRun, executeRun } from '../../runner/local-runner.ts';
import type { RunConfigInput } from '../../runner/config.ts';
import { createProgressReporter } from '../progress.ts';
import { collect, integer, openStore, parseTaskSelection, positiveInt, printJson } from '../context.ts';
import { formatRunSummary } from '../summary-text.ts';

/** Default agents when none is given. */
const DEFAULT_AGENTS = ['oracle', 'naive', 'noop'];

/** Options that define a run's plan: not allowed with --resume, which reuses the stored plan. */
const PLAN_OPTIONS = ['domain', 'split', 'tasks', 'agent', 'user', 'trials', 'seed', 'domainSeed', 'data', 'taskFile', 'maxSteps'];

interface RunOptions {
  domain: string;
  split?: string;
  tasks?: string;
  agent?: string[];
  user: string;
  trials: number;
  concurrency?: number;
  seed: number;
  domainSeed?: number;
  data?: string;
  taskFile?: string;
  maxSteps?: number;
  db?: string;
  resume?: string;
  retryErrors?: boolean;
  json?: boolean;
}

/** `groundwork run`: plan, run, grade and store episodes; print the summary. */
export function registerRunCommand(program: Command, participants: () => ParticipantFactory = () => ({})): void {
  program
    .command('run')
    .description('run a graded evaluation (default: helpdesk test split with oracle, naive and noop, 3 trials)')
    .option('--domain <name>', 'domain to run', 'helpdesk')
    .option('--split <name>', 'task split (default: the domain default, e.g. test)')
    .option('--tasks <count|ids>', 'first N tasks, or comma-separated task ids')
    .option('--agent <name>', 'agent under test, repeatable (built-in: oracle, naive, noop)', collect)
    .option('--user <name>', 'user simulator', 'scripted')
    .option('--trials <n>', 'trials per task and agent', positiveInt('--trials'), 3)
    .option('--concurrency <n>', 'episodes run at once (default 4)', positiveInt('--concurrency'))
    .option('--seed <n>', 'seed of the episodes (simulated users, agents)', integer('--seed'), 1)
    .option('--domain-seed <n>', 'seed of generated domains (helpdesk world and tasks; default 42)', integer('--domain-seed'))
    .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
    .option('--task-file <file>', 'task file to load instead of the split default (τ-bench domains)')
    .option('--max-steps <n>', 'steps per episode before max_steps', positiveInt('--max-steps'))
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--resume <runId>', 'continue a stored run (skips episodes already stored)')
    .option('--retry-errors', 'with --resume: run the infra_error episodes again')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: RunOptions, command: Command) => {
      if (options.retryErrors && !options.resume) throw new GroundworkError('INVALID_ARGUMENT', '--retry-errors needs --resume RUN_ID');
      if (options.resume) {
        const conflicting = PLAN_OPTIONS.filter((name) => command.getOptionValueSource(name) === 'cli');
        if (conflicting.length > 0) {
          throw new GroundworkError('INVALID_ARGUMENT', `--resume continues a stored run with its stored plan; drop ${conflicting.map((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
        }
      }
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
      try {
        let runId = options.resume;
        if (runId) {
          const run = await store.getRun(runId);
          if (!run) throw new GroundworkError('UNKNOWN_RUN', `no run ${JSON.stringify(runId)} in this database`, { hint: 'list runs with `groundwork runs`' });
        } else {
          const input: RunConfigInput = {
            domain: options.domain,
            domainOptions: {
              ...(options.domainSeed !== undefined ? { seed: options.domainSeed } : {}),
              ...(options.data ? { dataDir: options.data } : {}),
              ...(options.taskFile ? { tasksFile: options.taskFile } : {}),
            },
            ...(options.split ? { split: options.split } : {}),
            tasks: parseTaskSelection(options.tasks),
            agents: options.agent && options.agent.length > 0 ? options.agent : DEFAULT_AGENTS,
            user: options.user,
            trials: options.trials,
            ...(options.concurrency ? { concurrency: options.concurrency } : {}),
            seed: options.seed,
            ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
          };
          runId = (await createRun(store, input, { participants: participants() })).runId;
        }
        if (!options.json) process.stderr.write(`run ${runId}\n`);
        const progress = createProgressReporter();
        const result = await executeRun(runId, { store, participants: participants(), signal: controller.signal, retryErrors: options.retryErrors, onProgress: (p) => progress.update(p) });
        progress.finish();
        const run = (await store.getRun(runId))!;
        const summary = await summariseRun(store, run);
        if (options.json) {
          printJson({ ...summary, ran: result.ran, skipped: result.skipped, retried: result.retried, durationMs: result.durationMs });
        } else {
          process.stdout.write(`${formatRunSummary(summary)}\n\n${result.ran} episode(s) run in ${(result.durationMs / 1000).toFixed(1)}s${result.skipped ? `, ${result.skipped} already stored` : ''}. Details: groundwork show ${runId}\n`);
        }
        if (result.status === 'interrupted') process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
    });
}
