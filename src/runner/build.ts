import type { Agent } from '../agents/agent.ts';
import { createCommandAgent, isCommandAgent } from '../agents/external-agent.ts';
import { createBuiltInAgent, isBuiltInAgent } from '../agents/registry.ts';
import type { Domain } from '../domains/domain.ts';
import { GroundworkError } from '../errors.ts';
import { createScriptedUser } from '../users/scripted.ts';
import type { UserSimulator } from '../users/user.ts';

/**
 * Builds participants from their names. Model-backed participants (`openai:MODEL`...) are
 * supplied by a `ParticipantFactory` so the runner itself stays free of provider code.
 */
export interface ParticipantFactory {
  /** An agent for a name that is not built in, or undefined when the name is not a model spec. */
  agent?(name: string): Agent | undefined;
  /** A user simulator for a name other than `scripted`. */
  user?(name: string): UserSimulator | undefined;
}

/** Names of built-in user simulators. */
export const BUILT_IN_USERS = ['scripted'];

/**
 * Build an agent for a domain: built-in first, then the factory, then an external command
 * (`cmd:COMMAND`, docs/external-agents.md); UNKNOWN_AGENT otherwise.
 */
export function buildAgent(name: string, domain: Pick<Domain, 'baselines'>, factory: ParticipantFactory = {}): Agent {
  if (isBuiltInAgent(name)) return createBuiltInAgent(name, domain);
  const agent = factory.agent?.(name);
  if (agent) return agent;
  if (isCommandAgent(name)) return createCommandAgent(name);
  return createBuiltInAgent(name, domain);
}

/** Build a user simulator: `scripted`, or one from the factory; UNKNOWN_USER otherwise. */
export function buildUser(name: string, factory: ParticipantFactory = {}): UserSimulator {
  if (name === 'scripted') return createScriptedUser();
  const user = factory.user?.(name);
  if (user) return user;
  throw new GroundworkError('UNKNOWN_USER', `unknown user simulator ${JSON.stringify(name)}`, {
    hint: 'use scripted, or a model spec like openai:MODEL',
  });
}
