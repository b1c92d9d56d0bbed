import type { Claim, FaultCause, SimulatorFault, TaskProblem } from '../schema/audit.ts';
import type { Outcome } from '../schema/outcome.ts';
import { TASK_LINT_WARNINGS } from './task-lint.ts';

/** What fault attribution reads about one episode. */
export interface FaultInput {
  reward: number;
  termination: string;
  terminationDetail?: string;
  outcome: Pick<Outcome, 'state' | 'collateral' | 'communication' | 'note'>;
  claims: readonly Claim[];
  simulatorFaults: readonly SimulatorFault[];
  /** Lint problems of the episode's task (oracle fails on it, broken gold action, facts that disagree with the data). */
  taskProblems: readonly TaskProblem[];
}

/**
 * The primary cause of a failed episode, with its evidence (undefined when the episode passed).
 * Precedence: infrastructure (the episode could not run) → task (the task itself is broken: the
 * oracle fails on it or the lint flags it) → user simulator (it drifted from its scenario, or
 * crashed) → agent (everything else: unmet predicates, collateral, untold information).
 */
export function attributeFault(input: FaultInput): { cause: FaultCause; evidence: string } | undefined {
  if (input.reward >= 1) return undefined;
  if (input.termination === 'infra_error') return { cause: 'infrastructure', evidence: `infra_error: ${input.terminationDetail ?? input.outcome.note ?? 'the episode could not run'}` };
  const broken = input.taskProblems.filter((p) => !TASK_LINT_WARNINGS.has(p.kind));
  if (broken.length > 0) return { cause: 'task', evidence: broken.map((p) => `${p.kind}: ${p.detail}`).join(' | ') };
  if (input.termination === 'user_error') return { cause: 'user_simulator', evidence: `user_error: ${input.terminationDetail ?? 'the user simulator failed'}` };
  if (input.simulatorFaults.length > 0) {
    const first = input.simulatorFaults[0];
    return { cause: 'user_simulator', evidence: `${first.kind} at user turn ${first.turn}${first.item ? ` (${first.item})` : ''}: ${first.evidence}${input.simulatorFaults.length > 1 ? ` (+${input.simulatorFaults.length - 1} more)` : ''}` };
  }
  const reasons: string[] = [];
  if (input.termination === 'agent_error' || input.termination === 'max_steps') reasons.push(`${input.termination}${input.terminationDetail ? `: ${input.terminationDetail}` : ''}`);
  const missing = input.outcome.state.predicates.filter((p) => !p.pass).map((p) => p.predicate.description ?? JSON.stringify(p.predicate));
  if (missing.length) reasons.push(`required not met: ${missing.slice(0, 4).join('; ')}${missing.length > 4 ? '; …' : ''}`);
  if (!input.outcome.collateral.pass) reasons.push(`collateral: ${input.outcome.collateral.changes.slice(0, 4).map((c) => `${c.table}/${c.key}${c.path ? `.${c.path}` : ''}`).join(', ')}`);
  const untold = input.outcome.communication.items.filter((i) => !i.pass).map((i) => i.id);
  if (untold.length) reasons.push(`not told: ${untold.join(', ')}`);
  const contradicted = input.claims.filter((c) => c.verdict === 'contradicted');
  if (contradicted.length) reasons.push(`contradicted claim: "${contradicted[0].text}" (${contradicted[0].evidence})`);
  return { cause: 'agent', evidence: reasons.length ? reasons.join(' | ') : 'the final state does not meet the expected outcome' };
}
