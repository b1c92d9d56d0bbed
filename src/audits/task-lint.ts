import type { Domain, Side } from '../domains/domain.ts';
import { executeSideToolCall } from '../domains/tools.ts';
import type { TaskProblem } from '../schema/audit.ts';
import type { PlannedToolCall, Task } from '../schema/task.ts';
import { changesBetween } from '../state/diff.ts';
import type { TableState } from '../state/table-state.ts';
import { stateTokenIndex } from './simulator-fidelity.ts';

/** Lint kinds that are warnings: reported, but they do not make a task broken (nor a failure the task's fault). */
export const TASK_LINT_WARNINGS: ReadonlySet<string> = new Set(['gold_read_fails', 'no_change_unmarked']);

/**
 * Static checks of one task, no episode needed: every gold (or oracle) action runs without error
 * on the initial state — so the entities it references exist —; every fact the user knows is
 * found in the task's data; and a task whose reference solution changes nothing is marked
 * `noChange` (and one marked `noChange` changes nothing). Pure.
 */
export function lintTaskStatic(
  domain: Pick<Domain, 'tools' | 'user' | 'sync'>,
  task: Task,
  initialState: TableState,
  exists?: (token: string) => boolean,
): TaskProblem[] {
  const problems: TaskProblem[] = [];
  // The oracle's own calls, and the user-side calls it asks a dual-control user to make.
  const calls: (PlannedToolCall & { side: Side })[] =
    task.expected.kind === 'gold-replay'
      ? task.expected.actions.map((call) => ({ ...call, side: 'agent' }))
      : task.expected.kind === 'tau2'
        ? task.expected.actions.map(({ side, name, arguments: args }) => ({ side, name, arguments: args }))
        : task.oracle.flatMap((step): (PlannedToolCall & { side: Side })[] =>
            step.kind === 'call' ? [{ ...step.call, side: 'agent' }] : step.kind === 'ask_user' ? [{ ...step.call, side: 'user' }] : [],
          );
  const state = initialState.fork();
  calls.forEach((call, index) => {
    const tool = (call.side === 'agent' ? domain.tools : (domain.user?.tools ?? [])).find((t) => t.name === call.name);
    if (tool?.terminal) return;
    const result = executeSideToolCall(domain, state, call.side, call.name, call.arguments);
    // A failing read leaves the expected state intact: a warning; a failing write puts the expected outcome in doubt.
    if (result.isError)
      problems.push({
        taskId: task.id,
        kind: tool?.kind === 'write' ? 'gold_action_fails' : 'gold_read_fails',
        detail: `action ${index + 1} ${call.name}(${JSON.stringify(call.arguments).slice(0, 160)}) → ${result.content.slice(0, 160)}`,
      });
  });
  if (exists) {
    const facts = [
      ...task.user.known.map((f) => ({ id: f.id, value: f.value })),
      ...(task.user.goal ?? [])
        .filter((i) => i.category === 'profile' && i.value !== undefined)
        .map((i) => ({ id: i.id, value: i.value! })),
    ];
    const seen = new Set<string>();
    for (const fact of facts) {
      if (seen.has(fact.value)) continue;
      seen.add(fact.value);
      if (!exists(fact.value))
        problems.push({
          taskId: task.id,
          kind: 'fact_not_in_data',
          detail: `the user knows ${fact.id} = ${JSON.stringify(fact.value)}, which the task's data does not contain`,
        });
    }
  }
  const changed = Object.values(changesBetween(initialState, state)).reduce((n, records) => n + Object.keys(records).length, 0);
  if (changed === 0 && !task.noChange && problems.every((p) => p.kind !== 'gold_action_fails')) {
    problems.push({
      taskId: task.id,
      kind: 'no_change_unmarked',
      detail: 'the reference solution changes nothing, but the task is not marked noChange',
    });
  }
  if (changed > 0 && task.noChange)
    problems.push({
      taskId: task.id,
      kind: 'no_change_mismatch',
      detail: `the task is marked noChange, but its reference solution changes ${changed} record(s)`,
    });
  return problems;
}

/** `lintTaskStatic` over many tasks, building each initial state's token index once. */
export function lintTasksStatic(
  domain: Pick<Domain, 'tools' | 'user' | 'sync'>,
  tasks: readonly Task[],
  initialStateOf: (task: Task) => TableState,
): TaskProblem[] {
  const indexes = new Map<string, (token: string) => boolean>();
  return tasks.flatMap((task) => {
    const state = initialStateOf(task);
    const hash = state.hash();
    let exists = indexes.get(hash);
    if (!exists)
      indexes.set(
        hash,
        (exists = stateTokenIndex(
          state.tables().flatMap((table) => state.keys(table).map((key) => ({ key, record: state.get(table, key) }))),
        )),
      );
    return lintTaskStatic(domain, task, state, exists);
  });
}
