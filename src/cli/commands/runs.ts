import type { Command } from 'commander';
import type { RunsOptions } from '../actions/runs.ts';

/** `groundwork runs`: list stored runs. */
export function registerRunsCommand(program: Command): void {
  program
    .command('runs')
    .description('list stored runs')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: RunsOptions) => (await import('../actions/runs.ts')).runsAction(options));
}
