import { GroundworkError } from '../errors.ts';
import type { Domain, DomainOptions } from './domain.ts';
import { createHelpdeskDomain } from './helpdesk/index.ts';
import { withHoneypots } from './honeypots.ts';
import { createTau2RetailDomain, createTauBenchAirlineDomain, createTauBenchRetailDomain } from './tau-bench/index.ts';
import { createTau2BankingKnowledgeDomain } from './tau2-bench/banking-knowledge/index.ts';
import { createTau2MockDomain } from './tau2-bench/mock/index.ts';
import { createTau2TelecomDomain } from './tau2-bench/telecom/index.ts';

/** Builds a domain from its options. The one factory type of every domain (built-in or registered by a library user). */
export type DomainFactory = (options: DomainOptions) => Domain;

/**
 * Domains by name, as a value: no global mutable state. `register` returns a new registry and
 * leaves this one as it was, so the built-ins can be shared safely; pass your registry to
 * `createRun`, `executeRun`, `auditStoredRun`, `learn` and `exportRun` (`domains` option).
 */
export interface DomainRegistry {
  /** Registered names, in registration order. */
  names(): string[];
  has(name: string): boolean;
  /**
   * Build a domain by name. Throws `UNKNOWN_DOMAIN` (with the known names) for a name not
   * registered, and `INVALID_ARGUMENT` when the factory's domain carries another name.
   * With `honeypots: true` the built domain gets the honeypot surface (`withHoneypots`); the
   * factory itself never sees that option.
   */
  create(name: string, options?: DomainOptions): Domain;
  /**
   * A new registry with one more domain. Refuses (`INVALID_ARGUMENT`) a name already registered
   * and anything that is not a domain name (see `DOMAIN_NAME`).
   */
  register(name: string, factory: DomainFactory): DomainRegistry;
}

/** What a domain name looks like: lowercase words of letters, digits, `.`, `_`, `-`, joined by `/` (`helpdesk`, `tau-bench/retail`). */
export const DOMAIN_NAME = /^[a-z0-9][a-z0-9._-]{0,63}(?:\/[a-z0-9][a-z0-9._-]{0,63}){0,3}$/;

/** The built-in domains, in listing order. A built-in domain is one line here. */
export const BUILT_IN_DOMAINS: readonly (readonly [string, DomainFactory])[] = Object.freeze([
  ['helpdesk', createHelpdeskDomain],
  ['tau-bench/retail', createTauBenchRetailDomain],
  ['tau-bench/airline', createTauBenchAirlineDomain],
  ['tau2-bench/retail', createTau2RetailDomain],
  ['tau2-bench/telecom', createTau2TelecomDomain],
  ['tau2-bench/mock', createTau2MockDomain],
  ['tau2-bench/banking_knowledge', createTau2BankingKnowledgeDomain],
] as const);

function checkedName(name: unknown, known: ReadonlyMap<string, DomainFactory>): string {
  if (typeof name !== 'string' || !DOMAIN_NAME.test(name)) {
    throw new GroundworkError('INVALID_ARGUMENT', `${JSON.stringify(name)} is not a domain name`, {
      hint: 'lowercase letters, digits, ".", "_" and "-", parts joined by "/" (e.g. "my-shop" or "acme/retail")',
    });
  }
  if (known.has(name))
    throw new GroundworkError('INVALID_ARGUMENT', `domain ${JSON.stringify(name)} is already registered`, {
      hint: 'pick another name, or build a registry without it: createDomainRegistry([...])',
    });
  return name;
}

function registryOf(factories: ReadonlyMap<string, DomainFactory>): DomainRegistry {
  const registry: DomainRegistry = {
    names: () => [...factories.keys()],
    has: (name) => factories.has(name),
    create(name, options = {}) {
      const factory = factories.get(name);
      if (!factory) {
        throw new GroundworkError('UNKNOWN_DOMAIN', `unknown domain ${JSON.stringify(name)}`, {
          hint: `known domains: ${[...factories.keys()].join(', ')}`,
        });
      }
      // The surface is added here, not by each factory: every domain gets the same one.
      const { honeypots, ...factoryOptions } = options;
      const domain = factory(factoryOptions);
      if (domain.name !== name)
        throw new GroundworkError(
          'INVALID_ARGUMENT',
          `the factory registered as ${JSON.stringify(name)} built a domain named ${JSON.stringify(domain.name)}`,
          { hint: 'register a domain under its own name: stored runs find their domain by that name' },
        );
      if (options.variant !== undefined && domain.variant !== options.variant)
        throw new GroundworkError('INVALID_ARGUMENT', `domain ${JSON.stringify(name)} has no variant ${JSON.stringify(options.variant)}`, {
          hint:
            domain.variant === undefined ? 'this domain has no variants: leave out --domain-variant' : `it was built as ${domain.variant}`,
        });
      return honeypots === true ? withHoneypots(domain) : domain;
    },
    register(name, factory) {
      if (typeof factory !== 'function')
        throw new GroundworkError('INVALID_ARGUMENT', `the factory of domain ${JSON.stringify(name)} is not a function`);
      return registryOf(new Map([...factories, [checkedName(name, factories), factory]]));
    },
  };
  return Object.freeze(registry);
}

/**
 * A domain registry. Without an argument it holds the built-in domains; with one, exactly the
 * domains given (names checked as by `register`).
 *
 * @example
 * const domains = createDomainRegistry().register('scratch', createScratchDomain);
 * const { runId } = await createRun(store, { domain: 'scratch', agents: ['oracle'] }, { domains });
 */
export function createDomainRegistry(entries: Iterable<readonly [string, DomainFactory]> = BUILT_IN_DOMAINS): DomainRegistry {
  let registry = registryOf(new Map());
  for (const [name, factory] of entries) registry = registry.register(name, factory);
  return registry;
}

/** The built-in domains (what the CLI uses). Immutable: register into a registry of your own. */
export const builtInDomains: DomainRegistry = createDomainRegistry();

/** `registry.register(name, factory)` as a function: a new registry with one more domain. */
export function registerDomain(registry: DomainRegistry, name: string, factory: DomainFactory): DomainRegistry {
  return registry.register(name, factory);
}

/** Names of the built-in domains. */
export function domainNames(): string[] {
  return builtInDomains.names();
}

/** Build a built-in domain by name. Throws UNKNOWN_DOMAIN with the list of known names. */
export function createDomain(name: string, options: DomainOptions = {}): Domain {
  return builtInDomains.create(name, options);
}
