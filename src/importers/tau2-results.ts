import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { Domain } from '../domains/domain.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { tau2CriteriaOf, tau2TaskRecordSchema, type Tau2TaskRecord } from '../domains/tau2-bench/task-format.ts';
import { executeSideToolCall } from '../domains/tools.ts';
import { GroundworkError } from '../errors.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { passHatK, type TaskTally } from '../grading/pass-k.ts';
import type { Tau2NlJudgements } from '../grading/tau2.ts';
import { jsonEqual, jsonValueSchema, type JsonValue } from '../schema/json.ts';
import type { Outcome, Tau2Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import {
  TRAJECTORY_SCHEMA_VERSION,
  type TerminationReason,
  type Trajectory,
  type TrajectoryEvent,
  type Usage,
} from '../schema/trajectory.ts';
import { changesBetween } from '../state/diff.ts';
import type { TableState } from '../state/table-state.ts';
import { splitControlToken } from '../users/user.ts';
import { episodeIdFor } from '../runner/plan.ts';

// τ²-bench's results files (tau2/data_model/simulation.py `Results`, message.py at the data's
// commit), read with loose objects: τ² adds fields often, and only what grading needs is checked.

/** τ²'s `TerminationReason`. */
export const TAU2_TERMINATION_REASONS = [
  'user_stop',
  'agent_stop',
  'max_steps',
  'timeout',
  'too_many_errors',
  'agent_error',
  'user_error',
  'infrastructure_error',
  'context_window_exceeded',
  'unexpected_error',
] as const;
export type Tau2TerminationReason = (typeof TAU2_TERMINATION_REASONS)[number];

/**
 * Ours for each of τ²'s. Every reason τ² does not grade maps to one we do not grade either (τ²
 * scores anything but a user or agent stop 0), so τ²'s reward is recomputed from ours; τ²'s own
 * reason is kept in the termination detail.
 */
export const TERMINATION_FROM_TAU2: Readonly<Record<Tau2TerminationReason, TerminationReason>> = {
  user_stop: 'user_stop',
  agent_stop: 'agent_stop',
  max_steps: 'max_steps',
  timeout: 'max_steps',
  too_many_errors: 'agent_error',
  agent_error: 'agent_error',
  user_error: 'user_error',
  infrastructure_error: 'infra_error',
  context_window_exceeded: 'agent_error',
  unexpected_error: 'infra_error',
};

/** Registry names of τ²'s domains (`info.environment_info.domain_name`). */
export const TAU2_DOMAIN_NAMES: Readonly<Record<string, string>> = {
  retail: 'tau2-bench/retail',
  telecom: 'tau2-bench/telecom',
  mock: 'tau2-bench/mock',
  banking_knowledge: 'tau2-bench/banking_knowledge',
};

const requestorSchema = z.enum(['assistant', 'user']);

/** `ToolCall`: arguments are an object (τ² parses them before recording). */
const tau2ToolCallSchema = z.looseObject({
  id: z.string().default(''),
  name: z.string(),
  arguments: z.record(z.string(), jsonValueSchema),
  requestor: requestorSchema.default('assistant'),
});

/** `ToolMessage`: the result of one call, matched to it by `id`. */
type Tau2ToolMessage = { role: 'tool'; id: string; content?: string | null; requestor: 'assistant' | 'user'; error: boolean };
const tau2ToolMessageSchema = z.looseObject({
  role: z.literal('tool'),
  id: z.string(),
  content: z.string().nullish(),
  requestor: requestorSchema.default('assistant'),
  error: z.boolean().default(false),
});

/** A message of the agent or the user: text and/or tool calls. */
const participantMessageSchema = <Role extends 'assistant' | 'user'>(role: Role) =>
  z.looseObject({
    role: z.literal(role),
    content: z.string().nullish(),
    tool_calls: z.array(tau2ToolCallSchema).nullish(),
    cost: z.number().nullish(),
    usage: z.record(z.string(), z.unknown()).nullish(),
    generation_time_seconds: z.number().nullish(),
  });

/**
 * One message of a half-duplex simulation, told apart by `role` (so a bad message is reported at
 * its bad field): system, assistant, user, or tool (one result, or τ²'s multi-tool message).
 */
export const tau2MessageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: z.string().nullish() }),
  participantMessageSchema('assistant'),
  participantMessageSchema('user'),
  tau2ToolMessageSchema
    .extend({ id: z.string().optional(), tool_messages: z.array(tau2ToolMessageSchema).optional() })
    .refine((m) => m.id !== undefined || m.tool_messages !== undefined, { message: 'a tool message needs its call id', path: ['id'] }),
]);
export type Tau2Message = z.infer<typeof tau2MessageSchema>;

const checkSchema = <T extends z.ZodRawShape>(shape: T) => z.array(z.looseObject(shape)).nullish();

/** τ²'s recorded `RewardInfo`. */
export const tau2RewardInfoSchema = z.looseObject({
  reward: z.number(),
  db_check: z.looseObject({ db_match: z.boolean(), db_reward: z.number() }).nullish(),
  env_assertions: checkSchema({ met: z.boolean() }),
  action_checks: checkSchema({ action_match: z.boolean() }),
  communicate_checks: checkSchema({ info: z.string(), met: z.boolean() }),
  nl_assertions: checkSchema({ nl_assertion: z.string(), met: z.boolean(), justification: z.string().nullish() }),
  reward_basis: z.array(z.string()).nullish(),
  info: z.record(z.string(), z.unknown()).nullish(),
});
export type Tau2RewardInfo = z.infer<typeof tau2RewardInfoSchema>;

/** One `SimulationRun`. */
export const tau2SimulationSchema = z.looseObject({
  id: z.string(),
  task_id: z.union([z.string(), z.number()]).transform(String),
  trial: z.number().int().nonnegative().nullish(),
  seed: z.number().int().nullish(),
  termination_reason: z.enum(TAU2_TERMINATION_REASONS),
  agent_cost: z.number().nullish(),
  user_cost: z.number().nullish(),
  duration: z.number().nullish(),
  start_time: z.string().nullish(),
  reward_info: tau2RewardInfoSchema.nullish(),
  messages: z.array(tau2MessageSchema).nullish(),
  ticks: z.array(z.unknown()).nullish(),
});
export type Tau2Simulation = z.infer<typeof tau2SimulationSchema>;

const participantInfoSchema = z.looseObject({
  implementation: z.string(),
  llm: z.string().nullish(),
  llm_args: z.record(z.string(), jsonValueSchema).nullish(),
});

/** `Results.info`: what the run was. */
export const tau2InfoSchema = z.looseObject({
  git_commit: z.string().nullish(),
  num_trials: z.number().int().positive(),
  max_steps: z.number().int().nullish(),
  max_errors: z.number().int().nullish(),
  seed: z.number().int().nullish(),
  user_info: participantInfoSchema,
  agent_info: participantInfoSchema,
  environment_info: z.looseObject({ domain_name: z.string() }),
  retrieval_config: z.string().nullish(),
});
export type Tau2Info = z.infer<typeof tau2InfoSchema>;

/** A results file, either form, read whole. */
export interface Tau2Results {
  /** The file or directory given. */
  source: string;
  form: 'file' | 'directory';
  timestamp?: string;
  info: Tau2Info;
  /** Task records of the file, by id (what τ² graded with). */
  tasks: Map<string, Tau2TaskRecord>;
  simulations: Tau2Simulation[];
}

/** `file: record N (id): at a.b.c: message`, τ²'s and our names for where the input is bad. */
function badInput(where: string, issue: z.core.$ZodIssue | string, hint: string): GroundworkError {
  const text = typeof issue === 'string' ? issue : `${issue.path.length ? `field ${issue.path.join('.')}: ` : ''}${issue.message}`;
  return new GroundworkError('INVALID_ARGUMENT', `${where}: ${text}`, { hint });
}

const HINT = 'expected a τ² results.json (single file, or a directory with results.json and simulations/) as written by `tau2 run`';

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GroundworkError('INVALID_ARGUMENT', `cannot read ${file}`, { cause: error, hint: 'check the path of the results file' });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `${file}: not valid JSON: ${(error as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`,
      {
        cause: error,
        hint: HINT,
      },
    );
  }
}

function parseSimulation(value: unknown, where: string): Tau2Simulation {
  const parsed = tau2SimulationSchema.safeParse(value);
  if (!parsed.success) throw badInput(where, parsed.error.issues[0]!, HINT);
  const sim = parsed.data;
  if (!sim.messages) {
    throw badInput(
      where,
      sim.ticks
        ? 'field messages: a full-duplex (voice) simulation with ticks only; only half-duplex text simulations can be imported'
        : 'field messages: missing',
      HINT,
    );
  }
  return sim;
}

/**
 * Reads a τ² results file in either of τ²'s forms (`Results.load`): one JSON file with
 * `simulations`, or a directory (or its results.json beside a `simulations/` folder) whose
 * simulations are one file each, read in file-name order and checked against
 * `simulation_index`. Every problem is one error naming the file, the record and the field.
 */
export function readTau2Results(path: string): Tau2Results {
  if (!existsSync(path)) throw new GroundworkError('INVALID_ARGUMENT', `${path}: no such file or directory`, { hint: HINT });
  const isDir = statSync(path).isDirectory();
  const metaFile = isDir ? join(path, 'results.json') : path;
  const simsDir = join(isDir ? path : dirname(path), 'simulations');
  const form = isDir || (existsSync(simsDir) && statSync(simsDir).isDirectory()) ? 'directory' : 'file';
  const meta = readJson(metaFile);
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw badInput(metaFile, 'not a JSON object', HINT);
  const record = meta as Record<string, unknown>;
  const info = tau2InfoSchema.safeParse(record.info);
  if (!info.success) {
    const issue = info.error.issues[0]!;
    throw badInput(metaFile, { ...issue, path: ['info', ...issue.path] }, HINT);
  }
  const tasks = new Map<string, Tau2TaskRecord>();
  const rawTasks = Array.isArray(record.tasks) ? record.tasks : [];
  rawTasks.forEach((task, index) => {
    const parsed = tau2TaskRecordSchema.safeParse(task);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badInput(`${metaFile}: task ${index}`, issue, HINT);
    }
    tasks.set(parsed.data.id, parsed.data);
  });

  let simulations: Tau2Simulation[];
  if (form === 'file') {
    if (!Array.isArray(record.simulations)) throw badInput(metaFile, 'field simulations: expected an array', HINT);
    simulations = record.simulations.map((sim, index) => parseSimulation(sim, `${metaFile}: simulation ${index}`));
  } else {
    const files = existsSync(simsDir)
      ? readdirSync(simsDir)
          .filter((name) => name.endsWith('.json'))
          .sort()
      : [];
    const index = Array.isArray(record.simulation_index) ? (record.simulation_index as { id?: unknown }[]) : undefined;
    if (index) {
      const indexed = new Set(index.map((entry) => String(entry.id)));
      const onDisk = new Set(files.map((name) => name.replace(/\.json$/, '')));
      const missing = [...indexed].filter((id) => !onDisk.has(id));
      const extra = [...onDisk].filter((id) => !indexed.has(id));
      if (missing.length)
        throw badInput(
          metaFile,
          `simulation_index names ${missing.length} simulation(s) with no file in ${simsDir}: ${missing.slice(0, 3).join(', ')}`,
          HINT,
        );
      if (extra.length)
        throw badInput(
          metaFile,
          `${simsDir} holds ${extra.length} simulation file(s) not in simulation_index: ${extra.slice(0, 3).join(', ')}`,
          HINT,
        );
    }
    simulations = files.map((name, i) => {
      const file = join(simsDir, name);
      return parseSimulation(readJson(file), `${file}: simulation ${i}`);
    });
  }
  if (simulations.length === 0) throw badInput(form === 'file' ? metaFile : simsDir, 'no simulations; nothing to import', HINT);
  return {
    source: path,
    form,
    ...(typeof record.timestamp === 'string' ? { timestamp: record.timestamp } : {}),
    info: info.data,
    tasks,
    simulations,
  };
}

/** Where our tool output differs from the recorded one (compared as τ²'s replay compares: parsed JSON, else text). */
export interface Tau2ToolOutputMismatch {
  /** Index of the recorded tool message in `messages`. */
  messageIndex: number;
  tool: string;
  side: 'agent' | 'user';
  recorded: string;
  ours: string;
}

/** τ²'s recorded verdicts, one boolean per check (null: not recorded). */
export interface Tau2RecordedReward {
  reward: number;
  basis: string[] | null;
  db: boolean | null;
  envAssertions: boolean[] | null;
  actions: boolean[] | null;
  communicate: boolean[] | null;
  nlAssertions: boolean[] | null;
  note?: string;
}

/** Component by component: does our recomputation give τ²'s recorded verdict? (null: nothing to compare) */
export interface Tau2Comparison {
  reward: boolean | null;
  db: boolean | null;
  envAssertions: boolean | null;
  actions: boolean | null;
  communicate: boolean | null;
}

/** How the NL assertions of a record were decided. */
export type Tau2JudgedBy = 'none-needed' | 'tau2-recorded' | 'pending';

/** One τ² simulation, replayed on our domain and graded by τ²'s rule. */
export interface ImportedTau2Episode {
  /** Position of the simulation in the results (file order; directory form: file-name order). */
  index: number;
  simulationId: string;
  taskId: string;
  trial: number;
  tau2Termination: Tau2TerminationReason;
  recorded: Tau2RecordedReward | null;
  /** Our recomputation of τ²'s reward (null: needs a judge and τ² recorded no verdicts). */
  reward: 0 | 1 | null;
  judgedBy: Tau2JudgedBy;
  comparison: Tau2Comparison;
  /** The file's task criteria differ from the domain's task of the same id (graded with the file's). */
  taskDiffersFromDomain: boolean;
  task: Task;
  trajectory: Trajectory;
  outcome: Outcome;
  initialState: TableState;
  finalState: TableState;
  toolOutputMismatches: Tau2ToolOutputMismatch[];
}

/** Options of `importTau2Simulation` / `regradeTau2Results`. */
export interface ImportTau2Options {
  domain: Domain;
  /** Agent name stored with the episodes. @default `imported:<agent llm>` */
  agent?: string;
  /** User simulator name stored with the episodes. @default `imported:<user llm>` */
  user?: string;
  /** Run id the episode ids derive from. @default 'import' */
  runId?: string;
  /** `startedAt` when a simulation has no start time. @default '1970-01-01T00:00:00.000Z' */
  startedAt?: string;
  /** Facts of the run stored with each episode's participants (τ²'s `info`). */
  info?: Tau2Info;
}

/** τ²'s recorded reward as booleans per check. */
export function recordedReward(info: Tau2RewardInfo): Tau2RecordedReward {
  const note = info.info && typeof info.info.note === 'string' ? info.info.note : undefined;
  return {
    reward: info.reward,
    basis: info.reward_basis ?? null,
    db: info.db_check ? info.db_check.db_match : null,
    envAssertions: info.env_assertions ? info.env_assertions.map((c) => c.met) : null,
    actions: info.action_checks ? info.action_checks.map((c) => c.action_match) : null,
    communicate: info.communicate_checks ? info.communicate_checks.map((c) => c.met) : null,
    nlAssertions: info.nl_assertions ? info.nl_assertions.map((c) => c.met) : null,
    ...(note ? { note } : {}),
  };
}

/** τ²'s recorded NL verdicts as judgements, marked as τ²'s (empty when τ² recorded none). */
export function recordedNlJudgements(info: Tau2RewardInfo | null | undefined): Tau2NlJudgements {
  const out: Record<string, { pass: boolean; rationale?: string; judge: string }> = {};
  for (const check of info?.nl_assertions ?? [])
    out[check.nl_assertion] = {
      pass: check.met,
      ...(check.justification ? { rationale: check.justification } : {}),
      judge: 'τ² (recorded)',
    };
  return out;
}

/**
 * Compares two lists of verdicts. τ² records an empty list where nothing was checked and we record
 * null: both mean "nothing to check" and agree.
 */
function sameVerdicts(ours: readonly boolean[] | null, recorded: readonly boolean[] | null): boolean | null {
  if (recorded === null) return null;
  const a = ours ?? [];
  return a.length === recorded.length && a.every((v, i) => v === recorded[i]);
}

/** Our τ² section against τ²'s recorded reward, check by check. */
export function compareWithRecorded(section: Tau2Outcome, recorded: Tau2RecordedReward | null): Tau2Comparison {
  if (!recorded) return { reward: null, db: null, envAssertions: null, actions: null, communicate: null };
  return {
    reward: section.reward === null ? null : Math.abs(recorded.reward - section.reward) < 1e-6,
    db: recorded.db === null ? null : section.db ? section.db.pass === recorded.db : false,
    envAssertions: sameVerdicts(section.envAssertions?.map((a) => a.met) ?? null, recorded.envAssertions),
    actions: sameVerdicts(section.actions?.map((a) => a.met) ?? null, recorded.actions),
    communicate: sameVerdicts(section.communicate?.map((c) => c.met) ?? null, recorded.communicate),
  };
}

/** τ²'s timestamp as ISO 8601; τ² writes local time without a zone, read here as UTC so imports do not depend on the machine. */
function isoTime(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  const time = new Date(zoned);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** Same value as τ²'s replay compares tool outputs: parsed JSON when both parse, else the text. */
function sameToolOutput(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return jsonEqual(JSON.parse(a) as JsonValue, JSON.parse(b) as JsonValue);
  } catch {
    return false;
  }
}

/** The τ² tool messages of a recorded message (a multi-tool message holds several). */
function toolMessagesOf(message: Tau2Message): Tau2ToolMessage[] {
  if (message.role !== 'tool') return [];
  return message.tool_messages ? message.tool_messages : [message as Tau2ToolMessage];
}

/** Usage of one side from τ²'s per-message cost, tokens and generation time. */
function usageOf(messages: readonly Tau2Message[], role: 'assistant' | 'user', cost: number | null | undefined): Usage | undefined {
  const own = messages.filter((m) => m.role === role) as {
    usage?: Record<string, unknown> | null;
    generation_time_seconds?: number | null;
  }[];
  if (own.length === 0 && cost == null) return undefined;
  const tokens = (key: string) => own.reduce((n, m) => n + (typeof m.usage?.[key] === 'number' ? (m.usage[key] as number) : 0), 0);
  return {
    calls: own.length,
    inputTokens: Math.round(tokens('prompt_tokens')),
    outputTokens: Math.round(tokens('completion_tokens')),
    costUsd: Math.max(0, cost ?? 0),
    latencyMs: Math.max(
      0,
      own.reduce((n, m) => n + (m.generation_time_seconds ?? 0) * 1000, 0),
    ),
  };
}

/**
 * Replays one τ² simulation on our domain and grades it by τ²'s rule:
 * - the state starts as the task's (initialisation data and actions of both sides);
 * - every tool call of either side (`requestor`) runs on that one state, in order, through its
 *   side's tools; the user's are recorded with `actor: 'user'`; recorded outputs are only compared;
 * - the first messages that repeat the task's `message_history` are recorded but not executed
 *   (their calls already ran as initialisation, as in τ²);
 * - assistant text is a message to the user, also beside tool calls (τ²'s COMMUNICATE check reads it);
 * - τ²'s termination reason maps to ours (τ²'s is kept in the detail);
 * - NL assertions: graded with τ²'s recorded verdicts only when the reward needs them and τ²
 *   recorded them (marked `tau2-recorded`), else the reward stays pending.
 */
export function importTau2Simulation(
  sim: Tau2Simulation,
  task: Task,
  options: ImportTau2Options & { index: number; trial: number; historyLength?: number; taskDiffersFromDomain?: boolean },
): ImportedTau2Episode {
  const { domain } = options;
  const messages = sim.messages ?? [];
  const agent = options.agent ?? `imported:${options.info?.agent_info.llm ?? 'tau2'}`;
  const user = options.user ?? `imported:${options.info?.user_info.llm ?? 'tau2'}`;
  const initialState = initialStateFor(domain, task);
  const state = initialState.fork();
  const events: TrajectoryEvent[] = [];
  const mismatches: Tau2ToolOutputMismatch[] = [];
  const history = options.historyLength ?? 0;
  let turns = 0;
  let unnamed = 0;

  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role === 'system') continue;
    if (message.role === 'tool') {
      // Results are consumed with their calls below; one here answers no call.
      for (const orphan of toolMessagesOf(message))
        events.push({ type: 'note', content: `τ² tool message ${orphan.id || '(no id)'} answers no preceding call; ignored` });
      continue;
    }
    const m = message as Extract<Tau2Message, { role: 'assistant' | 'user' }>;
    const side = m.role === 'assistant' ? 'agent' : 'user';
    turns++;
    const calls = m.tool_calls ?? [];
    const text = m.content ?? '';
    if (text.trim() !== '') {
      if (calls.length > 0)
        events.push({
          type: 'note',
          content: `τ²: the ${side} sent text beside tool calls (routed to the environment; τ²'s COMMUNICATE check reads it)`,
        });
      if (side === 'agent') events.push({ type: 'message', role: 'agent', content: text });
      else {
        const { text: said, control } = splitControlToken(text);
        events.push({ type: 'message', role: 'user', content: said, ...(control ? { control } : {}) });
      }
    } else if (calls.length === 0) events.push({ type: 'note', content: `τ²: empty ${side} message` });
    if (calls.length === 0) continue;

    // The tool messages answering these calls follow, in order (τ²'s `set_state` requires it).
    const results: { index: number; message: Tau2ToolMessage }[] = [];
    while (results.length < calls.length && messages[i + 1]?.role === 'tool') {
      i++;
      for (const tm of toolMessagesOf(messages[i]!)) results.push({ index: i, message: tm });
    }
    const replayed = i < history;
    calls.forEach((call, n) => {
      const callSide = call.requestor === 'user' ? 'user' : 'agent';
      const actor = callSide === 'user' ? ({ actor: 'user' } as const) : {};
      const id = call.id || `call-${++unnamed}`;
      const recorded = results.find((r) => r.message.id === call.id) ?? results[n];
      events.push({ type: 'tool_call', id, ...actor, name: call.name, arguments: call.arguments });
      if (replayed) {
        events.push({
          type: 'tool_result',
          callId: id,
          ...actor,
          name: call.name,
          content: recorded?.message.content ?? '',
          isError: recorded?.message.error ?? false,
        });
        return;
      }
      const result = executeSideToolCall(domain, state, callSide, call.name, call.arguments);
      events.push({
        type: 'tool_result',
        callId: id,
        ...actor,
        name: call.name,
        content: result.content,
        isError: result.isError,
        ...(result.wrote ? { stateHash: state.hash() } : {}),
      });
      if (!recorded) events.push({ type: 'note', content: `τ² recorded no result for call ${id} (${call.name})` });
      else if (!sameToolOutput(recorded.message.content ?? '', result.content)) {
        const text = recorded.message.content ?? '';
        mismatches.push({ messageIndex: recorded.index, tool: call.name, side: callSide, recorded: text, ours: result.content });
        events.push({ type: 'note', content: `τ² recorded a different output: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}` });
      }
    });
    if (replayed)
      events.push({ type: 'note', content: "from the task's message history: already run as initialisation, not executed again" });
  }

  const termination = {
    reason: TERMINATION_FROM_TAU2[sim.termination_reason],
    detail: `τ² termination: ${sim.termination_reason}`,
  };
  const trajectoryCore = { events, termination };
  const recorded = sim.reward_info ? recordedReward(sim.reward_info) : null;
  let outcome = gradeEpisode({ domain, task, initialState, finalState: state, trajectory: trajectoryCore });
  let judgedBy: Tau2JudgedBy = 'none-needed';
  if (outcome.tau2?.reward === null) {
    const verdicts = recordedNlJudgements(sim.reward_info);
    const criteria = task.expected.kind === 'tau2' ? task.expected.nlAssertions : [];
    if (criteria.length > 0 && criteria.every((a) => verdicts[a] !== undefined)) {
      outcome = gradeEpisode({ domain, task, initialState, finalState: state, trajectory: trajectoryCore, nlJudgements: verdicts });
      judgedBy = 'tau2-recorded';
    } else judgedBy = 'pending';
  }
  const section = outcome.tau2;
  if (!section)
    throw new GroundworkError(
      'INVALID_TASK',
      `task ${task.id} of ${domain.name} is not graded by τ²'s rule (expected.kind ${task.expected.kind})`,
    );

  const usage: Record<string, Usage> = {};
  const agentUsage = usageOf(messages, 'assistant', sim.agent_cost);
  const userUsage = usageOf(messages, 'user', sim.user_cost);
  if (agentUsage) usage.agent = agentUsage;
  if (userUsage) usage.user = userUsage;
  const info = options.info;
  const trajectory: Trajectory = {
    schemaVersion: TRAJECTORY_SCHEMA_VERSION,
    episodeId: episodeIdFor(options.runId ?? 'import', agent, task.id, options.trial),
    taskId: task.id,
    domain: domain.name,
    agent,
    user,
    trial: options.trial,
    seed: sim.seed ?? 0,
    events,
    termination,
    finalChanges: changesBetween(initialState, state),
    initialStateHash: initialState.hash(),
    finalStateHash: state.hash(),
    steps: turns,
    usage,
    participants: {
      agent: {
        name: agent,
        imported: true,
        ...(info
          ? { implementation: info.agent_info.implementation, llm: info.agent_info.llm ?? null, llm_args: info.agent_info.llm_args ?? null }
          : {}),
      },
      user: {
        name: user,
        imported: true,
        ...(info
          ? { implementation: info.user_info.implementation, llm: info.user_info.llm ?? null, llm_args: info.user_info.llm_args ?? null }
          : {}),
      },
      import: {
        format: 'tau2',
        simulationId: sim.id,
        index: options.index,
        tau2Termination: sim.termination_reason,
        recordedReward: recorded?.reward ?? null,
        agentCost: sim.agent_cost ?? null,
        recorded: (recorded ?? null) as unknown as JsonValue,
        judgedBy,
        comparison: compareWithRecorded(section, recorded) as unknown as JsonValue,
        toolOutputMismatches: mismatches.length,
        ...(options.taskDiffersFromDomain ? { taskDiffersFromDomain: true } : {}),
        ...(info?.retrieval_config ? { retrievalConfig: info.retrieval_config } : {}),
        ...(info?.git_commit ? { tau2GitCommit: info.git_commit } : {}),
      },
    },
    startedAt: isoTime(sim.start_time) ?? options.startedAt ?? '1970-01-01T00:00:00.000Z',
    durationMs: Math.max(0, (sim.duration ?? 0) * 1000),
  };
  return {
    index: options.index,
    simulationId: sim.id,
    taskId: task.id,
    trial: options.trial,
    tau2Termination: sim.termination_reason,
    recorded,
    reward: section.reward,
    judgedBy,
    comparison: compareWithRecorded(section, recorded),
    taskDiffersFromDomain: options.taskDiffersFromDomain ?? false,
    task,
    trajectory,
    outcome,
    initialState,
    finalState: state,
    toolOutputMismatches: mismatches,
  };
}

/** What re-grading a results file found. */
export interface Tau2RegradeSummary {
  records: number;
  /** Records whose reward needs no judge (NL assertions absent, outside the basis, or decided by another component). */
  noJudgeNeeded: number;
  /** Of those, records whose recomputed reward equals τ²'s recorded one. */
  agreement: number;
  /** Records graded with τ²'s recorded NL verdicts (judged by τ², not by us). */
  judgedByTau2: number;
  /** Of those, records whose reward equals τ²'s. */
  judgedByTau2Agreement: number;
  /** Records whose reward needs a judge and carry no verdicts: incomplete, never counted as passed. */
  pending: number;
  /** Records without a recorded reward (τ² did not evaluate them). */
  unrecorded: number;
  disagreements: {
    index: number;
    simulationId: string;
    taskId: string;
    trial: number;
    recorded: number;
    ours: number | null;
    judgedBy: Tau2JudgedBy;
  }[];
  /** Components that disagree, counted over all records. */
  componentDisagreements: Record<'db' | 'envAssertions' | 'actions' | 'communicate', number>;
  /** pass^k of our rewards (pending counted as failed), k = 1 … the trials of every task. */
  passHatK: Record<string, number>;
  /** pass^k of the recorded rewards. */
  recordedPassHatK: Record<string, number>;
  toolOutputMismatches: number;
  tasksDifferingFromDomain: number;
}

/** What `regradeTau2Results` gives. */
export interface Tau2RegradeResult {
  episodes: ImportedTau2Episode[];
  /** One task per task id, in first-seen order. */
  tasks: Task[];
  summary: Tau2RegradeSummary;
}

/** pass^k over records grouped by task, k = 1 … the fewest trials of any task (as τ²'s metrics cap it). */
function passHatKTable(rows: readonly { taskId: string; success: boolean }[]): Record<string, number> {
  const tallies = new Map<string, TaskTally>();
  for (const row of rows) {
    const tally = tallies.get(row.taskId) ?? { successes: 0, trials: 0 };
    tally.trials++;
    if (row.success) tally.successes++;
    tallies.set(row.taskId, tally);
  }
  const list = [...tallies.values()];
  const out: Record<string, number> = {};
  const maxK = list.length ? Math.min(...list.map((t) => t.trials)) : 0;
  for (let k = 1; k <= maxK; k++) {
    const value = passHatK(list, k);
    if (value !== undefined) out[String(k)] = value;
  }
  return out;
}

/** Every task of the domain by id, over all its splits (telecom's tasks live in several). */
function domainTasksById(domain: Domain): Map<string, Task> {
  const out = new Map<string, Task>();
  // τ²'s standard split first, so a task in several splits is stored as the standard one's.
  const splits = [...new Set(['base', domain.defaultSplit, ...domain.splits])].filter((s) => domain.splits.includes(s));
  for (const split of splits) for (const task of domain.tasks({ split })) if (!out.has(task.id)) out.set(task.id, task);
  return out;
}

/** The domain's task graded with the file's criteria (what τ² graded with) when the file carries them. */
function taskFor(
  taskId: string,
  fileRecord: Tau2TaskRecord | undefined,
  domainTask: Task | undefined,
  where: string,
  domain: Domain,
): { task: Task; differs: boolean } {
  if (!domainTask)
    throw new GroundworkError('UNKNOWN_TASK', `${where}: field task_id: ${domain.name} has no task ${JSON.stringify(taskId)}`, {
      hint: 'import results of the same τ² version and domain (check --domain)',
    });
  if (!fileRecord) return { task: domainTask, differs: false };
  const criteria = tau2CriteriaOf(fileRecord);
  const differs = !jsonEqual(domainTask.expected as unknown as JsonValue, criteria as unknown as JsonValue);
  return { task: { ...domainTask, expected: criteria }, differs };
}

/**
 * Re-grades every simulation of a τ² results file on our domain (see `importTau2Simulation`) and
 * compares each with τ²'s recorded reward. A simulation without `trial` gets the next trial of its
 * task; two simulations of the same task and trial are refused.
 */
export function regradeTau2Results(results: Tau2Results, options: ImportTau2Options): Tau2RegradeResult {
  const { domain } = options;
  const domainTasks = domainTasksById(domain);
  const tasks = new Map<string, { task: Task; differs: boolean }>();
  const nextTrial = new Map<string, number>();
  const seen = new Set<string>();
  const where = (i: number) => `${results.source}: simulation ${i} (${results.simulations[i]!.id})`;
  const episodes = results.simulations.map((sim, index) => {
    let entry = tasks.get(sim.task_id);
    if (!entry)
      tasks.set(
        sim.task_id,
        (entry = taskFor(sim.task_id, results.tasks.get(sim.task_id), domainTasks.get(sim.task_id), where(index), domain)),
      );
    const trial = sim.trial ?? nextTrial.get(sim.task_id) ?? 0;
    nextTrial.set(sim.task_id, Math.max(nextTrial.get(sim.task_id) ?? 0, trial + 1));
    const key = `${sim.task_id}/${trial}`;
    if (seen.has(key))
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `${where(index)}: field trial: a second simulation of task ${sim.task_id} trial ${trial}`,
        {
          hint: 'a stored run holds one episode per task and trial; import each τ² run separately',
        },
      );
    seen.add(key);
    const historyLength = results.tasks.get(sim.task_id)?.initial_state?.message_history?.length ?? 0;
    return importTau2Simulation(sim, entry.task, {
      ...options,
      info: options.info ?? results.info,
      index,
      trial,
      historyLength,
      taskDiffersFromDomain: entry.differs,
    });
  });
  return { episodes, tasks: [...tasks.values()].map((t) => t.task), summary: summarize(episodes) };
}

/** Agreement counts, disagreements and pass^k of both rewards. */
export function summarize(episodes: readonly ImportedTau2Episode[]): Tau2RegradeSummary {
  const recorded = episodes.filter((e) => e.recorded !== null);
  const noJudge = recorded.filter((e) => e.judgedBy === 'none-needed');
  const judged = recorded.filter((e) => e.judgedBy === 'tau2-recorded');
  const agrees = (e: ImportedTau2Episode) => e.comparison.reward === true;
  const componentDisagreements = { db: 0, envAssertions: 0, actions: 0, communicate: 0 };
  for (const e of recorded)
    for (const key of Object.keys(componentDisagreements) as (keyof typeof componentDisagreements)[])
      if (e.comparison[key] === false) componentDisagreements[key]++;
  // τ²'s metrics leave infrastructure errors out of pass^k.
  const counted = episodes.filter((e) => e.tau2Termination !== 'infrastructure_error');
  return {
    records: episodes.length,
    noJudgeNeeded: noJudge.length,
    agreement: noJudge.filter(agrees).length,
    judgedByTau2: judged.length,
    judgedByTau2Agreement: judged.filter(agrees).length,
    pending: episodes.filter((e) => e.judgedBy === 'pending').length,
    unrecorded: episodes.length - recorded.length,
    disagreements: recorded
      .filter((e) => e.comparison.reward === false)
      .map((e) => ({
        index: e.index,
        simulationId: e.simulationId,
        taskId: e.taskId,
        trial: e.trial,
        recorded: e.recorded!.reward,
        ours: e.reward,
        judgedBy: e.judgedBy,
      })),
    componentDisagreements,
    passHatK: passHatKTable(counted.map((e) => ({ taskId: e.taskId, success: e.reward === 1 }))),
    recordedPassHatK: passHatKTable(
      counted.filter((e) => e.recorded).map((e) => ({ taskId: e.taskId, success: Math.abs(e.recorded!.reward - 1) <= 1e-6 })),
    ),
    toolOutputMismatches: episodes.reduce((n, e) => n + e.toolOutputMismatches.length, 0),
    tasksDifferingFromDomain: new Set(episodes.filter((e) => e.taskDiffersFromDomain).map((e) => e.taskId)).size,
  };
}

/** The registry name of a results file's domain (`--domain` wins when given, and must agree). */
export function tau2DomainName(results: Pick<Tau2Results, 'info' | 'source'>, requested?: string): string {
  const recorded = results.info.environment_info.domain_name;
  const mapped = TAU2_DOMAIN_NAMES[recorded];
  if (requested && mapped && requested !== mapped)
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `${results.source}: field info.environment_info.domain_name: the results are of τ²'s ${recorded} (${mapped}), not ${requested}`,
      {
        hint: `drop --domain or pass --domain ${mapped}`,
      },
    );
  const name = requested ?? mapped;
  if (!name)
    throw new GroundworkError(
      'UNKNOWN_DOMAIN',
      `${results.source}: field info.environment_info.domain_name: no Groundwork domain for τ²'s ${JSON.stringify(recorded)}`,
      {
        hint: `supported: ${Object.keys(TAU2_DOMAIN_NAMES).join(', ')} (or pass --domain NAME)`,
      },
    );
  return name;
}

/** `imported:<llm>` names of a results file's agent and user (file name when τ² recorded no model). */
export function tau2ParticipantNames(results: Pick<Tau2Results, 'info' | 'source'>, agentName?: string): { agent: string; user: string } {
  const fallback = basename(results.source).replace(/\.json$/i, '') || 'tau2';
  const agent = agentName ?? results.info.agent_info.llm ?? fallback;
  const user = results.info.user_info.llm ?? results.info.user_info.implementation;
  return { agent: agent.startsWith('imported:') ? agent : `imported:${agent}`, user: `imported:${user}` };
}
