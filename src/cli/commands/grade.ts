import { type Command, Option } from 'commander';
import type { GradeOptions } from '../actions/grade.ts';

/**
 * `groundwork grade --format tau-bench`: re-grades recorded τ-bench trajectories. Every tool call is
 * replayed through our tools on a fresh state, graded with τ-bench's rule, and compared with the
 * recorded reward; `--store` keeps the episodes as a run that `show` and later audits read.
 */
export function registerGradeCommand(program: Command): void {
  program
    .command('grade')
    .description('re-grade recorded trajectories (τ-bench results files) against our environment; optionally store them as a run')
    .argument('<file>', 'results file (τ-bench: a JSON list of {task_id, trial, reward, info, traj})')
    .requiredOption('--format <format>', 'format of the file: tau-bench')
    .requiredOption('--domain <name>', 'domain the results were recorded on: tau-bench/airline | tau-bench/retail')
    .option('--data <dir>', 'benchmark data folder (default $GROUNDWORK_BENCHMARKS_DIR or ../shared/benchmarks)')
    .option('--task-file <file>', "task file to use for records without info.task (default: the domain's test split)")
    .addOption(new Option('--tasks-file <file>', 'deprecated spelling of --task-file').hideHelp())
    .option('--agent-name <name>', 'agent name for the imported episodes (default: from the file name), stored as imported:NAME')
    .option('--store', 'store the re-graded episodes as a run (prints its id)')
    .option('--db <path>', 'SQLite database for --store (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (file: string, options: GradeOptions) => (await import('../actions/grade.ts')).gradeAction(file, options));
}
