/**
 * The `Response` a model session hands the AI SDK: a real `Response` (status, statusText, headers,
 * `instanceof Response`, every method) whose body, already whole in memory, is given without
 * building a WHATWG stream unless a caller needs one. On Node 20 every `ReadableStream` costs a
 * `makeTransferable` (a C++ object, a dictionary-mode copy and a weak handle for the GC), the
 * largest single item of a model call's CPU after the SDK itself (bench/model-latency.ts profile).
 *
 * The fast paths are what the SDK's JSON handlers do: `body.getReader()` then `read()` until done,
 * `cancel()`, `releaseLock()` (provider-utils `readResponseWithSizeLimit`), and `text()`, `json()`,
 * `arrayBuffer()`, `bytes()`, `clone()`. Anything else (`pipeThrough`, `tee`, `pipeTo`, async
 * iteration, a BYOB reader, `reader.closed`, `blob()`, `formData()`...) turns the reply into the
 * plain `Response` the session built before (`new Response(text, init)`), in the same state (locked,
 * read, cancelled), and forwards to it from then on, so callers see what that Response shows.
 * A fast `text()`, `json()`, `arrayBuffer()` or `bytes()` consumes the body as undici's does (it
 * reads the stream through a reader it keeps): `body.locked` is then true, and any use of the body
 * as a stream (`getReader()`, `cancel()`, `tee()`...) fails on the plain Response's locked stream.
 * The one difference left: `response.body` is not `instanceof ReadableStream` until then.
 */

/** The body bytes of a text, as `new Response(text)` streams them. */
const encoder = new TextEncoder();

interface ReplyInit {
  status: number;
  statusText: string;
  headers?: HeadersInit;
}

export class ReplyResponse extends Response {
  readonly #text: string;
  readonly #body: ReplyBody;
  /** The plain Response this one became (see `plain`). */
  #plain: Response | undefined;

  /**
   * A response with `text` as its body. `addHeaders` fills its headers in place (no second Headers
   * to copy from); then, as `new Response(text, init)`, a body without a declared type is text/plain.
   */
  constructor(text: string, init: ReplyInit, addHeaders?: (headers: Headers) => void) {
    super(null, init);
    addHeaders?.(this.headers);
    if (!this.headers.has('content-type')) this.headers.set('content-type', 'text/plain;charset=UTF-8');
    this.#text = text;
    this.#body = new ReplyBody(this);
  }

  /** Its status and headers as they are now, for a Response that stands for it. */
  private init(): ReplyInit {
    return { status: this.status, statusText: this.statusText, headers: this.headers };
  }

  /** The Response this reply stands for, built once, in the state the fast paths left it in. */
  plain(): Response {
    if (this.#plain) return this.#plain;
    const plain = new Response(this.#text, this.init());
    const body = this.#body;
    const stream = plain.body as ReadableStream<Uint8Array>;
    if (body.consumed) {
      // Read by a fast path: locked by a reader no caller holds, and read (as undici's consume body).
      void stream
        .getReader()
        .cancel()
        .catch(() => undefined);
    } else if (body.reader) {
      // Locked by a fast reader: the stream is locked by a real reader that takes over.
      const reader = stream.getReader();
      if (body.disturbed) void reader.cancel().catch(() => undefined);
      body.reader.forwardTo(reader);
    } else if (body.disturbed) void stream.cancel().catch(() => undefined);
    this.#plain = plain;
    return plain;
  }

  /** The body bytes, once (the fast paths). */
  bytesOnce(): Uint8Array {
    return encoder.encode(this.#text);
  }

  get hasBody(): boolean {
    return this.#text.length > 0;
  }

  override get body(): Response['body'] {
    if (this.#plain) return this.#plain.body;
    return this.#body as unknown as Response['body'];
  }

  override get bodyUsed(): boolean {
    return this.#plain ? this.#plain.bodyUsed : this.#body.disturbed;
  }

  override text(): Promise<string> {
    if (this.#plain) return this.#plain.text();
    // A lone surrogate becomes U+FFFD through the bytes: the plain Response decodes it (never on the SDK's path).
    if (!this.#body.usable() || !wellFormed(this.#text)) return this.plain().text();
    this.#body.consume();
    // As `Response.text()`: UTF-8 decoded without a leading byte order mark.
    return Promise.resolve(this.#text.charCodeAt(0) === 0xfeff ? this.#text.slice(1) : this.#text);
  }

  override async json(): Promise<unknown> {
    if (this.#plain || !this.#body.usable()) return this.plain().json();
    return JSON.parse(await this.text());
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#plain || !this.#body.usable()) return this.plain().arrayBuffer();
    this.#body.consume();
    return Promise.resolve(this.bytesOnce().buffer as ArrayBuffer);
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#plain || !this.#body.usable()) return this.plain().bytes();
    this.#body.consume();
    return Promise.resolve(this.bytesOnce() as Uint8Array<ArrayBuffer>);
  }

  override blob(): Promise<Blob> {
    return this.plain().blob();
  }

  override formData(): Promise<FormData> {
    return this.plain().formData();
  }

  override clone(): Response {
    if (this.#plain || !this.#body.usable()) return this.plain().clone();
    return new ReplyResponse(this.#text, this.init());
  }
}

/** True when the text has no lone surrogate (`String.prototype.isWellFormed`, Node 20+; not in the ES2023 lib types). */
function wellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The body of a `ReplyResponse` before it needs a stream: one chunk, read through `getReader()`. */
class ReplyBody {
  disturbed = false;
  /** Read whole by a fast path (`text()`...): locked for good by a reader no caller holds. */
  consumed = false;
  /** The chunk was given (or the body cancelled): reads are done. */
  done = false;
  /** The fast reader holding the lock, if any. */
  reader: ReplyReader | undefined;

  readonly #response: ReplyResponse;

  constructor(response: ReplyResponse) {
    this.#response = response;
    // An empty body has no chunk: the first read is the end (as `new Response('')`).
    this.done = !response.hasBody;
  }

  /** A fast path read it all: disturbed, done and locked, as the stream undici's `text()` read. */
  consume(): void {
    this.consumed = true;
    this.disturbed = true;
    this.done = true;
  }

  /** Not locked and not read: `text()` and the others may take it. */
  usable(): boolean {
    return !this.disturbed && this.reader === undefined;
  }

  get locked(): boolean {
    return this.consumed || this.reader !== undefined;
  }

  getReader(options?: { mode?: 'byob' }): ReadableStreamReader<Uint8Array> {
    if (options?.mode !== undefined || this.locked) return this.stream().getReader(options as { mode: 'byob' });
    this.reader = new ReplyReader(this, this.#response);
    return this.reader as unknown as ReadableStreamDefaultReader<Uint8Array>;
  }

  cancel(reason?: unknown): Promise<void> {
    if (this.locked) return this.stream().cancel(reason);
    this.disturbed = true;
    this.done = true;
    return Promise.resolve();
  }

  pipeThrough<T>(transform: ReadableWritablePair<T, Uint8Array>, options?: StreamPipeOptions): ReadableStream<T> {
    return this.stream().pipeThrough(transform, options);
  }

  pipeTo(destination: WritableStream<Uint8Array>, options?: StreamPipeOptions): Promise<void> {
    return this.stream().pipeTo(destination, options);
  }

  tee(): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
    return this.stream().tee();
  }

  values(options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array> {
    return (this.stream() as unknown as { values(o?: unknown): AsyncIterableIterator<Uint8Array> }).values(options);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this.values();
  }

  /** The real stream, from the plain Response (built in this body's state). */
  private stream(): ReadableStream<Uint8Array> {
    return this.#response.plain().body as ReadableStream<Uint8Array>;
  }
}

/** The reader of a `ReplyBody`: the one chunk, then the end; a real reader once the body became a stream. */
class ReplyReader {
  private real: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private released = false;

  constructor(
    private readonly body: ReplyBody,
    private readonly response: ReplyResponse,
  ) {}

  /** From now on every call goes to `reader` (the plain Response's stream, locked in this reader's state). */
  forwardTo(reader: ReadableStreamDefaultReader<Uint8Array>): void {
    this.real = reader;
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.real) return this.real.read();
    if (this.released) return this.detached().read();
    this.body.disturbed = true;
    if (this.body.done) return Promise.resolve({ done: true, value: undefined });
    this.body.done = true;
    return Promise.resolve({ done: false, value: this.response.bytesOnce() });
  }

  cancel(reason?: unknown): Promise<void> {
    if (this.real) return this.real.cancel(reason);
    if (this.released) return this.detached().cancel(reason);
    this.body.disturbed = true;
    this.body.done = true;
    return Promise.resolve();
  }

  releaseLock(): void {
    if (this.real) {
      this.real.releaseLock();
      return;
    }
    if (this.released) return;
    this.released = true;
    this.body.reader = undefined;
  }

  get closed(): Promise<void> {
    if (!this.real && !this.released) this.response.plain();
    return (this.real ?? this.detached()).closed;
  }

  /** A released reader answers as a real one does (its errors), without touching the body. */
  private detached(): ReadableStreamDefaultReader<Uint8Array> {
    const reader = new ReadableStream<Uint8Array>().getReader();
    reader.releaseLock();
    return reader;
  }
}
