import http from 'node:http';
import https from 'node:https';
import { type Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { Http1Pool, type Http1Response, writableRequest } from './http1-pool.ts';

/**
 * A `fetch` over kept-alive connections: plain `http:` through the HTTP/1.1 pool of
 * src/models/http1-pool.ts, `https:` through node:https's agent. The base fetch of a ModelHub in
 * live and record modes. Node's built-in fetch (undici) costs about 0.8 ms of CPU per model call
 * on a loaded 2-core box against 0.2 ms for a plain node:http request and less again for the pool
 * (bench/model-latency.ts --breakdown), and a model call is little more than one request.
 *
 * It behaves as Node's fetch for what the AI SDK providers and Groundwork use: a real `Response`
 * (status, statusText, headers, streamed body), fetch's default request headers (`accept`,
 * `accept-language`, `sec-fetch-mode`, `user-agent: node`, `accept-encoding`) unless given,
 * decoding of gzip/deflate/br replies, redirects as `redirect: 'follow'` (at most 20; 303, and
 * 301/302 after a POST, become GET), `AbortSignal` (rejects with the signal's reason), the Fetch
 * spec's bad-port refusal, and network errors as `TypeError('fetch failed', { cause })` with the
 * system error (ECONNREFUSED, ENOTFOUND...) as cause, as src/models/retry.ts expects.
 *
 * Requests it does not handle itself (a `Request` or stream/Blob/FormData body, `redirect:
 * 'manual'`, a scheme other than http/https) go to `globalThis.fetch` unchanged.
 */
export interface HttpTransport {
  /** The fetch-compatible function. */
  fetch: typeof globalThis.fetch;
  /**
   * The same exchange as `fetch` without building the `Response`: the head as received and the
   * decoded body as a Node stream, for a caller that reads the whole body itself (ModelSession,
   * which hands the SDK a Response of its own). Rejects exactly as `fetch` would; undefined for a
   * request `fetch` would hand to its fallback.
   */
  exchange(input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<TransportReply> | undefined;
  /** Closes the idle keep-alive connections (in-flight requests finish). */
  close(): void;
}

/** Options of `createHttpTransport`. */
export interface HttpTransportOptions {
  /**
   * Most open connections per origin. @default Infinity (the model limiter is what bounds requests)
   */
  maxSockets?: number;
  /** An idle kept-alive connection is closed after this many ms (sooner when the server says so). @default 4000 */
  idleTimeoutMs?: number;
  /**
   * Send plain `http:` requests through the HTTP/1.1 pool (src/models/http1-pool.ts) rather than
   * node:http (which a finite `maxSockets` also chooses). @default true
   */
  http1Pool?: boolean;
  /** Used for what this transport does not handle itself. @default globalThis.fetch */
  fallback?: typeof globalThis.fetch;
}

/** Ports fetch refuses (https://fetch.spec.whatwg.org/#port-blocking), as undici's list. */
const BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117,
  119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
  989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
/** Request headers that describe the body: dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type', 'content-length'];
/** Request headers dropped on a redirect to another origin (as undici). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host'];

/** A request as this transport sends it (headers lower-cased). */
interface Outgoing {
  url: URL;
  method: string;
  headers: Map<string, string>;
  /** A string body stays a string: node:http then writes head and body in one piece. */
  body: string | Buffer | undefined;
  signal: AbortSignal | undefined;
}

/**
 * A response as this transport received it, before any `Response` is built: what `exchange` gives.
 * Its values are those the `Response` of `fetch` would show.
 */
export interface TransportReply {
  readonly status: number;
  readonly statusText: string;
  /** Header names and values as received, alternating (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  /** A header's value as `Headers.get` gives it: repeated headers joined by ", ", null when absent. */
  header(name: string): string | null;
  /** The whole decoded body, refused past `maxBytes` (the rest is never read); errors as a fetch body read. Once. */
  read(maxBytes: number): Promise<{ body: Buffer } | { tooLarge: true }>;
  /** Gives the body up unread (the connection is freed). */
  cancel(): void;
}

/** A response as `follow` gives it: the reply, the request it answers and its decoded body as a Node stream for `fetch`. */
interface Received extends TransportReply {
  readonly request: Outgoing;
  redirected: boolean;
  /** The decoded body as a Node stream (null: HEAD or a null-body status); instead of `read`. */
  nodeBody(): Readable | null;
}

/** A node:http response head and its decoded body (null: HEAD or a null-body status, already drained). */
class NodeReceived implements Received {
  redirected = false;
  constructor(
    readonly request: Outgoing,
    readonly status: number,
    readonly statusText: string,
    readonly rawHeaders: string[],
    readonly body: Readable | null,
  ) {}

  header(name: string): string | null {
    return rawHeader(this.rawHeaders, name);
  }

  read(maxBytes: number): Promise<{ body: Buffer } | { tooLarge: true }> {
    if (!this.body) return Promise.resolve({ body: Buffer.alloc(0) });
    return readNodeBody(this.body, this.request.signal, maxBytes);
  }

  cancel(): void {
    this.body?.destroy();
  }

  nodeBody(): Readable | null {
    return this.body;
  }
}

/** A response of the HTTP/1.1 pool: the body read whole from its buffer, or decoded through a stream when it has a content coding. */
class PooledReceived implements Received {
  redirected = false;
  readonly status: number;
  readonly statusText: string;
  readonly rawHeaders: string[];
  private readonly nullBody: boolean;

  constructor(
    readonly request: Outgoing,
    private readonly response: Http1Response,
  ) {
    this.status = response.status;
    this.statusText = response.statusText;
    this.rawHeaders = response.rawHeaders;
    this.nullBody = isNullBody(request.method, response.status);
  }

  header(name: string): string | null {
    return rawHeader(this.rawHeaders, name);
  }

  read(maxBytes: number): Promise<{ body: Buffer } | { tooLarge: true }> {
    if (this.nullBody) return Promise.resolve({ body: Buffer.alloc(0) });
    const encoding = this.header('content-encoding');
    if (encoding === null) return this.response.read(maxBytes).catch((error) => Promise.reject(this.readError(error)));
    return readNodeBody(this.nodeBody() as Readable, this.request.signal, maxBytes);
  }

  cancel(): void {
    this.response.cancel();
  }

  nodeBody(): Readable | null {
    if (this.nullBody) {
      this.response.cancel();
      return null;
    }
    const { method } = this.request;
    return decode(this.response.stream(), this.header('content-encoding'), method, this.status);
  }

  /** A body read's error as fetch gives it: the signal's reason once aborted, else a network error. */
  private readError(error: unknown): unknown {
    return this.request.signal?.aborted ? this.request.signal.reason : fetchFailed(error);
  }
}

/** Responses without a body whatever their head says, as fetch reads them. */
function isNullBody(method: string, status: number): boolean {
  return method === 'HEAD' || status === 101 || status === 204 || status === 205 || status === 304;
}

/** HTTP whitespace a `Headers` value loses at both ends. */
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/** `Headers.get` over raw headers: values of every header of that name (case-insensitive), trimmed, joined by ", ". */
function rawHeader(raw: readonly string[], name: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    const item = (raw[i + 1] as string).replace(HTTP_WHITESPACE, '');
    value = value === null ? item : `${value}, ${item}`;
  }
  return value;
}

/** A reason phrase `Response` accepts (HTAB, SP, VCHAR, obs-text). */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Throws what `new Response` would for a head it refuses (status outside 200-599, a bad reason phrase). */
function checkHead(status: number, statusText: string): void {
  if (status >= 200 && status <= 599 && REASON_PHRASE.test(statusText)) return;
  new Response(null, { status, statusText }); // throws the Response constructor's own error
}

/** Bodies of this transport's responses not yet read through the web stream (see `readTransportBody`). */
const nodeBodies = new WeakMap<Response, NodeBody>();

interface NodeBody {
  stream: Readable;
  signal: AbortSignal | undefined;
  taken: boolean;
  pulled: boolean;
}

/**
 * Reads the body of a response this transport made, when its web body was not touched yet,
 * straight from the Node stream (skipping the web stream), refusing it past `maxBytes` (the rest
 * is never read). Errors are those a fetch body read gives (the signal's reason once aborted).
 * Undefined for any other response; after a call the web body is unusable.
 */
export function readTransportBody(response: Response, maxBytes: number): Promise<{ body: Buffer } | { tooLarge: true }> | undefined {
  const entry = nodeBodies.get(response);
  if (!entry || entry.taken || entry.pulled) return undefined;
  entry.taken = true;
  nodeBodies.delete(response);
  return readNodeBody(entry.stream, entry.signal, maxBytes);
}

/** Reads a decoded body whole, refusing it past `maxBytes`; errors as a fetch body read (the signal's reason once aborted). */
function readNodeBody(stream: Readable, signal: AbortSignal | undefined, maxBytes: number): Promise<{ body: Buffer } | { tooLarge: true }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        stream.destroy();
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve({ body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) }));
    stream.once('error', (error) => reject(signal?.aborted ? signal.reason : fetchFailed(error)));
  });
}

/** Thrown inside to mean "let globalThis.fetch do this one". */
const FALLBACK = Symbol('fallback');

export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? Number.POSITIVE_INFINITY,
    timeout: options.idleTimeoutMs ?? 4000,
  };
  const connections: Connections = {
    'http:': new http.Agent(agentOptions),
    'https:': new https.Agent(agentOptions),
    // node:http keeps a finite maxSockets with its queue; the pool has none.
    pool:
      options.http1Pool !== false && agentOptions.maxSockets === Number.POSITIVE_INFINITY ? new Http1Pool(agentOptions.timeout) : undefined,
  };
  const fallback = options.fallback ?? ((input, init) => globalThis.fetch(input, init));

  const transportFetch: typeof globalThis.fetch = async (input, init) => {
    const outgoing = toOutgoing(input, init);
    if (outgoing === FALLBACK) return fallback(input, init);
    return toResponse(await follow(outgoing, connections));
  };
  const exchange = (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<TransportReply> | undefined => {
    let outgoing: Outgoing | typeof FALLBACK;
    try {
      outgoing = toOutgoing(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
    return outgoing === FALLBACK ? undefined : follow(outgoing, connections);
  };
  return {
    fetch: transportFetch,
    exchange,
    close() {
      connections['http:'].destroy();
      connections['https:'].destroy();
      connections.pool?.close();
    },
  };
}

/** The request this transport sends, or FALLBACK for what only fetch handles. */
function toOutgoing(input: Parameters<typeof globalThis.fetch>[0], init: RequestInit | undefined): Outgoing | typeof FALLBACK {
  if (typeof input !== 'string' && !(input instanceof URL)) return FALLBACK; // a Request: fetch knows all its parts
  if (init?.redirect !== undefined && init.redirect !== 'follow') return FALLBACK;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return FALLBACK; // fetch throws its own TypeError for an invalid URL
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return FALLBACK;
  if (url.username || url.password) return FALLBACK; // fetch refuses URLs with credentials, in its words
  const body = toBuffer(init?.body);
  if (body === FALLBACK) return FALLBACK;
  const headers = new Map<string, string>();
  const given = init?.headers;
  if (given instanceof Headers) for (const [name, value] of given) headers.set(name, value);
  else if (Array.isArray(given)) for (const [name, value] of given) appendHeader(headers, name.toLowerCase(), String(value));
  else if (given)
    for (const name of Object.keys(given)) appendHeader(headers, name.toLowerCase(), String((given as Record<string, string>)[name]));
  if (typeof init?.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
  if (init?.body instanceof URLSearchParams && !headers.has('content-type'))
    headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
  const method = (init?.method ?? 'GET').toUpperCase();
  if ((method === 'GET' || method === 'HEAD') && body !== undefined) throw new TypeError('Request with GET/HEAD method cannot have body.');
  return { url, method, headers, body, signal: init?.signal ?? undefined };
}

function appendHeader(headers: Map<string, string>, name: string, value: string): void {
  const previous = headers.get(name);
  headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
}

function toBuffer(body: RequestInit['body']): string | Buffer | undefined | typeof FALLBACK {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return FALLBACK;
}

/** Network error as fetch reports it. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/** Where requests go: plain `http:` through the HTTP/1.1 pool, `https:` (and `http:` with a finite maxSockets) through node's agents. */
interface Connections {
  'http:': http.Agent;
  'https:': https.Agent;
  pool: Http1Pool | undefined;
}

async function follow(first: Outgoing, connections: Connections): Promise<Received> {
  let request = first;
  for (let redirects = 0; ; redirects++) {
    const response = await send(request, connections);
    const location = REDIRECTS.has(response.status) ? response.header('location') : null;
    if (location === null) {
      response.redirected = redirects > 0;
      return response;
    }
    response.cancel();
    if (redirects >= MAX_REDIRECTS) throw fetchFailed(new Error('redirect count exceeded'));
    let next: URL;
    try {
      next = new URL(location, request.url);
    } catch (error) {
      throw fetchFailed(error);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw fetchFailed(new Error('URL scheme must be a HTTP(S) scheme'));
    const headers = new Map(request.headers);
    let { method, body } = request;
    if (
      (response.status === 303 && method !== 'GET' && method !== 'HEAD') ||
      ((response.status === 301 || response.status === 302) && method === 'POST')
    ) {
      method = 'GET';
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
    }
    if (next.origin !== request.url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    request = { ...request, url: next, method, headers, body };
  }
}

/** One request/response exchange: resolves once the response head arrived; the body streams. */
function send(request: Outgoing, connections: Connections): Promise<Received> {
  const { url, signal } = request;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (BAD_PORTS.has(port)) return Promise.reject(fetchFailed(new Error('bad port')));

  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = value;
  headers.accept ??= '*/*';
  headers['accept-language'] ??= '*';
  headers['sec-fetch-mode'] ??= 'cors';
  headers['user-agent'] ??= 'node';
  headers['accept-encoding'] ??= url.protocol === 'https:' ? 'br, gzip, deflate' : 'gzip, deflate';
  if (request.body !== undefined)
    headers['content-length'] = String(typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.byteLength);
  else if (request.method === 'POST' || request.method === 'PUT') headers['content-length'] = '0';

  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const path = `${url.pathname}${url.search}`;
  const { pool } = connections;
  if (pool && url.protocol === 'http:' && writableRequest(request.method, headers)) {
    const exchanged = pool.exchange({ hostname, port, host: url.host, method: request.method, path, headers, body: request.body, signal });
    return exchanged.then(
      (response) => {
        try {
          checkHead(response.status, response.statusText);
        } catch (error) {
          response.cancel();
          throw fetchFailed(error);
        }
        return new PooledReceived(request, response);
      },
      (error: unknown) => Promise.reject(signal?.aborted ? signal.reason : fetchFailed(error)),
    );
  }
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<Received>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      req.destroy();
      if (!settled) {
        settled = true;
        reject(signal?.reason);
      }
    };
    const req = lib.request(
      {
        protocol: url.protocol,
        hostname,
        port,
        path,
        method: request.method,
        headers,
        agent: connections[url.protocol as 'http:' | 'https:'],
      },
      (res) => {
        settled = true;
        try {
          resolve(receive(res, request, signal, onAbort));
        } catch (error) {
          res.destroy();
          reject(fetchFailed(error));
        } finally {
          if (signal && res.readableEnded) signal.removeEventListener('abort', onAbort);
        }
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      // No silent resend, as fetch: the server may have acted on the request. Idle connections close
      // before the server's keep-alive timeout (idleTimeoutMs, or its hint less 1 s) to avoid the race.
      reject(fetchFailed(error));
    });
    req.end(request.body);
  });
}

/** A node:http response as received: the head checked as `Response` would, the body decoded (still a Node stream). */
function receive(res: http.IncomingMessage, request: Outgoing, signal: AbortSignal | undefined, onAbort: () => void): Received {
  const status = res.statusCode ?? 0;
  const statusText = res.statusMessage ?? '';
  checkHead(status, statusText);
  const raw = res.rawHeaders;
  const nullBody = isNullBody(request.method, status);
  const done = () => signal?.removeEventListener('abort', onAbort);
  let body: Readable | null = null;
  if (nullBody) {
    res.resume();
    res.on('end', done);
  } else {
    body = decode(res, rawHeader(raw, 'content-encoding'), request.method, status);
    body.on('end', done);
    body.on('error', done);
  }
  return new NodeReceived(request, status, statusText, raw, body);
}

/** The fetch `Response` of a received response: headers as received, body streamed (readable directly by `readTransportBody`). */
function toResponse(received: Received): Response {
  try {
    const headers = new Headers();
    const raw = received.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
    let body: ReadableStream<Uint8Array> | null = null;
    let entry: NodeBody | undefined;
    const nodeBody = received.nodeBody();
    if (nodeBody) {
      entry = { stream: nodeBody, signal: received.request.signal, taken: false, pulled: false };
      body = toWebStream(nodeBody, received.request.signal, entry);
    }
    const response = new Response(body, { status: received.status, statusText: received.statusText, headers });
    if (entry) nodeBodies.set(response, entry);
    Object.defineProperty(response, 'url', { value: received.request.url.href });
    if (received.redirected) Object.defineProperty(response, 'redirected', { value: true });
    return response;
  } catch (error) {
    received.cancel();
    throw fetchFailed(error);
  }
}

/** The body decoded as fetch does (codings in reverse order; unknown codings left as they are). */
function decode(res: Readable, encoding: string | null, method: string, status: number): Readable {
  if (!encoding || method === 'HEAD' || method === 'CONNECT' || status === 204 || status === 304) return res;
  const codings = encoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter(Boolean)
    .reverse();
  const decoders: NodeJS.ReadWriteStream[] = [];
  for (const coding of codings) {
    if (coding === 'gzip' || coding === 'x-gzip')
      decoders.push(zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    else if (coding === 'deflate') decoders.push(inflateAny());
    else if (coding === 'br')
      decoders.push(
        zlib.createBrotliDecompress({
          flush: zlib.constants.BROTLI_OPERATION_FLUSH,
          finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        }),
      );
    else return res; // fetch leaves a body with an unknown coding as it is
  }
  let stream: Readable = res;
  for (const decoder of decoders) {
    const from = stream;
    from.on('error', (error) => (decoder as unknown as Readable).destroy(error));
    stream = from.pipe(decoder) as unknown as Readable;
  }
  // A decoded body given up before its end (cancelled, too large) frees the connection too.
  stream.once('close', () => {
    if (!res.readableEnded) res.destroy();
  });
  return stream;
}

/** `deflate` as servers send it: zlib-wrapped, or raw (the first byte tells), like undici. */
function inflateAny(): NodeJS.ReadWriteStream {
  let inner: zlib.Inflate | zlib.InflateRaw | undefined;
  const options = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  return new Transform({
    transform(chunk: Buffer, _encoding: string, callback: (error?: Error | null) => void) {
      if (!inner) {
        inner = ((chunk[0] ?? 0) & 0x0f) === 0x08 ? zlib.createInflate(options) : zlib.createInflateRaw(options);
        inner.on('data', (data: Buffer) => this.push(data));
        inner.on('error', (error) => this.destroy(error));
      }
      inner.write(chunk, callback);
    },
    flush(callback: (error?: Error | null) => void) {
      if (!inner) return callback();
      inner.once('end', () => callback());
      inner.end();
    },
  });
}

/** A web stream over a Node stream, pulled on demand (backpressure kept); abort errors it with the reason. */
function toWebStream(
  source: Readable,
  signal: AbortSignal | undefined,
  entry: { taken: boolean; pulled: boolean },
): ReadableStream<Uint8Array> {
  let onAbortBody: (() => void) | undefined;
  let closed = false;
  let attachBody: (() => void) | undefined;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // Listeners go on at the first read, so a body taken by takeNodeBody is never consumed here.
        entry.pulled = false;
        const attach = () => {
          source.on('data', (chunk: Buffer) => {
            if (closed) return;
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            if ((controller.desiredSize ?? 0) <= 0) source.pause();
          });
          source.once('end', () => {
            if (onAbortBody) signal?.removeEventListener('abort', onAbortBody);
            if (!closed) controller.close();
            closed = true;
          });
          source.once('error', (error) => {
            if (onAbortBody) signal?.removeEventListener('abort', onAbortBody);
            if (!closed) controller.error(signal?.aborted ? signal.reason : fetchFailed(error));
            closed = true;
          });
        };
        attachBody = attach;
        if (signal) {
          onAbortBody = () => {
            if (!closed) controller.error(signal.reason);
            closed = true;
            if (!entry.taken) source.destroy();
          };
          signal.addEventListener('abort', onAbortBody, { once: true });
        }
      },
      pull() {
        if (entry.taken) return;
        if (!entry.pulled) {
          entry.pulled = true;
          attachBody?.();
        }
        source.resume();
      },
      cancel() {
        closed = true;
        if (onAbortBody) signal?.removeEventListener('abort', onAbortBody);
        if (!entry.taken) source.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}
