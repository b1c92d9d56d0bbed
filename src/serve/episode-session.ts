import { randomBytes } from 'node:crypto';
import type { Agent, AgentContext, AgentToolCall, AgentToolSpec, AgentTurn } from '../agents/agent.ts';
import { agentToolSpecs } from '../agents/tool-specs.ts';
import { auditEpisode } from '../audits/audit-run.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { policyWithNotes } from '../episode/orchestrator.ts';
import { describeError } from '../errors.ts';
import { runGradedEpisode } from '../runner/local-runner.ts';
import type { EpisodeSpec } from '../runner/plan.ts';
import type { EpisodeAudit } from '../schema/audit.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { TerminationReason, TrajectoryEvent } from '../schema/trajectory.ts';
import type { EpisodeRecord } from '../store/store.ts';
import type { ServedRun } from './served-run.ts';

/** Codes of the session layer's own errors (the protocol layer maps them to OpenEnv's codes). */
export type SessionErrorCode =
  /** The action is not a tool call, a message or an end (nothing changed; the session goes on). */
  | 'INVALID_ACTION'
  /** `step` before any `reset`. */
  | 'NOT_RESET'
  /** `step` after the episode ended: reset for a new one. */
  | 'EPISODE_DONE'
  /** Another call of this session is still in flight. */
  | 'BUSY'
  /** The session was closed (by the client, the reaper or shutdown). */
  | 'SESSION_CLOSED'
  /** The pool is full. */
  | 'CAPACITY_REACHED'
  /** No session with this id. */
  | 'UNKNOWN_SESSION'
  /** The token is not this session's. */
  | 'INVALID_TOKEN';

/** An error of the session layer, with a stable code. One line of text; never carries a token. */
export class SessionError extends Error {
  override readonly name: string = 'SessionError';
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The session pool is full (OpenEnv's `CAPACITY_REACHED`). */
export class CapacityError extends SessionError {
  override readonly name = 'CapacityError';
  constructor(readonly capacity: number) {
    super('CAPACITY_REACHED', `all ${capacity} sessions are in use; close one or try again later`);
  }
}

/**
 * One action of the external agent. A tool call is one agent turn with that call (and optionally
 * text said in the same turn, before it); a message is a turn of text for the user, who answers
 * inside the environment; `end` ends the conversation (termination `agent_stop`).
 */
export type ServeAction =
  | { type: 'tool_call'; name: string; arguments?: JsonValue | string; id?: string; message?: string }
  | { type: 'message'; content: string; end?: boolean }
  | { type: 'end'; content?: string };

/** Validates an action's shape (not its tool or arguments: those are the episode's to judge). */
export function parseServeAction(input: unknown): ServeAction {
  const bad = (why: string) => new SessionError('INVALID_ACTION', `invalid action: ${why}`);
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw bad('expected an object {type: "tool_call" | "message" | "end", ...}');
  const action = input as Record<string, unknown>;
  const optionalString = (key: string): string | undefined => {
    const value = action[key];
    if (value !== undefined && typeof value !== 'string') throw bad(`${key} must be a string`);
    return value;
  };
  switch (action.type) {
    case 'tool_call': {
      if (typeof action.name !== 'string' || action.name.trim() === '') throw bad('a tool_call needs a tool name');
      const args = action.arguments;
      if (args !== undefined && !isJson(args)) throw bad('arguments must be JSON (an object, or a JSON string)');
      const id = optionalString('id');
      const message = optionalString('message');
      return {
        type: 'tool_call',
        name: action.name,
        arguments: (args ?? {}) as JsonValue,
        ...(id !== undefined ? { id } : {}),
        ...(message !== undefined ? { message } : {}),
      };
    }
    case 'message': {
      if (typeof action.content !== 'string') throw bad('a message needs text content');
      if (action.end !== undefined && typeof action.end !== 'boolean') throw bad('end must be true or false');
      return { type: 'message', content: action.content, ...(action.end === true ? { end: true } : {}) };
    }
    case 'end': {
      const content = optionalString('content');
      return { type: 'end', ...(content !== undefined ? { content } : {}) };
    }
    default:
      throw bad(`unknown type ${JSON.stringify(action.type ?? null)} (expected tool_call, message or end)`);
  }
}

function isJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.values(value as object).every((v) => isJson(v, depth + 1));
  return false;
}

/** What is in the metadata of the last observation of an episode. */
export interface DoneMetadata {
  episodeId: string;
  clientEpisodeId?: string;
  runId: string;
  taskId: string;
  trial: number;
  seed: number;
  termination: { reason: TerminationReason; detail?: string };
  /** The grade's components. */
  grade: { reward: number; alternative: number; state: boolean; collateral: boolean; communication: boolean; note?: string };
  /** The stored outcome, whole (predicates, field diff with verdicts, communication items). */
  outcome: Outcome;
  /** The state diff in numbers. */
  diff: { changes: number; collateral: number; initialStateHash: string; finalStateHash: string };
  /** The built-in audits of this episode (rules only, no judge); not stored (`groundwork audit` stores audits). */
  audit: EpisodeAudit | { error: string };
}

/** What a step (and a reset) answers. */
export interface StepResult {
  /** Events since the last observation, as the agent sees them: user messages, tool calls and results (errors: `isError`), notes. */
  events: TrajectoryEvent[];
  done: boolean;
  /** Groundwork's grade when done, else null. */
  reward: number | null;
  metadata: DoneMetadata | null;
  /** Client actions accepted so far in this episode. */
  step: number;
}

/** What a reset answers: the first observation (the user's opening message), the policy and the tools. */
export interface ResetResult extends StepResult {
  episodeId: string;
  clientEpisodeId?: string;
  runId: string;
  taskId: string;
  trial: number;
  seed: number;
  /** The policy (system prompt) exactly as a local agent gets it. */
  policy: string;
  tools: readonly AgentToolSpec[];
}

/** What `state()` answers: never the task's hidden fields. */
export interface SessionState {
  sessionId: string;
  runId: string;
  episodeId: string | null;
  clientEpisodeId?: string;
  taskId: string | null;
  trial: number | null;
  step: number;
  /** `agent`: waiting for the client's action; `environment`: the episode is working; null before reset or after done. */
  turn: 'agent' | 'environment' | null;
  done: boolean;
  /** Hash of the state after the last write the agent saw (the initial state before any); the final state's once done. */
  stateHash: string | null;
  termination?: { reason: TerminationReason; detail?: string };
}

/** Options of `reset`. */
export interface ResetOptions {
  /** A task of the run's split; the next one round-robin when absent. */
  taskId?: string;
  /** Seed of the user (and the episode); derived from the run seed as in a local run when absent. */
  seed?: number;
  /** The client's own episode id: echoed back and recorded in the trajectory (the stored id is the runner's). */
  episodeId?: string;
}

/** Termination details of episodes the client did not finish. */
export const ABANDON_DETAIL = {
  disconnected: 'client disconnected',
  reaped: 'session reaped',
  reset: 'client reset',
  shutdown: 'server shutdown',
} as const;

interface Finished {
  record: EpisodeRecord;
  metadata: DoneMetadata;
}

const isUserToolTraffic = (event: TrajectoryEvent) =>
  (event.type === 'tool_call' || event.type === 'tool_result') && event.actor === 'user';

/** One running served episode: `runEpisode` (through the runner's `runGradedEpisode`) with a remote agent. */
class RemoteEpisode {
  context: AgentContext | undefined;
  /** The agent's view of the conversation at its last turn. */
  private view: readonly TrajectoryEvent[] = [];
  /** How many events of the view the client has been given. */
  private seen = 0;
  private pending: { resolve: (turn: AgentTurn) => void; reject: (error: Error) => void } | undefined;
  private wake: (() => void) | undefined;
  private abandoned: string | undefined;
  steps = 0;
  stateHash: string;
  readonly finished: Promise<Finished>;
  result: Finished | undefined;
  failed: unknown;

  constructor(
    run: ServedRun,
    readonly spec: EpisodeSpec,
    readonly task: Task,
    readonly clientEpisodeId: string | undefined,
  ) {
    this.stateHash = initialStateFor(run.domain, task).hash();
    const describe = (): Record<string, JsonValue> => ({ remote: true, ...(clientEpisodeId !== undefined ? { clientEpisodeId } : {}) });
    const agent: Agent = {
      name: run.agentName,
      start: (context) => {
        this.context = context;
        return { next: (events) => this.next(events), describe };
      },
    };
    this.finished = runGradedEpisode(spec, task, run.domain, agent, run.user, run.config, run.now).then(async (graded) => {
      await run.save(graded.record);
      const { record } = graded;
      let audit: DoneMetadata['audit'];
      try {
        audit =
          graded.initialState && graded.finalState
            ? auditEpisode({
                episode: record,
                task,
                domain: run.domain,
                initialState: graded.initialState,
                finalState: graded.finalState,
                taskProblems: [],
              })
            : { error: 'the episode crashed before it had states to audit' };
      } catch (error) {
        audit = { error: `audit failed: ${describeError(error)}` };
      }
      const { outcome, trajectory } = record;
      const metadata: DoneMetadata = {
        episodeId: record.id,
        ...(clientEpisodeId !== undefined ? { clientEpisodeId } : {}),
        runId: record.runId,
        taskId: record.taskId,
        trial: record.trial,
        seed: record.seed,
        termination: { ...trajectory.termination },
        grade: {
          reward: outcome.reward,
          alternative: outcome.alternative,
          state: outcome.state.pass,
          collateral: outcome.collateral.pass,
          communication: outcome.communication.pass,
          ...(outcome.note !== undefined ? { note: outcome.note } : {}),
        },
        outcome,
        diff: {
          changes: outcome.diff.length,
          collateral: outcome.collateral.changes.length,
          initialStateHash: trajectory.initialStateHash,
          finalStateHash: trajectory.finalStateHash,
        },
        audit,
      };
      this.result = { record, metadata };
      this.stateHash = trajectory.finalStateHash;
      this.wake?.();
      return this.result;
    });
    // Failures (a store that cannot write) surface through `waitTurnOrDone`; never unhandled.
    this.finished.catch((error) => {
      this.failed = error;
      this.wake?.();
    });
  }

  get waiting(): boolean {
    return this.pending !== undefined;
  }

  get done(): boolean {
    return this.result !== undefined || this.failed !== undefined;
  }

  /** The remote agent's turn: resolved by the client's next action. */
  private next(events: readonly TrajectoryEvent[]): Promise<AgentTurn> {
    if (this.abandoned !== undefined) return Promise.reject(new Error(this.abandoned));
    this.view = events;
    return new Promise<AgentTurn>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.wake?.();
    });
  }

  /** Feed the client's turn to the waiting episode. */
  feed(turn: AgentTurn): void {
    const pending = this.pending;
    if (!pending) throw new SessionError('BUSY', 'the episode is not waiting for an action');
    this.pending = undefined;
    this.steps++;
    pending.resolve(turn);
  }

  /** Until the agent's turn is due again or the episode is over (graded and stored). */
  async waitTurnOrDone(): Promise<StepResult> {
    if (!this.pending && !this.done) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    if (this.failed !== undefined) throw this.failed;
    if (this.result)
      return this.observation(
        this.result.record.trajectory.events.filter((e) => !isUserToolTraffic(e)),
        this.result,
      );
    return this.observation(this.view);
  }

  private observation(view: readonly TrajectoryEvent[], finished?: Finished): StepResult {
    const events = view.slice(this.seen);
    this.seen = view.length;
    if (!finished)
      for (const event of events) if (event.type === 'tool_result' && event.stateHash !== undefined) this.stateHash = event.stateHash;
    return {
      events: events.map((event) => structuredClone(event) as TrajectoryEvent),
      done: finished !== undefined,
      reward: finished ? finished.record.reward : null,
      metadata: finished ? finished.metadata : null,
      step: this.steps,
    };
  }

  /** End the episode as `agent_error` with `reason` as its detail, and wait until it is stored. */
  async abandon(reason: string): Promise<void> {
    if (this.done) return;
    this.abandoned ??= reason;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new Error(this.abandoned));
    await this.finished.catch(() => undefined);
  }
}

/** The turn a client action stands for. */
function turnOf(action: ServeAction, callNumber: number): AgentTurn {
  switch (action.type) {
    case 'tool_call': {
      const call: AgentToolCall = { id: action.id ?? `call_${callNumber}`, name: action.name, arguments: action.arguments ?? {} };
      return { ...(action.message !== undefined ? { message: action.message } : {}), toolCalls: [call] };
    }
    case 'message':
      return { message: action.content, ...(action.end ? { end: true } : {}) };
    case 'end':
      return { ...(action.content !== undefined ? { message: action.content } : {}), end: true };
  }
}

/** Options of an `EpisodeSession`. */
export interface EpisodeSessionOptions {
  /** @default a random `ses-…` id */
  id?: string;
  /** Called once when the session is closed (by the client, the reaper or shutdown): the pool frees its slot. */
  onClosed?: (session: EpisodeSession) => void;
  /** Clock for idleness, ms. @default Date.now */
  clock?: () => number;
}

/**
 * One episode driven from outside, step by step: `reset` starts a served episode and answers with
 * the user's opening message; each `step` is one agent action, answered when it is the agent's
 * turn again or the episode is over (then with the grade). Every episode the session starts is
 * graded and stored in the served run, finished or not.
 */
export class EpisodeSession {
  readonly id: string;
  lastActive: number;
  private episode: RemoteEpisode | undefined;
  private busy = false;
  private isClosed = false;
  private readonly clock: () => number;

  constructor(
    private readonly run: ServedRun,
    private readonly options: EpisodeSessionOptions = {},
  ) {
    this.id = options.id ?? `ses-${randomBytes(8).toString('hex')}`;
    this.clock = options.clock ?? Date.now;
    this.lastActive = this.clock();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The current episode ended (or none was started). */
  get done(): boolean {
    return this.episode?.done ?? true;
  }

  /** An episode was started here and is over (a session that never reset is not finished). */
  get finished(): boolean {
    return this.episode?.done === true;
  }

  /** A call is in flight (a reaper leaves such a session alone unless it is idle past its limit). */
  get inFlight(): boolean {
    return this.busy;
  }

  /** The tools the agent is offered in this run (name, description, JSON Schema of the arguments). */
  tools(): readonly AgentToolSpec[] {
    return this.episode?.context?.tools ?? agentToolSpecs(this.run.domain, this.run.config.outcomeReport);
  }

  /** Start a new episode (finishing a running one as `agent_error` "client reset") and return its first observation. */
  async reset(options: ResetOptions = {}): Promise<ResetResult> {
    this.enter();
    try {
      if (this.episode && !this.episode.done) {
        await this.episode.abandon(ABANDON_DETAIL.reset);
        // Closed while the old episode was being stored: a new one would never be stored.
        if (this.isClosed) throw new SessionError('SESSION_CLOSED', `session ${this.id} is closed`);
      }
      const { task, ...spec } = this.run.reserveEpisode({
        ...(options.taskId !== undefined ? { taskId: options.taskId } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      });
      const episode = new RemoteEpisode(this.run, spec, task, options.episodeId);
      this.episode = episode;
      const first = await episode.waitTurnOrDone();
      return {
        ...first,
        episodeId: spec.episodeId,
        ...(options.episodeId !== undefined ? { clientEpisodeId: options.episodeId } : {}),
        runId: spec.runId,
        taskId: spec.taskId,
        trial: spec.trial,
        seed: spec.seed,
        policy: episode.context?.policy ?? policyWithNotes(this.run.domain.policy, task.agentNotes),
        tools: this.tools(),
      };
    } finally {
      this.leave();
    }
  }

  /**
   * One agent action. A malformed action throws INVALID_ACTION and changes nothing; an unknown
   * tool or bad arguments are the episode's business: the result carries the tool's error result,
   * exactly as a local run records it (and counts it against the invalid-call budget).
   */
  async step(input: ServeAction | unknown): Promise<StepResult> {
    const episode = this.current();
    const action = parseServeAction(input);
    this.enter();
    try {
      episode.feed(turnOf(action, episode.steps + 1));
      return await episode.waitTurnOrDone();
    } finally {
      this.leave();
    }
  }

  /**
   * A tool call as one step, answered with the tool's result text (for MCP's `tools/call`). When the
   * episode ended without a result for the call, the text says how it ended.
   */
  async callTool(name: string, args: JsonValue | string = {}): Promise<{ content: string; isError: boolean; result: StepResult }> {
    const result = await this.step({ type: 'tool_call', name, arguments: args });
    const call = [...result.events].reverse().find((e) => e.type === 'tool_call' && e.actor === undefined && e.name === name);
    const answer =
      call && call.type === 'tool_call' ? result.events.find((e) => e.type === 'tool_result' && e.callId === call.id) : undefined;
    if (answer && answer.type === 'tool_result') return { content: answer.content, isError: answer.isError, result };
    const ended = result.metadata?.termination;
    return {
      content: ended ? `episode ended: ${ended.reason}${ended.detail ? ` (${ended.detail})` : ''}` : 'no result',
      isError: true,
      result,
    };
  }

  /** Where the session is: ids, step count, whose turn, done, the state hash. Never the task's hidden fields. */
  state(): SessionState {
    const episode = this.episode;
    if (!episode)
      return {
        sessionId: this.id,
        runId: this.run.runId,
        episodeId: null,
        taskId: null,
        trial: null,
        step: 0,
        turn: null,
        done: false,
        stateHash: null,
      };
    const termination = episode.result?.metadata.termination;
    return {
      sessionId: this.id,
      runId: this.run.runId,
      episodeId: episode.spec.episodeId,
      ...(episode.clientEpisodeId !== undefined ? { clientEpisodeId: episode.clientEpisodeId } : {}),
      taskId: episode.spec.taskId,
      trial: episode.spec.trial,
      step: episode.steps,
      turn: episode.done ? null : episode.waiting ? 'agent' : 'environment',
      done: episode.done,
      stateHash: episode.stateHash,
      ...(termination ? { termination: { ...termination } } : {}),
    };
  }

  /** Finish a running episode as `agent_error` with `reason` (stored like any other), and keep the session. */
  async abandon(reason: string): Promise<void> {
    await this.episode?.abandon(reason);
  }

  /** Close the session: a running episode is stored as `agent_error` (`reason`, default "client disconnected"). Idempotent. */
  async close(reason: string = ABANDON_DETAIL.disconnected): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    try {
      await this.abandon(reason);
    } finally {
      this.options.onClosed?.(this);
    }
  }

  /** Mark activity now (the pool's reaper reads `lastActive`). */
  touch(): void {
    this.lastActive = this.clock();
  }

  private current(): RemoteEpisode {
    if (this.isClosed) throw new SessionError('SESSION_CLOSED', `session ${this.id} is closed`);
    if (this.busy) throw new SessionError('BUSY', `session ${this.id} is still working on the previous call`);
    const episode = this.episode;
    if (!episode) throw new SessionError('NOT_RESET', 'no episode yet: reset first');
    if (episode.done) throw new SessionError('EPISODE_DONE', 'the episode is over: reset for a new one');
    return episode;
  }

  private enter(): void {
    if (this.isClosed) throw new SessionError('SESSION_CLOSED', `session ${this.id} is closed`);
    if (this.busy) throw new SessionError('BUSY', `session ${this.id} is still working on the previous call`);
    this.busy = true;
    this.touch();
  }

  private leave(): void {
    this.busy = false;
    this.touch();
  }
}
