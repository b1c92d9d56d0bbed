import type { Command } from 'commander';
import type { ExportOptions } from '../actions/export.ts';
import { positiveInt } from '../options.ts';
import { EXPORT_FORMATS } from './constants.ts';

/** `groundwork export RUN_ID --format F -o FILE`: training data from a stored run, as validated JSONL. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(`export a stored run as JSONL training data (${EXPORT_FORMATS.join(', ')}); every line validated against its schema`)
    .argument('[runId]', 'the run to export')
    .option(
      '--format <format>',
      `sft (verified successes, OpenAI chat fine-tuning format), preference (success/failure pairs at a shared state), rl (prompts with grounded reward components and calibration), early-experience (expert states, alternative actions on forks, next states)`,
    )
    .option('-o, --output <file>', 'JSONL file to write')
    .option('--schema <format>', 'print the JSON Schema of one line of FORMAT and exit')
    .option('--alternatives <n>', 'early-experience: alternative actions per expert state (default 3)', positiveInt('--alternatives'))
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string | undefined, options: ExportOptions) =>
      (await import('../actions/export.ts')).exportAction(runId, options),
    );
}
