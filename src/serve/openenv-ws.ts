/**
 * OpenEnv's WebSocket protocol at `/ws`: one session (one episode at a time) per connection.
 * Client messages `reset`, `step`, `state`, `close`, `mcp`; replies `observation`, `state`, `mcp`
 * and `error` (with OpenEnv's codes). Errors never close the socket, except a full pool
 * (`CAPACITY_REACHED`, sent on connect). A socket closed mid-episode abandons the episode (stored
 * as `agent_error` "client disconnected") and frees the slot.
 */
import type { WebSocket } from 'ws';
import type { ServeContext } from './openenv-http.ts';
import { stepSession } from './openenv-http.ts';
import { handleMcpMessage } from './mcp.ts';
import {
  parseResetRequest,
  toWireError,
  toWireResult,
  toWireState,
  WireError,
  wireIssues,
  wireTools,
  WS_MESSAGE_TYPES,
  wsCloseMessageSchema,
  wsMcpMessageSchema,
  wsResetMessageSchema,
  wsStateMessageSchema,
  wsStepMessageSchema,
} from './wire-schemas.ts';

/** Close code sent with `CAPACITY_REACHED` (RFC 6455 "try again later"). */
export const WS_CLOSE_CAPACITY = 1013;

function sendJson(socket: WebSocket, value: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(value));
}

function sendError(socket: WebSocket, error: unknown): void {
  sendJson(socket, { type: 'error', data: toWireError(error).body() });
}

/** Serve one accepted WebSocket connection until it closes. */
export function handleWsConnection(ctx: ServeContext, socket: WebSocket): void {
  let created: ReturnType<ServeContext['pool']['create']>;
  try {
    created = ctx.pool.create();
  } catch (error) {
    const wire = toWireError(error);
    sendJson(socket, {
      type: 'error',
      data:
        wire.code === 'CAPACITY_REACHED' ? { ...wire.body(), active_sessions: ctx.pool.size, max_sessions: ctx.maxSessions } : wire.body(),
    });
    socket.close(wire.code === 'CAPACITY_REACHED' ? WS_CLOSE_CAPACITY : 1011, wire.code);
    return;
  }
  const { id, token, session } = created;
  let released = false;
  const release = () => {
    if (released) return Promise.resolve();
    released = true;
    // close() abandons a running episode ("client disconnected"); the pool frees the slot.
    return ctx.pool.close(id, token).catch(() => undefined);
  };
  // One message at a time, in order: a client may pipeline, replies keep its order.
  let queue: Promise<void> = Promise.resolve();
  socket.on('message', (raw, isBinary) => {
    queue = queue.then(() => handleMessage(isBinary ? null : raw.toString()));
  });
  socket.on('close', () => {
    queue = queue.then(release);
  });
  socket.on('error', () => socket.terminate());

  async function handleMessage(text: string | null): Promise<void> {
    if (released) return;
    if (session.closed) {
      // Reaped while idle, its finished episode's slot taken by a new session, or closed at shutdown: this connection is over.
      sendError(
        socket,
        new WireError(
          'SESSION_ERROR',
          'the session was closed (idle too long, its finished episode gave its slot to a new session, or the server is shutting down)',
          410,
        ),
      );
      socket.close(1000, 'session closed');
      return;
    }
    session.touch();
    let message: unknown;
    try {
      if (text === null) throw new WireError('INVALID_JSON', 'Invalid JSON: binary frames are not accepted', 400);
      message = JSON.parse(text);
    } catch (error) {
      return sendError(
        socket,
        error instanceof WireError ? error : new WireError('INVALID_JSON', `Invalid JSON: ${(error as Error).message}`, 400),
      );
    }
    const type = message && typeof message === 'object' && !Array.isArray(message) ? (message as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !(WS_MESSAGE_TYPES as readonly string[]).includes(type))
      return sendError(
        socket,
        new WireError('UNKNOWN_TYPE', `Unknown message type: ${typeof type === 'string' ? type.slice(0, 80) : String(type)}`, 400),
      );
    try {
      switch (type) {
        case 'reset': {
          const msg = wsResetMessageSchema.parse(message);
          const options = parseResetRequest(
            msg.data ?? {},
            ctx.run.tasks.map((task) => task.id),
          );
          const reset = await session.reset(options);
          return sendJson(socket, {
            type: 'observation',
            data: toWireResult(reset, session.state(), { tools: wireTools(reset.tools), policy: reset.policy }),
          });
        }
        case 'step': {
          const msg = wsStepMessageSchema.parse(message);
          return sendJson(socket, { type: 'observation', data: await stepSession(session, msg.data) });
        }
        case 'state': {
          wsStateMessageSchema.parse(message);
          return sendJson(socket, {
            type: 'state',
            data: toWireState(session.state(), { runId: ctx.run.runId, domain: ctx.run.domain.name, split: ctx.split }),
          });
        }
        case 'close': {
          wsCloseMessageSchema.parse(message);
          await release();
          socket.close(1000, 'closed');
          return;
        }
        case 'mcp': {
          const msg = wsMcpMessageSchema.safeParse(message);
          if (!msg.success) throw new WireError('VALIDATION_ERROR', 'Invalid message', 422, wireIssues(msg.error));
          // Before the first reset the connection has no episode: S3's handler answers tools/* with an error.
          const reply = await handleMcpMessage(session.state().episodeId === null ? undefined : session, msg.data.data);
          if (reply) sendJson(socket, { type: 'mcp', data: reply });
          return;
        }
      }
    } catch (error) {
      sendError(socket, error);
    }
  }
}
