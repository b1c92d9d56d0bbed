import { type Command, Option } from 'commander';
import type { GradeOptions } from '../actions/grade.ts';

/**
 * `groundwork grade --format tau-bench|tau2`: re-grades recorded trajectories. Every tool call is
 * replayed through our tools on a fresh state, graded with the benchmark's own rule, and compared
 * with the recorded reward; the episodes are kept as a run that `show`, `report`, `view` and
 * `audit` read (`--store` for τ-bench; by default for τ², `--no-store` to only compare).
 */
export function registerGradeCommand(program: Command): void {
  program
    .command('grade')
    .description('re-grade recorded trajectories (τ-bench or τ² results) against our environment and store them as a run')
    .argument('<file>', 'results: τ-bench: a JSON list of {task_id, trial, reward, info, traj}; τ²: results.json, or its directory form')
    .requiredOption('--format <format>', 'format of the file: tau-bench | tau2')
    .option(
      '--domain <name>',
      'domain the results were recorded on: tau-bench/airline | tau-bench/retail (required for tau-bench); τ²: default from the file',
    )
    .option('--data <dir>', 'benchmark data folder (default $GROUNDWORK_BENCHMARKS_DIR or ../shared/benchmarks)')
    .option('--task-file <file>', "task file to use for records without info.task (default: the domain's test split)")
    .addOption(new Option('--tasks-file <file>', 'deprecated spelling of --task-file').hideHelp())
    .option(
      '--agent-name <name>',
      'agent name for the imported episodes (default: τ-bench: from the file name; τ²: the recorded agent model), stored as imported:NAME',
    )
    .option('--store', 'store the re-graded episodes as a run (prints its id); the default for --format tau2')
    .option('--no-store', 'tau2: only re-grade and compare, store nothing')
    .option(
      '--db <path|url>',
      'with --store: where the run is stored, a SQLite file or postgres://USER[:PASSWORD]@HOST:PORT/DB (default .groundwork/groundwork.db, or $GROUNDWORK_STORE)',
    )
    .option(
      '--log-dir <dir>',
      'where run logs go (default: logs/ beside a SQLite store, .groundwork/logs for PostgreSQL; or $GROUNDWORK_LOG_DIR)',
    )
    .option('--json', 'print one JSON document on stdout')
    .action(async (file: string, options: GradeOptions) => (await import('../actions/grade.ts')).gradeAction(file, options));
}
