import { checkDomain } from '../../domains/check-domain.ts';
import { createDomain, domainNames } from '../../domains/registry.ts';
import { printJson } from '../context.ts';
import { table } from '../format.ts';

export interface DomainsOptions {
  check?: boolean;
  data?: string;
  json?: boolean;
}

/** `groundwork domains [--check]`: what domains exist, and whether they honour the contract. */
export async function domainsAction(options: DomainsOptions): Promise<void> {
  const rows = domainNames().map((name) => {
    try {
      const domain = createDomain(name, options.data ? { dataDir: options.data } : {});
      const problems = options.check ? checkDomain(domain) : undefined;
      return {
        name,
        description: domain.description,
        tools: domain.tools.length,
        splits: domain.splits,
        defaultSplit: domain.defaultSplit,
        ...(problems ? { problems } : {}),
      };
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
      rows.map((r) =>
        'error' in r
          ? [r.name, '-', '-', ...(options.check ? ['unavailable'] : []), r.error ?? '']
          : [
              r.name,
              String(r.tools),
              r.splits.join(', '),
              ...(options.check ? [r.problems!.length === 0 ? 'ok' : `${r.problems!.length} problem(s)`] : []),
              r.description.slice(0, 80),
            ],
      ),
    )}\n`,
  );
  for (const r of rows)
    if (!('error' in r) && r.problems?.length) for (const p of r.problems) process.stdout.write(`${r.name}: ${p.where}: ${p.problem}\n`);
}
