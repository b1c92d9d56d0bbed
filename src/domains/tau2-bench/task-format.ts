import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GroundworkError } from '../../errors.ts';
import { jsonValueSchema, type JsonValue } from '../../schema/json.ts';
import {
  TASK_SCHEMA_VERSION,
  tau2RewardComponentSchema,
  type CommunicationItem,
  type OracleStep,
  type PlannedToolCall,
  type SidedCall,
  type TablePatch,
  type Task,
  type Tau2Criteria,
} from '../../schema/task.ts';
import type { Domain, Side } from '../domain.ts';
import { toolsOf } from '../tools.ts';

// The τ²-bench task record (tau2/data_model/tasks.py at the data's commit). Objects are loose: keys
// τ² does not model (`annotations`, the `persoca` typo of banking task_091, top-level `accounts`
// inside `initialization_data`) are ignored, as τ²'s pydantic models ignore them.

const argumentsSchema = z.record(z.string(), jsonValueSchema);
/** τ²'s `ToolRequestor`. */
const requestorSchema = z.enum(['assistant', 'user']);

/** A reference action (`Action`): `requestor` defaults to the assistant, `compare_args` null means all arguments. */
export const tau2ActionSchema = z.looseObject({
  action_id: z.string(),
  requestor: requestorSchema.default('assistant'),
  name: z.string().min(1),
  arguments: argumentsSchema,
  info: z.string().nullish(),
  compare_args: z.array(z.string()).nullish(),
});

/** A call of an environment function on one side (`EnvFunctionCall`). */
export const tau2EnvFunctionCallSchema = z.looseObject({
  env_type: requestorSchema,
  func_name: z.string().min(1),
  arguments: argumentsSchema,
});

/** An assertion on the final state (`EnvAssertion`): `assert_value` defaults to true. */
export const tau2EnvAssertionSchema = tau2EnvFunctionCallSchema.extend({
  assert_value: z.boolean().default(true),
  message: z.string().nullish(),
});

/** `StructuredUserInstructions`; some domains (mock, banking_knowledge) give a plain string instead. */
const structuredInstructionsSchema = z.looseObject({
  domain: z.string(),
  reason_for_call: z.string(),
  known_info: z.string().nullish(),
  unknown_info: z.string().nullish(),
  task_instructions: z.string(),
});

/** A tool call inside a message of `initial_state.message_history`. */
const historyToolCallSchema = z.looseObject({
  id: z.string().default(''),
  name: z.string().min(1),
  arguments: argumentsSchema,
  requestor: requestorSchema.default('assistant'),
});

/** A message of `initial_state.message_history` (only what the task format needs). */
const historyMessageSchema = z.looseObject({
  role: z.string(),
  content: z.string().nullish(),
  tool_calls: z.array(historyToolCallSchema).nullish(),
  id: z.string().nullish(),
});

/** τ²'s reward components; absent `reward_basis` is τ²'s default `[DB, COMMUNICATE]` (τ-bench's rule). */
const rewardBasisSchema = z.array(tau2RewardComponentSchema).default(['DB', 'COMMUNICATE']);

export const tau2EvaluationCriteriaSchema = z.looseObject({
  actions: z.array(tau2ActionSchema).nullish(),
  env_assertions: z.array(tau2EnvAssertionSchema).nullish(),
  communicate_info: z.array(z.string()).nullish(),
  nl_assertions: z.array(z.string()).nullish(),
  reward_basis: rewardBasisSchema,
});

/** One τ²-bench task as published (tasks.json, tasks_small.json, banking's tasks/task_*.json). */
export const tau2TaskRecordSchema = z.looseObject({
  id: z.string().min(1),
  description: z
    .looseObject({ purpose: z.string().nullish(), relevant_policies: z.string().nullish(), notes: z.string().nullish() })
    .nullish(),
  user_scenario: z.looseObject({
    persona: z.string().nullish(),
    instructions: z.union([structuredInstructionsSchema, z.string()]),
  }),
  ticket: z.string().nullish(),
  initial_state: z
    .looseObject({
      initialization_data: z
        .looseObject({
          agent_data: z.record(z.string(), jsonValueSchema).nullish(),
          user_data: z.record(z.string(), jsonValueSchema).nullish(),
        })
        .nullish(),
      initialization_actions: z.array(tau2EnvFunctionCallSchema).nullish(),
      message_history: z.array(historyMessageSchema).nullish(),
    })
    .nullish(),
  evaluation_criteria: tau2EvaluationCriteriaSchema.nullish(),
  issues: z.array(z.looseObject({ id: z.string(), title: z.string() })).nullish(),
  required_documents: z.array(z.string()).nullish(),
  user_tools: z.array(z.string()).nullish(),
});
export type Tau2TaskRecord = z.infer<typeof tau2TaskRecordSchema>;
export type Tau2Action = z.infer<typeof tau2ActionSchema>;

/** `actions[0].kwargs` from a zod path below one record. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(record)';
}

/**
 * Checks every record of a τ² task file (a JSON array, or one record as in banking's
 * `tasks/task_*.json`) before any task is built: a malformed file fails in one line naming the
 * file, the record and the field. Ids must be unique.
 */
export function parseTau2TaskRecords(raw: unknown, file: string): Tau2TaskRecord[] {
  const hint = 'fix the task file; expected a JSON array of τ² task records {id, user_scenario, initial_state, evaluation_criteria}';
  const list = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' ? [raw] : undefined;
  if (!list)
    throw new GroundworkError('INVALID_ARGUMENT', `${file}: not a task file: the top level is not a JSON array or object`, { hint });
  if (list.length === 0) throw new GroundworkError('INVALID_ARGUMENT', `${file}: the task file holds no tasks`, { hint });
  const seen = new Map<string, number>();
  return list.map((item, index) => {
    const parsed = tau2TaskRecordSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `${file}: record ${index}: ${fieldPath(issue.path)}: ${issue.message.replace(/\s+/g, ' ')}`,
        {
          hint,
        },
      );
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined)
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `${file}: record ${index}: id: duplicate task id ${JSON.stringify(parsed.data.id)} (also record ${first})`,
        {
          hint: 'give every task its own id',
        },
      );
    seen.set(parsed.data.id, index);
    return parsed.data;
  });
}

/** Reads and checks a τ² task file. */
export function readTau2TaskRecords(file: string): Tau2TaskRecord[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `cannot read τ² tasks from ${file}: ${(error as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`,
      {
        cause: error,
        hint: 'check the data directory and that the file is JSON',
      },
    );
  }
  return parseTau2TaskRecords(raw, file);
}

/** What converting a τ² record needs from the domain that loads it. */
export interface Tau2TaskContext {
  /** The domain the task runs in: its registry name and both sides' tools. */
  domain: Pick<Domain, 'name' | 'tools' | 'user'>;
  split: string;
  /**
   * τ²'s `initialization_data`: `agent_data` / `user_data` deep-updates that side's database
   * (τ²'s `update_db`). Returns the same change as a patch of the domain's tables. Required when a
   * task has initialization data.
   */
  initialDataPatch?(data: Record<string, JsonValue>, side: Side): TablePatch;
  /** Task family. @default the gold write actions' names joined by `+`, else `transfer` or `read-only` */
  family?(record: Tau2TaskRecord): string;
  /** Whether the only correct outcome is no change. @default no gold action is a write tool of its side */
  noChange?(record: Tau2TaskRecord): boolean;
  /** Persona for records without one. @default `τ²-bench <domain> customer` */
  defaultPersona?: string;
}

/** τ²'s requestor / env_type as our side. */
export const sideOf = (requestor: 'assistant' | 'user'): Side => (requestor === 'assistant' ? 'agent' : 'user');

/** The user's instruction text: structured instructions as titled sections, a plain string as it is. */
export function tau2InstructionText(instructions: Tau2TaskRecord['user_scenario']['instructions']): string {
  if (typeof instructions === 'string') return instructions;
  const sections: [string, string | null | undefined][] = [
    ['Reason for call', instructions.reason_for_call],
    ['Known info', instructions.known_info],
    ['Unknown info', instructions.unknown_info],
    ['Task instructions', instructions.task_instructions],
  ];
  return sections
    .filter(([, text]) => typeof text === 'string' && text.trim() !== '')
    .map(([title, text]) => `${title}: ${text}`)
    .join('\n\n');
}

/** The task's evaluation criteria in our form (a record without criteria gets an empty basis: τ² gives it 1). */
export function tau2CriteriaOf(record: Tau2TaskRecord): Tau2Criteria {
  const criteria = record.evaluation_criteria;
  const communicate: CommunicationItem[] = (criteria?.communicate_info ?? []).map((info, i) => ({
    id: `info-${i + 1}`,
    description: info,
    anyOf: [info],
    // τ²'s COMMUNICATE rule is τ-bench's: lowercase, commas removed from the message, substring.
    match: 'tau-substring',
  }));
  return {
    kind: 'tau2',
    rewardBasis: criteria ? [...criteria.reward_basis] : [],
    actions: (criteria?.actions ?? []).map((action) => ({
      id: action.action_id,
      side: sideOf(action.requestor),
      name: action.name,
      arguments: action.arguments,
      ...(action.compare_args != null ? { compareArgs: action.compare_args } : {}),
    })),
    envAssertions: (criteria?.env_assertions ?? []).map((assertion) => ({
      side: sideOf(assertion.env_type),
      name: assertion.func_name,
      arguments: assertion.arguments,
      assertValue: assertion.assert_value,
      ...(assertion.message != null ? { message: assertion.message } : {}),
    })),
    communicate,
    nlAssertions: criteria?.nl_assertions ?? [],
    ...(criteria && criteria.actions == null && criteria.env_assertions == null ? { noEnvCriteria: true } : {}),
  };
}

/** Merges two table patches (the second wins on the same record). */
function mergePatches(a: TablePatch, b: TablePatch): TablePatch {
  const out: TablePatch = { ...a };
  for (const [table, records] of Object.entries(b)) out[table] = { ...(out[table] ?? {}), ...records };
  return out;
}

/** `initialization_data` as one patch of our tables, through the domain's converter. */
function initialPatchOf(record: Tau2TaskRecord, ctx: Tau2TaskContext): TablePatch | undefined {
  const data = record.initial_state?.initialization_data;
  const parts = (
    [
      ['agent', data?.agent_data],
      ['user', data?.user_data],
    ] as const
  ).filter((entry): entry is readonly [Side, Record<string, JsonValue>] => entry[1] != null);
  if (parts.length === 0) return undefined;
  if (!ctx.initialDataPatch)
    throw new GroundworkError(
      'INVALID_TASK',
      `${ctx.domain.name} task ${record.id} has initialization_data, which this domain cannot apply`,
      {
        hint: 'give tau2TaskToTask an initialDataPatch for the domain',
      },
    );
  return parts.reduce<TablePatch>((patch, [side, value]) => mergePatches(patch, ctx.initialDataPatch!(value, side)), {});
}

/**
 * τ²'s initialisation in run order: `initialization_actions` (environment functions or tools of
 * either side), then the tool calls already made in `message_history` (τ² replays them into the
 * environment before the conversation goes on).
 */
function initializationOf(record: Tau2TaskRecord): SidedCall[] {
  const state = record.initial_state;
  const actions = (state?.initialization_actions ?? []).map((a) => ({
    side: sideOf(a.env_type),
    name: a.func_name,
    arguments: a.arguments,
  }));
  const history = (state?.message_history ?? []).flatMap((message) =>
    (message.tool_calls ?? []).map((call) => ({ side: sideOf(call.requestor), name: call.name, arguments: call.arguments })),
  );
  return [...actions, ...history];
}

/**
 * Our Task for a τ² task record, graded by τ²'s rule (`expected.kind: 'tau2'`). The oracle plays
 * the gold actions in order — the agent's as tool calls, the user's by asking the user to do them —,
 * then says every `communicate_info` joined by ". " (or "Done."), and makes terminal calls (transfer
 * to a human) last, since nothing after them is heard.
 */
export function tau2TaskToTask(record: Tau2TaskRecord, ctx: Tau2TaskContext): Task {
  const expected = tau2CriteriaOf(record);
  const agentTools = toolsOf(ctx.domain, 'agent');
  const terminal = new Set(agentTools.filter((t) => t.terminal).map((t) => t.name));
  const isWrite = (side: Side, name: string) => toolsOf(ctx.domain, side).some((t) => t.name === name && t.kind === 'write');
  const call = (a: { name: string; arguments: Record<string, JsonValue> }): PlannedToolCall => ({ name: a.name, arguments: a.arguments });

  const steps = expected.actions.filter((a) => !(a.side === 'agent' && terminal.has(a.name)));
  const finals = expected.actions.filter((a) => a.side === 'agent' && terminal.has(a.name));
  const infos = record.evaluation_criteria?.communicate_info ?? [];
  const oracle: OracleStep[] = [
    ...steps.map((a): OracleStep => (a.side === 'agent' ? { kind: 'call', call: call(a) } : { kind: 'ask_user', call: call(a) })),
    { kind: 'say', text: infos.length > 0 ? infos.join('. ') : 'Done.' },
    ...finals.map((a): OracleStep => ({ kind: 'call', call: call(a) })),
  ];

  const writeNames = [...new Set(steps.filter((a) => isWrite(a.side, a.name)).map((a) => a.name))];
  const family = ctx.family?.(record) ?? (writeNames.length > 0 ? writeNames.join('+') : finals.length > 0 ? 'transfer' : 'read-only');
  const noChange = ctx.noChange?.(record) ?? !expected.actions.some((a) => isWrite(a.side, a.name));
  const userActions = expected.actions.filter((a) => a.side === 'user').map(call);
  const initialPatch = initialPatchOf(record, ctx);
  const initialization = initializationOf(record);
  const shortDomain = ctx.domain.name.replace(/^tau2-bench\//, '');

  return {
    schemaVersion: TASK_SCHEMA_VERSION,
    id: record.id,
    domain: ctx.domain.name,
    family,
    split: ctx.split,
    tags: [
      'tau2-bench',
      ...expected.rewardBasis.map((component) => `reward:${component}`),
      ...(expected.communicate.length > 0 ? ['communicate'] : []),
      ...(expected.nlAssertions.length > 0 ? ['nl-assertions'] : []),
      ...(expected.envAssertions.length > 0 ? ['env-assertions'] : []),
      ...(userActions.length > 0 ? ['user-actions'] : []),
      ...(finals.length > 0 ? ['transfer'] : []),
    ],
    ...(initialPatch ? { initialPatch } : {}),
    ...(initialization.length > 0 ? { initialization } : {}),
    user: {
      persona: record.user_scenario.persona ?? ctx.defaultPersona ?? `τ²-bench ${shortDomain} customer`,
      instructions: tau2InstructionText(record.user_scenario.instructions),
      openings: ['Hi! I need some help with my account.'],
      known: [],
      unknown: [],
      confirms: true,
      ...(userActions.length > 0 ? { actions: userActions } : {}),
    },
    expected,
    noChange,
    oracle,
  };
}
