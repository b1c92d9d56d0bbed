import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { PassThrough, type Readable } from 'node:stream';

/**
 * HTTP/1.1 over plain TCP with kept-alive connections: what HttpTransport sends `http:` requests
 * through (local and LAN model servers: vLLM, SGLang, llama.cpp, Ollama — where runs go wide).
 * node:http's per-request machinery (ClientRequest, IncomingMessage and its stream, the agent's
 * events and socket timers) costs 0.20 ms of CPU per request at 32 in flight, and this 0.08
 * (bench/model-latency.ts --breakdown). A request is one write of head and body; a
 * response is parsed as it arrives and its body buffered for one whole read, which is all a model
 * call needs.
 *
 * It reads responses as node:http's parser (llhttp, strict mode) does: status line, header lines
 * (a name is a token, a value has no control character but tab; names, values and reason at most
 * 16 KiB), each refused at the first byte llhttp refuses rather than once the head is whole,
 * informational (1xx) responses skipped, a body framed by `transfer-encoding: chunked` (chunk
 * extensions and trailers read past), by `content-length`, or by the connection's close; both a
 * transfer coding and a length, or a length given twice, are refused (request smuggling). A
 * connection is reused only when the response says it may (HTTP/1.1 without `connection: close`,
 * HTTP/1.0 with `keep-alive`), was read to its end and our request was written whole. Idle ones
 * do not keep the process alive and close after `idleTimeoutMs`, or the server's `keep-alive:
 * timeout=N` less a second when shorter (so we do not send on a connection the server is closing).
 * Failures are those node:http reports: connect errors as they come (ECONNREFUSED...), a
 * connection closed before the head as "socket hang up" (ECONNRESET), one closed inside the body
 * as "aborted" (ECONNRESET), a malformed response as a "Parse Error" (code HPE_...).
 */
export interface Http1Request {
  /** Host to connect to (an IPv6 address without brackets). */
  hostname: string;
  port: number;
  /** The `Host` header's value (the URL's host: brackets and a non-default port kept). */
  host: string;
  method: string;
  /** Path and query. */
  path: string;
  /** Header names (lower-case) and values, as sent; `host` and `connection` are added unless given. */
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Diagnostics channels (as node:http's `http.client.request.start` and `http.client.response.finish`):
 * `{ request }` when a request is written, and when its response has been received whole.
 */
export const HTTP1_CHANNELS = {
  requestStart: diagnostics.channel('groundwork.http1.request.start'),
  responseFinish: diagnostics.channel('groundwork.http1.response.finish'),
} as const;

/** Methods node:http sends without a `Content-Length: 0` when they have no body. */
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** node:http's default --max-http-header-size, counted as node counts it: the reason, header names and values. */
const MAX_HEAD_BYTES = 16 * 1024;
/** A body nobody is reading yet is buffered up to this much before the connection is paused. */
const UNREAD_HIGH_WATER = 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * A chunk's size line as llhttp's strict mode reads it: hex, then extensions `;name`, `;name=value`
 * (a token or a quoted string, maybe empty) or `;=value`, no whitespace. `CHUNK_LINE_START` is what can
 * begin one, to refuse a line that can never be right as soon as it arrives.
 */
const CHUNK_SIZE =
  /^([0-9A-Fa-f]+)(?:;(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]*|"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"))?|=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]*|"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*")))*$/;
const CHUNK_LINE_START = /^(?:[0-9A-Fa-f]+(?:;[\t\x20-\x7e\x80-\xff]*)?)?\r?$/;

/** Characters node:http refuses in a header value. */
const BAD_REQUEST_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Whether a request can be written as it is (node:http throws its own error for the others, and is left to). */
export function writableRequest(method: string, headers: Record<string, string>): boolean {
  if (!TOKEN.test(method) || method === 'CONNECT') return false;
  for (const name in headers) if (!TOKEN.test(name) || BAD_REQUEST_VALUE.test(headers[name] as string)) return false;
  return true;
}

/** The protocols llhttp reads a response of, and the versions it takes. */
const PROTOCOLS = ['HTTP/', 'RTSP/', 'ICE/'];
const VERSIONS = new Set(['1.1', '1.0', '2.0', '0.9']);
const DIGIT = /^[0-9]$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
/** A Content-Length value as llhttp reads it, whole or in part: optional spaces and tabs, digits, trailing spaces. */
const LENGTH_VALUE = /^[\t ]*[0-9]*(?: *)$/;

/**
 * Checks a response head as far as it has arrived, as llhttp (strict) checks it byte by byte, and
 * throws llhttp's error for the first byte it refuses: so a head that can never be right fails at
 * once rather than waiting for a CRLFCRLF. `text` is what arrived (through the head's last CRLF
 * when `complete`); returns the head's lines when complete.
 */
function checkHead(text: string, complete: boolean): string[] | undefined {
  const lines = text.split('\r\n');
  let counted = 0; // what node:http counts against its header limit: the reason, names and values
  for (let i = 0; i < lines.length; i++) {
    // A CR that is the last byte so far may be followed by its LF in the next segment.
    const last = i === lines.length - 1;
    const line = last && !complete && text.endsWith('\r') ? (lines[i] as string).slice(0, -1) : (lines[i] as string);
    // Where the line ends: at its CRLF (`ended`), or at a lone CR or LF, which llhttp refuses.
    const lone = line.search(/[\r\n]/);
    const content = lone < 0 ? line : line.slice(0, lone);
    const ended = lone >= 0 || i < lines.length - 1;
    if (i === 0) counted += checkStatusLine(content, ended);
    else if (content.length > 0 || lone >= 0) counted += checkHeaderLine(content, ended);
    if (lone >= 0) {
      const lf = line[lone] === '\n';
      if (i === 0)
        throw lf
          ? parseError('Missing expected CR after response line', 'HPE_CR_EXPECTED')
          : parseError('Expected LF after CR', 'HPE_STRICT');
      throw parseError(`Missing expected ${lf ? 'CR' : 'LF'} after header value`, lf ? 'HPE_CR_EXPECTED' : 'HPE_LF_EXPECTED');
    }
    if (counted > MAX_HEAD_BYTES) throw parseError('Header overflow', 'HPE_HEADER_OVERFLOW');
  }
  if (!complete && text.length > 64 * MAX_HEAD_BYTES) throw parseError('Header overflow', 'HPE_HEADER_OVERFLOW');
  return complete ? lines.slice(0, -1) : undefined;
}

/** A status line (or its start), checked as llhttp does; returns its counted bytes (the reason's). */
function checkStatusLine(line: string, ended: boolean): number {
  const protocol = PROTOCOLS.find((name) => line.startsWith(name) || name.startsWith(line));
  if (!protocol) throw parseError('Expected HTTP/, RTSP/ or ICE/', 'HPE_INVALID_CONSTANT');
  const p = protocol.length;
  const expect = (at: number, ok: boolean, what: string, code: string) => {
    if (line.length > at ? !ok : ended && line.length === at) throw parseError(what, code);
  };
  if (line.length < p) {
    if (ended) throw parseError('Expected HTTP/, RTSP/ or ICE/', 'HPE_INVALID_CONSTANT');
    return 0;
  }
  expect(p, DIGIT.test(line[p] ?? ''), 'Invalid major version', 'HPE_INVALID_VERSION');
  expect(p + 1, line[p + 1] === '.', 'Expected dot', 'HPE_INVALID_VERSION');
  expect(p + 2, DIGIT.test(line[p + 2] ?? ''), 'Invalid minor version', 'HPE_INVALID_VERSION');
  if (line.length > p + 2 && !VERSIONS.has(line.slice(p, p + 3))) throw parseError('Invalid HTTP version', 'HPE_INVALID_VERSION');
  expect(p + 3, line[p + 3] === ' ', 'Expected space after version', 'HPE_INVALID_VERSION');
  for (let at = p + 4; at < p + 7; at++) expect(at, DIGIT.test(line[at] ?? ''), 'Invalid status code', 'HPE_INVALID_STATUS');
  if (line.length > p + 7 && line[p + 7] !== ' ') throw parseError('Invalid response status', 'HPE_INVALID_STATUS');
  return Math.max(0, line.length - (p + 8));
}

/** A header line (or its start), checked as llhttp does; returns its counted bytes (name and value). */
function checkHeaderLine(line: string, ended: boolean): number {
  if (line.startsWith(' ') || line.startsWith('\t'))
    throw parseError('Unexpected whitespace after header value', 'HPE_INVALID_HEADER_TOKEN');
  const colon = line.indexOf(':');
  const name = colon < 0 ? line : line.slice(0, colon);
  if (name.length > 0 && !TOKEN.test(name)) throw parseError('Invalid header token', 'HPE_INVALID_HEADER_TOKEN');
  if (colon < 0) {
    if (ended) throw parseError('Invalid header token', 'HPE_INVALID_HEADER_TOKEN');
    return name.length;
  }
  if (colon === 0) throw parseError('Invalid header token', 'HPE_INVALID_HEADER_TOKEN');
  const value = line.slice(colon + 1);
  if (name.length === 14 && name.toLowerCase() === 'content-length') {
    if (!LENGTH_VALUE.test(value)) throw parseError('Invalid character in Content-Length', 'HPE_INVALID_CONTENT_LENGTH');
    if (ended && !/[0-9]/.test(value)) throw parseError('Empty Content-Length', 'HPE_INVALID_CONTENT_LENGTH');
  } else if (BAD_VALUE_CHAR.test(value)) throw parseError('Invalid header value char', 'HPE_INVALID_HEADER_TOKEN');
  return name.length + value.replace(/^[\t ]+/, '').length;
}

function parseError(what: string, code: string): Error {
  return Object.assign(new Error(`Parse Error: ${what}`), { code });
}

/** node:http's error for a connection closed before the response head. */
function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** node:http's error for a connection closed inside the body. */
function abortedBody(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

/** A response: its head as received and its body as it arrives, buffered for one read. */
export class Http1Response {
  private chunks: Buffer[] = [];
  private size = 0;
  private complete = false;
  private failure: Error | undefined;
  private reader:
    | { maxBytes: number; resolve(value: { body: Buffer } | { tooLarge: true }): void; reject(error: unknown): void }
    | undefined;
  private tap: PassThrough | undefined;
  private given = false;

  constructor(
    readonly status: number,
    readonly statusText: string,
    /** Names and values as received, alternating (node's `rawHeaders`). */
    readonly rawHeaders: string[],
    private readonly connection: Connection,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The whole body, refused past `maxBytes` (the rest is never read); errors as a fetch body read. Once. */
  read(maxBytes: number): Promise<{ body: Buffer } | { tooLarge: true }> {
    if (this.given) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.given = true;
    if (this.size > maxBytes) {
      this.cancel();
      return Promise.resolve({ tooLarge: true });
    }
    if (this.complete) return Promise.resolve({ body: this.whole() });
    if (this.failure) return Promise.reject(this.failure);
    this.connection.resume();
    return new Promise((resolve, reject) => {
      this.reader = { maxBytes, resolve, reject };
    });
  }

  /** The body as a Node stream (for decoding a content coding); instead of `read`. */
  stream(): Readable {
    this.given = true;
    const tap = new PassThrough();
    this.tap = tap;
    for (const chunk of this.chunks) tap.write(chunk);
    this.chunks = [];
    if (this.complete) tap.end();
    else if (this.failure) tap.destroy(this.failure);
    else {
      this.connection.resume();
      tap.once('close', () => {
        if (!this.complete) this.cancel();
      });
    }
    return tap;
  }

  /** Gives the body up unread: a connection still receiving it is closed. */
  cancel(): void {
    if (this.complete || this.failure) return;
    this.fail(abortedBody());
    this.connection.destroy();
  }

  /** @internal */
  push(chunk: Buffer): void {
    if (this.tap) {
      // The stream's reader sets the pace: the connection waits while it is behind.
      if (!this.tap.write(chunk)) {
        this.connection.pause();
        this.tap.once('drain', () => this.connection.resume());
      }
      return;
    }
    this.size += chunk.byteLength;
    if (this.reader && this.size > this.reader.maxBytes) {
      const { resolve } = this.reader;
      this.reader = undefined;
      this.chunks = [];
      this.cancel();
      resolve({ tooLarge: true });
      return;
    }
    this.chunks.push(chunk);
    if (!this.given && this.size > UNREAD_HIGH_WATER) this.connection.pause();
  }

  /** @internal */
  end(): void {
    this.complete = true;
    if (this.tap) this.tap.end();
    else if (this.reader) {
      const { resolve } = this.reader;
      this.reader = undefined;
      resolve({ body: this.whole() });
    }
  }

  /** @internal An aborted signal's reason is what a read rejects with, as a fetch body read. */
  fail(error: Error): void {
    if (this.complete || this.failure) return;
    const reason = this.signal?.aborted ? this.signal.reason : error;
    this.failure = reason;
    if (this.tap) this.tap.destroy(error);
    else if (this.reader) {
      const { reject } = this.reader;
      this.reader = undefined;
      reject(reason);
    }
  }

  private whole(): Buffer {
    const chunks = this.chunks;
    this.chunks = [];
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size);
  }
}

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

/** One request in flight on a connection. */
interface Exchange {
  request: Http1Request;
  resolve(response: Http1Response): void;
  reject(error: unknown): void;
  response: Http1Response | undefined;
  phase: Phase;
  /** Bytes left of the body (`length`) or of the chunk (`chunk-data`); the trailers' bytes so far (`trailers`). */
  remaining: number;
  keepAlive: boolean;
  /** The server's keep-alive timeout hint, ms. */
  keepAliveHintMs: number | undefined;
  /** Our request asked for the connection to close. */
  closeAfter: boolean;
  /** Our request was written whole. */
  written: boolean;
  onAbort: (() => void) | undefined;
}

/** Hands the response up to `remaining` bytes of body from `data`; returns the rest. */
function takeBody(exchange: Exchange, data: Buffer): Buffer {
  const take = Math.min(exchange.remaining, data.byteLength);
  if (take > 0) exchange.response?.push(data.subarray(0, take));
  exchange.remaining -= take;
  return data.subarray(take);
}

/** A kept-alive TCP connection to one origin, one exchange at a time. */
class Connection {
  private pending: Buffer | undefined;
  private exchange: Exchange | undefined;
  private closed = false;
  idleSince = 0;
  idleLimitMs: number;

  constructor(
    private readonly pool: Http1Pool,
    readonly key: string,
    readonly socket: net.Socket,
    idleLimitMs: number,
  ) {
    this.idleLimitMs = idleLimitMs;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error) => this.onClose(error));
    socket.on('close', () => this.onClose(undefined));
  }

  send(request: Http1Request): Promise<Http1Response> {
    return new Promise<Http1Response>((resolve, reject) => {
      const exchange: Exchange = {
        request,
        resolve,
        reject,
        response: undefined,
        phase: 'head',
        remaining: 0,
        keepAlive: false,
        keepAliveHintMs: undefined,
        closeAfter: false,
        written: false,
        onAbort: undefined,
      };
      this.exchange = exchange;
      const { signal } = request;
      if (signal) {
        exchange.onAbort = () => {
          if (exchange.phase === 'head') {
            exchange.phase = 'done';
            reject(signal.reason);
          }
          this.destroy();
        };
        signal.addEventListener('abort', exchange.onAbort, { once: true });
      }
      if (HTTP1_CHANNELS.requestStart.hasSubscribers) HTTP1_CHANNELS.requestStart.publish({ request });
      const { headers, method } = request;
      let head = `${method} ${request.path} HTTP/1.1\r\n`;
      for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
      // As node:http: a caller's Host and Connection replace ours; a body-less request of a method
      // that may carry one says it is empty.
      if (headers.host === undefined) head += `Host: ${request.host}\r\n`;
      if (headers.connection === undefined) head += 'Connection: keep-alive\r\n';
      else exchange.closeAfter = /(?:^|,)\s*close\s*(?:,|$)/i.test(headers.connection);
      if (request.body === undefined && headers['content-length'] === undefined && !NO_BODY_METHODS.has(method))
        head += 'Content-Length: 0\r\n';
      head += '\r\n';
      const written = (error?: Error | null) => {
        if (error) return; // the socket's 'error' fails the exchange
        exchange.written = true;
        if (exchange.phase === 'done') this.settle(exchange);
      };
      const { body } = request;
      if (body === undefined) this.socket.write(head, 'latin1', written);
      else {
        this.socket.cork(); // head and body leave in one system call
        this.socket.write(head, 'latin1');
        if (typeof body === 'string') this.socket.write(body, 'utf8', written);
        else this.socket.write(body, written);
        this.socket.uncork();
      }
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.onClose(undefined);
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (!exchange || exchange.phase === 'done') {
      this.destroy(); // bytes nobody asked for: the connection cannot be trusted with another request
      return;
    }
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    try {
      data = this.parse(exchange, data);
    } catch (error) {
      this.fail(exchange, error as Error);
      this.destroy();
      return;
    }
    if (data.byteLength === 0) return;
    if ((exchange.phase as Phase) === 'done')
      this.destroy(); // more than the response: never reused
    else this.pending = data;
  }

  /** Consumes what it can of `data`; returns what is left for later (or past the response's end). */
  private parse(exchange: Exchange, input: Buffer): Buffer {
    let data = input;
    for (;;) {
      switch (exchange.phase) {
        case 'head': {
          // llhttp skips empty lines before a response (a stray CRLF after the last one).
          let skip = 0;
          while (data[skip] === 10 || (data[skip] === 13 && data[skip + 1] === 10)) skip += data[skip] === 13 ? 2 : 1;
          if (skip > 0) data = data.subarray(skip);
          if (data.byteLength === 0 || (data.byteLength === 1 && data[0] === 13)) return data;
          const end = data.indexOf(HEAD_END);
          // What has arrived is checked now, as llhttp checks each byte: a server that is no HTTP
          // server, or a head it refuses, fails at once instead of waiting for a CRLFCRLF.
          const lines = checkHead(data.toString('latin1', 0, end < 0 ? data.byteLength : end + 2), end >= 0);
          if (!lines) return data;
          data = data.subarray(end + 4);
          if (!this.readHead(exchange, lines)) continue; // an informational response: the real one follows
          break;
        }
        case 'length':
          data = takeBody(exchange, data);
          if (exchange.remaining > 0) return data;
          this.finish(exchange);
          return data;
        case 'chunk-size': {
          // (Inside a body every failure reads as node:http's "aborted"; only refusing the same bytes matters.)
          const end = data.indexOf(CRLF);
          if (end < 0 ? data.byteLength > MAX_HEAD_BYTES : end > MAX_HEAD_BYTES)
            throw parseError('Chunk extensions overflow', 'HPE_CHUNK_EXTENSIONS_OVERFLOW');
          if (end < 0) {
            if (!CHUNK_LINE_START.test(data.toString('latin1')))
              throw parseError('Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE');
            return data;
          }
          const match = CHUNK_SIZE.exec(data.toString('latin1', 0, end));
          if (!match) throw parseError('Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE');
          const digits = (match[1] as string).replace(/^0+(?=.)/, '');
          const size = digits.length > 13 ? Number.NaN : Number.parseInt(digits, 16);
          if (!Number.isSafeInteger(size)) throw parseError('Chunk size overflow', 'HPE_INVALID_CHUNK_SIZE');
          data = data.subarray(end + 2);
          exchange.phase = size === 0 ? 'trailers' : 'chunk-data';
          exchange.remaining = size;
          break;
        }
        case 'chunk-data':
          data = takeBody(exchange, data);
          if (exchange.remaining > 0) return data;
          exchange.phase = 'chunk-end';
          break;
        case 'chunk-end': {
          if ((data.byteLength > 0 && data[0] !== 13) || (data.byteLength > 1 && data[1] !== 10))
            throw parseError('Expected LF after chunk data', 'HPE_STRICT');
          if (data.byteLength < 2) return data;
          data = data.subarray(2);
          exchange.phase = 'chunk-size';
          break;
        }
        case 'trailers': {
          // Trailer lines are header lines (checked as they arrive), 16 KiB in all, never a framing header.
          const end = data.indexOf(CRLF);
          const line = data.toString('latin1', 0, end < 0 ? data.byteLength : end);
          // A CR that is the last byte so far may be followed by its LF in the next segment.
          const content = end < 0 && line.endsWith('\r') ? line.slice(0, -1) : line;
          if (/[\r\n]/.test(content)) throw parseError('Missing expected CR after header value', 'HPE_CR_EXPECTED');
          const counted = content.length > 0 ? checkHeaderLine(content, end >= 0) : 0;
          if (exchange.remaining + counted > MAX_HEAD_BYTES) throw parseError('Header overflow', 'HPE_HEADER_OVERFLOW');
          if (end < 0) return data;
          exchange.remaining += counted; // the trailers' bytes so far
          data = data.subarray(end + 2);
          if (line === '') {
            this.finish(exchange);
            return data;
          }
          if (/^(?:content-length|transfer-encoding):/i.test(line)) throw parseError('Invalid trailer', 'HPE_INVALID_HEADER_TOKEN');
          break;
        }
        case 'until-close':
          if (data.byteLength > 0) exchange.response?.push(data);
          return Buffer.alloc(0);
        case 'done':
          return data;
      }
    }
  }

  /** Reads a response head (already checked by `checkHead`); false for an informational one (skipped). */
  private readHead(exchange: Exchange, lines: string[]): boolean {
    const first = lines[0] as string;
    const at = first.indexOf('/') + 1;
    const version = first.slice(at, at + 3);
    const status = Number(first.slice(at + 4, at + 7));
    // A reason with control characters is refused after, as `new Response` refuses it (HttpTransport's checkHead).
    const statusText = first.slice(at + 8);
    const raw: string[] = [];
    let lengths: string | undefined;
    let transferEncoding: string | undefined;
    let connection = '';
    let keepAliveHint = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^[\t ]+|[\t ]+$/g, '');
      raw.push(name, value);
      switch (name.toLowerCase()) {
        case 'content-length':
          // Whichever of a length and a transfer coding comes second is refused (request smuggling), in llhttp's words.
          if (transferEncoding !== undefined)
            throw parseError("Content-Length can't be present with Transfer-Encoding", 'HPE_INVALID_CONTENT_LENGTH');
          if (lengths !== undefined) throw parseError('Duplicate Content-Length', 'HPE_UNEXPECTED_CONTENT_LENGTH');
          lengths = value;
          break;
        case 'transfer-encoding':
          if (lengths !== undefined)
            throw parseError("Transfer-Encoding can't be present with Content-Length", 'HPE_INVALID_TRANSFER_ENCODING');
          transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          break;
        case 'connection':
          connection += `,${value.toLowerCase()}`;
          break;
        case 'keep-alive':
          keepAliveHint = value;
          break;
      }
    }
    // A 101 is read as a bodiless response, which HttpTransport's checkHead then refuses as node:http's path does.
    if (status >= 100 && status < 200 && status !== 101) return false;
    const tokens = connection.split(',').map((token) => token.trim());
    exchange.keepAlive = version === '1.1' ? !tokens.includes('close') : tokens.includes('keep-alive');
    const hint = /(?:^|[\s,])timeout=(\d+)/.exec(keepAliveHint);
    exchange.keepAliveHintMs = hint ? Number(hint[1]) * 1000 : undefined;
    // A request that said `connection: close` gets a connection that is not kept, as with node:http.
    if (exchange.closeAfter) exchange.keepAlive = false;
    const response = new Http1Response(status, statusText, raw, this, exchange.request.signal);
    exchange.response = response;
    const nullBody = exchange.request.method === 'HEAD' || status === 101 || status === 204 || status === 304;
    if (nullBody) exchange.phase = 'done';
    else if (transferEncoding !== undefined) {
      const codings = transferEncoding.toLowerCase().split(',');
      if ((codings[codings.length - 1] as string).trim() === 'chunked') exchange.phase = 'chunk-size';
      else {
        exchange.phase = 'until-close';
        exchange.keepAlive = false;
      }
    } else if (lengths !== undefined) {
      exchange.remaining = Number(lengths);
      if (!Number.isSafeInteger(exchange.remaining)) throw parseError('Content-Length overflow', 'HPE_INVALID_CONTENT_LENGTH');
      exchange.phase = exchange.remaining === 0 ? 'done' : 'length';
    } else {
      exchange.phase = 'until-close';
      exchange.keepAlive = false;
    }
    exchange.resolve(response);
    if (exchange.phase === 'done') this.finish(exchange);
    return true;
  }

  /** The response's body is complete. */
  private finish(exchange: Exchange): void {
    exchange.phase = 'done';
    exchange.response?.end();
    if (HTTP1_CHANNELS.responseFinish.hasSubscribers) HTTP1_CHANNELS.responseFinish.publish({ request: exchange.request });
    this.settle(exchange);
  }

  /** Once the response is complete and our request written: the connection goes back to the pool, or closes. */
  private settle(exchange: Exchange): void {
    if (exchange.phase !== 'done' || !exchange.written || this.exchange !== exchange) return;
    if (exchange.onAbort) exchange.request.signal?.removeEventListener('abort', exchange.onAbort);
    this.exchange = undefined;
    // A server's keep-alive hint, less a second (`timeout=0` or 1: not kept at all).
    const hintMs = exchange.keepAliveHintMs === undefined ? Number.POSITIVE_INFINITY : exchange.keepAliveHintMs - 1000;
    if (!exchange.keepAlive || hintMs <= 0 || this.pending || this.closed) {
      this.destroy();
      return;
    }
    this.idleLimitMs = Math.min(this.idleLimitMs, hintMs);
    this.resume(); // a body buffered past the high-water mark paused it
    this.pool.release(this);
  }

  /** As node:http: the error itself before the head; inside the body, whatever broke it, "aborted". */
  private fail(exchange: Exchange, error: Error): void {
    if (exchange.onAbort) exchange.request.signal?.removeEventListener('abort', exchange.onAbort);
    if (exchange.phase === 'head') exchange.reject(error);
    else exchange.response?.fail(abortedBody());
    exchange.phase = 'done';
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange?.phase === 'until-close') this.finish(exchange);
    // The server closed its side: an idle connection leaves the pool now, not at the 'close' that follows.
    else if (!exchange) this.destroy();
  }

  private onClose(error: Error | undefined): void {
    const exchange = this.exchange;
    if (exchange && exchange.phase !== 'done') {
      // A body that ends with the connection ends however the connection ends (node:http finishes its parser on errors too).
      if (exchange.phase === 'until-close') this.finish(exchange);
      else this.fail(exchange, error ?? hangUp());
    }
    if (this.closed) return;
    this.closed = true;
    this.exchange = undefined;
    this.pending = undefined;
    this.pool.forget(this);
    this.socket.destroy();
  }
}

/** Kept-alive connections per origin (`hostname:port`), the last used first. */
export class Http1Pool {
  private readonly idle = new Map<string, Connection[]>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly idleTimeoutMs: number) {}

  /** Sends a request; resolves once the response head arrived (the body keeps arriving). */
  exchange(request: Http1Request): Promise<Http1Response> {
    const key = `${request.hostname}:${request.port}`;
    return this.connection(key, request).send(request);
  }

  /** Closes the idle connections; those in flight close once their response is read. */
  close(): void {
    this.closed = true;
    for (const connections of this.idle.values()) for (const connection of [...connections]) connection.destroy();
    this.idle.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** @internal */
  release(connection: Connection): void {
    if (this.closed) {
      connection.destroy();
      return;
    }
    connection.idleSince = performance.now();
    connection.socket.unref();
    let connections = this.idle.get(connection.key);
    if (!connections) this.idle.set(connection.key, (connections = []));
    connections.push(connection);
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.idleTimeoutMs)).unref();
  }

  /** @internal A closed connection leaves the idle list. */
  forget(connection: Connection): void {
    const connections = this.idle.get(connection.key);
    const at = connections?.indexOf(connection) ?? -1;
    if (connections && at >= 0) connections.splice(at, 1);
  }

  private connection(key: string, request: Http1Request): Connection {
    const connections = this.idle.get(key);
    const now = performance.now();
    while (connections && connections.length > 0) {
      const connection = connections.pop() as Connection;
      // The sweeper closes expired connections once a second; this covers the time between sweeps.
      if (now - connection.idleSince < connection.idleLimitMs) {
        connection.socket.ref();
        return connection;
      }
      connection.destroy();
    }
    const socket = net.connect({ host: request.hostname, port: request.port });
    return new Connection(this, key, socket, this.idleTimeoutMs);
  }

  private sweep(): void {
    const now = performance.now();
    let left = 0;
    for (const connections of this.idle.values()) {
      for (const connection of [...connections]) if (now - connection.idleSince >= connection.idleLimitMs) connection.destroy();
      left += connections.length;
    }
    if (left === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
