import type { Domain } from '../domains/domain.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent, Usage } from '../schema/trajectory.ts';

/** A tool call as an agent emits it. `arguments` may be a raw (possibly invalid) JSON string. */
export interface AgentToolCall {
  id: string;
  name: string;
  arguments: JsonValue | string;
}

/** One reply of the agent: a message to the user and/or tool calls. */
export interface AgentTurn {
  /** Text for the user. When there are tool calls too, it is recorded before them. */
  message?: string;
  toolCalls?: AgentToolCall[];
  /** The agent ends the conversation explicitly (termination `agent_stop`). */
  end?: boolean;
  /** Model usage of this turn, if a model was called. */
  usage?: Usage;
}

/**
 * A tool as a deployed agent sees it: its name, what it does, and the JSON Schema of its
 * arguments (generated from the domain's zod schema). Plain, frozen data: no implementation, no
 * access to the state or the task.
 */
export interface AgentToolSpec {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

/**
 * What every agent is given when an episode starts: exactly what a deployed agent would have —
 * the policy, the tool schemas, and the episode's seed and trial. The conversation and its own
 * tool results come through `AgentSession.next`. Nothing here reaches the task, its expected
 * outcome, the domain's data or its graders.
 */
export interface AgentContext {
  /** The policy the agent must follow (its system prompt). */
  readonly policy: string;
  /** Tools it may call, including orchestrator-intercepted ones such as `report_outcome`. */
  readonly tools: readonly AgentToolSpec[];
  readonly seed: number;
  readonly trial: number;
}

/**
 * What only privileged agents receive, by explicit opt-in (`Agent.privileged`): the task with its
 * expected outcome and reference solution, and the domain. For the oracle and for harness layers
 * (experience retrieval per task) — never for an agent under evaluation.
 */
export interface PrivilegedAccess {
  readonly task: Task;
  readonly domain: Domain;
}

/** One episode's agent: called with the whole trajectory so far, answers with a turn. */
export interface AgentSession {
  next(events: readonly TrajectoryEvent[]): Promise<AgentTurn>;
  /** Facts stored with the episode (model, temperature...). */
  describe?(): Record<string, JsonValue>;
  /** Release what the session holds (an external process, a connection); called once the episode is over, however it ended. */
  close?(): void;
}

/** Anything that can act in an episode. */
export interface Agent {
  /** Name shown in results, e.g. `oracle` or `openai:gpt-4o`. */
  name: string;
  /**
   * Opt-in to `PrivilegedAccess` (the task and the domain) as `start`'s second argument. Only the
   * oracle and harness layers set it. @default false
   */
  privileged?: boolean;
  start(context: AgentContext, access?: PrivilegedAccess): AgentSession;
}
