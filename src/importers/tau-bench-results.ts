import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Domain } from '../domains/domain.ts';
import { executeToolCall } from '../domains/tools.ts';
import { fromV1Task, toTask } from '../domains/tau-bench/tasks.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { GroundworkError } from '../errors.ts';
import { gradeEpisode, replayGoldActions } from '../grading/grade.ts';
import { passHatK, type TaskTally } from '../grading/pass-k.ts';
import { jsonEqual, type JsonValue } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import { TRAJECTORY_SCHEMA_VERSION, type TerminationReason, type Trajectory, type TrajectoryEvent } from '../schema/trajectory.ts';
import { changesBetween } from '../state/diff.ts';
import { TableState } from '../state/table-state.ts';
import { episodeIdFor } from '../runner/plan.ts';

/** τ-bench's stop token: a user message containing it ends the episode (`envs/base.py`). */
const TAU_STOP = '###STOP###';
/** τ-bench's tool-calling agent stops after this many actions (`max_num_steps`). */
const TAU_MAX_ACTIONS = 30;

/** One OpenAI-format tool call as τ-bench records it (`function` may be null in litellm dumps). */
const tauToolCallSchema = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({ name: z.string(), arguments: z.string().nullish() }).nullish(),
});

/** One message of a recorded τ-bench trajectory (OpenAI chat format). */
export const tauMessageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().nullish(),
  tool_calls: z.array(tauToolCallSchema).nullish(),
  tool_call_id: z.string().nullish(),
  name: z.string().nullish(),
});
export type TauMessage = z.infer<typeof tauMessageSchema>;

/** The task as τ-bench stores it in a result's `info.task`. */
const tauInfoTaskSchema = z.looseObject({
  user_id: z.string(),
  instruction: z.string(),
  actions: z.array(z.object({ name: z.string(), kwargs: z.record(z.string(), z.unknown()) })),
  outputs: z.array(z.string()).default([]),
});

/** One record of a τ-bench results file (`EnvRunResult` of `tau_bench/types.py`). */
export const tauResultRecordSchema = z.object({
  task_id: z.number().int().nonnegative(),
  trial: z.number().int().nonnegative().default(0),
  reward: z.number(),
  info: z.looseObject({ task: tauInfoTaskSchema.optional(), error: z.string().optional() }).default({}),
  traj: z.array(tauMessageSchema),
});
export type TauResultRecord = z.infer<typeof tauResultRecordSchema>;

/** A τ-bench results file: a JSON list of records. */
export const tauResultsFileSchema = z.array(tauResultRecordSchema);

/** Validate parsed JSON as a τ-bench results file. Throws INVALID_ARGUMENT naming the first problem. */
export function parseTauResults(value: unknown, source = 'results'): TauResultRecord[] {
  const parsed = tauResultsFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new GroundworkError('INVALID_ARGUMENT', `${source} is not a τ-bench results file: ${issue.message}${where}`, {
      hint: 'expected a JSON list of {task_id, trial, reward, info, traj} as written by τ-bench run.py',
    });
  }
  return parsed.data;
}

/** Read and validate a τ-bench results file. */
export function readTauResultsFile(file: string): TauResultRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GroundworkError('INVALID_ARGUMENT', `cannot read ${file}`, { cause: error, hint: 'check the path of the results file' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `${file} is not valid JSON: ${(error as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`,
      { cause: error, hint: 'pass a τ-bench results file (a JSON list)' },
    );
  }
  return parseTauResults(value, file);
}

/** Where our tool output differs from the one recorded in the trajectory. */
export interface ToolOutputMismatch {
  /** Index of the recorded `tool` message in `traj`. */
  messageIndex: number;
  tool: string;
  recorded: string;
  ours: string;
}

/** One recorded τ-bench episode, replayed through our tools and graded. */
export interface ImportedEpisode {
  taskId: string;
  trial: number;
  /** The reward τ-bench recorded. */
  recordedReward: number;
  /** Our reward (τ-bench's rule: 0 when the episode never ended, see `ended`). */
  reward: 0 | 1;
  /** The record ended as τ-bench ends an episode (user `###STOP###` or a terminal tool). */
  ended: boolean;
  /** The task graded against: from the record's `info.task` when present, else the domain's. */
  task: Task;
  /** The record's task differs from the domain's task of the same id (actions or outputs). */
  taskDiffersFromDomain: boolean;
  trajectory: Trajectory;
  outcome: Outcome;
  initialState: TableState;
  finalState: TableState;
  toolOutputMismatches: ToolOutputMismatch[];
}

/** Options of `importTauRecord` / `regradeTauResults`. */
export interface ImportTauOptions {
  /** `tau-bench/retail` or `tau-bench/airline` (v1: τ-bench's results format). */
  domain: Domain;
  /** Agent name stored with the episodes. @default 'imported' */
  agent?: string;
  /** User simulator name stored with the episodes. @default 'imported' */
  user?: string;
  /** Run id the episode ids derive from. @default 'import' */
  runId?: string;
  /** Seed of each episode (stored only; nothing random happens). @default () => 0 */
  seedFor?: (taskId: string, trial: number) => number;
  /** `startedAt` of the trajectories (results files carry no time). @default '1970-01-01T00:00:00.000Z' */
  startedAt?: string;
  /** Split name given to tasks built from a record's `info.task`. @default the domain's default split */
  split?: string;
}

const SUPPORTED = new Set(['tau-bench/retail', 'tau-bench/airline']);

/** Same gold actions and outputs (what τ-bench grades with). */
function sameGrading(a: Task, b: Task): boolean {
  return jsonEqual(a.expected, b.expected);
}

/** Task of a record: `info.task` (what τ-bench graded with) when present, else the domain's. */
function taskFor(record: TauResultRecord, domain: Domain, domainTasks: Map<string, Task>, split: string): { task: Task; differs: boolean } {
  const id = String(record.task_id);
  const fromDomain = domainTasks.get(id);
  const info = record.info.task;
  if (!info) {
    if (!fromDomain) {
      throw new GroundworkError(
        'UNKNOWN_TASK',
        `record task_id ${id} (trial ${record.trial}) has no info.task and ${domain.name} has no task ${id}`,
        {
          hint: 'pass the task file the results were produced with (--task-file)',
        },
      );
    }
    return { task: fromDomain, differs: false };
  }
  const source = fromV1Task(
    {
      index: record.task_id,
      user_id: info.user_id,
      instruction: info.instruction,
      actions: info.actions as { name: string; kwargs: Record<string, JsonValue> }[],
      outputs: info.outputs,
    },
    fromDomain?.split ?? split,
  );
  const base = domain.base();
  const noChange =
    Object.keys(replayGoldActions(domain, TableState.over(base.tables, base.hash), source.actions).state.changesFromBase()).length === 0;
  const task = toTask(source, domain.name, domain.tools, noChange);
  return { task, differs: fromDomain !== undefined && !sameGrading(task, fromDomain) };
}

/**
 * Replays one recorded τ-bench episode through our tools, the way τ-bench's tool-calling agent and
 * environment ran it, and grades it with `gradeEpisode`:
 * - the system message (the policy) is dropped;
 * - an assistant message with tool calls is one action: only its first call is executed (τ-bench
 *   keeps `tool_calls[:1]`), its text is not sent to the user (kept as a note);
 * - an assistant message without tool calls is a message to the user;
 * - a user message containing `###STOP###` ends the episode, as does a terminal tool
 *   (`transfer_to_human_agents`); anything recorded after that is not replayed;
 * - an episode that never ended (τ-bench's 30-action limit) gets reward 0, as in τ-bench.
 * Every tool result and the final state are ours; recorded tool outputs are only compared.
 */
export function importTauRecord(
  record: TauResultRecord,
  task: Task,
  options: ImportTauOptions & { taskDiffersFromDomain?: boolean },
): ImportedEpisode {
  const { domain } = options;
  const agent = options.agent ?? 'imported';
  const user = options.user ?? 'imported';
  const taskId = String(record.task_id);
  const initialState = initialStateFor(domain, task);
  const state = initialState.fork();
  const events: TrajectoryEvent[] = [];
  const mismatches: ToolOutputMismatch[] = [];
  const traj = record.traj;
  let actions = 0;
  let userTurns = 0;
  let callCounter = 0;
  let termination: { reason: TerminationReason; detail?: string } | undefined;

  let i = 0;
  for (; i < traj.length && !termination; i++) {
    const message = traj[i];
    if (message.role === 'system') continue;
    if (message.role === 'user') {
      userTurns++;
      const content = message.content ?? '';
      if (content.includes(TAU_STOP)) {
        events.push({ type: 'message', role: 'user', content: content.split(TAU_STOP).join('').trim(), control: TAU_STOP });
        termination = { reason: 'user_stop', detail: TAU_STOP };
      } else events.push({ type: 'message', role: 'user', content });
      continue;
    }
    if (message.role === 'tool') {
      // Consumed with its call below; one here has no call before it.
      events.push({ type: 'note', content: `recorded tool message without a preceding call (${message.name ?? 'unnamed'}) ignored` });
      continue;
    }
    // assistant: one τ-bench action.
    actions++;
    const calls = message.tool_calls ?? [];
    const first = calls[0];
    if (!first?.function) {
      const text = message.content ?? '';
      if (text === '') events.push({ type: 'note', content: 'recorded agent message had no text and no tool call' });
      else events.push({ type: 'message', role: 'agent', content: text });
      continue;
    }
    if (message.content)
      events.push({ type: 'note', content: `agent text beside a tool call (not sent to the user in τ-bench): ${message.content}` });
    if (calls.length > 1)
      events.push({ type: 'note', content: `kept the first of ${calls.length} tool calls (τ-bench executes one call per turn)` });
    const { name } = first.function;
    const rawArguments = first.function.arguments ?? '';
    let args: JsonValue = rawArguments;
    try {
      args = rawArguments.trim() === '' ? {} : (JSON.parse(rawArguments) as JsonValue);
    } catch {
      // Kept as the raw string; executeToolCall turns it into an error result.
    }
    const id = first.id || `call-${++callCounter}`;
    events.push({ type: 'tool_call', id, name, arguments: args });
    const result = executeToolCall(domain, state, name, typeof args === 'string' ? rawArguments : args);
    events.push({
      type: 'tool_result',
      callId: id,
      name,
      content: result.content,
      isError: result.isError,
      ...(result.wrote ? { stateHash: state.hash() } : {}),
    });
    const next = traj[i + 1];
    if (next?.role === 'tool') {
      i++;
      const recorded = next.content ?? '';
      if (recorded !== result.content) {
        mismatches.push({ messageIndex: i, tool: name, recorded, ours: result.content });
        events.push({
          type: 'note',
          content: `τ-bench recorded a different output: ${recorded.length > 300 ? `${recorded.slice(0, 300)}…` : recorded}`,
        });
      }
    }
    if (result.terminal) termination = { reason: 'agent_stop', detail: `terminal tool ${name}` };
  }
  const ignored = traj.slice(i).filter((m) => m.role !== 'system').length;
  if (ignored > 0) events.push({ type: 'note', content: `${ignored} recorded message(s) after the end of the episode not replayed` });

  const ended = termination !== undefined;
  if (!termination) {
    if (traj.length === 0 || record.info.error !== undefined) {
      termination = {
        reason: 'infra_error',
        detail: `τ-bench recorded no trajectory${record.info.error ? `: ${record.info.error.split('\n')[0].slice(0, 200)}` : ''}`,
      };
    } else {
      termination = {
        reason: 'max_steps',
        detail:
          actions >= TAU_MAX_ACTIONS
            ? `τ-bench's ${TAU_MAX_ACTIONS}-action limit`
            : `the record ends after ${actions} agent actions without a stop`,
      };
    }
  }

  // gradeEpisode applies τ-bench's rule to gold-replay tasks: an episode that did not end (max_steps) gets 0.
  const outcome = gradeEpisode({ domain, task, initialState, finalState: state, trajectory: { events, termination } });

  const trajectory: Trajectory = {
    schemaVersion: TRAJECTORY_SCHEMA_VERSION,
    episodeId: episodeIdFor(options.runId ?? 'import', agent, taskId, record.trial),
    taskId,
    domain: domain.name,
    agent,
    user,
    trial: record.trial,
    seed: options.seedFor?.(taskId, record.trial) ?? 0,
    events,
    termination,
    finalChanges: changesBetween(initialState, state),
    initialStateHash: initialState.hash(),
    finalStateHash: state.hash(),
    steps: actions + userTurns,
    usage: {},
    participants: {
      agent: { name: agent, imported: true },
      user: { name: user, imported: true, ...(typeof record.info.user_cost === 'number' ? { costUsd: record.info.user_cost } : {}) },
      import: { format: 'tau-bench', recordedReward: record.reward, toolOutputMismatches: mismatches.length },
    },
    startedAt: options.startedAt ?? '1970-01-01T00:00:00.000Z',
    durationMs: 0,
  };
  return {
    taskId,
    trial: record.trial,
    recordedReward: record.reward,
    reward: outcome.reward,
    ended,
    task,
    taskDiffersFromDomain: options.taskDiffersFromDomain ?? false,
    trajectory,
    outcome,
    initialState,
    finalState: state,
    toolOutputMismatches: mismatches,
  };
}

/** Summary of re-grading a results file. */
export interface TauRegradeSummary {
  records: number;
  /** Records whose reward equals the recorded one. */
  agreement: number;
  disagreements: { taskId: string; trial: number; recordedReward: number; reward: number }[];
  /** pass^k of our rewards, k = 1 … the largest trial count of any task. */
  passHatK: Record<string, number>;
  /** pass^k of the recorded rewards, for comparison. */
  recordedPassHatK: Record<string, number>;
  /** Tool outputs (over all records) that differ from the recorded ones. */
  toolOutputMismatches: number;
  /** Records whose `info.task` differs from the domain's task of the same id (graded with the record's). */
  tasksDifferingFromDomain: number;
}

/** What `regradeTauResults` gives. */
export interface TauRegradeResult {
  episodes: ImportedEpisode[];
  /** One task per task id, in first-seen order (what a stored run plans). */
  tasks: Task[];
  summary: TauRegradeSummary;
}

/** pass^k over records grouped by task, k = 1 … max trials. */
function passHatKTable(rows: readonly { taskId: string; reward: number }[]): Record<string, number> {
  const tallies = new Map<string, TaskTally>();
  for (const row of rows) {
    const tally = tallies.get(row.taskId) ?? { successes: 0, trials: 0 };
    tally.trials++;
    if (row.reward === 1) tally.successes++;
    tallies.set(row.taskId, tally);
  }
  const list = [...tallies.values()];
  const maxTrials = Math.max(0, ...list.map((t) => t.trials));
  const out: Record<string, number> = {};
  for (let k = 1; k <= maxTrials; k++) {
    const value = passHatK(list, k);
    if (value !== undefined) out[String(k)] = value;
  }
  return out;
}

/**
 * Re-grades every record of a τ-bench results file against our environment (see
 * `importTauRecord`). Records of the same task must carry the same task definition.
 */
export function regradeTauResults(records: readonly TauResultRecord[], options: ImportTauOptions): TauRegradeResult {
  const { domain } = options;
  if (!SUPPORTED.has(domain.name)) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `τ-bench results can be re-graded on ${[...SUPPORTED].join(' or ')}, not ${domain.name}`,
      { hint: 'use --domain tau-bench/airline or tau-bench/retail' },
    );
  }
  const split = options.split ?? domain.defaultSplit;
  const domainTasks = new Map(domain.tasks({ split }).map((t) => [t.id, t]));
  const tasks = new Map<string, { task: Task; differs: boolean }>();
  const episodes = records.map((record) => {
    const id = String(record.task_id);
    let entry = tasks.get(id);
    const fresh = taskFor(record, domain, domainTasks, split);
    if (!entry) tasks.set(id, (entry = fresh));
    else if (!sameGrading(entry.task, fresh.task)) {
      throw new GroundworkError('INVALID_ARGUMENT', `records of task ${id} carry different task definitions (info.task)`, {
        hint: 'a results file should come from one τ-bench run',
      });
    }
    return importTauRecord(record, entry.task, { ...options, taskDiffersFromDomain: entry.differs });
  });
  const disagreements = episodes
    .filter((e) => e.reward !== e.recordedReward)
    .map((e) => ({ taskId: e.taskId, trial: e.trial, recordedReward: e.recordedReward, reward: e.reward }));
  return {
    episodes,
    tasks: [...tasks.values()].map((t) => t.task),
    summary: {
      records: episodes.length,
      agreement: episodes.length - disagreements.length,
      disagreements,
      passHatK: passHatKTable(episodes),
      recordedPassHatK: passHatKTable(episodes.map((e) => ({ taskId: e.taskId, reward: e.recordedReward }))),
      toolOutputMismatches: episodes.reduce((n, e) => n + e.toolOutputMismatches.length, 0),
      tasksDifferingFromDomain: episodes.filter((e) => e.taskDiffersFromDomain).length,
    },
  };
}
