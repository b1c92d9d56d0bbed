import { type Command, Option } from 'commander';
import type { ReplayOptions } from '../actions/tau.ts';
import type { TauDomainName } from '../../domains/tau-bench/index.ts';

/** The τ-bench domains by their registry names, as every other command names them. */
export const DOMAINS: ReadonlyMap<string, TauDomainName> = new Map<string, TauDomainName>([
  ['tau-bench/retail', 'tau-bench/retail'],
  ['tau-bench/airline', 'tau-bench/airline'],
  ['tau2-bench/retail', 'tau2-bench/retail'],
]);

/** Short names `tau replay` took before it used the registry names: still accepted, with a note. */
export const DEPRECATED_DOMAINS: ReadonlyMap<string, TauDomainName> = new Map<string, TauDomainName>([
  ['retail', 'tau-bench/retail'],
  ['airline', 'tau-bench/airline'],
  ['tau2-retail', 'tau2-bench/retail'],
]);

/**
 * `groundwork tau replay`: replays every task's gold actions through our τ-bench tools and prints,
 * per task, the observations and the records that changed — in Python's `json.dumps` format, so the
 * lines can be compared byte for byte with a replay by τ-bench's own tools.
 */
export function registerTauCommand(program: Command): void {
  const tau = program.command('tau').description('τ-bench utilities');
  tau
    .command('replay')
    .description('replay the gold actions of τ-bench tasks; one JSON line per task {"index", "outputs", "changed"}')
    .requiredOption('--domain <name>', `domain: ${[...DOMAINS.keys()].join(' | ')}`)
    .option(
      '--data <dir>',
      'benchmark data folder (the benchmarks root or the domain folder); default $GROUNDWORK_BENCHMARKS_DIR or ../shared/benchmarks',
    )
    .option('--task-file <file>', 'task file in the published format (default: the split file of the data folder)')
    .addOption(new Option('--tasks <file>', 'deprecated spelling of --task-file').hideHelp())
    .option('--split <name>', 'split to replay when --task-file is not given (default: test)')
    .option('--json', 'print JSON lines (the only output format; accepted for clarity)')
    .action(async (options: ReplayOptions) => {
      const { runTauReplay } = await import('../actions/tau.ts');
      runTauReplay(options, (line) => process.stdout.write(`${line}\n`));
    });
}
