import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent, Usage } from '../schema/trajectory.ts';

/** Control tokens a simulated user may end a message with (τ-bench / τ²-bench conventions). */
export const USER_CONTROL_TOKENS = ['###STOP###', '###TRANSFER###', '###OUT-OF-SCOPE###'] as const;
export type UserControlToken = (typeof USER_CONTROL_TOKENS)[number];

/** One message of the simulated user. */
export interface UserTurn {
  /** Message text; may still contain a control token (the orchestrator strips it). */
  content: string;
  usage?: Usage;
}

export interface UserContext {
  task: Task;
  seed: number;
  trial: number;
}

/** One episode's simulated user. It sees only the messages, never tool calls or results. */
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

/** The conversation as (role, text) pairs, without tool traffic. */
export function conversation(events: readonly TrajectoryEvent[]): { role: 'user' | 'agent'; content: string }[] {
  const out: { role: 'user' | 'agent'; content: string }[] = [];
  for (const event of events) if (event.type === 'message') out.push({ role: event.role, content: event.content });
  return out;
}
