import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, type EmbeddingModel, type LanguageModel, type ToolSet } from 'ai';
import type { Usage } from '../schema/trajectory.ts';
import { GroundworkError } from '../errors.ts';
import { CassetteStore } from './cassette.ts';
import { modelsConfigSchema, resolveModel, type ModelsConfig, type ResolvedModel } from './model-config.ts';
import { ModelLimiter, type AdmissionStats, type ModelAdmission } from './model-limiter.ts';
import { probeChatCompletionsWire, type ChatCompletionsWire } from './chat-completions-wire.ts';
import { prepareTools, type PreparedTools } from './direct-call.ts';
import { createHttpTransport, type HttpTransport } from './http-transport.ts';
import {
  CALL_ROUTE_HEADER,
  ModelSession,
  type CallRoutes,
  type ModelCallContext,
  type ModelEvent,
  type SessionDependencies,
} from './model-session.ts';
import { addUsage, emptyUsage } from './usage.ts';
import { DEFAULT_API_KEY_ENV, isModelSpec } from './model-spec.ts';
import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from './retry.ts';
import { SecretRedactor } from './secrets.ts';

/** An embedding model opened by `ModelHub.embedder`: an `EmbedFunction` for retrieval, with its usage. */
export interface Embedder {
  /** One vector per text, in order (no request for an empty list). */
  embed(texts: readonly string[]): Promise<number[][]>;
  /** Usage of every embed call so far (role of the embedder's context). */
  usage(): Usage;
  /** The underlying session (`describe()` for records). */
  session: ModelSession;
}

/** How one model's limits held a run back (see `ModelHub.throttleReport`). */
export interface ModelThrottle extends AdmissionStats {
  /** Model name as asked (config name or spec), redacted. */
  model: string;
  /** True when waiting for a limit of this run (concurrency, rate) was meaningful (`text` says so); 429 pauses are not. */
  throttled: boolean;
}

/** What `ModelHub.throttleReport` gives: per model, and a line when a limit held the run back. */
export interface ThrottleReport {
  models: ModelThrottle[];
  /** One line per throttling model, e.g. for the end of `run`; undefined when no limit mattered. */
  text?: string;
}

/** A model's waits count as throttling from this share of its requests on... */
const THROTTLE_SHARE = 0.05;
/** ...when they add up to this much (ms)... */
const THROTTLE_MIN_WAIT_MS = 1000;
/** ...or to this share of the time since its first request. */
const THROTTLE_SPAN_SHARE = 0.05;

/** Whether a model's own limits held a meaningful part of its requests back for a meaningful time. */
function throttledByLimits(stats: AdmissionStats): boolean {
  if (stats.requests === 0 || stats.waited / stats.requests < THROTTLE_SHARE) return false;
  return (
    stats.waitMs >= THROTTLE_MIN_WAIT_MS ||
    (stats.spanMs !== undefined && stats.spanMs > 0 && stats.waitMs >= THROTTLE_SPAN_SHARE * stats.spanMs)
  );
}

/** Options of a `ModelHub` (one per run). */
export interface ModelHubOptions {
  /** Named models from the config file (`models:`); validated here. @default {} */
  models?: ModelsConfig;
  /** Where API keys are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Record every model request/response as cassettes in this directory. */
  record?: string;
  /** Answer every model request from cassettes in this directory; no network at all. */
  replay?: string;
  /**
   * The fetch used for real requests. @default the hub's transport (below), which behaves as Node's
   * fetch for model requests at a fraction of its CPU (src/models/http-transport.ts)
   */
  fetch?: typeof globalThis.fetch;
  /**
   * The hub's transport, when no `fetch` is given (its idle connections never hold the process
   * open). @default createHttpTransport(): `http:` over the HTTP/1.1 pool, `https:` over node:https
   */
  transport?: HttpTransport;
  /** Backoff between retries. @default { initialDelayMs: 1000, maxDelayMs: 30000, maxRetryAfterMs: 60000 } */
  retry?: Partial<RetryOptions>;
  /** Retries and failures, for logs (never contains a key). */
  onEvent?: (event: ModelEvent) => void;
  /**
   * A model's concurrency limit when its config sets none: the run's episode concurrency, so a
   * default limit never throttles a run silently. @default 8
   */
  defaultConcurrency?: number;
  /**
   * The admission of a model's requests (queue workers: shared across workers through Redis).
   * @default one in-process ModelLimiter per model
   */
  admission?: (model: ResolvedModel) => ModelAdmission;
  /**
   * Send direct calls of OpenAI-compatible models (providers `openai-compatible`, `ollama`) on the
   * chat-completions wire (src/models/chat-completions-wire.ts) instead of through the provider's
   * doGenerate, once checked against the provider. @default true
   */
  chatWire?: boolean;
  /** Test hooks: randomness of the jitter, clock, sleep, and the rate window (60000 ms). */
  _internal?: {
    random?: () => number;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    rateWindowMs?: number;
  };
}

/**
 * The run's access to models: resolves specs and config names, builds AI SDK models through the
 * provider packages, and owns the per-model limiters (concurrency, requests per minute) shared by
 * every episode. Holds API keys in memory only; everything it writes goes through its redactor.
 */
export class ModelHub {
  /** `live`, `record` (cassettes written) or `replay` (cassettes read, no network). */
  readonly mode: 'live' | 'record' | 'replay';
  /** Removes the keys this hub knows (and credential-like strings) from any text. */
  readonly redactor = new SecretRedactor();
  private readonly models: ModelsConfig;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly options: ModelHubOptions;
  private readonly cassettes?: CassetteStore;
  private readonly admissions = new Map<string, ModelAdmission>();
  private readonly retry: RetryOptions;
  /** Resolved models by name (resolved once; the key check still runs on every `resolve`). */
  private readonly resolved = new Map<string, ResolvedModel>();
  /** One AI SDK provider model per model name, shared by all its sessions. */
  private readonly languageModels = new Map<string, LanguageModel>();
  private readonly embeddingModels = new Map<string, EmbeddingModel>();
  /** Tool sets prepared for providers, once per tool set object. */
  private readonly toolSets = new WeakMap<ToolSet, Promise<PreparedTools | undefined>>();
  /** Sessions with a call in progress, by route id (see `CALL_ROUTE_HEADER`). */
  private readonly routing = new Map<string, typeof globalThis.fetch>();
  private readonly routes: CallRoutes = {
    open: (id, fetch) => this.routing.set(id, fetch),
    close: (id) => this.routing.delete(id),
  };
  private sessions = 0;
  private sdkHeaderPromise: Promise<Record<string, string>> | undefined;
  /** Each model's checked chat-completions wire (undefined inside: the provider sends its calls). */
  private readonly wires = new Map<string, Promise<ChatCompletionsWire | undefined>>();
  private languageModelCount = 0;
  /** The default base fetch, built on first live request (replay never opens it). */
  private transport: HttpTransport | undefined;

  constructor(options: ModelHubOptions = {}) {
    if (options.record && options.replay) throw new GroundworkError('INVALID_ARGUMENT', 'record and replay cannot be used together');
    const parsed = modelsConfigSchema.safeParse(options.models ?? {});
    if (!parsed.success) {
      throw new GroundworkError(
        'INVALID_CONFIG',
        `invalid models config: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    this.models = parsed.data;
    this.options = options;
    this.env = options.env ?? process.env;
    this.mode = options.replay ? 'replay' : options.record ? 'record' : 'live';
    const dir = options.replay ?? options.record;
    if (dir) this.cassettes = new CassetteStore(dir);
    this.retry = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
    // Know every key that may be used, so a key echoed anywhere is redacted.
    const keyVariables = new Set<string>(Object.values(DEFAULT_API_KEY_ENV));
    for (const model of Object.values(this.models)) if (model.apiKeyEnv) keyVariables.add(model.apiKeyEnv);
    for (const variable of keyVariables) this.redactor.add(this.env[variable]);
  }

  /** True when `name` is a configured model name or a model spec (`openai:...`). */
  has(name: string): boolean {
    return Object.hasOwn(this.models, name) || isModelSpec(name);
  }

  /** Names of the configured models. */
  names(): string[] {
    return Object.keys(this.models);
  }

  /**
   * A model with defaults filled in. Throws INVALID_ARGUMENT for a bad spec and INVALID_CONFIG
   * when its API key variable is not set (not checked in replay, which needs no key).
   */
  resolve(name: string): ResolvedModel {
    let model = this.resolved.get(name);
    if (!model) {
      model = resolveModel(name, this.models);
      // A limit the config does not set follows the run (a default never throttles silently).
      const configured = Object.hasOwn(this.models, name) ? this.models[name].limits?.concurrency : undefined;
      if (configured === undefined && this.options.defaultConcurrency !== undefined)
        model.limits.concurrency = Math.max(1, this.options.defaultConcurrency);
      this.resolved.set(name, model);
    }
    if (this.mode !== 'replay' && model.apiKeyEnv && !this.env[model.apiKeyEnv]) {
      throw new GroundworkError('INVALID_CONFIG', `model ${name} needs an API key: ${model.apiKeyEnv} is not set`, {
        hint: `export ${model.apiKeyEnv}=... (or set apiKeyEnv in the model's config)`,
      });
    }
    return model;
  }

  /**
   * The admission shared by every session of a model (by name): `options.admission`'s when given,
   * else an in-process `ModelLimiter` with the model's limits.
   */
  admission(model: ResolvedModel): ModelAdmission {
    let admission = this.admissions.get(model.name);
    if (!admission) {
      admission =
        this.options.admission?.(model) ??
        new ModelLimiter({
          concurrency: model.limits.concurrency,
          requestsPerMinute: model.limits.requestsPerMinute,
          windowMs: this.options._internal?.rateWindowMs,
          now: this.options._internal?.now,
        });
      this.admissions.set(model.name, admission);
    }
    return admission;
  }

  /**
   * How each model's limits held requests back so far, and a line per model whose limits made a
   * meaningful share (5% or more) of its requests wait a meaningful time (1 s in all, or 5% of the
   * time since its first request), for the end of a run:
   * `model NAME: 812 of 5120 requests (16%) waited 81.2 s in all for its limits (concurrency 8); raise limits.concurrency ...`
   * A 429 pause is the provider's rate limit, not the run's: said apart, with no advice to raise a limit.
   */
  throttleReport(): ThrottleReport {
    const models: ModelThrottle[] = [];
    const lines: string[] = [];
    for (const [name, admission] of this.admissions) {
      const stats = admission.stats();
      const throttled = throttledByLimits(stats);
      const model = this.redactor.redact(name);
      models.push({ model, throttled, ...stats });
      if (stats.pauses)
        lines.push(
          `model ${model}: the provider answered 429 (rate limited, with Retry-After) ${stats.pauses} time${stats.pauses === 1 ? '' : 's'}; requests to it paused ${((stats.pausedMs ?? 0) / 1000).toFixed(1)} s in all (the provider's limit, not the run's)`,
        );
      if (!throttled) continue;
      const limits = [`concurrency ${stats.concurrency}`];
      if (stats.requestsPerMinute !== undefined) limits.push(`${stats.requestsPerMinute} requests/minute`);
      const share = Math.round((stats.waited / stats.requests) * 100);
      lines.push(
        `model ${model}: ${stats.waited} of ${stats.requests} requests (${share}%) waited ${(stats.waitMs / 1000).toFixed(1)} s in all for its limits (${limits.join(', ')}); raise limits.concurrency${stats.requestsPerMinute !== undefined ? ' or limits.requestsPerMinute' : ''} in the run file's models: if the provider allows more`,
      );
    }
    return lines.length ? { models, text: lines.join('\n') } : { models };
  }

  /** How many AI SDK provider models this hub built (one per chat model used). For tests. */
  get languageModelsBuilt(): number {
    return this.languageModelCount;
  }

  /** A session for one participant of one episode (role, trial and seed key its cassettes). */
  session(name: string, context: ModelCallContext): ModelSession {
    const model = this.resolve(name);
    if (model.kind === 'embedding') {
      throw new GroundworkError('INVALID_ARGUMENT', `model ${name} is configured as an embedding model (kind: embedding)`, {
        hint: 'use a chat model here, or use it for retrieval (learn --embed)',
      });
    }
    return this.newSession(model, context, false);
  }

  /**
   * An embedding model for retrieval, through the same fetch, retries, limiter, cassettes and
   * redaction as chat sessions. `context.role` is usually `embed` (usage is reported under it);
   * trial and seed key its cassettes. Throws INVALID_ARGUMENT for Anthropic (no embedding API) or
   * a model configured as `kind: chat`.
   */
  embedder(name: string, context: ModelCallContext): Embedder {
    const model = this.resolve(name);
    if (model.provider === 'anthropic') {
      throw new GroundworkError('INVALID_ARGUMENT', `model ${name}: Anthropic has no embedding API`, {
        hint: 'use an embedding model such as openai:text-embedding-3-small or ollama:nomic-embed-text',
      });
    }
    if (model.kind === 'chat') {
      throw new GroundworkError('INVALID_ARGUMENT', `model ${name} is configured as a chat model (kind: chat)`, {
        hint: 'configure an embedding model (kind: embedding) for retrieval',
      });
    }
    const session = this.newSession(model, context, true);
    let total = emptyUsage();
    return {
      session,
      async embed(texts) {
        if (texts.length === 0) return [];
        const response = await session.embed(texts);
        total = addUsage(total, response.usage);
        return response.vectors;
      },
      usage: () => ({ ...total }),
    };
  }

  /** The API key a model's provider is built with (a placeholder in replay). */
  private providerKey(model: ResolvedModel): string | undefined {
    const apiKey = model.apiKeyEnv ? this.env[model.apiKeyEnv] : undefined;
    return this.mode === 'replay' ? (apiKey ?? 'replay-without-key') : apiKey;
  }

  /** The model's one provider model; its fetch routes each request to the session making it. */
  private languageModel(model: ResolvedModel): LanguageModel {
    let built = this.languageModels.get(model.name);
    if (!built) {
      built = buildLanguageModel(model, this.providerKey(model), this.routedFetch);
      this.languageModelCount++;
      this.languageModels.set(model.name, built);
    }
    return built;
  }

  private embeddingModel(model: ResolvedModel): EmbeddingModel {
    let built = this.embeddingModels.get(model.name);
    if (!built) {
      built = buildEmbeddingModel(model, this.providerKey(model), this.routedFetch);
      this.embeddingModels.set(model.name, built);
    }
    return built;
  }

  /** The fetch of every shared provider model: hands the request to its session's fetch, without the route header. */
  private readonly routedFetch: typeof globalThis.fetch = (input, init) => {
    const headers = init?.headers;
    let id: string | undefined;
    let rest: HeadersInit | undefined;
    if (headers instanceof Headers) {
      id = headers.get(CALL_ROUTE_HEADER) ?? undefined;
      rest = new Headers(headers);
      rest.delete(CALL_ROUTE_HEADER);
    } else if (headers && !Array.isArray(headers)) {
      const { [CALL_ROUTE_HEADER]: route, ...others } = headers as Record<string, string>;
      id = route;
      rest = others;
    }
    const fetch = id === undefined ? undefined : this.routing.get(id);
    if (!fetch)
      return Promise.reject(new GroundworkError('PROVIDER_FAILED', 'a model request without a session reached the model hub (a bug)'));
    return fetch(input, { ...init, headers: rest });
  };

  /** The headers `generateText` gives a provider (its user agent), read once from the SDK itself. */
  private sdkHeaders(): Promise<Record<string, string>> {
    this.sdkHeaderPromise ??= captureSdkHeaders();
    return this.sdkHeaderPromise;
  }

  /** A model's chat-completions wire, probed against its provider once (see `ModelHubOptions.chatWire`). */
  private chatWire(model: ResolvedModel): Promise<ChatCompletionsWire | undefined> {
    let wire = this.wires.get(model.name);
    if (!wire) {
      const key = this.providerKey(model);
      wire = this.sdkHeaders()
        .then((headers) =>
          probeChatCompletionsWire(
            (fetch) => buildLanguageModel(model, key, fetch) as LanguageModelV3,
            model.model,
            headers,
            CALL_ROUTE_HEADER,
          ),
        )
        // Refused: every call of the model goes through its provider, as without the wire.
        .then((probe) => ('wire' in probe ? probe.wire : undefined));
      this.wires.set(model.name, wire);
    }
    return wire;
  }

  /** A tool set as providers take it, prepared once per tool set object. */
  private preparedTools(tools: ToolSet): Promise<PreparedTools | undefined> {
    let prepared = this.toolSets.get(tools);
    if (!prepared) {
      prepared = prepareTools(tools);
      this.toolSets.set(tools, prepared);
    }
    return prepared;
  }

  /** The hub's own transport (one keep-alive pool per hub; idle connections never hold the process open). */
  private defaultTransport(): HttpTransport {
    this.transport ??= this.options.transport ?? createHttpTransport();
    return this.transport;
  }

  /** Where a session's requests go: nowhere in replay, else the fetch given, else the hub's transport (with its bare exchange). */
  private baseOf(): Pick<SessionDependencies, 'baseFetch' | 'baseExchange'> {
    if (this.mode === 'replay') return { baseFetch: refuseNetwork };
    if (this.options.fetch) return { baseFetch: this.options.fetch };
    const transport = this.defaultTransport();
    return { baseFetch: transport.fetch, baseExchange: transport.exchange };
  }

  private newSession(model: ResolvedModel, context: ModelCallContext, embedding: boolean): ModelSession {
    const internal = this.options._internal ?? {};
    return new ModelSession({
      model,
      context,
      languageModel: this.languageModel(model),
      ...(embedding ? { embeddingModel: () => this.embeddingModel(model) } : {}),
      routeId: String(++this.sessions),
      routes: this.routes,
      sdkHeaders: () => this.sdkHeaders(),
      preparedTools: (tools) => this.preparedTools(tools),
      ...(this.options.chatWire !== false && (model.provider === 'openai-compatible' || model.provider === 'ollama')
        ? { chatWire: () => this.chatWire(model) }
        : {}),
      ...this.baseOf(),
      limiter: this.admission(model),
      redactor: this.redactor,
      mode: this.mode,
      cassettes: this.cassettes,
      retry: this.retry,
      onEvent: this.options.onEvent,
      random: internal.random ?? Math.random,
      now: internal.now ?? (() => performance.now()),
      sleep: internal.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    });
  }
}

/** Builds the AI SDK model of a resolved model, with our fetch injected. */
function buildLanguageModel(model: ResolvedModel, apiKey: string | undefined, fetch: typeof globalThis.fetch): LanguageModel {
  switch (model.provider) {
    case 'openai':
      // Chat completions: the format every OpenAI-compatible server speaks too.
      return createOpenAI({ apiKey: apiKey ?? '', baseURL: model.baseURL, fetch }).chat(model.model);
    case 'anthropic':
      return createAnthropic({ apiKey: apiKey ?? '', baseURL: model.baseURL, fetch })(model.model);
    case 'ollama':
    case 'openai-compatible':
      return createOpenAICompatible({
        name: model.provider,
        baseURL: model.baseURL,
        fetch,
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
      }).chatModel(model.model);
  }
}

/** Builds the AI SDK embedding model of a resolved model (not Anthropic), with our fetch injected. */
function buildEmbeddingModel(model: ResolvedModel, apiKey: string | undefined, fetch: typeof globalThis.fetch): EmbeddingModel {
  switch (model.provider) {
    case 'openai':
      return createOpenAI({ apiKey: apiKey ?? '', baseURL: model.baseURL, fetch }).embedding(model.model);
    case 'anthropic':
      throw new GroundworkError('INVALID_ARGUMENT', `model ${model.name}: Anthropic has no embedding API`);
    case 'ollama':
    case 'openai-compatible':
      return createOpenAICompatible({ name: model.provider, baseURL: model.baseURL, fetch, ...(apiKey ? { apiKey } : {}) }).embeddingModel(
        model.model,
      );
  }
}

/** The headers generateText passes to a provider's doGenerate, from one call to a model that answers nothing. */
async function captureSdkHeaders(): Promise<Record<string, string>> {
  let headers: Record<string, string | undefined> = {};
  const zero = { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 };
  await generateText({
    model: {
      specificationVersion: 'v3',
      provider: 'groundwork-probe',
      modelId: 'probe',
      supportedUrls: {},
      async doGenerate(options) {
        headers = options.headers ?? {};
        return {
          content: [],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: { inputTokens: zero, outputTokens: { total: 0, text: 0, reasoning: 0 } },
          warnings: [],
        };
      },
      doStream() {
        throw new Error('not used');
      },
    },
    prompt: 'probe',
  });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}

const refuseNetwork: typeof globalThis.fetch = async () => {
  throw new GroundworkError('REPLAY_MISS', 'replay mode never uses the network');
};
