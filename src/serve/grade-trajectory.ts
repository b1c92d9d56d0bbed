import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http-io.ts';
import { z } from 'zod';
import type { Domain, Side } from '../domains/domain.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { executeSideToolCall, formatZodIssues, toolsOf } from '../domains/tools.ts';
import { describeError, GroundworkError } from '../errors.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { newRunId } from '../runner/local-runner.ts';
import { episodeIdFor } from '../runner/plan.ts';
import { jsonValueSchema, type JsonValue } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import { runConfigSchema, type RunConfig } from '../schema/run-config.ts';
import type { Task } from '../schema/task.ts';
import {
  TRAJECTORY_SCHEMA_VERSION,
  terminationReasonSchema,
  trajectoryEventSchema,
  type TerminationReason,
  type Trajectory,
  type TrajectoryEvent,
} from '../schema/trajectory.ts';
import { changesBetween } from '../state/diff.ts';
import type { Store } from '../store/store.ts';
import { splitControlToken } from '../users/user.ts';
import { normaliseToolName } from './mcp.ts';

/** The path `POST /grade` is served on. */
export const GRADE_PATH = '/grade';
/** Largest request body `POST /grade` reads (a long trajectory is a few hundred KB). */
export const MAX_GRADE_BODY_BYTES = 8 * 1024 * 1024;
/** User simulator name stored with graded trajectories (the user ran elsewhere). */
export const GRADED_USER = 'imported';
/** Tools the orchestrator intercepts: never a domain call, so replay keeps their recorded result. */
const INTERCEPTED_TOOLS = new Set(['report_outcome']);

const terminationSchema = z.object({ reason: terminationReasonSchema, detail: z.string().max(2000).optional() });

/** A trajectory in Groundwork's schema; only events and termination are needed (the rest is ours after the replay). */
const groundworkTrajectorySchema = z.looseObject({
  schemaVersion: z.literal(TRAJECTORY_SCHEMA_VERSION).optional(),
  taskId: z.string().optional(),
  domain: z.string().optional(),
  agent: z.string().optional(),
  initialStateHash: z.string().optional(),
  events: z.array(trajectoryEventSchema),
  termination: terminationSchema,
});

/** One OpenAI-style tool call (`arguments` a JSON string, or an object for convenience). */
const openAiToolCallSchema = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({ name: z.string().min(1), arguments: z.union([z.string(), z.record(z.string(), jsonValueSchema)]).nullish() }),
});

/** Text content as a string or a list of parts (`{type: 'text', text}`), as chat APIs allow. */
const contentSchema = z.union([z.string(), z.array(z.looseObject({ type: z.string().optional(), text: z.string().optional() }))]).nullish();

/** One message of an OpenAI-style chat transcript. */
const openAiMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: contentSchema,
  tool_calls: z.array(openAiToolCallSchema).nullish(),
  tool_call_id: z.string().nullish(),
  name: z.string().nullish(),
});
type OpenAiMessage = z.infer<typeof openAiMessageSchema>;

/** The body of `POST /grade`: a Groundwork trajectory, or an OpenAI-style messages list with a task id. */
export const gradeRequestSchema = z
  .looseObject({
    /** The task graded against; defaults to the trajectory's `taskId`. */
    task_id: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
    trajectory: groundworkTrajectorySchema.optional(),
    messages: z.array(openAiMessageSchema).optional(),
    /** How the conversation ended, for `messages` (inferred when absent; a trajectory carries its own). */
    termination: terminationSchema.optional(),
    /** Name of the agent that produced it, stored as `imported:NAME`. */
    agent: z
      .string()
      .regex(/^[\w.:@/+-]{1,100}$/, 'letters, digits and . : @ / + - _ only, at most 100 characters')
      .optional(),
  })
  .superRefine((body, ctx) => {
    const forms = (body.trajectory ? 1 : 0) + (body.messages ? 1 : 0);
    if (forms !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of `trajectory` (Groundwork schema) or `messages`' });
    if (body.messages && body.task_id === undefined) ctx.addIssue({ code: 'custom', message: '`messages` needs a `task_id`' });
    if (body.trajectory && body.termination) ctx.addIssue({ code: 'custom', message: 'a trajectory carries its own termination' });
  });
export type GradeRequest = z.infer<typeof gradeRequestSchema>;

/** What `gradeTrajectory` returns, and `POST /grade` answers (without the trajectory). */
export interface GradedTrajectory {
  taskId: string;
  reward: number;
  outcome: Outcome;
  termination: { reason: TerminationReason; detail?: string };
  /** The trajectory as replayed: our tool results, our final state. */
  trajectory: Trajectory;
  task: Task;
  replay: {
    format: 'groundwork' | 'openai-messages';
    /** Tool calls executed on the state (both sides). */
    toolCalls: number;
    /** Recorded tool results that differ from ours (ours are graded). */
    toolOutputMismatches: number;
    /** The trajectory named an initial state hash other than the task's. */
    initialStateMismatch: boolean;
  };
}

/** What grading needs from the server: the served domain and where tasks come from. */
export interface GradeContext {
  domain: Domain;
  /** The served split: task ids are looked up there first, then in every split. */
  split?: string;
  /** Options the domain was built with (stored in the run config of stored graded episodes). */
  domainOptions?: RunConfig['domainOptions'];
  /** Where `?store=1` stores graded trajectories; without it the flag is refused. */
  store?: Store;
  /** Clock. @default () => new Date() */
  now?: () => Date;
}

const invalid = (message: string) => new GroundworkError('INVALID_ARGUMENT', message);

/** The served domain's task of this id (the served split first, then every split). Throws UNKNOWN_TASK. */
export function findTask(context: Pick<GradeContext, 'domain' | 'split'>, taskId: string): Task {
  const { domain } = context;
  const splits = [...new Set([context.split ?? domain.defaultSplit, ...domain.splits])];
  for (const split of splits) {
    let found: Task | undefined;
    try {
      found = domain.tasks({ split, ids: [taskId] }).find((task) => task.id === taskId);
    } catch {
      found = undefined;
    }
    if (found) return found;
  }
  throw new GroundworkError('UNKNOWN_TASK', `${domain.name} has no task ${JSON.stringify(taskId)}`);
}

/** Text of a chat message's content (string or text parts). */
function textOf(content: OpenAiMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

function parseArguments(raw: string | Record<string, JsonValue> | null | undefined): JsonValue {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'string') return raw;
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    return raw; // executeToolCall turns the raw string into an "arguments are not valid JSON" result.
  }
}

/**
 * Groundwork events of an OpenAI-style transcript: system messages dropped; user text a user
 * message (control tokens such as `###STOP###` split off); assistant text a message to the user
 * and its tool calls, in order, calls whose results the following `tool` messages recorded.
 */
function eventsOfMessages(messages: readonly OpenAiMessage[], singleToolCallPerTurn: boolean): TrajectoryEvent[] {
  const events: TrajectoryEvent[] = [];
  let unnamed = 0;
  for (const message of messages) {
    const text = textOf(message.content);
    if (message.role === 'system' || message.role === 'developer') continue;
    if (message.role === 'user') {
      const { text: said, control } = splitControlToken(text);
      events.push(control ? { type: 'message', role: 'user', content: said, control } : { type: 'message', role: 'user', content: said });
    } else if (message.role === 'assistant') {
      if (text.trim() !== '') events.push({ type: 'message', role: 'agent', content: text.trim() });
      const calls = message.tool_calls ?? [];
      // A domain whose harness runs one call per reply (τ-bench) runs only the first, as a local episode would.
      if (singleToolCallPerTurn && calls.length > 1)
        events.push({ type: 'note', content: `kept the first of ${calls.length} tool calls (domain executes one call per turn)` });
      for (const call of singleToolCallPerTurn ? calls.slice(0, 1) : calls) {
        const id = call.id || `call-${++unnamed}`;
        events.push({ type: 'tool_call', id, name: call.function.name, arguments: parseArguments(call.function.arguments) });
      }
    } else {
      events.push({ type: 'tool_result', callId: message.tool_call_id ?? '', name: message.name ?? '', content: text, isError: false });
    }
  }
  return events;
}

/**
 * Replays recorded events on the task's initial state: every tool call that reached the domain
 * (the agent's, and the user's own with `actor: 'user'`) runs on its side's tools, in order, and
 * our result replaces the recorded one (a differing recorded result is counted, never used);
 * messages and notes are kept. A terminal tool ends the episode: later tool calls are not run.
 */
function replayEvents(
  domain: Domain,
  task: Task,
  recorded: readonly TrajectoryEvent[],
): {
  events: TrajectoryEvent[];
  initialState: ReturnType<typeof initialStateFor>;
  state: ReturnType<typeof initialStateFor>;
  toolCalls: number;
  mismatches: number;
  terminal?: string;
} {
  const initialState = initialStateFor(domain, task);
  const state = initialState.fork();
  const events: TrajectoryEvent[] = [];
  const ours = new Map<string, string>();
  const usedIds = new Set<string>();
  let toolCalls = 0;
  let mismatches = 0;
  let terminal: string | undefined;
  let skipped = 0;
  for (const event of recorded) {
    if (event.type === 'tool_call') {
      const side: Side = event.actor === 'user' ? 'user' : 'agent';
      const name = normaliseToolName(
        event.name,
        toolsOf(domain, side).map((t) => t.name),
      );
      if (INTERCEPTED_TOOLS.has(name) && side === 'agent') {
        events.push({ ...event, name });
        continue;
      }
      if (terminal !== undefined) {
        skipped++;
        ours.set(event.id, '');
        continue;
      }
      let id = event.id;
      for (let n = 2; usedIds.has(id); n++) id = `${event.id}-${n}`;
      usedIds.add(id);
      const result = executeSideToolCall(domain, state, side, name, event.arguments);
      toolCalls++;
      ours.set(event.id, result.content);
      const actor = side === 'user' ? ({ actor: 'user' } as const) : {};
      events.push({ type: 'tool_call', id, ...actor, name, arguments: event.arguments });
      events.push({
        type: 'tool_result',
        callId: id,
        ...actor,
        name,
        content: result.content,
        isError: result.isError,
        ...(result.wrote ? { stateHash: state.hash() } : {}),
      });
      if (result.terminal && side === 'agent') terminal = name;
      continue;
    }
    if (event.type === 'tool_result') {
      const content = ours.get(event.callId);
      if (content === undefined) {
        // The result of an intercepted call (report_outcome) is kept; one answering no call is dropped.
        if (events.some((e) => e.type === 'tool_call' && e.id === event.callId)) events.push(event);
        else events.push({ type: 'note', content: `a recorded tool result answers no call (${event.callId || 'no id'}); ignored` });
        continue;
      }
      ours.delete(event.callId);
      if (content !== '' && content !== event.content) mismatches++;
      continue;
    }
    events.push(event);
  }
  if (skipped > 0) events.push({ type: 'note', content: `${skipped} tool call(s) after the terminal tool ${terminal} not run` });
  return { events, initialState, state, toolCalls, mismatches, ...(terminal ? { terminal } : {}) };
}

/** How a transcript without a stated termination ended: a user stop token, a terminal tool, else the agent stopped. */
function inferredTermination(events: readonly TrajectoryEvent[], terminal: string | undefined): GradedTrajectory['termination'] {
  if (terminal) return { reason: 'agent_stop', detail: `terminal tool ${terminal}` };
  const stop = events.find((e) => e.type === 'message' && e.role === 'user' && e.control !== undefined);
  if (stop && stop.type === 'message') return { reason: 'user_stop', detail: stop.control! };
  return { reason: 'agent_stop', detail: 'the recorded conversation ended' };
}

/**
 * Grades a trajectory recorded elsewhere against the served domain: the body is validated, the
 * task found, every recorded tool call replayed through our tools on the task's initial state
 * (as the importers replay), and the episode graded by `gradeEpisode` from our final state.
 * Throws GroundworkError (INVALID_ARGUMENT, UNKNOWN_TASK) for bad input.
 */
export function gradeTrajectory(body: unknown, context: GradeContext, runId = 'graded'): GradedTrajectory {
  const parsed = gradeRequestSchema.safeParse(body);
  if (!parsed.success) {
    // One line: the first issue (a wrong trajectory can fail on every event).
    const issues = parsed.error.issues;
    const first = formatZodIssues({ ...parsed.error, issues: issues.slice(0, 1) } as typeof parsed.error);
    throw invalid(`invalid grade request: ${first}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`);
  }
  const request = parsed.data;
  const { domain } = context;
  const recorded = request.trajectory;
  if (recorded?.domain !== undefined && recorded.domain !== domain.name)
    throw invalid(`the trajectory is of domain ${recorded.domain}; this server serves ${domain.name}`);
  const taskId = request.task_id !== undefined ? String(request.task_id) : recorded?.taskId;
  if (taskId === undefined) throw invalid('no task id: give `task_id` or a trajectory with `taskId`');
  if (recorded?.taskId !== undefined && recorded.taskId !== taskId)
    throw invalid(`task_id ${taskId} differs from the trajectory's taskId ${recorded.taskId}`);
  const task = findTask(context, taskId);
  const format = recorded ? 'groundwork' : 'openai-messages';
  const replay = replayEvents(
    domain,
    task,
    recorded ? recorded.events : eventsOfMessages(request.messages ?? [], domain.options.singleToolCallPerTurn === true),
  );
  const termination = recorded?.termination ?? request.termination ?? inferredTermination(replay.events, replay.terminal);
  const outcome = gradeEpisode({
    domain,
    task,
    initialState: replay.initialState,
    finalState: replay.state,
    trajectory: { events: replay.events, termination },
  });
  const agent = `imported:${request.agent ?? safeName(recorded?.agent) ?? 'external'}`;
  const userTables = domain.user?.tables ?? [];
  const trajectory: Trajectory = {
    schemaVersion: TRAJECTORY_SCHEMA_VERSION,
    episodeId: episodeIdFor(runId, agent, task.id, 0),
    taskId: task.id,
    domain: domain.name,
    agent,
    user: GRADED_USER,
    trial: 0,
    seed: 0,
    events: replay.events,
    termination: termination.detail === undefined ? { reason: termination.reason } : termination,
    finalChanges: changesBetween(replay.initialState, replay.state),
    initialStateHash: replay.initialState.hash(),
    finalStateHash: replay.state.hash(),
    steps: replay.events.filter((e) => e.type === 'message').length,
    usage: {},
    participants: {
      agent: { name: agent, imported: true },
      user: { name: GRADED_USER, imported: true },
      import: { format, toolOutputMismatches: replay.mismatches },
      ...(userTables.length ? { episode: { userTables: [...userTables] } } : {}),
    },
    startedAt: (context.now ?? (() => new Date()))().toISOString(),
    durationMs: 0,
  };
  return {
    taskId: task.id,
    reward: outcome.reward,
    outcome,
    termination: trajectory.termination,
    trajectory,
    task,
    replay: {
      format,
      toolCalls: replay.toolCalls,
      toolOutputMismatches: replay.mismatches,
      initialStateMismatch: recorded?.initialStateHash !== undefined && recorded.initialStateHash !== trajectory.initialStateHash,
    },
  };
}

/** A recorded agent name fit for a stored agent name, or undefined. */
function safeName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const stripped = name.replace(/^imported:/, '');
  return /^[\w.:@/+-]{1,100}$/.test(stripped) ? stripped : undefined;
}

/**
 * Stores a graded trajectory as a finished run of one imported episode (agent `imported:NAME`,
 * user `imported`), so `show`, `report`, `audit`, `export` and the viewer read it.
 */
export async function storeGradedTrajectory(
  graded: GradedTrajectory,
  context: GradeContext & { store: Store },
  runId: string,
): Promise<{ runId: string; episodeId: string }> {
  const { store, domain } = context;
  const createdAt = graded.trajectory.startedAt;
  const agent = graded.trajectory.agent;
  const config = runConfigSchema.parse({
    domain: domain.name,
    domainOptions: context.domainOptions ?? {},
    split: graded.task.split,
    tasks: { ids: [graded.task.id] },
    agents: [agent],
    user: GRADED_USER,
    trials: 1,
    concurrency: 1,
    seed: 1,
  });
  await store.createRun({ id: runId, config, tasks: [graded.task], planned: 1, createdAt });
  const episodeId = graded.trajectory.episodeId;
  await store.saveEpisode({
    id: episodeId,
    runId,
    agent,
    taskId: graded.task.id,
    trial: 0,
    seed: graded.trajectory.seed,
    family: graded.task.family,
    split: graded.task.split,
    reward: graded.outcome.reward,
    termination: graded.termination.reason,
    trajectory: graded.trajectory,
    outcome: graded.outcome,
    createdAt,
  });
  await store.setRunStatus(runId, 'finished');
  return { runId, episodeId };
}

/** The JSON answer of `POST /grade`. */
export function gradeResponse(graded: GradedTrajectory, stored?: { runId: string; episodeId: string }): Record<string, unknown> {
  const { outcome } = graded;
  return {
    task_id: graded.taskId,
    reward: graded.reward,
    termination: graded.termination,
    components: {
      state: outcome.state.pass,
      collateral: outcome.collateral.pass,
      communication: outcome.communication.pass,
      ...(outcome.tau2 ? { tau2: outcome.tau2.reward } : {}),
    },
    outcome,
    replay: {
      format: graded.replay.format,
      tool_calls: graded.replay.toolCalls,
      tool_output_mismatches: graded.replay.toolOutputMismatches,
      initial_state_mismatch: graded.replay.initialStateMismatch,
    },
    ...(stored ? { stored: { run_id: stored.runId, episode_id: stored.episodeId } } : {}),
  };
}

/** The error answer: one line, with a machine-readable code. */
function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message: message.replace(/\s+/g, ' ').trim() } }, headers);
}

/** Whether a query flag is on (`?store`, `?store=1`, `?store=true`). */
function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  return value !== null && !['0', 'false', 'no'].includes(value.toLowerCase());
}

/**
 * `POST /grade`: grades a trajectory recorded elsewhere (see `gradeTrajectory`); `?store=1`
 * stores it as an imported run. Answers and returns true for the path `/grade`; returns false,
 * touching nothing, for any other path. Bad input is a 400 with one error line.
 */
export async function handleGradeRequest(req: IncomingMessage, res: ServerResponse, context: GradeContext): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== GRADE_PATH) return false;
  if (req.method !== 'POST') {
    sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} ${GRADE_PATH} is not allowed; POST a trajectory`, { allow: 'POST' });
    return true;
  }
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json')) {
    sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `unsupported content type ${JSON.stringify(type.slice(0, 80))}: send application/json`);
    return true;
  }
  const body = await readBody(req, MAX_GRADE_BODY_BYTES);
  if (body === undefined) {
    sendError(res, 413, 'PAYLOAD_TOO_LARGE', `the request body exceeds ${MAX_GRADE_BODY_BYTES} bytes`);
    return true;
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    sendError(res, 400, 'INVALID_JSON', `the request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
    return true;
  }
  const store = flag(url, 'store');
  if (store && !context.store) {
    sendError(res, 400, 'VALIDATION_ERROR', 'this server has no store to keep graded trajectories in; grade without ?store');
    return true;
  }
  const runId = store ? newRunId((context.now ?? (() => new Date()))()) : 'graded';
  let graded: GradedTrajectory;
  try {
    graded = gradeTrajectory(value, context, runId);
  } catch (error) {
    if (GroundworkError.isInstance(error) && (error.code === 'INVALID_ARGUMENT' || error.code === 'UNKNOWN_TASK')) {
      sendError(res, 400, 'VALIDATION_ERROR', error.message);
      return true;
    }
    sendError(res, 500, 'EXECUTION_ERROR', `grading failed: ${describeError(error)}`);
    return true;
  }
  let stored: { runId: string; episodeId: string } | undefined;
  if (store && context.store) {
    try {
      stored = await storeGradedTrajectory(graded, { ...context, store: context.store }, runId);
    } catch (error) {
      sendError(res, 500, 'EXECUTION_ERROR', `storing the graded trajectory failed: ${describeError(error)}`);
      return true;
    }
  }
  sendJson(res, 200, gradeResponse(graded, stored));
  return true;
}
