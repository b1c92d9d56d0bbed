import type { Command } from 'commander';
import type { CompareOptions } from '../actions/compare.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork compare RUN_A RUN_B`: paired comparison on shared tasks and trials. */
export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description(
      'compare two runs episode by episode on shared tasks (same content) and trials: pass^1 difference with bootstrap 95% CI, McNemar exact test, per-task flips',
    )
    .argument('<runA>', 'baseline run id')
    .argument('<runB>', 'run id compared with it')
    .option('--agent <name>', 'agent of run A to compare (default: every agent in both runs)')
    .option('--agent-b <name>', 'agent of run B (default: same as --agent)')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document on stdout')
    .action(async (runA: string, runB: string, options: CompareOptions) =>
      (await import('../actions/compare.ts')).compareAction(runA, runB, options),
    );
}
