import type { Command } from 'commander';
import { num, table } from '../format.ts';
import { openStore, printJson } from '../context.ts';

/** `groundwork runs`: list stored runs. */
export function registerRunsCommand(program: Command): void {
  program
    .command('runs')
    .description('list stored runs')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: { db?: string; json?: boolean }) => {
      const store = openStore(options.db);
      try {
        const runs = await store.listRuns();
        if (options.json) {
          printJson({ runs: runs.map((r) => ({ runId: r.id, createdAt: r.createdAt, status: r.status, domain: r.config.domain, split: r.config.split, agents: r.config.agents, trials: r.config.trials, planned: r.planned, episodes: r.episodes, meanReward: r.meanReward })) });
          return;
        }
        if (runs.length === 0) {
          process.stdout.write('No runs yet. Start one with: groundwork run\n');
          return;
        }
        process.stdout.write(
          `${table(
            ['run', 'created', 'status', 'domain/split', 'episodes', 'mean reward by agent'],
            runs.map((r) => [r.id, r.createdAt.replace('T', ' ').slice(0, 19), r.status, `${r.config.domain}/${r.config.split ?? '-'}`, `${r.episodes}/${r.planned}`, Object.entries(r.meanReward).map(([a, m]) => `${a} ${num(m, 2)}`).join(', ')]),
          )}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
