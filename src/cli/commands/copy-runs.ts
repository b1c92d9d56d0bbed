import type { Command } from 'commander';
import type { CopyRunsOptions } from '../actions/copy-runs.ts';

/** `groundwork copy-runs --from A --to B [RUN_ID...]`: copy runs between stores (SQLite ↔ PostgreSQL). */
export function registerCopyRunsCommand(program: Command): void {
  program
    .command('copy-runs')
    .description(
      'copy runs between stores (SQLite files, PostgreSQL databases) with their tasks, episodes, audits and worker attempts; a run already complete in the target is skipped, a partial copy is completed, a running run is refused',
    )
    .argument('[runIds...]', 'runs to copy (default: every run in --from)')
    .requiredOption(
      '--from <path|url>',
      'store to copy from: a SQLite file or postgres://USER[:PASSWORD]@HOST:PORT/DB; only read, except that a store of an older layout is first upgraded in place, once (one-way: older Groundwork versions then refuse it)',
    )
    .requiredOption('--to <path|url>', 'store to copy into (a new SQLite file is created)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runIds: string[], options: CopyRunsOptions) =>
      (await import('../actions/copy-runs.ts')).copyRunsAction(runIds, options),
    );
}
