import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, relative } from 'node:path';
import { describeError, GroundworkError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { ViewerApi } from './api.ts';

/** Default port of `groundwork view`. */
export const DEFAULT_VIEWER_PORT = 5151;

/**
 * The viewer's Content-Security-Policy: only its own files and API, no inline script or style,
 * no plugins, no framing, no forms. Transcripts are untrusted; this is the second wall after
 * escaping.
 */
export const VIEWER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** Options of `startViewer`. */
export interface ViewerServerOptions {
  store: Store;
  /** Directory of the built app (see `ensureViewerBundle`); without it only the API is served. */
  bundleDir?: string;
  /** Address to bind. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. @default DEFAULT_VIEWER_PORT */
  port?: number;
  /** Allow binding to a non-loopback address (the viewer has no authentication). @default false */
  allowRemote?: boolean;
}

/** A running viewer. */
export interface ViewerServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** True for loopback addresses and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || bare.startsWith('::ffff:127.');
  return false;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Read the bundle into memory once: only these files are ever served, nothing else on disk. */
function loadBundle(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (TYPES[extname(entry.name)])
        files.set(`/${relative(dir, path).split('\\').join('/')}`, { body: readFileSync(path), type: TYPES[extname(entry.name)] });
    }
  };
  walk(dir);
  if (!files.has('/index.html'))
    throw new GroundworkError('INVALID_CONFIG', `the viewer bundle in ${dir} has no index.html`, {
      hint: 'rebuild it with `npm run build:viewer`',
    });
  return files;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': VIEWER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const STATUS_OF: Partial<Record<string, number>> = { UNKNOWN_RUN: 404, UNKNOWN_EPISODE: 404, UNKNOWN_CHART: 404, INVALID_ARGUMENT: 400 };

/**
 * Start the read-only viewer: the static app plus GET JSON endpoints over the store. Binds
 * 127.0.0.1 by default and refuses any non-loopback address unless `allowRemote` is set; answers
 * 405 to every method but GET and HEAD; rejects requests whose Host header is not a loopback
 * name when bound to loopback (DNS rebinding).
 */
export async function startViewer(options: ViewerServerOptions): Promise<ViewerServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  if (!loopback && !options.allowRemote) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `refusing to bind the viewer to ${host}: it is not a loopback address and the viewer has no authentication`,
      { hint: 'use the default 127.0.0.1, or pass --allow-remote to expose your runs on the network' },
    );
  }
  const requestedPort = options.port ?? DEFAULT_VIEWER_PORT;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535)
    throw new GroundworkError('INVALID_ARGUMENT', `--port must be between 0 and 65535, got ${requestedPort}`);
  const api = new ViewerApi(options.store);
  const bundle = options.bundleDir ? loadBundle(options.bundleDir) : undefined;

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    head: boolean,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
    res.end(head ? undefined : body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown, head: boolean) =>
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), head, { 'Cache-Control': 'no-store' });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      // Read-only: nothing on this server changes a run.
      sendJson(res, 405, { error: `method ${method} not allowed: the viewer is read-only` }, false);
      return;
    }
    const head = method === 'HEAD';
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (loopback && !isLoopbackHost(hostHeader)) {
      sendJson(res, 403, { error: 'unexpected Host header' }, head);
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://viewer.localhost');
    } catch {
      sendJson(res, 400, { error: 'malformed URL' }, head);
      return;
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      try {
        const answer = await api.handle(url.pathname, url.searchParams);
        if (answer.kind === 'json') sendJson(res, answer.status, answer.body, head);
        else if (answer.kind === 'svg')
          send(res, answer.status, 'image/svg+xml; charset=utf-8', answer.body, head, {
            'Cache-Control': 'no-store',
            'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
          });
        else {
          res.writeHead(answer.status, {
            ...SECURITY_HEADERS,
            'Content-Type': answer.kind === 'text' ? 'text/plain; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
            'Cache-Control': 'no-store',
          });
          if (head) return void res.end();
          for await (const line of answer.body) {
            if (res.destroyed) break;
            // Respect backpressure: the database is read only as fast as the client reads.
            if (!res.write(line)) await new Promise<void>((resolve) => res.once('drain', resolve));
          }
          res.end();
        }
      } catch (error) {
        const code = GroundworkError.isInstance(error) ? error.code : 'INTERNAL';
        const status = STATUS_OF[code] ?? 500;
        if (res.headersSent) res.destroy();
        else sendJson(res, status, { error: describeError(error), code }, head);
      }
      return;
    }
    if (!bundle) {
      send(res, 503, 'text/plain; charset=utf-8', 'The viewer app is not built; the API is at /api/runs.\n', head);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS).end();
      return;
    }
    const file = bundle.get(url.pathname === '/' ? '/index.html' : url.pathname);
    if (!file) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
      return;
    }
    send(res, 200, file.type, file.body, head, {
      'Cache-Control': url.pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new GroundworkError('INVALID_ARGUMENT', `cannot listen on ${host}:${requestedPort}: ${error.message}`, {
          cause: error,
          hint: error.code === 'EADDRINUSE' ? 'choose another --port (0 picks a free one)' : undefined,
        }),
      ),
    );
    server.listen(requestedPort, host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requestedPort;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
