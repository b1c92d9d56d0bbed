import type { Domain } from './domain.ts';
import { runEnvFunction } from './tools.ts';
import type { TablePatch, Task } from '../schema/task.ts';
import { TableState } from '../state/table-state.ts';

/** The state a task starts from: the domain's shared base plus the task's patch (copy-on-write). */
export function initialStateFor(domain: Domain, task: Task): TableState {
  const base = domain.base();
  const state = TableState.over(base.tables, base.hash);
  if (task.initialPatch) state.apply(task.initialPatch);
  for (const call of task.initialization ?? []) runEnvFunction(domain, state, call);
  // τ² ends its set-up with a sync even when there is nothing to initialise.
  domain.sync?.(state);
  return state;
}

/** Rebuild a final state from the initial state and stored changes (for re-grading). */
export function finalStateFrom(initial: TableState, finalChanges: TablePatch): TableState {
  const final = initial.fork();
  final.apply(finalChanges);
  return final;
}
