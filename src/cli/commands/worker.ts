import type { Command } from 'commander';
import type { WorkerOptions } from '../actions/worker.ts';
import { positiveInt } from '../options.ts';
import { addStoreOption } from './store-option.ts';

/** `groundwork worker --queue redis://… --store …`: run queued episodes of any distributed run (docs/scale.md). */
export function registerWorkerCommand(program: Command): void {
  addStoreOption(
    program
      .command('worker')
      .description(
        'run episodes of distributed runs (groundwork run --queue) from a Redis queue, on any machine; Ctrl-C finishes the episodes in flight',
      )
      .option('--queue <url>', 'the queue: redis://[:PASSWORD@]HOST:PORT[/DB] (default $GROUNDWORK_QUEUE)')
      .option('--concurrency <n>', 'episodes this worker runs at once (default 4)', positiveInt('--concurrency'))
      .option('--json', 'one JSON object per event on stdout'),
  ).action(async (options: WorkerOptions) => (await import('../actions/worker.ts')).workerAction(options));
}
