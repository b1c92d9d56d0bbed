import type { Command } from 'commander';
import type { ExportOptions } from '../actions/export.ts';
import { positiveInt } from '../options.ts';
import { EXPORT_FORMATS } from './constants.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork export RUN_ID --format F -o FILE`: training data (JSONL) or a τ² leaderboard submission from stored runs. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      `export a stored run as JSONL training data (${EXPORT_FORMATS.join(', ')}), or runs as a τ² leaderboard submission.json (tau2-submission); every output validated against its schema`,
    )
    .argument('[runIds...]', 'the run to export (tau2-submission: one run per domain)')
    .option(
      '--format <format>',
      `sft (verified successes, OpenAI chat fine-tuning format), preference (success/failure pairs at a shared state), rl (prompts with grounded reward components and calibration), early-experience (expert states, alternative actions on forks, next states), tau2-submission (τ² leaderboard submission.json: pass^1..4 and cost per domain)`,
    )
    .option('-o, --output <file>', 'file to write (JSONL; tau2-submission: JSON)')
    .option('--schema <format>', 'print the JSON Schema of one line of FORMAT (tau2-submission: of the document) and exit')
    .option('--alternatives <n>', 'early-experience: alternative actions per expert state (default 3)', positiveInt('--alternatives'))
    .option('--model-name <name>', "tau2-submission: the model's name (default: the runs' agent model)")
    .option('--model-organization <org>', 'tau2-submission: who developed the model (required)')
    .option('--submitting-organization <org>', 'tau2-submission: who ran the evaluation (default: --model-organization)')
    .option('--contact-email <email>', 'tau2-submission: contact email')
    .option('--contact-name <name>', 'tau2-submission: contact name')
    .option('--github <user>', 'tau2-submission: GitHub user name')
    .option(
      '--submission-type <type>',
      'tau2-submission: standard | custom (default: standard for imported τ² results, custom for Groundwork runs)',
    )
    .option('--submission-date <date>', 'tau2-submission: YYYY-MM-DD (default today, UTC)')
    .option('--tau2-version <version>', "tau2-submission: τ²'s version (default: the imported results' git commit)")
    .option('--retrieval-config <name>', 'tau2-submission: banking_knowledge retrieval method (default: from imported results)')
    .option('--reasoning-effort <level>', "tau2-submission: the agent's reasoning effort, if any")
    .option('--notes <text>', 'tau2-submission: added to methodology.notes')
    .option('--is-new', 'tau2-submission: highlight as new on the leaderboard')
    .option('--allow-pending', 'tau2-submission: count rewards awaiting an NL-assertion judge as failures instead of refusing')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (runIds: string[], options: ExportOptions) => (await import('../actions/export.ts')).exportAction(runIds, options));
}
