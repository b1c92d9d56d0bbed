import { GroundworkError } from '../errors.ts';
import { DEFAULT_API_KEY_ENV, DEFAULT_BASE_URLS, parseModelSpec } from './model-spec.ts';
import type { ModelConfig, ModelKind, ModelPrice, ModelProvider, ModelsConfig } from '../schema/model-config.ts';

// The persisted schemas moved to schema/; re-exported so models/ stays the one place to look.
export {
  MODEL_KINDS,
  modelConfigSchema,
  modelLimitsSchema,
  modelPriceSchema,
  modelsConfigSchema,
  type ModelConfig,
  type ModelKind,
  type ModelLimits,
  type ModelPrice,
  type ModelsConfig,
} from '../schema/model-config.ts';

/** Default limits of a model; override per model with `limits`. */
export const DEFAULT_MODEL_LIMITS = {
  concurrency: 8,
  timeoutMs: 120_000,
  maxRetries: 5,
  /** 4 MiB: far above any real completion (128k tokens of text is about 0.5 MB), far below harm. */
  maxReplyBytes: 4 * 1024 * 1024,
} as const;

/** A model with every default filled in. Holds the key's variable name, never the key. */
export interface ResolvedModel {
  /** The name it was asked by: a config name or a spec. Keys the shared limiters. */
  name: string;
  provider: ModelProvider;
  /** Declared use; undefined when the config does not say (specs never do). */
  kind?: ModelKind;
  model: string;
  baseURL: string;
  /** Environment variable with the API key (undefined: no key, e.g. a local server). */
  apiKeyEnv?: string;
  temperature?: number;
  maxTokens?: number;
  pricePerMillion?: ModelPrice;
  limits: { concurrency: number; requestsPerMinute?: number; timeoutMs: number; maxRetries: number; maxReplyBytes: number };
}

/**
 * Resolves a config name or a model spec: a name defined in `models` wins, anything else is
 * parsed as a spec. Throws INVALID_ARGUMENT for neither.
 */
export function resolveModel(name: string, models: ModelsConfig = {}): ResolvedModel {
  const config: ModelConfig | undefined = Object.hasOwn(models, name) ? models[name] : undefined;
  const base = config ?? parseModelSpec(name);
  const provider = base.provider;
  const baseURL = base.baseURL ?? (provider === 'openai-compatible' ? undefined : DEFAULT_BASE_URLS[provider]);
  if (!baseURL) throw new GroundworkError('INVALID_ARGUMENT', `model ${JSON.stringify(name)} has no base URL`);
  const limits = config?.limits ?? {};
  const resolved: ResolvedModel = {
    name,
    provider,
    model: base.model,
    baseURL: baseURL.replace(/\/+$/, ''),
    limits: {
      concurrency: limits.concurrency ?? DEFAULT_MODEL_LIMITS.concurrency,
      timeoutMs: limits.timeoutMs ?? DEFAULT_MODEL_LIMITS.timeoutMs,
      maxRetries: limits.maxRetries ?? DEFAULT_MODEL_LIMITS.maxRetries,
      maxReplyBytes: limits.maxReplyBytes ?? DEFAULT_MODEL_LIMITS.maxReplyBytes,
      ...(limits.requestsPerMinute !== undefined ? { requestsPerMinute: limits.requestsPerMinute } : {}),
    },
  };
  const apiKeyEnv = config?.apiKeyEnv ?? DEFAULT_API_KEY_ENV[provider];
  if (apiKeyEnv) resolved.apiKeyEnv = apiKeyEnv;
  if (config?.kind) resolved.kind = config.kind;
  if (config?.temperature !== undefined) resolved.temperature = config.temperature;
  if (config?.maxTokens !== undefined) resolved.maxTokens = config.maxTokens;
  if (config?.pricePerMillion) resolved.pricePerMillion = config.pricePerMillion;
  return resolved;
}
