import type { Command } from 'commander';
import type { DomainSelection } from '../actions/tasks.ts';
import { integer } from '../options.ts';

/** `groundwork tasks list|lint`. */
export function registerTasksCommand(program: Command): void {
  const tasks = program.command('tasks').description('list and check tasks');
  const selection = (command: Command) =>
    command
      .option('--domain <name>', 'domain', 'helpdesk')
      .option('--split <name>', 'task split (default: the domain default)')
      .option('--tasks <count|ids>', 'first N tasks, or comma-separated task ids')
      .option('--domain-seed <n>', 'seed of generated domains (default 42)', integer('--domain-seed'))
      .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
      .option('--task-file <file>', 'task file (τ-bench domains)')
      .option('--domain-variant <name>', 'domain variant (e.g. banking_knowledge retrieval: bm25_grep, bm25, grep_only…)')
      .option(
        '--probes <pack>',
        "a probe pack's variants of the selected tasks (--tasks N: base scenarios, or variant ids); see groundwork probes list",
      )
      .option('--json', 'print one JSON document on stdout');

  selection(tasks.command('list').description('list the tasks of a split')).action(async (options: DomainSelection) =>
    (await import('../actions/tasks.ts')).tasksListAction(options),
  );

  selection(tasks.command('lint').description('run oracle and noop on each task; report tasks the oracle fails or noop passes'))
    .option(
      '--mutations',
      "also grade systematic mutations of each task's reference end state against the grade its expected outcome implies",
    )
    .action(async (options: DomainSelection) => (await import('../actions/tasks.ts')).tasksLintAction(options));
}
