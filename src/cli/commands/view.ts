import type { Command } from 'commander';
import type { ViewOptions } from '../actions/view.ts';
import { positiveInt } from '../options.ts';
import { DEFAULT_VIEWER_PORT } from './constants.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork view`: a local, read-only web app over the stored runs. */
export function registerViewCommand(program: Command): void {
  program
    .command('view')
    .description('serve a local read-only web app to browse runs, episodes, transcripts and state diffs')
    .option('--host <address>', 'address to bind (loopback only unless --allow-remote)', '127.0.0.1')
    .option('--port <n>', `port (0 picks a free one; default ${DEFAULT_VIEWER_PORT})`, positiveInt('--port', 0), DEFAULT_VIEWER_PORT)
    .option('--allow-remote', 'allow a non-loopback --host (the viewer has no authentication)')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document ({url}) on stdout once listening')
    .action(async (options: ViewOptions) => (await import('../actions/view.ts')).viewAction(options));
}
