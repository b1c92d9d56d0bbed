import type { Domain, DomainTool } from '../domains/domain.ts';
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

/** What an agent is given when an episode starts. */
export interface AgentContext {
  domain: Domain;
  /** The full task: only for privileged agents (the oracle). Others get undefined. */
  task?: Task;
  seed: number;
  trial: number;
  /**
   * Public facts about the episode's task (no goal, no expected outcome), for harness layers such
   * as experience retrieval that work per task or family. Plain agents ignore it.
   */
  taskInfo?: { id: string; family: string; split: string };
  /**
   * Tools beside the domain's that the orchestrator intercepts (e.g. `report_outcome` when the run
   * asks for outcome reports). Model agents add them to their tool list. @default none
   */
  extraTools?: readonly DomainTool[];
}

/** One episode's agent: called with the whole trajectory so far, answers with a turn. */
export interface AgentSession {
  next(events: readonly TrajectoryEvent[]): Promise<AgentTurn>;
  /** Facts stored with the episode (model, temperature...). */
  describe?(): Record<string, JsonValue>;
}

/** Anything that can act in an episode. */
export interface Agent {
  /** Name shown in results, e.g. `oracle` or `openai:gpt-4o`. */
  name: string;
  /** Sees the task's expected outcome and reference solution (only the oracle should). */
  privileged?: boolean;
  start(context: AgentContext): AgentSession;
}
