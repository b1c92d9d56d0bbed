/**
 * OpenEnv's HTTP surface over Groundwork sessions: `/reset`, `/step`, `/state` (stateful: the
 * session is named by the `X-Session-Token` header that reset returns — OpenEnv's own HTTP mode
 * is stateless), `/close`, `/schema`, `/health`, `/metadata`, `/openapi.json`, and the mount
 * points of `/mcp` and `/grade`.
 */
import { header, readBody, sendJson } from './http-io.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AgentToolSpec } from '../agents/agent.ts';
import { agentToolSpecs } from '../agents/tool-specs.ts';
import { ABANDON_DETAIL, type EpisodeSession } from './episode-session.ts';
import { GRADE_PATH, type GradeContext, handleGradeRequest } from './grade-trajectory.ts';
import { handleMcpRequest, MCP_PATH } from './mcp.ts';
import type { ServedRun } from './served-run.ts';
import type { SessionPool } from './session-pool.ts';
import {
  openApiDocument,
  parseResetRequest,
  parseWireAction,
  requireCredentials,
  stepRequestSchema,
  toWireError,
  toWireResult,
  toWireState,
  WireError,
  wireIssues,
  wireJsonSchemas,
  wireTools,
  type WireStepResult,
} from './wire-schemas.ts';

/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 1 << 20;

/** The headers that name a session over HTTP (the same ones `/mcp` reads). */
export const SESSION_ID_HEADER = 'x-session-id';
export const SESSION_TOKEN_HEADER = 'x-session-token';

/** What the HTTP and WebSocket handlers share. */
export interface ServeContext {
  run: ServedRun;
  pool: SessionPool;
  version: string;
  split: string;
  userName: string;
  maxSessions: number;
  /** Offline grading (`POST /grade`). */
  grade: GradeContext;
}

/** `/metadata`'s body. */
export function metadataBody(ctx: ServeContext): Record<string, unknown> {
  const domain = ctx.run.domain;
  return {
    name: `groundwork-${domain.name}`,
    description: `Groundwork's ${domain.name} domain (split ${ctx.split}): a tool-using agent serves a simulated user under a policy; the reward is the state-based grade of the episode.`,
    version: ctx.version,
    domain: domain.name,
    split: ctx.split,
    user: ctx.userName,
    run_id: ctx.run.runId,
    max_sessions: ctx.maxSessions,
    tools: wireTools(agentToolsOf(ctx)),
    policy_summary: policySummary(domain.policy),
  };
}

function agentToolsOf(ctx: ServeContext): readonly AgentToolSpec[] {
  return agentToolSpecs(ctx.run.domain, ctx.run.config.outcomeReport);
}

/** The policy's first paragraph, at most 600 characters. */
export function policySummary(policy: string): string {
  const first =
    policy
      .split(/\n\s*\n/)
      .map((part) => part.replace(/^#+\s*/gm, '').trim())
      .find((part) => part.length > 0) ?? '';
  return first.length > 600 ? `${first.slice(0, 597)}...` : first;
}

/** True for loopback addresses and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

/** The Host header without its port (IPv6 brackets kept). */
export function hostOfHeader(header: string | undefined): string {
  const value = header ?? '';
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.replace(/:\d+$/, '');
}

function sendError(res: ServerResponse, error: unknown): void {
  const wire = toWireError(error);
  sendJson(res, wire.status, { detail: wire.message, ...wire.body() });
}

/** Read a JSON body (empty → undefined); too large → 413, not JSON → INVALID_JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type && !type.startsWith('application/json'))
    throw new WireError('VALIDATION_ERROR', `unsupported content type ${JSON.stringify(type.slice(0, 80))}: send application/json`, 415);
  const body = await readBody(req, MAX_BODY_BYTES);
  if (!body) throw new WireError('VALIDATION_ERROR', `request body over ${MAX_BODY_BYTES} bytes`, 413);
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WireError('INVALID_JSON', `Invalid JSON: ${(error as Error).message}`, 400);
  }
}

/** The session an HTTP request names (`X-Session-Id` + `X-Session-Token`). */
function sessionOf(ctx: ServeContext, req: IncomingMessage): EpisodeSession {
  const { id, token } = requireCredentials(header(req, SESSION_ID_HEADER), header(req, SESSION_TOKEN_HEADER));
  return ctx.pool.get(id, token);
}

/** Reset a fresh session from the pool; a failed reset frees its slot again. */
async function resetNew(
  ctx: ServeContext,
  options: ReturnType<typeof parseResetRequest>,
): Promise<{ result: WireStepResult; id: string; token: string }> {
  const { id, token, session } = ctx.pool.create();
  try {
    const reset = await session.reset(options);
    return {
      result: toWireResult(reset, session.state(), { tools: wireTools(reset.tools), policy: reset.policy, sessionToken: token }),
      id,
      token,
    };
  } catch (error) {
    await ctx.pool.close(id, token).catch(() => undefined);
    throw error;
  }
}

/** Run one action on a session and shape the result for the wire (also used by the WebSocket handler). */
export async function stepSession(session: EpisodeSession, data: unknown): Promise<WireStepResult> {
  const intent = parseWireAction(
    data,
    session.tools().map((tool) => tool.name),
  );
  if (intent.kind === 'list_tools') {
    const state = session.state();
    return toWireResult({ events: [], done: state.done, reward: null, metadata: null, step: state.step }, state, {
      tools: wireTools(session.tools()),
    });
  }
  const result = await session.step(intent.action);
  return toWireResult(result, session.state());
}

/** One HTTP request. Routes not ours answer 404; wrong methods 405. */
export async function handleHttp(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://serve.localhost').pathname;
  const method = req.method ?? 'GET';
  try {
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /health':
        return sendJson(res, 200, { status: 'healthy', active_sessions: ctx.pool.size, max_sessions: ctx.maxSessions });
      case 'GET /metadata':
        return sendJson(res, 200, metadataBody(ctx));
      case 'GET /schema':
        return sendJson(res, 200, wireJsonSchemas());
      case 'GET /openapi.json':
        return sendJson(res, 200, openApiDocument(ctx.version, `groundwork-${ctx.run.domain.name}`));
      case 'POST /reset': {
        const body = await readJson(req);
        // Validated before anything is touched: a rejected reset leaves a running episode running.
        const options = parseResetRequest(
          body,
          ctx.run.tasks.map((task) => task.id),
        );
        // A reset naming a live session ends it first (abandoned if unfinished): one episode per session.
        const previousId = header(req, SESSION_ID_HEADER);
        const previousToken = header(req, SESSION_TOKEN_HEADER);
        if (previousId && previousToken) await ctx.pool.close(previousId, previousToken, ABANDON_DETAIL.reset).catch(() => undefined);
        const { result, id, token } = await resetNew(ctx, options);
        return sendJson(res, 200, result, { 'x-session-id': id, 'x-session-token': token });
      }
      case 'POST /step': {
        const body = await readJson(req);
        const parsed = stepRequestSchema.safeParse(body);
        if (!parsed.success) throw new WireError('VALIDATION_ERROR', 'Invalid step request', 422, wireIssues(parsed.error));
        return sendJson(res, 200, await stepSession(sessionOf(ctx, req), parsed.data.action));
      }
      case 'GET /state':
        return sendJson(
          res,
          200,
          toWireState(sessionOf(ctx, req).state(), { runId: ctx.run.runId, domain: ctx.run.domain.name, split: ctx.split }),
        );
      case 'POST /close': {
        const { id, token } = requireCredentials(header(req, SESSION_ID_HEADER), header(req, SESSION_TOKEN_HEADER));
        await ctx.pool.close(id, token);
        return sendJson(res, 200, { closed: true });
      }
      default: {
        if (path === MCP_PATH && (await handleMcpRequest(req, res, ctx.pool))) return;
        if (path === GRADE_PATH && (await handleGradeRequest(req, res, ctx.grade))) return;
        const known = ['/health', '/metadata', '/schema', '/openapi.json', '/reset', '/step', '/state', '/close', '/mcp', '/grade'];
        if (known.includes(path)) return sendJson(res, 405, { detail: `method ${method} not allowed on ${path}` });
        return sendJson(res, 404, { detail: `no route ${path}` });
      }
    }
  } catch (error) {
    if (!res.headersSent) sendError(res, error);
    else res.destroy();
  }
}
