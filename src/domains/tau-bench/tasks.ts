import { TASK_SCHEMA_VERSION, type OracleStep, type PlannedToolCall, type Task } from '../../schema/task.ts';
import type { DomainTool } from '../domain.ts';
import { tau2InstructionText } from '../tau2-bench/task-format.ts';
import type { Tau2TaskRecord, V1TaskRecord } from './data.ts';

/** The published fields of a task, normalised across τ-bench v1 and τ². */
export interface TauTaskSource {
  id: string;
  split: string;
  persona: string;
  instructions: string;
  actions: PlannedToolCall[];
  outputs: string[];
  tags: string[];
}

/** Normalise a τ-bench v1 task. */
export function fromV1Task(task: V1TaskRecord, split: string): TauTaskSource {
  return {
    id: String(task.index),
    split,
    persona: `τ-bench customer ${task.user_id}`,
    instructions: task.instruction,
    actions: task.actions.map((a) => ({ name: a.name, arguments: a.kwargs ?? {} })),
    outputs: task.outputs,
    tags: ['tau-bench'],
  };
}

/** Normalise a τ²-bench task (for gold replay; its Task comes from `tau2TaskToTask`, graded by τ²'s rule). */
export function fromTau2Task(task: Tau2TaskRecord, split: string): TauTaskSource {
  const criteria = task.evaluation_criteria;
  return {
    id: task.id,
    split,
    persona: task.user_scenario.persona ?? 'τ²-bench retail customer',
    instructions: tau2InstructionText(task.user_scenario.instructions),
    actions: (criteria?.actions ?? []).map((a) => ({ name: a.name, arguments: a.arguments })),
    outputs: criteria?.communicate_info ?? [],
    tags: ['tau2-bench', ...(criteria?.reward_basis ?? []).map((basis) => `reward:${basis}`)],
  };
}

/**
 * Our Task for a τ-bench task: the expected outcome is the end state of replaying the gold
 * actions; the oracle plays them (terminal calls last) and says every expected output.
 */
export function toTask(source: TauTaskSource, domainName: string, tools: readonly DomainTool[], noChange: boolean): Task {
  const terminal = new Set(tools.filter((t) => t.terminal).map((t) => t.name));
  const writes = new Set(tools.filter((t) => t.kind === 'write').map((t) => t.name));
  const calls = source.actions.filter((a) => !terminal.has(a.name));
  const finals = source.actions.filter((a) => terminal.has(a.name));
  const writeNames = [...new Set(calls.filter((a) => writes.has(a.name)).map((a) => a.name))];
  const family = writeNames.length > 0 ? writeNames.join('+') : finals.length > 0 ? 'transfer' : 'read-only';
  const say = source.outputs.length > 0 ? `Here is what I found: ${source.outputs.join(' ; ')}` : 'Your request has been taken care of.';
  // The say step comes before terminal calls: a transfer ends the episode, so nothing after it is heard.
  const oracle: OracleStep[] = [
    ...calls.map((call) => ({ kind: 'call' as const, call })),
    { kind: 'say', text: say },
    ...finals.map((call) => ({ kind: 'call' as const, call })),
  ];
  return {
    schemaVersion: TASK_SCHEMA_VERSION,
    id: source.id,
    domain: domainName,
    family,
    split: source.split,
    tags: [...source.tags, ...(source.outputs.length > 0 ? ['communicate'] : []), ...(finals.length > 0 ? ['transfer'] : [])],
    user: {
      persona: source.persona,
      instructions: source.instructions,
      openings: ['Hi! I need some help with my account.'],
      known: [],
      unknown: [],
      confirms: true,
    },
    expected: {
      kind: 'gold-replay',
      actions: source.actions,
      communicate: source.outputs.map((output, i) => ({ id: `output-${i + 1}`, anyOf: [output], match: 'tau-substring' })),
    },
    noChange,
    oracle,
  };
}
