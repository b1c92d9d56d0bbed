/**
 * The wire format of `groundwork serve`: zod schemas of the action, the observation and the state
 * (the single source of truth; `/schema` and `/openapi.json` are generated from them), OpenEnv's
 * request and message envelopes, its error codes, and the mapping from a wire action to an agent
 * turn. Shapes follow OpenEnv's current release (see /tmp/issue15/protocol.md for the source
 * references); nothing here is copied from it.
 */
import { z } from 'zod';
import type { JsonValue } from '../schema/json.ts';
import { jsonValueSchema } from '../schema/json.ts';
import { terminationReasonSchema, trajectoryEventSchema } from '../schema/trajectory.ts';
import { normaliseToolName, SEND_MESSAGE_TOOL } from './mcp.ts';

export { SEND_MESSAGE_TOOL };

/** OpenEnv's error codes (its `WSErrorCode`), used on WebSocket and HTTP alike. */
export const WIRE_ERROR_CODES = [
  'INVALID_JSON',
  'UNKNOWN_TYPE',
  'VALIDATION_ERROR',
  'EXECUTION_ERROR',
  'CAPACITY_REACHED',
  'FACTORY_ERROR',
  'SESSION_ERROR',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

const metadataSchema = z.record(z.string(), jsonValueSchema).describe('free-form metadata (OpenEnv base field; ignored)');
const argumentsSchema = z
  .union([z.record(z.string(), jsonValueSchema), z.string().max(100_000)])
  .describe('tool arguments: a JSON object, or a raw JSON string');
const toolNameSchema = z.string().min(1).max(200);

/** A tool call: one step. Its result is in the next observation. */
export const toolCallActionSchema = z.strictObject({
  type: z.literal('tool_call'),
  name: toolNameSchema.describe('tool name (`mcp__server__tool` is read as `tool`)'),
  arguments: argumentsSchema.optional(),
  id: z.string().min(1).max(200).optional().describe('call id (generated when absent)'),
  message: z.string().max(100_000).optional().describe('text for the user said in the same turn, before the call'),
  metadata: metadataSchema.optional(),
});

/** A message to the user: one step. The simulated user's reply is in the next observation. */
export const messageActionSchema = z.strictObject({
  type: z.literal('message'),
  content: z.string().max(100_000),
  end: z.boolean().optional().describe('end the conversation after this message (termination agent_stop)'),
  metadata: metadataSchema.optional(),
});

/** End the conversation (termination `agent_stop`), optionally with a last message. */
export const endActionSchema = z.strictObject({
  type: z.literal('end'),
  content: z.string().max(100_000).optional(),
  metadata: metadataSchema.optional(),
});

/** OpenEnv's MCP action `call_tool` (same as `tool_call`). */
export const callToolActionSchema = z.strictObject({
  type: z.literal('call_tool'),
  tool_name: toolNameSchema,
  arguments: argumentsSchema.optional(),
  metadata: metadataSchema.optional(),
});

/** OpenEnv's MCP action `list_tools`: returns the tools, does not advance the episode. */
export const listToolsActionSchema = z.strictObject({
  type: z.literal('list_tools'),
  metadata: metadataSchema.optional(),
});

/** An action: what a client sends as `step`'s data. */
export const actionSchema = z.discriminatedUnion('type', [
  toolCallActionSchema,
  messageActionSchema,
  endActionSchema,
  callToolActionSchema,
  listToolsActionSchema,
]);
export type WireAction = z.infer<typeof actionSchema>;

/** A tool as the client sees it (the agent's tool spec). */
export const wireToolSchema = z.object({
  name: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()).describe('JSON Schema of the arguments'),
});
export type WireTool = z.infer<typeof wireToolSchema>;

export const wireToolResultSchema = z.object({
  call_id: z.string(),
  name: z.string(),
  content: z.string(),
  is_error: z.boolean(),
});
export type WireToolResult = z.infer<typeof wireToolResultSchema>;

const terminationSchema = z.object({ reason: terminationReasonSchema, detail: z.string().optional() });

/** The observation: what the agent sees after reset and after each action. */
export const observationSchema = z.object({
  session_id: z.string().describe('public id of the session (not a credential)'),
  episode_id: z.string(),
  task_id: z.string(),
  step: z.number().int().nonnegative().describe('actions taken so far'),
  events: z.array(trajectoryEventSchema).describe('new agent-visible trajectory events since the previous observation'),
  messages: z.array(z.string()).describe("the simulated user's new messages"),
  tool_results: z.array(wireToolResultSchema).describe('results of the tool calls of this action'),
  tools: z.array(wireToolSchema).optional().describe('the tools (on reset and list_tools)'),
  policy: z.string().optional().describe("the agent's policy (on reset)"),
  session_token: z
    .string()
    .optional()
    .describe('the session secret, once, on an HTTP reset: send it as X-Session-Token (with X-Session-Id = session_id)'),
  done: z.boolean(),
  reward: z.number().nullable().describe("Groundwork's grade when done, else null"),
  termination: terminationSchema.optional(),
  metadata: z.record(z.string(), z.unknown()).describe('on done: run and episode ids, the grade, its components, the diff, audits'),
});
export type WireObservation = z.infer<typeof observationSchema>;

/** OpenEnv's step/reset result envelope. */
export const stepResultSchema = z.object({
  observation: observationSchema,
  reward: z.number().nullable(),
  done: z.boolean(),
});
export type WireStepResult = z.infer<typeof stepResultSchema>;

/** The state: OpenEnv's `State` (`episode_id`, `step_count`) plus Groundwork's ids. */
export const stateSchema = z.object({
  episode_id: z.string().nullable(),
  step_count: z.number().int().nonnegative(),
  session_id: z.string(),
  task_id: z.string().nullable(),
  domain: z.string(),
  split: z.string(),
  run_id: z.string(),
  done: z.boolean(),
  termination: terminationSchema.optional(),
});
export type WireState = z.infer<typeof stateSchema>;

/** Reset parameters (OpenEnv's `ResetRequest` plus task selection); unknown keys are ignored, as OpenEnv does. */
export const resetRequestSchema = z.looseObject({
  seed: z.number().int().nonnegative().nullish(),
  episode_id: z.string().min(1).max(255).nullish(),
  task_id: z.string().min(1).max(255).optional().describe('run this task'),
  task_index: z.number().int().nonnegative().optional().describe("index into the split's task list (modulo its length)"),
});
export type ResetRequest = z.infer<typeof resetRequestSchema>;

/** OpenEnv's `StepRequest` (the HTTP body of /step). */
export const stepRequestSchema = z.looseObject({
  action: z.record(z.string(), z.unknown()),
  timeout_s: z.number().positive().nullish(),
  request_id: z.string().max(255).nullish(),
});

/** WebSocket messages, client to server. */
export const wsResetMessageSchema = z.strictObject({ type: z.literal('reset'), data: z.record(z.string(), z.unknown()).optional() });
export const wsStepMessageSchema = z.strictObject({ type: z.literal('step'), data: z.record(z.string(), z.unknown()) });
export const wsStateMessageSchema = z.strictObject({ type: z.literal('state') });
export const wsCloseMessageSchema = z.strictObject({ type: z.literal('close') });
export const wsMcpMessageSchema = z.strictObject({ type: z.literal('mcp'), data: z.record(z.string(), z.unknown()) });
export const WS_MESSAGE_TYPES = ['reset', 'step', 'state', 'close', 'mcp'] as const;

export const errorBodySchema = z.object({ message: z.string(), code: z.enum(WIRE_ERROR_CODES), errors: z.array(z.unknown()).optional() });
export const healthSchema = z.object({
  status: z.enum(['healthy', 'unhealthy', 'degraded']),
  active_sessions: z.number().int(),
  max_sessions: z.number().int(),
});
export const metadataResponseSchema = z.object({
  name: z.string(),
  description: z.string(),
  version: z.string(),
  domain: z.string(),
  split: z.string(),
  user: z.string(),
  run_id: z.string(),
  max_sessions: z.number().int(),
  tools: z.array(wireToolSchema),
  policy_summary: z.string(),
});

/** One zod issue as the wire reports it. */
export interface WireIssue {
  path: (string | number)[];
  message: string;
}

export function wireIssues(error: z.ZodError): WireIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)),
    message: issue.message,
  }));
}

/** A Groundwork action (structurally the session layer's `ServeAction`). */
export type SessionAction =
  | { type: 'tool_call'; name: string; arguments: JsonValue | string; id?: string; message?: string }
  | { type: 'message'; content: string; end?: boolean }
  | { type: 'end'; content?: string };

/** What a wire action asks for: an episode action, or the tool list (which does not advance the episode). */
export type ActionIntent = { kind: 'action'; action: SessionAction } | { kind: 'list_tools' };

/**
 * A validated wire action as a session action: `tool_call` and `call_tool` become a tool call (its
 * name normalised), `message` and a `send_message_to_user` call become a message to the user.
 */
export function actionToIntent(action: WireAction, known: readonly string[] = []): ActionIntent {
  switch (action.type) {
    case 'list_tools':
      return { kind: 'list_tools' };
    case 'message':
      return {
        kind: 'action',
        action: action.end ? { type: 'message', content: action.content, end: true } : { type: 'message', content: action.content },
      };
    case 'end':
      return { kind: 'action', action: action.content !== undefined ? { type: 'end', content: action.content } : { type: 'end' } };
    case 'tool_call':
    case 'call_tool': {
      const name = normaliseToolName(action.type === 'tool_call' ? action.name : action.tool_name, known);
      const args = (action.arguments ?? {}) as JsonValue | string;
      if (name === SEND_MESSAGE_TOOL) {
        // As MCP's send_message_to_user (src/serve/mcp.ts): {message (or content), end?}; an empty message only with end.
        const parsed = typeof args === 'string' ? safeParse(args) : args;
        const input = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
        const text = typeof input.message === 'string' ? input.message : typeof input.content === 'string' ? input.content : undefined;
        const empty = text === undefined || text.trim() === '';
        if (input.end === true) return { kind: 'action', action: empty ? { type: 'end' } : { type: 'end', content: text } };
        if (!empty && (input.end === undefined || input.end === false))
          return { kind: 'action', action: { type: 'message', content: text } };
        throw new WireError('VALIDATION_ERROR', `${SEND_MESSAGE_TOOL} needs {"message": "<non-empty text>", "end"?: boolean}`, 422, [
          { path: ['arguments'], message: 'message must be non-empty text unless end is true' },
        ]);
      }
      const extra =
        action.type === 'tool_call'
          ? { ...(action.id ? { id: action.id } : {}), ...(action.message !== undefined ? { message: action.message } : {}) }
          : {};
      return { kind: 'action', action: { type: 'tool_call', name, arguments: args, ...extra } };
    }
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The `send_message_to_user` tool as clients see it. */
export const SEND_MESSAGE_TOOL_SPEC: WireTool = {
  name: SEND_MESSAGE_TOOL,
  description: 'Send a message to the user and wait for their reply (the reply is in the observation).',
  parameters: {
    type: 'object',
    properties: { message: { type: 'string', description: 'what to say to the user' } },
    required: ['message'],
    additionalProperties: false,
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** `/schema`'s body: action, observation and state JSON Schemas, generated from the zod schemas. */
export function wireJsonSchemas(): {
  action: Record<string, unknown>;
  observation: Record<string, unknown>;
  state: Record<string, unknown>;
} {
  return {
    action: jsonSchema(actionSchema, 'input'),
    observation: jsonSchema(observationSchema, 'output'),
    state: jsonSchema(stateSchema, 'output'),
  };
}

/** `/openapi.json`: OpenAPI 3.1 of the HTTP surface, its bodies from the wire schemas. */
export function openApiDocument(version: string, title: string): Record<string, unknown> {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const error = (description: string) => ({ description, ...json(ref('Error')) });
  const token = [
    { name: 'X-Session-Id', in: 'header', required: true, schema: { type: 'string' }, description: 'observation.session_id from reset' },
    {
      name: 'X-Session-Token',
      in: 'header',
      required: true,
      schema: { type: 'string' },
      description: 'observation.session_token from reset',
    },
  ];
  const schemas = {
    Action: jsonSchema(actionSchema, 'input'),
    Observation: jsonSchema(observationSchema, 'output'),
    State: jsonSchema(stateSchema, 'output'),
    StepResult: jsonSchema(stepResultSchema, 'output'),
    ResetRequest: jsonSchema(resetRequestSchema, 'input'),
    StepRequest: {
      ...jsonSchema(stepRequestSchema, 'input'),
      properties: { ...(jsonSchema(stepRequestSchema, 'input').properties as object), action: ref('Action') },
    },
    Error: jsonSchema(errorBodySchema, 'output'),
    Health: jsonSchema(healthSchema, 'output'),
    Metadata: jsonSchema(metadataResponseSchema, 'output'),
  };
  return {
    openapi: '3.1.0',
    info: {
      title,
      version,
      description: "Groundwork episodes over OpenEnv's protocol: HTTP (stateful, X-Session-Token), WebSocket /ws, MCP /mcp.",
    },
    paths: {
      '/reset': {
        post: {
          summary: 'Start an episode in a new session; its credentials are observation.session_id and observation.session_token',
          requestBody: { required: false, ...json(ref('ResetRequest')) },
          responses: {
            200: { description: 'initial observation', ...json(ref('StepResult')) },
            422: error('invalid reset parameters'),
            503: error('CAPACITY_REACHED'),
          },
        },
      },
      '/step': {
        post: {
          summary: 'Take one action: a tool call or a message to the user',
          parameters: token,
          requestBody: { required: true, ...json(ref('StepRequest')) },
          responses: {
            200: { description: 'observation, reward (the grade when done), done', ...json(ref('StepResult')) },
            400: error('INVALID_JSON'),
            401: error('missing or unknown session token'),
            409: error('the episode is over'),
            422: error('VALIDATION_ERROR: the session stays usable'),
          },
        },
      },
      '/state': {
        get: {
          summary: "The session's state",
          parameters: token,
          responses: { 200: { description: 'state', ...json(ref('State')) }, 401: error('missing or unknown session token') },
        },
      },
      '/close': {
        post: {
          summary: 'Close the session (abandons an unfinished episode)',
          parameters: token,
          responses: { 200: { description: 'closed' }, 401: error('missing or unknown session token') },
        },
      },
      '/schema': { get: { summary: 'Action, observation and state JSON Schemas', responses: { 200: { description: 'schemas' } } } },
      '/health': { get: { summary: 'Health', responses: { 200: { description: 'healthy', ...json(ref('Health')) } } } },
      '/metadata': { get: { summary: 'Environment metadata', responses: { 200: { description: 'metadata', ...json(ref('Metadata')) } } } },
      '/mcp': {
        post: {
          summary: 'MCP JSON-RPC (tools/list, tools/call) scoped to one session',
          responses: { 200: { description: 'JSON-RPC response' } },
        },
      },
      '/grade': { post: { summary: 'Grade a trajectory recorded elsewhere', responses: { 200: { description: 'grade' } } } },
    },
    components: { schemas },
  };
}

// ---------------------------------------------------------------------------------------------
// From the session layer's results to the wire.

/** A protocol error: OpenEnv's code, the HTTP status we answer it with, and detail. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
    readonly status: number,
    readonly errors?: readonly unknown[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The body of OpenEnv's error message (`data` of a WS error, the body of an HTTP error). */
  body(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...(this.errors ? { errors: this.errors } : {}), ...(this.extra ?? {}) };
  }
}

const SESSION_CODE_MAP: Record<string, [WireErrorCode, number]> = {
  INVALID_ACTION: ['VALIDATION_ERROR', 422],
  CAPACITY_REACHED: ['CAPACITY_REACHED', 503],
  NOT_RESET: ['EXECUTION_ERROR', 409],
  EPISODE_DONE: ['EXECUTION_ERROR', 409],
  BUSY: ['EXECUTION_ERROR', 409],
  SESSION_CLOSED: ['EXECUTION_ERROR', 409],
  RUN_BUSY: ['EXECUTION_ERROR', 503],
  UNKNOWN_SESSION: ['SESSION_ERROR', 404],
  INVALID_TOKEN: ['SESSION_ERROR', 403],
};

/** Any error of a request as a `WireError` (session errors by their code, zod failures as validation errors). */
export function toWireError(error: unknown): WireError {
  if (error instanceof WireError) return error;
  if (error instanceof z.ZodError) return new WireError('VALIDATION_ERROR', 'Invalid message', 422, wireIssues(error));
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && SESSION_CODE_MAP[code]) {
    const [wire, status] = SESSION_CODE_MAP[code];
    return new WireError(wire, message, status);
  }
  if (code === 'UNKNOWN_TASK' || code === 'INVALID_ARGUMENT') return new WireError('VALIDATION_ERROR', message, 422);
  return new WireError('EXECUTION_ERROR', message, 500);
}

/** Parse a wire action; a failure is a `VALIDATION_ERROR` (the session is untouched). */
export function parseWireAction(data: unknown, known: readonly string[] = []): ActionIntent {
  let parsed: ReturnType<typeof actionSchema.safeParse>;
  try {
    parsed = actionSchema.safeParse(data);
  } catch (error) {
    // Arguments nested too deeply for the validator overflow the stack: a bad action, not a server fault.
    if (error instanceof RangeError) throw new WireError('VALIDATION_ERROR', 'Invalid action: nested too deeply', 422);
    throw error;
  }
  if (!parsed.success) throw new WireError('VALIDATION_ERROR', 'Invalid action', 422, wireIssues(parsed.error));
  return actionToIntent(parsed.data, known);
}

/** Parse reset parameters; `task_index` picks from the split's task ids. */
export function parseResetRequest(data: unknown, taskIds: readonly string[]): { taskId?: string; seed?: number; episodeId?: string } {
  const parsed = resetRequestSchema.safeParse(data ?? {});
  if (!parsed.success) throw new WireError('VALIDATION_ERROR', 'Invalid reset parameters', 422, wireIssues(parsed.error));
  const { seed, episode_id, task_id, task_index } = parsed.data;
  // Checked here, before the session is touched: a bad reset leaves a running episode running.
  if (task_id !== undefined && !taskIds.includes(task_id))
    throw new WireError('VALIDATION_ERROR', `unknown task ${JSON.stringify(task_id.slice(0, 80))} in this split`, 422, [
      { path: ['task_id'], message: 'unknown task' },
    ]);
  const taskId = task_id ?? (task_index !== undefined && taskIds.length > 0 ? taskIds[task_index % taskIds.length] : undefined);
  return {
    ...(taskId ? { taskId } : {}),
    ...(seed !== undefined && seed !== null ? { seed } : {}),
    ...(episode_id ? { episodeId: episode_id } : {}),
  };
}

/** The parts of a session-layer step result the wire needs. */
export interface SessionStepResult {
  events: readonly z.infer<typeof trajectoryEventSchema>[];
  done: boolean;
  reward: number | null;
  metadata: unknown;
  step: number;
}

/** The parts of a session's state the wire needs. */
export interface SessionStateView {
  sessionId: string;
  episodeId: string | null;
  taskId: string | null;
  step: number;
  done: boolean;
}

/** Build OpenEnv's `{observation, reward, done}` from a session step (or reset) result. */
export function toWireResult(
  result: SessionStepResult,
  state: SessionStateView,
  extra: { tools?: readonly WireTool[]; policy?: string; sessionToken?: string } = {},
): WireStepResult {
  const messages: string[] = [];
  const toolResults: WireToolResult[] = [];
  for (const event of result.events) {
    if (event.type === 'message' && event.role === 'user') messages.push(event.content);
    else if (event.type === 'tool_result' && event.actor === undefined)
      toolResults.push({ call_id: event.callId, name: event.name, content: event.content, is_error: event.isError });
  }
  const meta = (result.metadata ?? {}) as Record<string, unknown>;
  const termination = meta.termination as WireObservation['termination'] | undefined;
  const observation: WireObservation = {
    session_id: state.sessionId,
    episode_id: state.episodeId ?? '',
    task_id: state.taskId ?? '',
    step: result.step,
    events: [...result.events],
    messages,
    tool_results: toolResults,
    ...(extra.tools ? { tools: [...extra.tools] } : {}),
    ...(extra.policy !== undefined ? { policy: extra.policy } : {}),
    ...(extra.sessionToken ? { session_token: extra.sessionToken } : {}),
    done: result.done,
    reward: result.reward,
    ...(termination ? { termination } : {}),
    metadata: jsonSafe(meta) as Record<string, unknown>,
  };
  return { observation, reward: result.reward, done: result.done };
}

/** The wire tools of a session: its agent tools plus `send_message_to_user`. */
export function wireTools(
  tools: readonly { name: string; description: string; parameters: Readonly<Record<string, unknown>> }[],
): WireTool[] {
  const out = tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: { ...tool.parameters } }));
  if (!out.some((tool) => tool.name === SEND_MESSAGE_TOOL)) out.push(SEND_MESSAGE_TOOL_SPEC);
  return out;
}

/** OpenEnv's state (`episode_id`, `step_count`) with Groundwork's ids. */
export function toWireState(
  state: SessionStateView & { termination?: WireState['termination'] },
  run: { runId: string; domain: string; split: string },
): WireState {
  return {
    episode_id: state.episodeId,
    step_count: state.step,
    session_id: state.sessionId,
    task_id: state.taskId,
    domain: run.domain,
    split: run.split,
    run_id: run.runId,
    done: state.done,
    ...(state.termination ? { termination: state.termination } : {}),
  };
}

/** Drop what JSON cannot carry (undefined, functions), so metadata always serialises. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? {}));
}

/** A session's HTTP credentials; missing ones are a `SESSION_ERROR`. */
export function requireCredentials(id: string | undefined, token: string | undefined): { id: string; token: string } {
  if (!id || !token)
    throw new WireError('SESSION_ERROR', 'missing session credentials: send the X-Session-Id and X-Session-Token headers from reset', 401);
  return { id, token };
}
