import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Message } from '@ai-sdk/provider';
import { embedMany, generateText, type EmbeddingModel, type LanguageModel, type ModelMessage, type ToolSet } from 'ai';
import { GroundworkError } from '../errors.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Usage } from '../schema/trajectory.ts';
import { bodyHash, cassetteKey, type Cassette, type CassetteStore } from './cassette.ts';
import type { ResolvedModel } from './model-config.ts';
import { chatCompletionsBody, readChatCompletion, type ChatCompletionsWire } from './chat-completions-wire.ts';
import { directCallOptions, languageModelPrompt, readDirectResult, type DirectResult, type PreparedTools } from './direct-call.ts';
import type { ModelAdmission } from './model-limiter.ts';
import { readTransportBody, type TransportReply } from './http-transport.ts';
import { ReplyResponse } from './reply-response.ts';
import { classifyFailure, retryDelay, type AttemptFailure, type RetryOptions } from './retry.ts';
import type { SecretRedactor } from './secrets.ts';
import { costUsd } from './usage.ts';

/** Who is calling: part of every cassette key. */
export interface ModelCallContext {
  /** `agent`, `user`, `judge`... Usage is reported under this role. */
  role: string;
  /** Trial number of the episode (repeated trials are recorded separately). */
  trial: number;
  /** Seed of the episode (distinguishes tasks whose requests look alike). */
  seed: number;
}

/** One model request: what `generateText` is given. */
export interface ModelRequest {
  system?: string;
  messages: ModelMessage[];
  /** Tools WITHOUT `execute`: calls are returned raw, never run or repaired by the SDK. */
  tools?: ToolSet;
  /** @default the model's configured temperature, else the provider's default */
  temperature?: number;
  /** @default the model's configured maxTokens, else the provider's default (Anthropic: 4096) */
  maxOutputTokens?: number;
}

/** A tool call exactly as the model produced it. */
export interface RawToolCall {
  id: string;
  name: string;
  /** Parsed JSON arguments, or the raw string when they were not valid JSON. */
  arguments: JsonValue | string;
  /** The SDK could not parse it (unknown tool, invalid JSON). Executed anyway, as an error result. */
  invalid: boolean;
}

/** What a model call gave. */
export interface ModelResponse {
  text: string;
  toolCalls: RawToolCall[];
  /** `stop`, `tool-calls`, `length`, `content-filter`, `error`, `other`. */
  finishReason: string;
  /** This call's usage (calls = 1; latency includes retries and waits). */
  usage: Usage;
  /** Attempts made (1 when the first succeeded). */
  attempts: number;
}

/** What an embedding call gave: one vector per input text, in order. */
export interface EmbeddingResponse {
  vectors: number[][];
  /** This call's usage (calls = 1, output tokens 0; latency includes retries and waits). */
  usage: Usage;
  /** Attempts made (1 when the first succeeded). */
  attempts: number;
}

/** Something that happened in a model call, for logs. Never contains a key. */
export type ModelEvent =
  | { type: 'retry'; model: string; role: string; trial: number; attempt: number; delayMs: number; reason: string }
  | { type: 'failure'; model: string; role: string; trial: number; attempts: number; reason: string };

/**
 * How a session's requests reach its fetch through the model's one shared provider object: each
 * call carries this header with the session's route id; the hub's fetch reads it, strips it (the
 * server never sees it) and hands the request to that session's fetch (cassettes, reply cap,
 * redaction). Internal.
 */
export const CALL_ROUTE_HEADER = 'x-groundwork-route';

/** The hub's table of sessions with a call in progress, by route id. Internal. */
export interface CallRoutes {
  open(id: string, fetch: typeof globalThis.fetch): void;
  close(id: string): void;
}

/** What a session needs from its hub. Internal. */
export interface SessionDependencies {
  model: ResolvedModel;
  context: ModelCallContext;
  /** The model's AI SDK language model, shared by every session of the model (fetch routed by `routes`). */
  languageModel: LanguageModel;
  /** The model's AI SDK embedding model, shared likewise (embedding sessions only). */
  embeddingModel?: () => EmbeddingModel;
  /** This session's route id (unique in the hub). */
  routeId: string;
  routes: CallRoutes;
  /** The headers `generateText` sends (its user agent), with the route header added per call. */
  sdkHeaders: () => Promise<Record<string, string>>;
  /** A tool set prepared for the provider, once per tool set (undefined: the SDK path handles it). */
  preparedTools: (tools: ToolSet) => Promise<PreparedTools | undefined>;
  /** The model's chat-completions wire, checked against its provider (undefined: the provider's doGenerate sends every call). */
  chatWire?: () => Promise<ChatCompletionsWire | undefined>;
  baseFetch: typeof globalThis.fetch;
  /**
   * The hub's own transport's `exchange`, when `baseFetch` is that transport's fetch: the reply
   * without the Response fetch would build (this session builds the one the SDK reads anyway).
   */
  baseExchange?: (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) => Promise<TransportReply> | undefined;
  limiter: ModelAdmission;
  redactor: SecretRedactor;
  mode: 'live' | 'record' | 'replay';
  cassettes?: CassetteStore;
  retry: RetryOptions;
  onEvent?: (event: ModelEvent) => void;
  random: () => number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

interface CallState {
  /** Occurrence number assigned to each request body in this logical call (stable across retries). */
  occurrences: Map<string, number>;
  /** Latency of the replayed answer. */
  replayedLatencyMs?: number;
  /** The readable answers of this attempt (one per HTTP request), saved once the call succeeds (record mode). */
  pending: Cassette[];
  /**
   * What the wire's request got (a reply or the error it threw), left to the provider: its
   * doGenerate's request gets that instead of being sent again.
   */
  prefetched?: { response: Response } | { error: unknown };
}

/** A request as the provider's doGenerate takes it; no prompt: through generateText instead. */
interface DirectPlan {
  prompt?: LanguageModelV3Message[];
  prepared?: PreparedTools;
}

/** What one successful attempt gave, before accounting. */
interface AttemptResult<T> {
  value: T;
  inputTokens: number;
  outputTokens: number;
}

/**
 * One participant's connection to a model for one episode: retries with backoff and jitter
 * (Retry-After honoured), a per-attempt timeout, the run-wide limiter, accounting, and
 * record/replay at the HTTP level (a custom fetch inside the provider, so the SDK behaves exactly
 * as against the real service). Calls are serialised.
 */
export class ModelSession {
  readonly model: ResolvedModel;
  readonly context: ModelCallContext;
  private readonly deps: SessionDependencies;
  private readonly languageModel: LanguageModel;
  /** Headers of this session's calls: the SDK's, plus the route to this session. */
  private headers: Record<string, string> | undefined;
  /** Identical requests seen in this session, by body hash (replays a repeated request in order). */
  private readonly seen = new Map<string, number>();
  private current: CallState | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deps: SessionDependencies) {
    this.deps = deps;
    this.model = deps.model;
    this.context = deps.context;
    this.languageModel = deps.languageModel;
  }

  /** Facts about the model for the episode record (no key, base URL without credentials). */
  describe(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {
      model: this.deps.redactor.redact(this.model.name),
      provider: this.model.provider,
      modelId: this.deps.redactor.redact(this.model.model),
      baseURL: this.deps.redactor.redactUrl(this.model.baseURL),
    };
    if (this.deps.mode !== 'live') out.cassettes = this.deps.mode;
    return out;
  }

  /**
   * Calls the model once (with retries). Throws GroundworkError PROVIDER_FAILED when every attempt
   * failed or the failure cannot be retried, REPLAY_MISS when replaying an unrecorded request.
   */
  generate(request: ModelRequest): Promise<ModelResponse> {
    const run = this.queue.then(() => this.generateNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Embeds texts once (with retries, through the same limiter, accounting and cassettes as
   * `generate`). Only sessions built by `ModelHub.embedder` can embed. Throws like `generate`.
   */
  embed(texts: readonly string[]): Promise<EmbeddingResponse> {
    const run = this.queue.then(() => this.embedNow(texts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async embedNow(texts: readonly string[]): Promise<EmbeddingResponse> {
    if (!this.deps.embeddingModel)
      throw new GroundworkError('INVALID_ARGUMENT', `${this.model.name} was opened as a chat model`, {
        hint: 'use ModelHub.embedder() for embeddings',
      });
    const model = this.deps.embeddingModel();
    const headers = { [CALL_ROUTE_HEADER]: this.deps.routeId };
    const { value, usage, attempts } = await this.call(async (abortSignal) => {
      // One request at a time, so recorded requests keep their order; no SDK retries (ours count).
      const result = await embedMany({ model, values: [...texts], maxRetries: 0, maxParallelCalls: 1, abortSignal, headers });
      if (result.embeddings.length !== texts.length)
        throw new TypeError(`expected ${texts.length} embeddings, got ${result.embeddings.length}`);
      return { value: result.embeddings.map((vector) => [...vector]), inputTokens: result.usage?.tokens ?? 0, outputTokens: 0 };
    });
    return { vectors: value, usage, attempts };
  }

  private async generateNow(request: ModelRequest): Promise<ModelResponse> {
    const { model } = this;
    const temperature = request.temperature ?? model.temperature;
    const maxOutputTokens = request.maxOutputTokens ?? model.maxTokens ?? (model.provider === 'anthropic' ? 4096 : undefined);
    const tools = request.tools && Object.keys(request.tools).length ? request.tools : undefined;
    // The direct path: the provider's doGenerate with the call options generateText would build,
    // prepared once per call (not per attempt). Inside the attempt, so a prompt the SDK would
    // refuse fails the same way it did inside generateText.
    let plan: Promise<DirectPlan> | undefined;
    const { value, usage, attempts } = await this.call(async (abortSignal) => {
      plan ??= this.directPlan(request, tools);
      const { prompt, prepared } = await plan;
      const options = prompt
        ? directCallOptions(prompt, prepared, { temperature, maxOutputTokens }, this.headers!, abortSignal)
        : undefined;
      const wire = options && (await this.deps.chatWire?.());
      const result = options
        ? wire
          ? await this.generateOnWire(wire, options, prepared, tools, { temperature, maxOutputTokens })
          : await readDirectResult(await (this.languageModel as LanguageModelV3).doGenerate(options), tools)
        : await this.generateWithSdk(request, tools, temperature, maxOutputTokens, abortSignal);
      // The reply body was redacted in `fetch`; this catches what the SDK decoded from it (a key
      // escaped inside tool-call arguments), so no trajectory, report or export ever holds one.
      const { redactor } = this.deps;
      const value = {
        text: redactor.redact(result.text ?? ''),
        toolCalls: result.toolCalls.map((toolCall): RawToolCall => {
          const invalid = (toolCall as { invalid?: boolean }).invalid === true;
          const input = toolCall.input as JsonValue | string | undefined;
          return {
            id: redactor.redact(toolCall.toolCallId),
            name: redactor.redact(toolCall.toolName),
            arguments: input === undefined ? {} : redactor.redactJson(input),
            invalid,
          };
        }),
        finishReason: result.finishReason as string,
      };
      return { value, inputTokens: result.inputTokens ?? 0, outputTokens: result.outputTokens ?? 0 };
    });
    return { ...value, usage, attempts };
  }

  /**
   * A direct call on the model's chat-completions wire: the body the provider would send, through
   * this session's fetch (cassettes, cap, redaction), and a plain 200 answer read as the provider
   * reads it. Anything else (an error status, an answer outside the plain shapes, a prompt the wire
   * does not build) goes to the provider's doGenerate, which gets this reply rather than sending
   * the request again, so it is classified exactly as before.
   */
  private async generateOnWire(
    wire: ChatCompletionsWire,
    options: LanguageModelV3CallOptions,
    prepared: PreparedTools | undefined,
    tools: ToolSet | undefined,
    settings: { temperature?: number; maxOutputTokens?: number },
  ): Promise<DirectResult> {
    const provider = this.languageModel as LanguageModelV3;
    const body = chatCompletionsBody(wire.modelId, options.prompt, prepared, settings, wire.toolsJson, wire.stringsJson);
    if (body === undefined) return readDirectResult(await provider.doGenerate(options), tools);
    let prefetched: NonNullable<CallState['prefetched']>;
    try {
      // Headers copied per request, as the provider builds them per call (a fetch may change what it is given).
      const init = { method: 'POST', headers: { ...wire.headers }, body, signal: options.abortSignal };
      const exchanged = this.liveExchange(wire.url, init);
      if (exchanged) {
        // Live over the transport's bare exchange: the reply read and redacted as `fetch` reads it,
        // and a Response built only for the provider (an error status, an answer the wire does not read).
        const reply = await exchanged;
        const text = await this.readTransportText(reply, this.maxReplyBytes());
        const read = reply.status === 200 ? readChatCompletion(text) : undefined;
        if (read) return readDirectResult(read, tools);
        prefetched = { response: transportResponse(reply, text) };
      } else {
        const response = await this.fetch(wire.url, init);
        prefetched = { response };
        if (response.status === 200) {
          const text = await response.text();
          const read = readChatCompletion(text);
          if (read) return readDirectResult(read, tools);
          prefetched = {
            response: new ReplyResponse(text, { status: response.status, statusText: response.statusText, headers: response.headers }),
          };
        }
      }
    } catch (error) {
      // A refused connection, a timeout, a reply over the cap: the provider wraps it as it always has.
      prefetched = { error };
    }
    const call = this.current!;
    call.prefetched = prefetched;
    try {
      return await readDirectResult(await provider.doGenerate(options), tools);
    } finally {
      call.prefetched = undefined;
    }
  }

  /** The provider prompt and tools of a request, or no prompt when the SDK's own path must take it. */
  private async directPlan(request: ModelRequest, tools: ToolSet | undefined): Promise<DirectPlan> {
    this.headers ??= { ...(await this.deps.sdkHeaders()), [CALL_ROUTE_HEADER]: this.deps.routeId };
    const prompt = languageModelPrompt(request.system, request.messages);
    if (!prompt || !tools) return { prompt };
    const prepared = await this.deps.preparedTools(tools);
    return prepared ? { prompt, prepared } : {};
  }

  /** The AI SDK's own path (it validates the messages), for requests outside the direct path's shapes. */
  private async generateWithSdk(
    request: ModelRequest,
    tools: ToolSet | undefined,
    temperature: number | undefined,
    maxOutputTokens: number | undefined,
    abortSignal: AbortSignal,
  ) {
    const result = await generateText({
      model: this.languageModel,
      ...(request.system !== undefined ? { system: request.system } : {}),
      messages: request.messages,
      ...(tools ? { tools } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
      maxRetries: 0,
      abortSignal,
      headers: { [CALL_ROUTE_HEADER]: this.deps.routeId },
    });
    return {
      text: result.text,
      toolCalls: result.toolCalls,
      finishReason: result.finishReason as string,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
    };
  }

  /**
   * One logical call: attempts with the limiter, a per-attempt timeout, retries with backoff,
   * cassettes saved once it succeeds, and usage (latency over the whole call).
   */
  private async call<T>(
    attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  ): Promise<{ value: T; usage: Usage; attempts: number }> {
    const { model, deps } = this;
    const replay = deps.mode === 'replay';
    const maxRetries = replay ? 0 : model.limits.maxRetries;
    const call: CallState = { occurrences: new Map(), pending: [] };
    this.current = call;
    const started = deps.now();
    let failure: AttemptFailure | undefined;
    try {
      for (let tried = 0; ; tried++) {
        const release = replay ? () => {} : await deps.limiter.acquire();
        deps.routes.open(deps.routeId, this.fetch);
        call.pending = [];
        const controller = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          controller.abort(new DOMException(`model call timed out after ${model.limits.timeoutMs} ms`, 'TimeoutError'));
        }, model.limits.timeoutMs);
        try {
          const { value, inputTokens, outputTokens } = await attempt(controller.signal);
          const latencyMs = replay ? (call.replayedLatencyMs ?? 0) : Math.max(0, deps.now() - started);
          if (deps.cassettes) {
            for (const pending of call.pending) {
              // The whole call's latency (retries included), so a replay reports the same usage.
              pending.response.latencyMs = latencyMs;
              try {
                await deps.cassettes.save(pending);
              } catch (error) {
                throw new GroundworkError('STORE_FAILED', `cannot write cassette in ${deps.cassettes.dir}: ${(error as Error).message}`);
              }
            }
          }
          return {
            value,
            usage: { calls: 1, inputTokens, outputTokens, costUsd: costUsd(model.pricePerMillion, inputTokens, outputTokens), latencyMs },
            attempts: tried + 1,
          };
        } catch (error) {
          if (GroundworkError.isInstance(error) && error.code !== 'PROVIDER_FAILED') throw error;
          failure = classifyFailure(error, timedOut ? { timeoutMs: model.limits.timeoutMs } : undefined);
          if (failure.status === 429 && failure.retryAfterMs !== undefined)
            deps.limiter.pause(Math.min(failure.retryAfterMs, deps.retry.maxRetryAfterMs));
        } finally {
          clearTimeout(timer);
          deps.routes.close(deps.routeId);
          release();
        }
        if (!failure.retryable || tried >= maxRetries) {
          const reason = deps.redactor.redact(failure.reason);
          deps.onEvent?.({
            type: 'failure',
            model: model.name,
            role: this.context.role,
            trial: this.context.trial,
            attempts: tried + 1,
            reason,
          });
          throw new GroundworkError(
            'PROVIDER_FAILED',
            `${model.name} (${this.context.role}): ${reason}${tried > 0 ? ` after ${tried + 1} attempts` : ''}`,
            {
              hint:
                failure.hint ??
                (failure.retryable
                  ? 'the provider kept failing; re-run the infra_error episodes later'
                  : 'check the model name, base URL and API key'),
            },
          );
        }
        const delayMs = retryDelay(tried, failure, deps.retry, deps.random);
        deps.onEvent?.({
          type: 'retry',
          model: model.name,
          role: this.context.role,
          trial: this.context.trial,
          attempt: tried + 1,
          delayMs,
          reason: deps.redactor.redact(failure.reason),
        });
        await deps.sleep(delayMs);
      }
    } finally {
      this.current = undefined;
    }
  }

  /**
   * The fetch given to the provider. In every mode the reply is read with the size cap and
   * redacted before the SDK sees it, so live, recorded and replayed runs decode the same text and
   * nothing downstream can hold a key. Record mode saves that redacted reply; replay answers from it.
   */
  private readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const { deps } = this;
    // The reply the wire already received for this request (see generateOnWire).
    const prefetched = this.current?.prefetched;
    if (prefetched) {
      this.current!.prefetched = undefined;
      if ('error' in prefetched) throw prefetched.error;
      return prefetched.response;
    }
    const maxBytes = this.maxReplyBytes();
    const store = deps.cassettes;
    if (this.sendsLive() || !store) return this.request(input, init, maxBytes);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const bodyText = typeof init?.body === 'string' ? init.body : '';
    let rawBody: JsonValue;
    try {
      rawBody = bodyText ? (JSON.parse(bodyText) as JsonValue) : null;
    } catch {
      rawBody = bodyText;
    }
    // Keyed by the redacted request: what a cassette holds, whichever keys the replaying env knows.
    const body = deps.redactor.redactJson(rawBody);
    const call = this.current ?? { occurrences: new Map<string, number>(), pending: [] };
    const hash = bodyHash(body);
    let occurrence = call.occurrences.get(hash);
    if (occurrence === undefined) {
      occurrence = this.seen.get(hash) ?? 0;
      this.seen.set(hash, occurrence + 1);
      call.occurrences.set(hash, occurrence);
    }
    const { role, trial, seed } = this.context;
    const key = cassetteKey({ model: this.model.name, provider: this.model.provider, body, role, trial, seed, occurrence });

    if (deps.mode === 'replay') {
      const cassette = await store.load(role, trial, key);
      if (!cassette) {
        throw new GroundworkError(
          'REPLAY_MISS',
          `replay: no recorded answer for this ${role} request to ${deps.redactor.redact(this.model.name)} (trial ${trial}, key ${key}) in ${store.dir}`,
          {
            hint: 'the run differs from the recording (model, prompt, tools, seed or trials); record it again with --record',
          },
        );
      }
      call.replayedLatencyMs = cassette.response.latencyMs;
      return this.readReply(
        new Response(cassette.response.body, {
          status: cassette.response.status,
          headers: { 'content-type': cassette.response.contentType ?? 'application/json' },
        }),
        maxBytes,
      );
    }

    const response = await this.request(input, init, maxBytes);
    if (!response.ok) return response;
    const text = await response.clone().text();
    const contentType = response.headers.get('content-type') ?? undefined;
    call.pending.push({
      version: 1,
      key,
      role,
      trial,
      seed,
      occurrence,
      model: deps.redactor.redact(this.model.name),
      provider: this.model.provider,
      request: { method: init?.method ?? 'POST', url: deps.redactor.redactUrl(url), body },
      response: { status: response.status, ...(contentType ? { contentType } : {}), body: text, latencyMs: 0 },
      recordedAt: new Date().toISOString(),
    });
    return response;
  };

  /** Whether `fetch` sends a request as it is: no cassettes to record it in or replay it from. */
  private sendsLive(): boolean {
    return this.deps.mode === 'live' || !this.deps.cassettes;
  }

  /**
   * The transport's bare exchange of a request `fetch` would send live, or undefined: cassettes, or
   * a base fetch without one (then `fetch` takes the request).
   */
  private liveExchange(input: string, init: RequestInit): Promise<TransportReply> | undefined {
    return this.sendsLive() ? this.deps.baseExchange?.(input, init) : undefined;
  }

  /** One request through the base fetch (its transport's bare exchange when it has one), the reply read and redacted. */
  private async request(input: Parameters<typeof globalThis.fetch>[0], init: RequestInit | undefined, maxBytes: number): Promise<Response> {
    const exchanged = this.deps.baseExchange?.(input, init);
    return exchanged
      ? this.readTransportReply(await exchanged, maxBytes)
      : this.readReply(await this.deps.baseFetch(input, init), maxBytes);
  }

  /** The reply cap: the model's `maxReplyBytes`; embedding replies (long vectors) get at least 64 MiB. */
  private maxReplyBytes(): number {
    const cap = this.model.limits.maxReplyBytes;
    return this.deps.embeddingModel ? Math.max(cap, 64 * 1024 * 1024) : cap;
  }

  /**
   * Reads a reply whole, refusing it once it passes `maxBytes` (the rest is never read), and
   * returns it redacted. Too large is PROVIDER_FAILED and not retried: the same request would
   * get the same answer.
   */
  private async readReply(response: Response, maxBytes: number): Promise<Response> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(maxBytes, declared);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const direct = readTransportBody(response, maxBytes);
    if (direct) {
      // The hub's own transport: read its Node stream directly, with the same cap.
      const read = await direct;
      if ('tooLarge' in read) throw tooLarge(maxBytes);
      chunks.push(read.body);
    } else if (response.body && declared <= maxBytes && !response.headers.has('content-encoding')) {
      // Declared, uncompressed and within the cap (fetch refuses a body longer than declared): read whole.
      const whole = new Uint8Array(await response.arrayBuffer());
      if (whole.byteLength > maxBytes) throw tooLarge(maxBytes, whole.byteLength);
      chunks.push(whole);
    } else if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge(maxBytes);
        }
        chunks.push(value);
      }
    }
    const text = this.deps.redactor.redactBody(Buffer.concat(chunks).toString('utf8'));
    // Headers the SDK reads (Retry-After on 429) are kept; the body's length changed, so not that.
    const headers = new Headers();
    for (const [name, value] of response.headers) if (!BODY_FRAMING.has(name)) headers.set(name, value);
    return redactedResponse(text, response.status, response.statusText, headers);
  }

  /** `readReply` for the transport's bare reply: the same checks, errors and Response, one Headers built. */
  private async readTransportReply(reply: TransportReply, maxBytes: number): Promise<Response> {
    return transportResponse(reply, await this.readTransportText(reply, maxBytes));
  }

  /** The body of a transport's bare reply, read with the cap and redacted (`readTransportReply` without its Response). */
  private async readTransportText(reply: TransportReply, maxBytes: number): Promise<string> {
    const declared = Number(reply.header('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      reply.cancel();
      throw tooLarge(maxBytes, declared);
    }
    const read = await reply.read(maxBytes);
    if ('tooLarge' in read) throw tooLarge(maxBytes);
    return this.deps.redactor.redactBody(read.body.toString('utf8'));
  }
}

/** The Response of a transport's bare reply whose body was read (and redacted) as `text`. */
function transportResponse(reply: TransportReply, text: string): Response {
  const { status, statusText } = reply;
  if (NULL_BODY_STATUS.has(status)) return new Response(null, { status, statusText, headers: replyHeaders(reply, new Headers()) });
  return new ReplyResponse(text, { status, statusText }, (headers) => replyHeaders(reply, headers));
}

/** A reply over the cap: PROVIDER_FAILED, not retried (the same request would get the same answer). */
function tooLarge(maxBytes: number, size?: number): GroundworkError {
  return new GroundworkError(
    'PROVIDER_FAILED',
    `reply too large: ${size === undefined ? `more than the limit of ${maxBytes} bytes` : `${size} bytes, over the limit of ${maxBytes} bytes`}`,
    {
      hint: 'raise limits.maxReplyBytes of this model in the run file if such replies are expected',
    },
  );
}

/** Headers describing the body as it came over the wire: the redacted body the SDK reads is neither. */
const BODY_FRAMING = new Set(['content-length', 'content-encoding']);

/** Statuses whose Response has no body (the SDK gets `body: null`, as before). */
const NULL_BODY_STATUS = new Set([204, 205, 304]);

/**
 * The headers of a transport reply as `readReply` gives a fetch Response's, added to `headers`:
 * each name once, repeated headers joined, body framing left out, and of several Set-Cookie only
 * the last (what copying a Headers with `set` keeps).
 */
function replyHeaders(reply: TransportReply, headers: Headers): Headers {
  const raw = reply.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (BODY_FRAMING.has(name)) continue;
    if (name === 'set-cookie') headers.set(name, raw[i + 1] as string);
    else headers.append(name, raw[i + 1] as string);
  }
  return headers;
}

/** The Response the SDK reads: the redacted body with the reply's status and headers (its body streamed only if asked). */
function redactedResponse(text: string, status: number, statusText: string, headers: Headers): Response {
  if (NULL_BODY_STATUS.has(status)) return new Response(null, { status, statusText, headers });
  return new ReplyResponse(text, { status, statusText, headers });
}
