import { jsonEqual, type JsonValue } from '../schema/json.ts';
import type { PlannedToolCall } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { UserToolCall, UserToolSpec } from './user.ts';

/**
 * Dual control for a deterministic user: which of its own tools the agent asked it to use, and
 * how it tells the agent what it did. Shared by simulators that act on the user's side without a model.
 */

/** The oracle's exact request form (`oracleStepMessage` of an `ask_user` step): `Please do this on your side: name({...})`. */
const EXACT_REQUEST = /Please do this on your side: ([A-Za-z_][A-Za-z0-9_]*)\((\{.*?\})\)(?=\s*(?:$|\n|Please do this on your side:))/gs;

/** Words that say nothing about which tool is meant (verbs shared by many tools, pronouns, articles). */
const GENERIC_WORDS = new Set([
  'a',
  'an',
  'and',
  'as',
  'check',
  'do',
  'for',
  'get',
  'is',
  'it',
  'my',
  'of',
  'off',
  'on',
  'or',
  'set',
  'the',
  'this',
  'to',
  'toggle',
  'turn',
  'you',
  'your',
]);

/** Lower-case word stems: a plural or third-person `s` is dropped ("restarts" = "restart"). */
function stems(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).map((word) => (word.length > 3 && /[^s]s$/.test(word) ? word.slice(0, -1) : word));
}

/**
 * The word sets that name a tool in a request: the distinctive words of its name
 * (`toggle_airplane_mode` -> airplane, mode) and the first two distinctive words of its
 * description's first sentence ("Restarts your phone completely." -> restart, phone).
 */
export function toolReferenceWords(tool: Pick<UserToolSpec, 'name' | 'description'>): string[][] {
  const fromName = stems(tool.name.replace(/_/g, ' ')).filter((word) => !GENERIC_WORDS.has(word));
  const firstSentence = tool.description.split(/(?<=[.!?])\s|\n/)[0] ?? '';
  const fromDescription = stems(firstSentence)
    .filter((word) => !GENERIC_WORDS.has(word))
    .slice(0, 2);
  return [fromName, fromDescription].filter((words) => words.length > 0);
}

/** Whether a message refers to a tool: every word of one of its reference word sets occurs in it. */
export function refersToTool(message: string, tool: Pick<UserToolSpec, 'name' | 'description'>): boolean {
  const words = new Set(stems(message));
  return toolReferenceWords(tool).some((set) => set.every((word) => words.has(word)));
}

/** The calls a message asks for in the oracle's exact form, restricted to the user's own tools. */
export function exactRequests(message: string, tools: readonly Pick<UserToolSpec, 'name'>[]): UserToolCall[] {
  const calls: UserToolCall[] = [];
  for (const match of message.matchAll(EXACT_REQUEST)) {
    if (!tools.some((tool) => tool.name === match[1])) continue;
    try {
      calls.push({ name: match[1], arguments: JSON.parse(match[2]) as JsonValue });
    } catch {
      // Not JSON: not the exact form; the request may still be understood in words.
    }
  }
  return calls;
}

/** The user's own tool calls so far (dual control), in order. */
export function userToolCalls(events: readonly TrajectoryEvent[]): { name: string; arguments: JsonValue }[] {
  const calls: { name: string; arguments: JsonValue }[] = [];
  for (const event of events) if (event.type === 'tool_call' && event.actor === 'user') calls.push(event);
  return calls;
}

/** The planned user actions not yet performed: each user tool call made so far uses up the first equal planned action. */
export function pendingActions(planned: readonly PlannedToolCall[], events: readonly TrajectoryEvent[]): PlannedToolCall[] {
  const pending = [...planned];
  for (const call of userToolCalls(events)) {
    const index = pending.findIndex((action) => action.name === call.name && jsonEqual(action.arguments, call.arguments));
    if (index >= 0) pending.splice(index, 1);
  }
  return pending;
}

/**
 * What the user does for an agent message: the exact calls it names (oracle form), else the first
 * pending planned action whose tool the message refers to; nothing when it asks for neither.
 */
export function requestedUserCalls(message: string, tools: readonly UserToolSpec[], pending: readonly PlannedToolCall[]): UserToolCall[] {
  const exact = exactRequests(message, tools);
  if (exact.length) return exact;
  for (const action of pending) {
    const tool = tools.find((t) => t.name === action.name);
    if (tool && refersToTool(message, tool)) return [{ name: action.name, arguments: action.arguments }];
  }
  return [];
}

/** The user's own tool calls and results since the last message (what it just did), in order. */
export function trailingUserToolTraffic(events: readonly TrajectoryEvent[]): TrajectoryEvent[] {
  const out: TrajectoryEvent[] = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if ((event.type === 'tool_call' || event.type === 'tool_result') && event.actor === 'user') out.unshift(event);
    else if (event.type === 'message') break;
  }
  return out;
}

/** What the user tells the agent after using its tools: each call and what it showed. */
export function describeUserToolResults(traffic: readonly TrajectoryEvent[]): string {
  const lines: string[] = [];
  for (const event of traffic) {
    if (event.type !== 'tool_result') continue;
    const call = traffic.find((e) => e.type === 'tool_call' && e.id === event.callId);
    const args = call?.type === 'tool_call' ? JSON.stringify(call.arguments) : '{}';
    lines.push(
      event.isError
        ? `I tried ${event.name}(${args}) on my side, but it failed: ${event.content}`
        : `I did ${event.name}(${args}) on my side. It showed: ${event.content}`,
    );
  }
  return lines.join('\n');
}
