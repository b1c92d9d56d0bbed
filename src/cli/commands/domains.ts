import type { Command } from 'commander';
import type { DomainsOptions } from '../actions/domains.ts';

/** `groundwork domains [--check]`: what domains exist, and whether they honour the contract. */
export function registerDomainsCommand(program: Command): void {
  program
    .command('domains')
    .description('list registered domains; --check runs the conformance check on each')
    .option('--check', 'check each domain against the domain contract')
    .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: DomainsOptions) => (await import('../actions/domains.ts')).domainsAction(options));
}
