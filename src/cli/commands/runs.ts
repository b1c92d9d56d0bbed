import type { Command } from 'commander';
import type { RunsOptions } from '../actions/runs.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork runs`: list stored runs. */
export function registerRunsCommand(program: Command): void {
  program
    .command('runs')
    .description('list stored runs')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: RunsOptions) => (await import('../actions/runs.ts')).runsAction(options));
}
