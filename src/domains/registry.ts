import { GroundworkError } from '../errors.ts';
import type { Domain, DomainOptions } from './domain.ts';
import { createHelpdeskDomain } from './helpdesk/index.ts';
import { createTau2RetailDomain, createTauBenchAirlineDomain, createTauBenchRetailDomain } from './tau-bench/index.ts';

/** Every domain, by name. Adding a domain is one line here. */
const DOMAIN_FACTORIES: Record<string, (options: DomainOptions) => Domain> = {
  helpdesk: createHelpdeskDomain,
  'tau-bench/retail': createTauBenchRetailDomain,
  'tau-bench/airline': createTauBenchAirlineDomain,
  'tau2-bench/retail': createTau2RetailDomain,
};

/** Names of registered domains. */
export function domainNames(): string[] {
  return Object.keys(DOMAIN_FACTORIES);
}

/** Build a domain by name. Throws UNKNOWN_DOMAIN with the list of known names. */
export function createDomain(name: string, options: DomainOptions = {}): Domain {
  const factory = DOMAIN_FACTORIES[name];
  if (!factory) {
    throw new GroundworkError('UNKNOWN_DOMAIN', `unknown domain ${JSON.stringify(name)}`, { hint: `known domains: ${domainNames().join(', ')}` });
  }
  return factory(options);
}
