export { ModelHub, type ModelHubOptions, type Embedder } from './model-hub.ts';
export type { ModelSession, ModelRequest, ModelResponse, ModelEvent, RawToolCall, EmbeddingResponse } from './model-session.ts';
export { parseModelSpec, isModelSpec, formatModelSpec, type ModelSpec, MODEL_PROVIDERS, type ModelProvider } from './model-spec.ts';
export {
  resolveModel,
  type ResolvedModel,
  DEFAULT_MODEL_LIMITS,
  modelConfigSchema,
  modelsConfigSchema,
  type ModelConfig,
  type ModelsConfig,
  type ModelLimits,
  type ModelPrice,
  type ModelKind,
} from './model-config.ts';
export { type RetryOptions, DEFAULT_RETRY_OPTIONS } from './retry.ts';
export type { Cassette } from './cassette.ts';
export { costUsd } from './usage.ts';
