import type { Domain, DomainOptions } from '../domains/domain.ts';
import { GroundworkError } from '../errors.ts';
import { runConfigSchema, type RunConfig } from '../schema/run-config.ts';
import { newRunId } from '../runner/local-runner.ts';
import { episodeIdFor } from '../runner/plan.ts';
import { episodeKey, type Store } from '../store/store.ts';
import { seedFrom } from '../util/seeded-random.ts';
import { regradeTauResults, type TauRegradeResult, type TauResultRecord } from './tau-bench-results.ts';

/** User simulator name stored for imported episodes (τ-bench results do not name the user model). */
export const IMPORTED_USER = 'imported';

/** Options of `importTauResultsAsRun`. */
export interface ImportRunOptions {
  store: Store;
  /** The domain, built from `domainName` and `domainOptions`. */
  domain: Domain;
  /**
   * Options the domain was built with; stored in the run config so `createDomain(config.domain,
   * config.domainOptions)` rebuilds it for re-grading. Give absolute paths.
   */
  domainOptions?: Pick<DomainOptions, 'dataDir' | 'tasksFile'>;
  /** Agent name of the run, e.g. `imported:gpt-4o`. */
  agent: string;
  /** Clock. @default () => new Date() */
  now?: () => Date;
}

/** What `importTauResultsAsRun` stored. */
export interface ImportRunResult extends TauRegradeResult {
  runId: string;
  config: RunConfig;
  /** Slots of the plan (tasks × trials) that no record fills. */
  missing: number;
}

/**
 * Re-grades a τ-bench results file and stores it as a finished run: one agent, the file's tasks,
 * `trials` = the largest trial + 1, one episode per record. Every planned slot a record fills is
 * stored, so resuming the run has nothing to run; slots no record fills stay missing (`missing`)
 * and cannot be run, as the imported agent is not runnable. Records that repeat a task and trial
 * are refused before anything is stored.
 */
export async function importTauResultsAsRun(records: readonly TauResultRecord[], options: ImportRunOptions): Promise<ImportRunResult> {
  const { store, domain, agent } = options;
  const now = options.now ?? (() => new Date());
  if (records.length === 0) throw new GroundworkError('INVALID_ARGUMENT', 'the results file has no records; nothing to store');
  const seen = new Set<string>();
  for (const record of records) {
    const key = `${record.task_id}/${record.trial}`;
    if (seen.has(key))
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `two records of task ${record.task_id} trial ${record.trial}; a stored run holds one episode per task and trial`,
        { hint: 'split the file, or re-grade without --store' },
      );
    seen.add(key);
  }
  const runId = newRunId(now());
  const trials = Math.max(...records.map((r) => r.trial)) + 1;
  const taskIds = [...new Set(records.map((r) => String(r.task_id)))];
  const config = runConfigSchema.parse({
    domain: domain.name,
    domainOptions: {
      ...(options.domainOptions?.dataDir ? { dataDir: options.domainOptions.dataDir } : {}),
      ...(options.domainOptions?.tasksFile ? { tasksFile: options.domainOptions.tasksFile } : {}),
    },
    split: domain.defaultSplit,
    tasks: { ids: taskIds },
    agents: [agent],
    user: IMPORTED_USER,
    trials,
    seed: 1,
  });
  const startedAt = now().toISOString();
  const result = regradeTauResults(records, {
    domain,
    agent,
    user: IMPORTED_USER,
    runId,
    startedAt,
    seedFor: (taskId, trial) => seedFrom('episode', config.seed, taskId, trial),
  });
  const planned = result.tasks.length * trials;
  await store.createRun({ id: runId, config, tasks: result.tasks, planned, createdAt: startedAt });
  for (const episode of result.episodes) {
    const { trajectory, outcome, task } = episode;
    await store.saveEpisode({
      id: episodeIdFor(runId, agent, episode.taskId, episode.trial),
      runId,
      agent,
      taskId: episode.taskId,
      trial: episode.trial,
      seed: trajectory.seed,
      family: task.family,
      split: task.split,
      reward: outcome.reward,
      termination: trajectory.termination.reason,
      trajectory,
      outcome,
      createdAt: startedAt,
    });
  }
  const stored = await store.episodeKeys(runId);
  const missing = result.tasks.reduce(
    (n, task) =>
      n +
      Array.from({ length: trials }, (_, trial) => (stored.has(episodeKey(agent, task.id, trial)) ? 0 : 1)).reduce<number>(
        (a, b) => a + b,
        0,
      ),
    0,
  );
  await store.setRunStatus(runId, 'finished');
  return { ...result, runId, config, missing };
}
