import type { Domain, DomainOptions } from '../domains/domain.ts';
import { newRunId } from '../runner/local-runner.ts';
import { runConfigSchema, type RunConfig } from '../schema/run-config.ts';
import type { Store } from '../store/store.ts';
import { saveImportedEpisodes } from './store-import.ts';
import { regradeTau2Results, type Tau2RegradeResult, type Tau2Results } from './tau2-results.ts';

/** Options of `importTau2ResultsAsRun`. */
export interface ImportTau2RunOptions {
  store: Store;
  domain: Domain;
  /** Options the domain was built with (stored in the run config so re-grading rebuilds it). Absolute paths. */
  domainOptions?: Pick<DomainOptions, 'dataDir' | 'tasksFile' | 'variant'>;
  /** Agent name of the run, e.g. `imported:gpt-4.1`. */
  agent: string;
  /** User simulator name of the run, e.g. `imported:gpt-4.1-2025-04-14`. */
  user: string;
  /** Clock. @default () => new Date() */
  now?: () => Date;
}

/** What `importTau2ResultsAsRun` stored. */
export interface ImportTau2RunResult extends Tau2RegradeResult {
  runId: string;
  config: RunConfig;
  /** Planned task × trial slots no simulation fills. */
  missing: number;
}

/**
 * Re-grades a τ² results file and stores it as a finished run: one agent, the file's tasks,
 * `trials` = τ²'s `num_trials` (or more when a simulation's trial is higher), one episode per
 * simulation. Everything is graded before anything is stored, so bad input stores nothing.
 */
export async function importTau2ResultsAsRun(results: Tau2Results, options: ImportTau2RunOptions): Promise<ImportTau2RunResult> {
  const { store, domain, agent, user } = options;
  const now = options.now ?? (() => new Date());
  const runId = newRunId(now());
  const startedAt = now().toISOString();
  const result = regradeTau2Results(results, { domain, agent, user, runId, startedAt, info: results.info });
  const trials = Math.max(results.info.num_trials, ...result.episodes.map((e) => e.trial + 1));
  const split = result.tasks[0]?.split ?? domain.defaultSplit;
  const config = runConfigSchema.parse({
    domain: domain.name,
    domainOptions: {
      ...(options.domainOptions?.dataDir ? { dataDir: options.domainOptions.dataDir } : {}),
      ...(options.domainOptions?.tasksFile ? { tasksFile: options.domainOptions.tasksFile } : {}),
      ...(options.domainOptions?.variant ? { variant: options.domainOptions.variant } : {}),
    },
    split,
    tasks: { ids: result.tasks.map((t) => t.id) },
    agents: [agent],
    user,
    trials,
    seed: results.info.seed ?? 1,
  });
  await store.createRun({ id: runId, config, tasks: result.tasks, planned: result.tasks.length * trials, createdAt: startedAt });
  const missing = await saveImportedEpisodes(store, { runId, agent, trials, createdAt: startedAt }, result);
  await store.setRunStatus(runId, 'finished');
  return { ...result, runId, config, missing };
}
