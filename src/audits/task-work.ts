import type { Domain } from '../domains/domain.ts';
import { evaluatePredicate } from '../grading/grade.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Predicate, TablePatch, Task } from '../schema/task.ts';
import type { TableState } from '../state/table-state.ts';
import { type FactToken, factTokens, normaliseFact } from '../text/fact-tokens.ts';
import { completionFromState, goalItemsFor } from './goal-state.ts';
import { scenarioText } from './simulator-fidelity.ts';

/**
 * Work the audits of one task share, done once per task instead of once per episode (issue 16: the
 * per-episode audit of a built-in run). An auditor (`createEpisodeAuditor`) builds one per task and
 * passes it as `EpisodeAuditInput.work`; an audit given none computes the same values itself. Every
 * value is a pure function of the task, its initial state (the same for every episode of the task)
 * and the argument it is looked up by: what an audit reads from here never depends on what was
 * looked up before.
 */
export interface TaskAuditWork {
  /** `goalItemsFor(task)`. Shared: never mutate it. */
  readonly goal: ReturnType<typeof goalItemsFor>;
  /** `scenarioText(task, goal.items)`. */
  readonly scenario: string;
  /** `normaliseFact(scenario)`. */
  readonly scenarioNormal: string;
  /** `evaluatePredicate(domain, initialState, predicate)`. Shared: never mutate the result. */
  initially(predicate: Predicate): { pass: boolean; actual?: JsonValue };
  /**
   * `completionFromState(goal.items, …)` of an episode's final state, which is the task's initial
   * state plus the episode's `finalChanges` (its diff from the initial state): looked up by those
   * changes. Shared: never mutate it.
   */
  completion(finalChanges: TablePatch, finalState: TableState, statePass: boolean): Record<string, boolean | null>;
  /** Text work shared by every task of the run (see `AuditTextWork`). */
  readonly texts: AuditTextWork;
}

/** Pure functions of one text that the audits apply to the same messages episode after episode. */
export interface AuditTextWork {
  /** `factTokens(text)`. Shared: never mutate the result. */
  factTokens(text: string): readonly FactToken[];
}

/** A map that forgets everything when it holds `limit` entries (memory stays bounded; results never depend on it). */
function boundedMemo<V>(limit: number): (key: string, compute: () => V) => V {
  const memo = new Map<string, V>();
  return (key, compute) => {
    let value = memo.get(key);
    if (value === undefined) {
      if (memo.size >= limit) memo.clear();
      value = compute();
      memo.set(key, value);
    }
    return value;
  };
}

/** Texts an `AuditTextWork` keeps the results of, per function. */
const TEXTS_KEPT = 8192;
/** Predicates a task's `initially` keeps the result of (a task's outcome checks a few). */
const PREDICATES_KEPT = 256;
/** Final states (by their changes) a task's `completion` keeps. */
const FINAL_STATES_KEPT = 64;

/** Text work for one run (owned by its auditor). */
export function createAuditTextWork(limit = TEXTS_KEPT): AuditTextWork {
  const tokens = boundedMemo<readonly FactToken[]>(limit);
  return {
    factTokens: (text) => tokens(text, () => factTokens(text)),
  };
}

/**
 * The shared work of one task whose episodes all start from `initialState` (do not mutate it).
 * Values are computed on first use.
 */
export function createTaskAuditWork(
  task: Task,
  domain: Pick<Domain, 'queries'>,
  initialState: TableState,
  texts: AuditTextWork,
): TaskAuditWork {
  let goal: TaskAuditWork['goal'] | undefined;
  let scenario: string | undefined;
  let scenarioNormal: string | undefined;
  const initially = boundedMemo<{ pass: boolean; actual?: JsonValue }>(PREDICATES_KEPT);
  const completions = boundedMemo<Record<string, boolean | null>>(FINAL_STATES_KEPT);
  const work: TaskAuditWork = {
    get goal() {
      return (goal ??= goalItemsFor(task));
    },
    get scenario() {
      return (scenario ??= scenarioText(task, work.goal.items));
    },
    get scenarioNormal() {
      return (scenarioNormal ??= normaliseFact(work.scenario));
    },
    initially: (predicate) => initially(JSON.stringify(predicate), () => evaluatePredicate(domain, initialState, predicate)),
    completion(finalChanges, finalState, statePass) {
      return completions(`${statePass ? 1 : 0}${JSON.stringify(finalChanges)}`, () =>
        completionFromState(work.goal.items, { task, domain, finalState, statePass }),
      );
    },
    texts,
  };
  return work;
}
