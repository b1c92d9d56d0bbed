import { createDomain } from '../../domains/registry.ts';
import { describeError } from '../../errors.ts';
import { PROBE_PACKS, probePackInfo, type ProbePackInfo } from '../../probes/index.ts';
import { printJson } from '../context.ts';
import { table } from '../format.ts';

export interface ProbesListOptions {
  domain?: string;
  split?: string;
  data?: string;
  json?: boolean;
}

/** The domains the packs are written for, listed when no --domain is given. */
const PROBE_DOMAINS = ['helpdesk', 'tau-bench/retail', 'tau-bench/airline'];

/** One domain's packs, or why the domain could not be opened (τ-bench without its data). */
export type DomainProbes = { domain: string; split: string; packs: ProbePackInfo[] } | { domain: string; error: string };

/** Every pack on one domain: supported or why not, with its task counts. */
export function domainProbes(name: string, options: Pick<ProbesListOptions, 'split' | 'data'> = {}): DomainProbes {
  const base = options.data ? { dataDir: options.data } : {};
  let domain: ReturnType<typeof createDomain>;
  try {
    domain = createDomain(name, base);
  } catch (error) {
    const message = describeError(error);
    // τ-bench reads its data from the benchmarks folder: a missing one is a row, not a failure.
    if (/data not found/.test(message)) return { domain: name, error: 'data not found (pass --data DIR or set GROUNDWORK_BENCHMARKS_DIR)' };
    throw error;
  }
  const split = options.split ?? domain.defaultSplit;
  return { domain: name, split, packs: probePackInfo(domain, { split, domainFor: (extra) => createDomain(name, { ...base, ...extra }) }) };
}

/** `groundwork probes list [--domain D] [--json]`: packs, their variants, and each domain's support and task counts. */
export async function probesListAction(options: ProbesListOptions): Promise<void> {
  const domains = (options.domain ? [options.domain] : PROBE_DOMAINS).map((name) => domainProbes(name, options));
  const packs = [...PROBE_PACKS.values()].map((pack) => ({ name: pack.name, description: pack.description, variants: pack.variants }));
  if (options.json) {
    printJson({ packs, domains });
    return;
  }
  const lines = [
    table(
      ['pack', 'variants', 'what it probes'],
      packs.map((pack) => [pack.name, pack.variants.length, pack.description]),
    ),
    '',
    'Variants (one task each per base scenario):',
    ...packs.map((pack) => `  ${pack.name}: ${pack.variants.join(', ')}`),
    '',
    table(
      ['domain', 'split', 'pack', 'supported', 'base scenarios', 'tasks'],
      domains.flatMap((d) =>
        'error' in d
          ? [[d.domain, '-', '-', d.error, '-', '-']]
          : d.packs.map((p) => [
              d.domain,
              d.split,
              p.name,
              p.supported ? 'yes' : `no: ${p.unsupported ?? 'unsupported'}`,
              p.supported ? p.baseScenarios : '-',
              p.supported ? p.tasks : '-',
            ]),
      ),
    ),
    '',
    'Run one: groundwork probe --pack NAME --domain DOMAIN --agent AGENT [--tasks N base scenarios]',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
