import type { Domain } from '../domains/domain.ts';
import { finalStateFrom, initialStateFor } from '../domains/initial-state.ts';
import { jsonEqual } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { Trajectory } from '../schema/trajectory.ts';
import { judgementsOf, type CommunicationJudgements } from './communication.ts';
import { gradeEpisode } from './grade.ts';
import { nlJudgementsOf, type Tau2NlJudgements } from './tau2.ts';

/** The result of grading a stored episode again. */
export interface Regrade {
  outcome: Outcome;
  /** The stored state hash could not be reproduced: the domain's data or generator changed. */
  initialStateMismatch: boolean;
}

/** Options of `regradeEpisode`. */
export interface RegradeOptions {
  /** Fresh judge verdicts on communication items (from `judgeCommunication`). */
  judgements?: CommunicationJudgements;
  /** Fresh judge verdicts on a τ² task's NL assertions (from `judgeTau2NlAssertions`), by assertion text. */
  nlJudgements?: Tau2NlJudgements;
  /** The stored outcome: its judge verdicts (communication items, NL assertions) are kept where no fresh verdict covers them. */
  previous?: Outcome;
}

/**
 * Grades a stored episode again from stored data only: the task as stored with the run, the
 * domain's initial state for it, the final state rebuilt from the trajectory's recorded changes,
 * and judge verdicts given or stored before. No agent or user is run.
 */
export function regradeEpisode(domain: Domain, task: Task, trajectory: Trajectory, options: RegradeOptions = {}): Regrade {
  const initialState = initialStateFor(domain, task);
  const finalState = finalStateFrom(initialState, trajectory.finalChanges);
  const judgements = { ...judgementsOf(options.previous), ...options.judgements };
  const nlJudgements = { ...nlJudgementsOf(options.previous), ...options.nlJudgements };
  const outcome = gradeEpisode({
    domain,
    task,
    initialState,
    finalState,
    trajectory,
    ...(Object.keys(judgements).length ? { judgements } : {}),
    ...(Object.keys(nlJudgements).length ? { nlJudgements } : {}),
  });
  return { outcome, initialStateMismatch: trajectory.initialStateHash !== initialState.hash() };
}

/** Whether two outcomes differ in anything but the grader version. */
export function outcomeChanged(before: Outcome, after: Outcome): boolean {
  return !jsonEqual({ ...before, graderVersion: '' }, { ...after, graderVersion: '' });
}
