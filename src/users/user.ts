import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent, Usage } from '../schema/trajectory.ts';

/** Control tokens a simulated user may end a message with (τ-bench / τ²-bench conventions). */
export const USER_CONTROL_TOKENS = ['###STOP###', '###TRANSFER###', '###OUT-OF-SCOPE###'] as const;
export type UserControlToken = (typeof USER_CONTROL_TOKENS)[number];

/** A call of one of the user's own tools (dual-control domains). */
export interface UserToolCall {
  name: string;
  arguments: JsonValue | string;
}

/**
 * One turn of the simulated user: a message to the agent, or (dual control) calls of its own
 * tools, after which it is the user's turn again with the results in the events.
 */
export interface UserTurn {
  /** Message text; may still contain a control token (the orchestrator strips it). Ignored when `toolCalls` is non-empty. */
  content: string;
  /** Dual control: calls of the user's tools, run in order before the user speaks again. */
  toolCalls?: UserToolCall[];
  usage?: Usage;
}

/** A tool the user may call, as published to a model (JSON Schema of its arguments). */
export interface UserToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface UserContext {
  task: Task;
  seed: number;
  trial: number;
  /** Dual control: the user's own tools (empty or absent when the domain has no user side). */
  tools?: readonly UserToolSpec[];
  /** Dual control: the domain's guide for the user about its tools and world. */
  guide?: string;
}

/**
 * One episode's simulated user. It sees the messages and its own tool calls and results
 * (events with `actor: 'user'`), never the agent's tool traffic.
 */
export interface UserSession {
  next(events: readonly TrajectoryEvent[]): Promise<UserTurn>;
  /** Facts stored with the episode (model, prompt hash, temperature...). */
  describe?(): Record<string, JsonValue>;
}

/** Plays the user of a task. */
export interface UserSimulator {
  name: string;
  start(context: UserContext): UserSession;
}

/** Split a user message into its text and the control token it contains, if any. */
export function splitControlToken(content: string): { text: string; control?: UserControlToken } {
  for (const token of USER_CONTROL_TOKENS) {
    if (content.includes(token)) return { text: content.split(token).join('').trim(), control: token };
  }
  return { text: content };
}

/** The events a simulated user may see: messages and its own tool traffic, never the agent's. */
export function userVisibleEvents(events: readonly TrajectoryEvent[]): TrajectoryEvent[] {
  return events.filter((e) => e.type === 'message' || ((e.type === 'tool_call' || e.type === 'tool_result') && e.actor === 'user'));
}

/** The conversation as (role, text) pairs, without tool traffic. */
export function conversation(events: readonly TrajectoryEvent[]): { role: 'user' | 'agent'; content: string }[] {
  const out: { role: 'user' | 'agent'; content: string }[] = [];
  for (const event of events) if (event.type === 'message') out.push({ role: event.role, content: event.content });
  return out;
}
