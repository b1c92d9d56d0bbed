import { GroundworkError } from '../errors.ts';
import type { Agent } from './agent.ts';
import { createNaiveAgent } from './naive.ts';
import { createNoopAgent, createOracleAgent } from './oracle.ts';

/** Built-in agents by name. Model agents (`openai:gpt-4o`...) are built by the runner. */
export const BUILT_IN_AGENTS: Record<string, () => Agent> = {
  oracle: createOracleAgent,
  noop: createNoopAgent,
  naive: createNaiveAgent,
};

/** A built-in agent by name; throws UNKNOWN_AGENT listing the known names. */
export function createBuiltInAgent(name: string): Agent {
  const factory = BUILT_IN_AGENTS[name];
  if (!factory) {
    throw new GroundworkError('UNKNOWN_AGENT', `unknown agent ${JSON.stringify(name)}`, {
      hint: `built-in agents: ${Object.keys(BUILT_IN_AGENTS).join(', ')}; or a model spec like openai:MODEL`,
    });
  }
  return factory();
}
