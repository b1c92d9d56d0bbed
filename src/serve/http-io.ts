/** The small HTTP plumbing every endpoint of `groundwork serve` shares. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request header's first value. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Whether the request's `Origin` (if any) names this server: absent is allowed (non-browser
 * clients), `null` or another host is refused, so no web page can drive the server.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = header(req, 'origin');
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === header(req, 'host');
  } catch {
    return false;
  }
}

/** Send a JSON body (no body at all when `body` is undefined), never cached, never sniffed. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** Read a request body of at most `limit` bytes; undefined when it is larger (the caller answers 413). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
