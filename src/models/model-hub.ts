import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { EmbeddingModel, LanguageModel } from 'ai';
import type { Usage } from '../schema/trajectory.ts';
import { GroundworkError } from '../errors.ts';
import { CassetteStore } from './cassette.ts';
import { modelsConfigSchema, resolveModel, type ModelsConfig, type ResolvedModel } from './model-config.ts';
import { ModelLimiter, type ModelAdmission } from './model-limiter.ts';
import { ModelSession, type ModelCallContext, type ModelEvent } from './model-session.ts';
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
  /** The fetch used for real requests. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
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
  private readonly limiters = new Map<string, ModelLimiter>();
  private readonly retry: RetryOptions;

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
    const model = resolveModel(name, this.models);
    if (this.mode !== 'replay' && model.apiKeyEnv && !this.env[model.apiKeyEnv]) {
      throw new GroundworkError('INVALID_CONFIG', `model ${name} needs an API key: ${model.apiKeyEnv} is not set`, {
        hint: `export ${model.apiKeyEnv}=... (or set apiKeyEnv in the model's config)`,
      });
    }
    return model;
  }

  /** The limiter shared by every session of a model (by name). */
  limiter(model: ResolvedModel): ModelLimiter {
    let limiter = this.limiters.get(model.name);
    if (!limiter) {
      limiter = new ModelLimiter({
        concurrency: model.limits.concurrency,
        requestsPerMinute: model.limits.requestsPerMinute,
        windowMs: this.options._internal?.rateWindowMs,
        now: this.options._internal?.now,
      });
      this.limiters.set(model.name, limiter);
    }
    return limiter;
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

  private newSession(model: ResolvedModel, context: ModelCallContext, embedding: boolean): ModelSession {
    const apiKey = model.apiKeyEnv ? this.env[model.apiKeyEnv] : undefined;
    const key = this.mode === 'replay' ? (apiKey ?? 'replay-without-key') : apiKey;
    const internal = this.options._internal ?? {};
    return new ModelSession({
      model,
      context,
      build: (fetch) => buildLanguageModel(model, key, fetch),
      ...(embedding ? { buildEmbedding: (fetch: typeof globalThis.fetch) => buildEmbeddingModel(model, key, fetch) } : {}),
      baseFetch: this.mode === 'replay' ? refuseNetwork : (this.options.fetch ?? globalThis.fetch),
      limiter: this.limiter(model),
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

const refuseNetwork: typeof globalThis.fetch = async () => {
  throw new GroundworkError('REPLAY_MISS', 'replay mode never uses the network');
};
