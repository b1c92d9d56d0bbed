import { Command } from 'commander';
import { openTauBench, formatReplayLine, type TauDomainName } from '../../domains/tau-bench/index.ts';
import { GroundworkError } from '../../errors.ts';

const DOMAINS: Record<string, TauDomainName> = {
  retail: 'tau-bench/retail',
  airline: 'tau-bench/airline',
  'tau2-retail': 'tau2-bench/retail',
};

interface ReplayOptions {
  domain: string;
  data?: string;
  tasks?: string;
  split?: string;
  json?: boolean;
}

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
    .requiredOption('--domain <name>', `domain: ${Object.keys(DOMAINS).join(' | ')}`)
    .option('--data <dir>', 'benchmark data folder (the benchmarks root or the domain folder); default $GROUNDWORK_BENCHMARKS_DIR or ../shared/benchmarks')
    .option('--tasks <file>', 'task file in the published format (default: the split file of the data folder)')
    .option('--split <name>', 'split to replay when --tasks is not given (default: test)')
    .option('--json', 'print JSON lines (the only output format; accepted for clarity)')
    .action((options: ReplayOptions) => {
      runTauReplay(options, (line) => process.stdout.write(`${line}\n`));
    });
}

/** The logic of `groundwork tau replay`, writing each line through `emit`. Returns the number of tasks. */
export function runTauReplay(options: ReplayOptions, emit: (line: string) => void): number {
  const name = DOMAINS[options.domain];
  if (!name) {
    throw new GroundworkError('UNKNOWN_DOMAIN', `unknown τ-bench domain ${JSON.stringify(options.domain)}`, { hint: `use --domain ${Object.keys(DOMAINS).join(' | ')}` });
  }
  if (options.tasks !== undefined && options.split !== undefined) {
    throw new GroundworkError('INVALID_ARGUMENT', '--tasks and --split cannot be combined', { hint: 'a task file is replayed whole; drop --split' });
  }
  const bench = openTauBench(name, { dataDir: options.data, tasksFile: options.tasks });
  const sources = bench.sources(options.split);
  for (const source of sources) emit(formatReplayLine(bench.replay(source), bench.format));
  return sources.length;
}
