import type { IncomingMessage, ServerResponse } from 'node:http';
import { header, originAllowed, readBody, sendJson } from './http-io.ts';
import type { AgentToolSpec } from '../agents/agent.ts';
import { describeError } from '../errors.ts';
import type { JsonValue } from '../schema/json.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { EpisodeSession, StepResult } from './episode-session.ts';

/**
 * MCP over the Streamable HTTP transport (JSON responses, no SSE) and over OpenEnv's WebSocket
 * `mcp` message, scoped to one served episode: `tools/list` is the episode's agent tools plus
 * `send_message_to_user`; `tools/call` is a step of that episode (recorded, limited and graded like
 * any step). The small JSON-RPC surface is implemented here (no SDK on the server side):
 * `initialize`, `notifications/initialized` (any notification is accepted), `ping`, `tools/list`,
 * `tools/call`.
 */

/** The path MCP is served on. */
export const MCP_PATH = '/mcp';
/** The tool through which an MCP agent talks to the simulated user. */
export const SEND_MESSAGE_TOOL = 'send_message_to_user';
/** Protocol versions this server speaks, newest first (the SDK's list at 1.32). */
export const MCP_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
/** Largest JSON-RPC request body read over HTTP. */
export const MAX_MCP_BODY_BYTES = 1024 * 1024;
const SERVER_INFO = { name: 'groundwork', version: '0.1.0' };

/** JSON-RPC error codes (JSON-RPC 2.0; -32000 is the server-defined range, as OpenEnv uses it). */
export const JSON_RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  SERVER_ERROR: -32000,
} as const;

type Id = string | number | null;
/** A JSON-RPC response (success or error). */
export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: Id; result: Record<string, unknown> }
  | { jsonrpc: '2.0'; id: Id; error: { code: number; message: string; data?: unknown } };

const errorResponse = (id: Id, code: number, message: string, data?: unknown): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id,
  error: { code, message, ...(data === undefined ? {} : { data }) },
});

/**
 * A tool name as the domain knows it: an MCP client's qualified name `mcp__server__tool` becomes
 * `tool` (everything after the second `__`), unless the full name is itself a known tool.
 */
export function normaliseToolName(name: string, known: readonly string[] = []): string {
  if (known.includes(name)) return name;
  const match = /^mcp__[^_](?:[^_]|_(?!_))*__(.+)$/.exec(name);
  return match ? match[1]! : name;
}

/** An MCP tool description. */
export interface McpTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** `send_message_to_user` as MCP lists it. */
export const SEND_MESSAGE_MCP_TOOL: McpTool = Object.freeze({
  name: SEND_MESSAGE_TOOL,
  description:
    "Send a message to the user you are helping and wait for the reply. The result is the user's reply; when the conversation ends, it says so and gives the episode's grade. Set end to true to end the conversation after this message.",
  inputSchema: {
    type: 'object',
    properties: {
      message: { type: 'string', description: 'What you say to the user (may be empty only with end: true).' },
      end: { type: 'boolean', description: 'End the conversation after this message (the user does not answer).' },
    },
    required: ['message'],
    additionalProperties: false,
  },
});

/** The tools of an episode as MCP lists them: its agent tools, then `send_message_to_user` (unless the domain has one). */
export function mcpTools(tools: readonly AgentToolSpec[]): McpTool[] {
  const listed = tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: { ...tool.parameters } }));
  if (!tools.some((tool) => tool.name === SEND_MESSAGE_TOOL)) listed.push(SEND_MESSAGE_MCP_TOOL);
  return listed;
}

/** Each session's last finished episode as MCP saw it (a session may reset to a new one), for calls made after the end. */
const finishedEpisodes = new WeakMap<EpisodeSession, { episodeId: string | null; result: StepResult }>();

function remember(session: EpisodeSession, result: StepResult): void {
  if (result.done) finishedEpisodes.set(session, { episodeId: session.state().episodeId, result });
}

/** The end of the session's current episode, when MCP saw it end. */
function endedEpisode(session: EpisodeSession): StepResult | undefined {
  const seen = finishedEpisodes.get(session);
  const state = session.state();
  return seen && state.done && seen.episodeId === state.episodeId ? seen.result : undefined;
}

/** An MCP tool result. */
interface CallToolResult {
  content: { type: 'text'; text: string }[];
  isError: boolean;
  structuredContent?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The end of an episode in words: termination, reward and grade components. */
function endText(result: StepResult): string {
  const meta = result.metadata;
  const termination = meta ? `${meta.termination.reason}${meta.termination.detail ? `: ${meta.termination.detail}` : ''}` : 'ended';
  const grade = meta
    ? ` (state ${meta.grade.state ? 'pass' : 'fail'}, collateral ${meta.grade.collateral ? 'pass' : 'fail'}, communication ${meta.grade.communication ? 'pass' : 'fail'})`
    : '';
  return `The episode has ended (${termination}). Reward: ${result.reward ?? 0}${grade}.`;
}

/** What a finished step adds to a tool result: done, reward and the grade, machine-readable. */
function doneContent(result: StepResult): Record<string, unknown> {
  if (!result.done) return { done: false, reward: null };
  const meta = result.metadata;
  return {
    done: true,
    reward: result.reward,
    ...(meta
      ? {
          termination: meta.termination,
          grade: meta.grade,
          episode_id: meta.episodeId,
          run_id: meta.runId,
          task_id: meta.taskId,
          diff: meta.diff,
        }
      : {}),
  };
}

const userMessages = (events: readonly TrajectoryEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'message' && event.role === 'user' ? [event.content] : []));

function toolResult(text: string, isError: boolean, structured?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], isError, ...(structured ? { structuredContent: structured } : {}) };
}

/** A session error (S1's `SessionError`, by its `code`) as the client should see it. */
function sessionErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `send_message_to_user`: a message to the simulated user; the result is its reply, or the end and the grade. */
async function sendMessage(session: EpisodeSession, args: unknown): Promise<CallToolResult> {
  const input = (args ?? {}) as { message?: unknown; content?: unknown; end?: unknown };
  const text = typeof input.message === 'string' ? input.message : typeof input.content === 'string' ? input.content : undefined;
  const end = input.end === true;
  const empty = text === undefined || text.trim() === '';
  if ((empty && !end) || (input.end !== undefined && typeof input.end !== 'boolean'))
    return toolResult(
      `Error: ${SEND_MESSAGE_TOOL} needs {"message": "<non-empty text>", "end"?: boolean} (message may be empty only with end: true)`,
      true,
    );
  // With `end`, the message (if any) is said and the conversation ends (agent_stop), as a local agent's `{message, end}` turn.
  const result = await session.step(end ? { type: 'end', ...(empty ? {} : { content: text }) } : { type: 'message', content: text! });
  remember(session, result);
  const replies = userMessages(result.events);
  // The run may ask for an outcome report when the conversation ends (report_outcome is then among the tools).
  const requests = result.events.flatMap((event) => (event.type === 'outcome_request' ? [event.content] : []));
  const said = [...replies, ...requests].join('\n\n');
  const body = result.done ? [said, endText(result)].filter((part) => part !== '').join('\n\n') : said || '(the user did not reply)';
  return toolResult(body, false, {
    ...doneContent(result),
    user_messages: replies,
    ...(requests.length ? { outcome_request: requests.join('\n\n') } : {}),
  });
}

/** `tools/call` on the episode: the call is a step of the episode. */
async function callTool(session: EpisodeSession, params: Record<string, unknown>): Promise<CallToolResult> {
  const tools = session.tools();
  const name = normaliseToolName(
    params.name as string,
    tools.map((t) => t.name),
  );
  const args = (params.arguments ?? {}) as JsonValue;
  const ended = endedEpisode(session);
  if (ended) return toolResult(endText(ended), true, doneContent(ended));
  try {
    if (name === SEND_MESSAGE_TOOL && !tools.some((t) => t.name === SEND_MESSAGE_TOOL)) return await sendMessage(session, args);
    const { content, isError, result } = await session.callTool(name, args);
    remember(session, result);
    const replies = userMessages(result.events);
    const text = [content, ...(result.done ? [endText(result)] : [])].join('\n\n');
    return toolResult(text, isError, { ...doneContent(result), ...(replies.length ? { user_messages: replies } : {}) });
  } catch (error) {
    const code = sessionErrorCode(error);
    if (code === 'EPISODE_DONE' || code === 'NOT_RESET' || code === 'SESSION_CLOSED')
      return toolResult(`Error: ${describeError(error)}`, true, { done: code !== 'NOT_RESET' });
    throw error;
  }
}

/** Negotiates the protocol version: the client's when we speak it, else our newest. */
function negotiate(requested: unknown): string {
  return typeof requested === 'string' && (MCP_PROTOCOL_VERSIONS as readonly string[]).includes(requested)
    ? requested
    : MCP_PROTOCOL_VERSIONS[0];
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Whether a value is a JSON-RPC message at all (request, notification or response). */
function isJsonRpcMessage(value: unknown): value is Record<string, unknown> {
  if (!isObject(value) || value.jsonrpc !== '2.0') return false;
  if (typeof value.method === 'string') return value.id === undefined || typeof value.id === 'string' || typeof value.id === 'number';
  return 'id' in value && ('result' in value || 'error' in value);
}

/**
 * Answers one JSON-RPC message on one episode session: the response to a request, undefined for a
 * notification or a response. Never throws: failures become JSON-RPC errors. This is what the
 * WebSocket `mcp` message calls with the connection's session (undefined before reset).
 */
export async function handleMcpMessage(session: EpisodeSession | undefined, message: unknown): Promise<JsonRpcResponse | undefined> {
  if (!isJsonRpcMessage(message)) {
    const id = isObject(message) && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : null;
    return errorResponse(
      id,
      JSON_RPC.INVALID_REQUEST,
      'Invalid Request: expected a JSON-RPC 2.0 message {jsonrpc: "2.0", method, id?, params?}',
    );
  }
  if (typeof message.method !== 'string' || message.id === undefined) return undefined; // a notification or a response
  const id = message.id as string | number;
  const params = message.params === undefined ? {} : message.params;
  if (!isObject(params)) return errorResponse(id, JSON_RPC.INVALID_PARAMS, 'params must be an object');
  try {
    switch (message.method) {
      case 'initialize':
        return {
          jsonrpc: '2.0',
          id,
          result: {
            protocolVersion: negotiate(params.protocolVersion),
            capabilities: { tools: { listChanged: false } },
            serverInfo: SERVER_INFO,
            instructions: `Tools act on one Groundwork episode${session ? ` (session ${session.id})` : ''}. Call ${SEND_MESSAGE_TOOL} to talk to the user; its result is the reply, or the grade when the episode ends.`,
          },
        };
      case 'ping':
        return { jsonrpc: '2.0', id, result: {} };
      case 'tools/list':
        if (!session) return errorResponse(id, JSON_RPC.SERVER_ERROR, 'no episode on this connection: reset first');
        return { jsonrpc: '2.0', id, result: { tools: mcpTools(session.tools()) } };
      case 'tools/call': {
        if (!session) return errorResponse(id, JSON_RPC.SERVER_ERROR, 'no episode on this connection: reset first');
        if (typeof params.name !== 'string' || params.name === '')
          return errorResponse(id, JSON_RPC.INVALID_PARAMS, 'tools/call needs params.name (a tool name)');
        if (params.arguments !== undefined && !isObject(params.arguments))
          return errorResponse(id, JSON_RPC.INVALID_PARAMS, 'tools/call params.arguments must be an object');
        const result = await callTool(session, params);
        return { jsonrpc: '2.0', id, result: result as Record<string, unknown> };
      }
      default:
        return errorResponse(id, JSON_RPC.METHOD_NOT_FOUND, `method not found: ${message.method}`);
    }
  } catch (error) {
    const code = sessionErrorCode(error);
    if (code === 'INVALID_ACTION') return errorResponse(id, JSON_RPC.INVALID_PARAMS, describeError(error));
    return errorResponse(id, JSON_RPC.SERVER_ERROR, describeError(error), code ? { code } : undefined);
  }
}

/** What the HTTP handler needs of the pool: a session by id and token (S1's `SessionPool.get`). */
export interface McpSessionLookup {
  /** Throws a SessionError `UNKNOWN_SESSION` or `INVALID_TOKEN`. */
  get(id: string, token: string): EpisodeSession;
}

/** The episode session id of a request: `Mcp-Session-Id`, `X-Session-Id` or `?session_id=`; they must agree. */
function sessionIdOf(req: IncomingMessage, url: URL): { id?: string; conflict?: boolean } {
  const ids = [header(req, 'mcp-session-id'), header(req, 'x-session-id'), url.searchParams.get('session_id') ?? undefined].filter(
    (id): id is string => id !== undefined && id !== '',
  );
  if (new Set(ids).size > 1) return { conflict: true };
  return ids.length ? { id: ids[0] } : {};
}

/** The session token of a request: `X-Session-Token`, or `Authorization: Bearer <token>`. Never in the URL. */
function tokenOf(req: IncomingMessage): string | undefined {
  const direct = header(req, 'x-session-token');
  if (direct) return direct;
  const auth = header(req, 'authorization');
  const match = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return match ? match[1] : undefined;
}

/** A browser page of another origin must not drive an episode (DNS rebinding): its Origin must name this host. */
/**
 * The `/mcp` endpoint (Streamable HTTP transport, JSON responses): answers and returns true for
 * the path `/mcp`, returns false (touching nothing) for any other path.
 * - `POST` with one JSON-RPC message (or a batch): requests get `application/json` responses,
 *   notifications and responses alone get 202. A body that is not JSON-RPC (e.g. `{}`) gets HTTP
 *   200 with a JSON-RPC error before any session check, as OpenEnv's `validate` expects.
 * - The episode is chosen by its session id (`Mcp-Session-Id`, `X-Session-Id` or `?session_id=`)
 *   and authorised by its token (`Authorization: Bearer …` or `X-Session-Token`), both from reset;
 *   missing → 401, wrong token → 403, unknown session → 404 (each with a JSON-RPC error body).
 *   Responses carry `Mcp-Session-Id: <session id>`.
 * - `GET` (no server-sent stream) and `DELETE` (the episode is closed through OpenEnv's close,
 *   not MCP) → 405.
 */
export async function handleMcpRequest(req: IncomingMessage, res: ServerResponse, sessions: McpSessionLookup): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== MCP_PATH) return false;
  if (!originAllowed(req)) {
    sendJson(res, 403, errorResponse(null, JSON_RPC.SERVER_ERROR, 'Forbidden: the Origin header does not name this server'));
    return true;
  }
  if (req.method !== 'POST') {
    sendJson(res, 405, errorResponse(null, JSON_RPC.SERVER_ERROR, `${req.method} ${MCP_PATH} is not supported; POST JSON-RPC messages`), {
      allow: 'POST',
    });
    return true;
  }
  const body = await readBody(req, MAX_MCP_BODY_BYTES);
  if (body === undefined) {
    sendJson(res, 413, errorResponse(null, JSON_RPC.INVALID_REQUEST, `the request body exceeds ${MAX_MCP_BODY_BYTES} bytes`));
    return true;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 200, errorResponse(null, JSON_RPC.PARSE_ERROR, 'Parse error: the body is not valid JSON'));
    return true;
  }
  const batch = Array.isArray(parsed);
  const messages: unknown[] = batch ? (parsed as unknown[]) : [parsed];
  if (messages.length === 0 || !messages.every(isJsonRpcMessage)) {
    sendJson(
      res,
      200,
      errorResponse(
        null,
        JSON_RPC.INVALID_REQUEST,
        'Invalid Request: expected a JSON-RPC 2.0 message {jsonrpc: "2.0", method, id?, params?}',
      ),
    );
    return true;
  }
  const requestId = (messages.find((m) => isObject(m) && m.id !== undefined && typeof m.method === 'string') as { id?: Id } | undefined)
    ?.id;
  const version = header(req, 'mcp-protocol-version');
  if (version !== undefined && !(MCP_PROTOCOL_VERSIONS as readonly string[]).includes(version)) {
    sendJson(res, 400, errorResponse(requestId ?? null, JSON_RPC.INVALID_REQUEST, `unsupported MCP-Protocol-Version ${version}`));
    return true;
  }
  const { id: sessionId, conflict } = sessionIdOf(req, url);
  const token = tokenOf(req);
  if (conflict) {
    sendJson(res, 400, errorResponse(requestId ?? null, JSON_RPC.INVALID_REQUEST, 'the request names two different session ids'));
    return true;
  }
  if (sessionId === undefined || token === undefined) {
    sendJson(
      res,
      401,
      errorResponse(
        requestId ?? null,
        JSON_RPC.SERVER_ERROR,
        'Unauthorized: send the session id from reset (Mcp-Session-Id or X-Session-Id) and its token (Authorization: Bearer or X-Session-Token)',
      ),
    );
    return true;
  }
  let session: EpisodeSession;
  try {
    session = sessions.get(sessionId, token);
  } catch (error) {
    const code = sessionErrorCode(error);
    const status = code === 'UNKNOWN_SESSION' ? 404 : code === 'INVALID_TOKEN' ? 403 : 500;
    const message =
      code === 'UNKNOWN_SESSION'
        ? 'Not Found: no open session with this id (closed, reaped or never created)'
        : code === 'INVALID_TOKEN'
          ? "Forbidden: the token is not this session's"
          : `session lookup failed: ${describeError(error)}`;
    sendJson(res, status, errorResponse(requestId ?? null, JSON_RPC.SERVER_ERROR, message, code ? { code } : undefined));
    return true;
  }
  const responses: JsonRpcResponse[] = [];
  for (const message of messages) {
    const response = await handleMcpMessage(session, message);
    if (response) responses.push(response);
  }
  const headers = { 'mcp-session-id': session.id };
  if (responses.length === 0) sendJson(res, 202, undefined, headers);
  else sendJson(res, 200, batch ? responses : responses[0], headers);
  return true;
}
