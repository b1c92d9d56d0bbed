import { z } from 'zod';
import { describeError, GroundworkError } from '../errors.ts';
import type { JsonValue } from '../schema/json.ts';
import type { SidedCall } from '../schema/task.ts';
import type { TableState } from '../state/table-state.ts';
import type { Domain, DomainTool, Side } from './domain.ts';

/** What executing one tool call gave. */
export interface ToolExecution {
  content: string;
  isError: boolean;
  /** The call was well-formed (known tool, valid arguments). Invalid calls count toward agent_error. */
  valid: boolean;
  /** The tool is a write tool (state hash recorded after it). */
  wrote: boolean;
  /** The tool ends the episode. */
  terminal: boolean;
}

/**
 * Validates a call against the tool's zod schema and runs it. Never throws for the agent's
 * mistakes: unknown tools, bad JSON, invalid arguments and tool refusals become error results.
 */
export function executeToolCall(
  domain: Pick<Domain, 'tools' | 'sync'>,
  state: TableState,
  name: string,
  rawArguments: JsonValue | string,
): ToolExecution {
  const tool = domain.tools.find((t) => t.name === name);
  if (!tool) {
    return {
      content: `Error: unknown tool ${JSON.stringify(name)}; available tools: ${domain.tools.map((t) => t.name).join(', ')}`,
      isError: true,
      valid: false,
      wrote: false,
      terminal: false,
    };
  }
  let args: unknown = rawArguments;
  if (typeof rawArguments === 'string') {
    try {
      args = rawArguments.trim() === '' ? {} : JSON.parse(rawArguments);
    } catch {
      return {
        content: `Error: arguments of ${name} are not valid JSON: ${rawArguments.slice(0, 200)}`,
        isError: true,
        valid: false,
        wrote: false,
        terminal: false,
      };
    }
  }
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) {
    return {
      content: `Error: invalid arguments for ${name}: ${formatZodIssues(parsed.error)}`,
      isError: true,
      valid: false,
      wrote: false,
      terminal: false,
    };
  }
  const wrote = tool.kind === 'write';
  try {
    const result = tool.execute(state, parsed.data);
    // τ² syncs the two sides after every successful call (not after a refused one).
    domain.sync?.(state);
    return {
      content: typeof result === 'string' ? result : JSON.stringify(result),
      isError: false,
      valid: true,
      wrote,
      terminal: tool.terminal === true,
    };
  } catch (error) {
    // Tool refusals (ToolError) and tool bugs both become an error result the agent can read.
    const message = GroundworkError.isInstance(error) || error instanceof Error ? describeError(error) : String(error);
    return { content: `Error: ${message}`, isError: true, valid: true, wrote, terminal: false };
  }
}

/** The tools one side may call: the agent's, or the user's side of a dual-control domain. */
export function toolsOf(domain: Pick<Domain, 'tools' | 'user'>, side: Side): readonly DomainTool[] {
  return side === 'agent' ? domain.tools : (domain.user?.tools ?? []);
}

/** A tool call made by one side (the user's calls run on the user's tools), followed by the domain's sync. */
export function executeSideToolCall(
  domain: Pick<Domain, 'tools' | 'user' | 'sync'>,
  state: TableState,
  side: Side,
  name: string,
  rawArguments: JsonValue | string,
): ToolExecution {
  return executeToolCall({ tools: toolsOf(domain, side), sync: domain.sync }, state, name, rawArguments);
}

/**
 * Runs an initialisation action or an assertion, as τ² runs them: the side's environment function
 * of that name, else its tool (validated, but a refusal throws), then the domain's sync. Throws
 * `GroundworkError` (`INVALID_TASK`) when the side has neither.
 */
export function runEnvFunction(
  domain: Pick<Domain, 'name' | 'tools' | 'user' | 'functions' | 'sync'>,
  state: TableState,
  call: SidedCall,
): JsonValue {
  const fn = domain.functions?.[call.side]?.[call.name];
  let value: JsonValue;
  if (fn) value = fn(state, call.arguments);
  else {
    const tool = toolsOf(domain, call.side).find((t) => t.name === call.name);
    if (!tool)
      throw new GroundworkError('INVALID_TASK', `${domain.name} has no ${call.side}-side function or tool ${JSON.stringify(call.name)}`, {
        hint: `use one of: ${[...Object.keys(domain.functions?.[call.side] ?? {}), ...toolsOf(domain, call.side).map((t) => t.name)].join(', ')}`,
      });
    const parsed = tool.input.safeParse(call.arguments);
    if (!parsed.success)
      throw new GroundworkError('INVALID_TASK', `invalid arguments for ${call.side}-side ${call.name}: ${formatZodIssues(parsed.error)}`);
    const result = tool.execute(state, parsed.data);
    value = result;
  }
  domain.sync?.(state);
  return value;
}

/** `path: message; path: message` for zod errors. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

/** JSON Schema of a tool's arguments, as published to models. */
export function toolJsonSchema(tool: Pick<DomainTool, 'input'>): Record<string, unknown> {
  const schema = z.toJSONSchema(tool.input, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}
