import type { JsonValue } from '../../schema/json.ts';
import type { PlannedToolCall, TablePatch } from '../../schema/task.ts';
import { TableState } from '../../state/table-state.ts';
import type { DomainTool } from '../domain.ts';
import { executeToolCall } from '../tools.ts';
import { pyDumps, pyJsonString } from './py-format.ts';
import type { RecordFormatter, TauWorld } from './world.ts';

/** What replaying a task's gold actions gives. */
export interface GoldReplay {
  /** τ-bench task index (v1) or τ² task id. */
  index: number | string;
  /** The observation of every executed action, in order. */
  outputs: string[];
  /** Records whose final value differs from the initial data (null: deleted). */
  changed: TablePatch;
}

/**
 * Replays gold actions on `state` the way τ-bench builds its reference state: every action is run
 * through the tools in order; terminate tools (`transfer_to_human_agents`) are skipped entirely (no
 * call, no observation); a refused call leaves whatever it already changed and yields `Error: ...`;
 * an unknown tool yields `Unknown action <name>`.
 */
export function replayActions(tools: readonly DomainTool[], state: TableState, actions: readonly PlannedToolCall[]): string[] {
  const outputs: string[] = [];
  for (const action of actions) {
    const tool = tools.find((t) => t.name === action.name);
    if (!tool) {
      outputs.push(`Unknown action ${action.name}`);
      continue;
    }
    if (tool.terminal) continue;
    outputs.push(executeToolCall({ tools }, state, action.name, action.arguments as JsonValue).content);
  }
  return outputs;
}

/** Replay gold actions on a fresh copy-on-write view of the world's base data. Pure. */
export function replayGold(
  world: TauWorld,
  tools: readonly DomainTool[],
  index: number | string,
  actions: readonly PlannedToolCall[],
  baseHash = 'base',
): GoldReplay {
  const state = TableState.over(world.base, baseHash);
  const outputs = replayActions(tools, state, actions);
  return { index, outputs, changed: state.changesFromBase() };
}

/**
 * `changed` as Python's `json.dumps` prints it (tables and keys sorted, records in their own key
 * order, floats as τ-bench has them).
 */
export function formatChanged(changed: TablePatch, format: RecordFormatter): string {
  const tables = Object.keys(changed).sort();
  return `{${tables
    .map((table) => {
      const rows = changed[table];
      const keys = Object.keys(rows).sort();
      return `${pyJsonString(table)}: {${keys.map((key) => `${pyJsonString(key)}: ${rows[key] === null ? 'null' : format(undefined, table, key, rows[key])}`).join(', ')}}`;
    })
    .join(', ')}}`;
}

/** One JSON line `{"index": i, "outputs": [...], "changed": {...}}`, formatted like Python's json.dumps. */
export function formatReplayLine(replay: GoldReplay, format: RecordFormatter): string {
  const index = typeof replay.index === 'number' ? String(replay.index) : pyJsonString(replay.index);
  return `{"index": ${index}, "outputs": ${pyDumps(replay.outputs)}, "changed": ${formatChanged(replay.changed, format)}}`;
}
