import type { Domain, DomainOptions } from '../domains/domain.ts';
import { GroundworkError } from '../errors.ts';
import { runConfigSchema, type RunConfig } from '../schema/run-config.ts';
import { newRunId } from '../runner/local-runner.ts';
import { episodeIdFor } from '../runner/plan.ts';
import { episodeKey, type Store } from '../store/store.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { Trajectory } from '../schema/trajectory.ts';
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
  const missing = await saveImportedEpisodes(store, { runId, agent, trials, createdAt: startedAt }, result);
  await store.setRunStatus(runId, 'finished');
  return { ...result, runId, config, missing };
}

/** An episode recorded elsewhere, replayed and graded: what an importer stores. */
export interface ImportedRunEpisode {
  taskId: string;
  trial: number;
  task: Pick<Task, 'family' | 'split'>;
  trajectory: Trajectory;
  outcome: Outcome;
}

/**
 * Stores imported episodes in a run already created, one per (task, trial), and returns how many
 * planned (task, trial) pairs have no episode (records the file lacked).
 */
export async function saveImportedEpisodes(
  store: Store,
  run: { runId: string; agent: string; trials: number; createdAt: string },
  result: { tasks: readonly Pick<Task, 'id'>[]; episodes: readonly ImportedRunEpisode[] },
): Promise<number> {
  const { runId, agent } = run;
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
      createdAt: run.createdAt,
    });
  }
  const stored = await store.episodeKeys(runId);
  let missing = 0;
  for (const task of result.tasks)
    for (let trial = 0; trial < run.trials; trial++) if (!stored.has(episodeKey(agent, task.id, trial))) missing++;
  return missing;
}
