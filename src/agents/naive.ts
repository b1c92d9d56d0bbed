import type { NaivePlaybook } from '../domains/baseline.ts';
import type { Agent } from './agent.ts';
import { scriptedSession, type AgentScript } from './scripted-session.ts';

/**
 * A realistic weak baseline: it takes the most literal reading of the first request, skips
 * identity and authority checks, does the obvious single step, and always tells the user it is
 * done. What "literal" means is the domain's playbook (`Domain.baselines.naive`), given when the
 * agent is built; a domain without one gets a naive agent that does nothing and still says it is
 * done. Its claims can be checked against the state; most of them are false.
 */
export function createNaiveAgent(playbook: NaivePlaybook = claimOnly): Agent {
  return {
    name: 'naive',
    start() {
      // Overconfident by design: it always believes it succeeded.
      return scriptedSession(playbook, () => ({ success: true, confidence: 0.95, summary: 'Did what the user asked.' }));
    },
  };
}

/** The playbook of a domain that has none: no tool, just the claim. */
// biome-ignore lint/correctness/useYield: a script that ends at once; its return value is its only turn.
function* claimOnly(): AgentScript {
  return { message: 'Done! Your request has been taken care of.' };
}
