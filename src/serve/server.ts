/**
 * `startEnvServer`: Groundwork episodes served over OpenEnv's protocol (HTTP and WebSocket `/ws`),
 * MCP (`/mcp`) and offline grading (`/grade`), on node:http, loopback by default. One served run
 * holds every episode; sessions are pooled (capped, idle ones reaped).
 */
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { DomainRegistry } from '../domains/registry.ts';
import { GroundworkError } from '../errors.ts';
import type { ParticipantFactory } from '../runner/build.ts';
import type { LeaseTiming } from '../runner/local-runner.ts';
import type { Store } from '../store/store.ts';
import { MAX_BODY_BYTES, handleHttp, hostOfHeader, isLoopbackHost, type ServeContext } from './openenv-http.ts';
import { originAllowed, sendJson } from './http-io.ts';
import { handleWsConnection } from './openenv-ws.ts';
import { ServedRun } from './served-run.ts';
import { SessionPool } from './session-pool.ts';

/** Default port of `groundwork serve` (OpenEnv's servers conventionally use 8000). */
export const DEFAULT_SERVE_PORT = 8000;
/** Default cap on open sessions. */
export const DEFAULT_MAX_SESSIONS = 16;
/** Default idle time before a session is reaped (ms). */
export const DEFAULT_IDLE_MS = 10 * 60_000;

/** Options of `startEnvServer`. */
export interface EnvServerOptions {
  store: Store;
  /** Registry name of the domain. */
  domain: string;
  /** Task split. @default the domain's default split */
  split?: string;
  /** User simulator: `scripted` or a model spec (then `participants` must build it). @default 'scripted' */
  user?: string;
  participants?: ParticipantFactory;
  /** The run's agent becomes `served:<clientName>`. @default 'external' */
  clientName?: string;
  /** Reopen this served run instead of creating one. */
  runId?: string;
  seed?: number;
  maxSteps?: number;
  domainOptions?: Parameters<typeof ServedRun.open>[0]['domainOptions'];
  domains?: DomainRegistry;
  lease?: LeaseTiming;
  /** Address to bind. @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default DEFAULT_SERVE_PORT */
  port?: number;
  /** Allow a non-loopback `host` (anyone who can reach it can play episodes). @default false */
  allowRemote?: boolean;
  /** @default DEFAULT_MAX_SESSIONS */
  maxSessions?: number;
  /** @default DEFAULT_IDLE_MS */
  idleMs?: number;
}

/** A running server. */
export interface EnvServer {
  /** `http://host:port` */
  url: string;
  /** `ws://host:port/ws` */
  wsUrl: string;
  host: string;
  port: number;
  runId: string;
  run: ServedRun;
  pool: SessionPool;
  /** Close every session (running episodes stored as `agent_error` "server shutdown"), the sockets, the server and the run. */
  close(status?: 'finished' | 'interrupted'): Promise<void>;
}

/** The package version (`info.version` of `/openapi.json`, `/metadata`'s version). */
export function packageVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Start serving; resolves once listening. The run is created (or reopened) once the port is bound, and closed by `close()`. */
export async function startEnvServer(options: EnvServerOptions): Promise<EnvServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  if (!loopback && !options.allowRemote)
    throw new GroundworkError('INVALID_ARGUMENT', `refusing to bind to ${host}: it is not a loopback address`, {
      hint: 'anyone who can reach the port can play and store episodes; pass --allow-remote if that is what you want',
    });
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  if (!Number.isInteger(maxSessions) || maxSessions < 1)
    throw new GroundworkError('INVALID_ARGUMENT', `max sessions must be a positive integer, not ${maxSessions}`);
  if (!(idleMs > 0)) throw new GroundworkError('INVALID_ARGUMENT', `idle timeout must be positive, not ${idleMs}`);

  const requestedPort = options.port ?? DEFAULT_SERVE_PORT;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535)
    throw new GroundworkError('INVALID_ARGUMENT', `port must be an integer from 0 to 65535, not ${requestedPort}`);

  // Listen first: a port that is taken must not leave an empty `interrupted` run behind. Requests
  // that arrive before the run is open get 503.
  let ctx: ServeContext | undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  wss.on('connection', (socket) => {
    if (ctx) handleWsConnection(ctx, socket);
    else socket.close(1013, 'server starting');
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (loopback && !isLoopbackHost(hostOfHeader(req.headers.host))) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'unexpected Host header' }));
      return;
    }
    if (!originAllowed(req)) {
      sendJson(res, 403, { detail: 'Forbidden: the Origin header does not name this server' });
      return;
    }
    if (!ctx) {
      sendJson(res, 503, { detail: 'the server is starting' });
      return;
    }
    void handleHttp(ctx, req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://serve.localhost').pathname;
    if (path !== '/ws' || (loopback && !isLoopbackHost(hostOfHeader(req.headers.host))) || !originAllowed(req) || !ctx) {
      const status = path !== '/ws' ? '404 Not Found' : !ctx ? '503 Service Unavailable' : '403 Forbidden';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket as Socket, head, (ws) => wss.emit('connection', ws, req));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(requestedPort, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES')
      throw new GroundworkError('INVALID_ARGUMENT', `cannot listen on ${host}:${requestedPort}: ${code}`, {
        hint: 'pick another --port (0 picks a free one)',
      });
    throw error;
  }
  const stopServer = () => {
    wss.close();
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };

  let run: ServedRun;
  try {
    run = await ServedRun.open({
      store: options.store,
      domain: options.domain,
      ...(options.split !== undefined ? { split: options.split } : {}),
      ...(options.user !== undefined ? { user: options.user } : {}),
      ...(options.participants ? { participants: options.participants } : {}),
      ...(options.clientName !== undefined ? { clientName: options.clientName } : {}),
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      ...(options.domainOptions ? { domainOptions: options.domainOptions } : {}),
      ...(options.domains ? { domains: options.domains } : {}),
      ...(options.lease ? { lease: options.lease } : {}),
    });
  } catch (error) {
    await stopServer();
    throw error;
  }
  let pool: SessionPool;
  try {
    pool = new SessionPool(run, { maxSessions, idleMs });
  } catch (error) {
    await stopServer();
    await run.close('interrupted');
    throw error;
  }
  const split = run.config.split ?? run.domain.defaultSplit;
  ctx = {
    run,
    pool,
    version: packageVersion(),
    split,
    userName: run.config.user,
    maxSessions,
    grade: { domain: run.domain, split, domainOptions: run.config.domainOptions, store: run.store },
  };

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requestedPort;
  const url = `http://${urlHost(host)}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: `ws://${urlHost(host)}:${port}/ws`,
    host,
    port,
    runId: run.runId,
    run,
    pool,
    close(status: 'finished' | 'interrupted' = 'finished') {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await pool.closeAll();
        for (const client of wss.clients) client.close(1001, 'server shutdown');
        wss.close();
        server.closeIdleConnections();
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 500).unref();
        await stopped;
        await run.close(status);
      })();
      return closing;
    },
  };
}
