import type { Domain } from '../domains/domain.ts';
import { GroundworkError } from '../errors.ts';
import type { Agent } from './agent.ts';
import { createNaiveAgent } from './naive.ts';
import { createNoopAgent, createOracleAgent } from './oracle.ts';
import { PROBE_TEST_AGENTS } from './probe-agents.ts';

/**
 * Built-in agents by name, each built for the domain it will act in (the naive agent takes the
 * domain's playbook). A `Map`, so names such as `constructor` or `__proto__` are unknown, not
 * inherited. Model agents (`openai:gpt-4o`...) are built by the runner.
 */
export const BUILT_IN_AGENTS: ReadonlyMap<string, (domain: Pick<Domain, 'baselines'>) => Agent> = new Map([
  ['oracle', () => createOracleAgent()],
  ['noop', () => createNoopAgent()],
  ['naive', (domain: Pick<Domain, 'baselines'>) => createNaiveAgent(domain.baselines?.naive)],
  // Test agents of the probe packs (known verdicts), after the baselines so listings keep their order.
  ...[...PROBE_TEST_AGENTS].map(([name, create]) => [name, () => create()] as const),
]);

/** Whether `name` is a built-in agent. */
export function isBuiltInAgent(name: string): boolean {
  return BUILT_IN_AGENTS.has(name);
}

/** A built-in agent by name, for a domain; throws UNKNOWN_AGENT listing the known names. */
export function createBuiltInAgent(name: string, domain: Pick<Domain, 'baselines'>): Agent {
  const factory = BUILT_IN_AGENTS.get(name);
  if (!factory) {
    throw new GroundworkError('UNKNOWN_AGENT', `unknown agent ${JSON.stringify(name)}`, {
      hint: `built-in agents: ${[...BUILT_IN_AGENTS.keys()].join(', ')}; or a model spec like openai:MODEL, an endpoint http://HOST/v1, or cmd:COMMAND`,
    });
  }
  return factory(domain);
}
