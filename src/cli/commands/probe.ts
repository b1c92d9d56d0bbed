import type { Command } from 'commander';
import type { RunOptions } from '../actions/run.ts';
import type { ProbesListOptions } from '../actions/probes.ts';
import { addRunOptions, PROBE_PACKS_HELP } from './run.ts';

/**
 * `groundwork probe --pack NAME …`: `run` over a probe pack's variants (the same options, stored as
 * a run, resumable), then the probe audit's tables.
 */
export function registerProbeCommand(program: Command): void {
  addRunOptions(
    program
      .command('probe')
      .description("run a probe pack: variants of a domain's tasks graded from the state, with the probe audit's metrics")
      .argument('[runFile]', 'YAML run file (see groundwork init); flags override it')
      .option('--pack <name>', `probe pack: ${PROBE_PACKS_HELP} (see groundwork probes list)`)
      .option('--tasks <count|ids>', 'first N base scenarios (each gives every variant of the pack), or comma-separated variant ids'),
  ).action(async (runFile: string | undefined, options: RunOptions & { pack?: string }, command: Command) =>
    (await import('../actions/run.ts')).probeAction(runFile, options, command),
  );
}

/** `groundwork probes list`: the packs, their variants, and which domains can run them. */
export function registerProbesCommand(program: Command): void {
  const probes = program
    .command('probes')
    .description('probe packs: variants of tasks that probe pressure, emotion, persona, honeypots, missing facts');
  probes
    .command('list')
    .description('list the probe packs, their variants, and for each domain whether it supports them and how many tasks they make')
    .option('--domain <name>', 'only this domain (default: helpdesk, tau-bench/retail, tau-bench/airline)')
    .option('--split <name>', 'task split (default: the domain default)')
    .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: ProbesListOptions) => (await import('../actions/probes.ts')).probesListAction(options));
}
