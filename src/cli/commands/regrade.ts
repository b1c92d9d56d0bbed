import type { Command } from 'commander';
import type { RegradeOptions } from '../actions/regrade.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork regrade RUN_ID`: grade every stored episode again with the current grader. */
export function registerRegradeCommand(program: Command): void {
  program
    .command('regrade')
    .description('grade a stored run again from its stored trajectories (no episode is re-run)')
    .argument('<runId>', 'run id (see groundwork runs)')
    .option('--dry-run', 'report what would change, store nothing')
    .option(
      '--judge <model>',
      'LLM judge (model spec or configured name) for what the agent told the user, in free text; its verdicts are stored with the outcome and kept by later re-grades',
    )
    .option('--config <file>', "YAML file with named models (same format as a run file); adds to the run's stored models")
    .option('--record <dir>', 'record every judge request and response in DIR (cassettes)')
    .option('--replay <dir>', 'answer every judge request from cassettes in DIR; no network')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string, options: RegradeOptions) => (await import('../actions/regrade.ts')).regradeAction(runId, options));
}
