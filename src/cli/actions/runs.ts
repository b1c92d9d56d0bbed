import { runListItem, runStatusText } from '../../report/run-summary.ts';
import { num, table } from '../format.ts';
import { openStoreReadOnly, printJson } from '../context.ts';

export interface RunsOptions {
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork runs`: list stored runs. */
export async function runsAction(options: RunsOptions): Promise<void> {
  const store = await openStoreReadOnly(options.store);
  try {
    const runs = await store.listRuns();
    if (options.json) {
      printJson({
        runs: runs.map(runListItem),
      });
      return;
    }
    if (runs.length === 0) {
      process.stdout.write('No runs yet. Start one with: groundwork run\n');
      return;
    }
    process.stdout.write(
      `${table(
        ['run', 'created', 'status', 'domain/split', 'episodes', 'mean reward by agent'],
        runs.map((r) => [
          r.id,
          r.createdAt.replace('T', ' ').slice(0, 19),
          runStatusText(r.status, r.episodes, r.graded),
          `${r.config.domain}/${r.config.split ?? '-'}`,
          `${r.episodes}/${r.planned}`,
          Object.entries(r.meanReward)
            .map(([a, m]) => `${a} ${num(m, 2)}`)
            .join(', '),
        ]),
      )}\n`,
    );
  } finally {
    await store.close();
  }
}
