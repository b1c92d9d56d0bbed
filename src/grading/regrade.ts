import type { Domain } from '../domains/domain.ts';
import { finalStateFrom, initialStateFor } from '../domains/initial-state.ts';
import { jsonEqual } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { Trajectory } from '../schema/trajectory.ts';
import { gradeEpisode } from './grade.ts';

/** The result of grading a stored episode again. */
export interface Regrade {
  outcome: Outcome;
  /** The stored state hash could not be reproduced: the domain's data or generator changed. */
  initialStateMismatch: boolean;
}

/**
 * Grades a stored episode again from stored data only: the task as stored with the run, the
 * domain's initial state for it, and the final state rebuilt from the trajectory's recorded
 * changes. No agent or user is run.
 */
export function regradeEpisode(domain: Domain, task: Task, trajectory: Trajectory): Regrade {
  const initialState = initialStateFor(domain, task);
  const finalState = finalStateFrom(initialState, trajectory.finalChanges);
  const outcome = gradeEpisode({ domain, task, initialState, finalState, trajectory });
  return { outcome, initialStateMismatch: trajectory.initialStateHash !== initialState.hash() };
}

/** Whether two outcomes differ in anything but the grader version. */
export function outcomeChanged(before: Outcome, after: Outcome): boolean {
  return !jsonEqual({ ...before, graderVersion: '' }, { ...after, graderVersion: '' });
}
