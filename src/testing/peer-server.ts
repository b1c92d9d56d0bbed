import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { JsonValue } from '../schema/json.ts';

/** A tool call a scripted peer answers with. */
export interface PeerToolCall {
  /** Call id; generated (`call_N` / `toolu_N`) when absent. */
  id?: string;
  name: string;
  /**
   * Arguments. A string is sent as-is in the OpenAI format (so it may be malformed JSON, e.g.
   * truncated); an object is JSON-encoded. The Anthropic format always sends an object.
   */
  arguments: JsonValue | string;
}

/** Token counts a peer reports; estimated from the text lengths when absent. */
export interface PeerUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * One scripted answer of a model peer.
 * - `message`: a well-formed completion with text and/or tool calls.
 * - `error`: an HTTP error status (429, 500, 401...) with optional headers such as Retry-After.
 * - `raw`: any body as-is (empty, truncated JSON, HTML), status 200 unless given.
 * - `reset`: the connection is destroyed without an answer.
 * - `embedding`: an embeddings answer (OpenAI format only), one vector per input: `vectors` as
 *   given, else the peer's embedding function (see `PeerOptions.embed`).
 * Every kind accepts `delayMs` before answering (for timeouts).
 */
export type PeerReply =
  | { kind: 'message'; text?: string; toolCalls?: PeerToolCall[]; usage?: PeerUsage; finishReason?: string; delayMs?: number }
  | { kind: 'error'; status: number; message?: string; headers?: Record<string, string>; body?: string; delayMs?: number }
  | { kind: 'raw'; body: string; status?: number; contentType?: string; delayMs?: number }
  | { kind: 'reset'; delayMs?: number }
  | { kind: 'embedding'; vectors?: number[][]; usage?: { inputTokens: number }; delayMs?: number };

/** Options of a peer. */
export interface PeerOptions {
  /**
   * Vector of one input text for `embedding` replies without `vectors`.
   * @default `defaultPeerEmbedding` (deterministic hashed bag of words)
   */
  embed?: (text: string) => number[];
}

/** A request the peer received, with server-side timestamps (ms, `performance.now()` clock). */
export interface PeerRequest {
  /** 0-based arrival order. */
  index: number;
  method: string;
  path: string;
  /** Request headers, lower-cased names. Kept so tests can check the key reached the server. */
  headers: Record<string, string>;
  /** Parsed JSON body (the raw string when not JSON). */
  body: any;
  arrivedAt: number;
  /** When the answer was finished (or the connection dropped); undefined while in flight. */
  finishedAt?: number;
  /** Kind of reply given. */
  reply?: PeerReply['kind'] | 'exhausted';
}

/** What a peer answers: a queue consumed in order, or a function of the request. */
export type PeerScript = PeerReply[] | ((request: PeerRequest) => PeerReply | Promise<PeerReply>);

/** A running scripted model server on 127.0.0.1. */
export interface ModelPeer {
  /** Base URL to give the provider, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  /** Every request received, in arrival order. */
  readonly requests: PeerRequest[];
  /** Append replies to the queue (only when the script is a queue). */
  push(...replies: PeerReply[]): void;
  /** Replace the script. */
  setScript(script: PeerScript): void;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/** How a wire format turns a reply into a body, shared by the OpenAI and Anthropic peers. */
export interface WireFormat {
  /** Paths (suffixes) this format answers, e.g. `/chat/completions`. */
  paths: string[];
  successBody(request: PeerRequest, reply: Extract<PeerReply, { kind: 'message' }>, serial: number): JsonValue;
  errorBody(status: number, message: string): JsonValue;
  /** Paths (suffixes) of the embeddings endpoint, when the format has one. */
  embeddingPaths?: string[];
  /** Body of an embeddings answer, given one vector per input. */
  embeddingBody?(request: PeerRequest, vectors: number[][], inputTokens: number): JsonValue;
}

/** The input texts of an embeddings request (`input`: a string or an array of strings). */
export function embeddingInputs(body: any): string[] {
  const input = body?.input;
  if (typeof input === 'string') return [input];
  return Array.isArray(input) ? input.map(String) : [];
}

/**
 * A deterministic embedding for tests: hashed bag of lower-cased words, 32 dimensions. Texts
 * sharing words are close; not a semantic model.
 */
export function defaultPeerEmbedding(text: string): number[] {
  const vector = new Array<number>(32).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    vector[(h >>> 0) % 32] += 1;
  }
  return vector;
}

/** Starts a peer speaking `format`. Internal: use `startOpenAIPeer` / `startAnthropicPeer`. */
export async function startPeer(format: WireFormat, script: PeerScript = [], options: PeerOptions = {}): Promise<ModelPeer> {
  const embed = options.embed ?? defaultPeerEmbedding;
  let current: PeerScript = script;
  let queue: PeerReply[] = Array.isArray(script) ? [...script] : [];
  const requests: PeerRequest[] = [];
  const sockets = new Set<Socket>();
  let serial = 0;

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the raw string
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers))
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value ?? '');
    const request: PeerRequest = {
      index: requests.length,
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers,
      body,
      arrivedAt: performance.now(),
    };
    requests.push(request);
    const finish = () => {
      request.finishedAt ??= performance.now();
    };
    response.on('close', finish);

    const path = request.path.split('?')[0];
    const isEmbedding = (format.embeddingPaths ?? []).some((suffix) => path.endsWith(suffix));
    if (request.method !== 'POST' || (!isEmbedding && !format.paths.some((suffix) => path.endsWith(suffix)))) {
      return send(response, 404, format.errorBody(404, `peer: no route ${request.method} ${path}`), {}, finish);
    }
    if (body && typeof body === 'object' && (body as { stream?: unknown }).stream === true) {
      return send(response, 400, format.errorBody(400, 'peer: streaming is not supported'), {}, finish);
    }
    let reply: PeerReply | undefined;
    try {
      reply = Array.isArray(current) ? queue.shift() : await current(request);
    } catch (error) {
      return send(response, 400, format.errorBody(400, `peer: script failed: ${String(error)}`), {}, finish);
    }
    if (!reply) {
      request.reply = 'exhausted';
      return send(response, 400, format.errorBody(400, 'peer: script exhausted'), {}, finish);
    }
    request.reply = reply.kind;
    if ((reply.kind === 'embedding') !== isEmbedding && (reply.kind === 'embedding' || reply.kind === 'message')) {
      return send(response, 400, format.errorBody(400, `peer: script gave a ${reply.kind} reply to ${path}`), {}, finish);
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (response.destroyed) return finish();
    switch (reply.kind) {
      case 'reset':
        incoming.socket.destroy();
        return finish();
      case 'raw':
        response.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
        response.end(reply.body, finish);
        return;
      case 'error':
        return send(
          response,
          reply.status,
          reply.body ?? format.errorBody(reply.status, reply.message ?? `peer error ${reply.status}`),
          reply.headers ?? {},
          finish,
        );
      case 'message':
        return send(response, 200, format.successBody(request, reply, ++serial), {}, finish);
      case 'embedding': {
        const inputs = embeddingInputs(body);
        const vectors = reply.vectors ?? inputs.map((text) => embed(text));
        return send(
          response,
          200,
          format.embeddingBody!(request, vectors, reply.usage?.inputTokens ?? estimateTokens(inputs.join(' '))),
          {},
          finish,
        );
      }
    }
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    push(...replies) {
      if (!Array.isArray(current)) current = [];
      queue.push(...replies);
    },
    setScript(script) {
      current = script;
      queue = Array.isArray(script) ? [...script] : [];
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(response: ServerResponse, status: number, body: JsonValue | string, headers: Record<string, string>, done: () => void): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text, done);
}

/** Rough token estimate (4 characters a token) used when a reply gives no usage. */
export function estimateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Largest number of requests in flight at once, from server-side timestamps. */
export function maxConcurrent(requests: readonly PeerRequest[]): number {
  const points: [number, number][] = [];
  for (const request of requests) {
    points.push([request.arrivedAt, 1]);
    points.push([request.finishedAt ?? Number.POSITIVE_INFINITY, -1]);
  }
  // Ends before starts at the same instant: a slot freed and reused is not an overlap.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of points) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}

/** Largest number of request arrivals within any window of `windowMs`. */
export function maxArrivalsInWindow(requests: readonly PeerRequest[], windowMs: number): number {
  const times = requests.map((r) => r.arrivedAt).sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end] - times[start] >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}
