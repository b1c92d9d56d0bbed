import type { Command } from 'commander';
import type { ShowOptions } from '../actions/show.ts';
import { positiveInt } from '../options.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** Failed episodes `show` lists by default. */
const FAILED_LISTED = 25;

/** `groundwork show RUN_ID [--episode ID]`: a run's summary, or one episode in full. */
export function registerShowCommand(program: Command): void {
  program
    .command('show')
    .description("show a run's summary and failed episodes, or one episode's transcript and state diff")
    .argument('<runId>', 'run id (see groundwork runs)')
    .option('--episode <id>', 'show this episode in full')
    .option('--limit <n>', 'failed episodes to list', positiveInt('--limit'), FAILED_LISTED)
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string, options: ShowOptions) => (await import('../actions/show.ts')).showAction(runId, options));
}
