import { openTauBench, formatReplayLine } from '../../domains/tau-bench/index.ts';
import { GroundworkError } from '../../errors.ts';
import { DEPRECATED_DOMAINS, DOMAINS } from '../commands/tau.ts';
import { taskFileOption, warnDeprecated } from '../context.ts';

export interface ReplayOptions {
  domain: string;
  data?: string;
  taskFile?: string;
  /** Deprecated spelling of --task-file. */
  tasks?: string;
  split?: string;
  json?: boolean;
}

/** The logic of `groundwork tau replay`, writing each line through `emit`. Returns the number of tasks. */
export function runTauReplay(options: ReplayOptions, emit: (line: string) => void): number {
  let name = DOMAINS.get(options.domain);
  if (!name) {
    name = DEPRECATED_DOMAINS.get(options.domain);
    if (name) warnDeprecated(`--domain ${options.domain}`, `--domain ${name}`);
  }
  if (!name) {
    throw new GroundworkError('UNKNOWN_DOMAIN', `unknown τ-bench domain ${JSON.stringify(options.domain)}`, {
      hint: `use --domain ${[...DOMAINS.keys()].join(' | ')}`,
    });
  }
  const taskFile = taskFileOption(options as unknown as Record<string, unknown>, { tasks: '--tasks' });
  if (taskFile !== undefined && options.split !== undefined) {
    throw new GroundworkError('INVALID_ARGUMENT', '--task-file and --split cannot be combined', {
      hint: 'a task file is replayed whole; drop --split',
    });
  }
  const bench = openTauBench(name, { dataDir: options.data, tasksFile: taskFile });
  const sources = bench.sources(options.split);
  for (const source of sources) emit(formatReplayLine(bench.replay(source), bench.format));
  return sources.length;
}
