import type { Command } from 'commander';
import type { ReportOptions } from '../actions/report.ts';
import { positiveInt } from '../options.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork report RUN_ID -o report.html`: one self-contained HTML file. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report of a run (charts, tables, failed episodes with transcript and state diff)')
    .argument('<runId>', 'run id (see groundwork runs)')
    .option('-o, --output <file>', 'where to write the report (default groundwork-report-RUN_ID.html)')
    .option('--max-failed <n>', 'failed episodes included in full, spread over agents', positiveInt('--max-failed', 0), 200)
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string, options: ReportOptions) => (await import('../actions/report.ts')).reportAction(runId, options));
}
