import type { JsonValue } from '../schema/json.ts';

/** A turn of a scripted baseline: a message to the user and/or tool calls (ids may be empty). */
export interface ScriptTurn {
  message?: string;
  toolCalls?: { id: string; name: string; arguments: JsonValue }[];
  /** End the conversation (termination `agent_stop`). */
  end?: boolean;
}

/** What a script sees after yielding a turn: results of its tool calls, or the user's reply. */
export interface ScriptInput {
  /** Tool results for the calls of the previous turn, in order (content strings). */
  results: string[];
  /** The user's messages since the previous turn. */
  userMessages: string[];
}

/** A scripted agent written as a generator: yield a turn, receive what came back. */
// biome-ignore lint/suspicious/noConfusingVoidType: a generator that ends without `return` has a void return type.
export type BaselineScript = Generator<ScriptTurn, ScriptTurn | void, ScriptInput>;

/**
 * A domain's playbook for the built-in `naive` baseline: from the user's opening request, the most
 * literal single-step reading, always ending with a claim that it is done. Lives in the domain
 * because only the domain knows what "literal" means there; it sees only the request and its own
 * tool results, like any agent.
 */
export type NaivePlaybook = (request: string) => BaselineScript;

/** Scripted baselines a domain offers to the built-in agents. */
export interface DomainBaselines {
  naive?: NaivePlaybook;
}

/** A turn with one tool call. */
export function callTurn(name: string, args: Record<string, unknown>): ScriptTurn {
  return { toolCalls: [{ id: '', name, arguments: args as JsonValue }] };
}

/** Parse a JSON tool result, or undefined when it is an error or not JSON. */
export function parseResult<T = unknown>(content: string | undefined): T | undefined {
  if (content === undefined || content.startsWith('Error:')) return undefined;
  try {
    return JSON.parse(content) as T;
  } catch {
    return undefined;
  }
}
