import type { Command } from 'commander';
import { checkDomain } from '../../domains/check-domain.ts';
import { createDomain, domainNames } from '../../domains/registry.ts';
import { printJson } from '../context.ts';
import { table } from '../format.ts';

/** `groundwork domains [--check]`: what domains exist, and whether they honour the contract. */
export function registerDomainsCommand(program: Command): void {
  program
    .command('domains')
    .description('list registered domains; --check runs the conformance check on each')
    .option('--check', 'check each domain against the domain contract')
    .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
    .option('--json', 'print one JSON document on stdout')
    .action((options: { check?: boolean; data?: string; json?: boolean }) => {
      const rows = domainNames().map((name) => {
        try {
          const domain = createDomain(name, options.data ? { dataDir: options.data } : {});
          const problems = options.check ? checkDomain(domain) : undefined;
          return { name, description: domain.description, tools: domain.tools.length, splits: domain.splits, defaultSplit: domain.defaultSplit, ...(problems ? { problems } : {}) };
        } catch (error) {
          return { name, error: (error as Error).message };
        }
      });
      if (options.check && rows.some((r) => 'error' in r || (r.problems?.length ?? 0) > 0)) process.exitCode = 1;
      if (options.json) {
        printJson({ domains: rows });
        return;
      }
      process.stdout.write(
        `${table(
          ['domain', 'tools', 'splits', ...(options.check ? ['check'] : []), 'description'],
          rows.map((r) => ('error' in r ? [r.name, '-', '-', ...(options.check ? ['unavailable'] : []), r.error ?? ''] : [r.name, String(r.tools), r.splits.join(', '), ...(options.check ? [r.problems!.length === 0 ? 'ok' : `${r.problems!.length} problem(s)`] : []), r.description.slice(0, 80)])),
        )}\n`,
      );
      for (const r of rows) if (!('error' in r) && r.problems?.length) for (const p of r.problems) process.stdout.write(`${r.name}: ${p.where}: ${p.problem}\n`);
    });
}
