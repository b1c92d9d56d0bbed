import { GroundworkError } from '../errors.ts';

import { baseUrlProblem, MODEL_PROVIDERS, type ModelProvider } from '../schema/model-config.ts';

// Defined beside the persisted model config (schema/), re-exported where specs are parsed.
export { MODEL_PROVIDERS, type ModelProvider } from '../schema/model-config.ts';

/** Base URL of each provider when none is given. `openai-compatible` always needs one. */
export const DEFAULT_BASE_URLS: Readonly<Record<Exclude<ModelProvider, 'openai-compatible'>, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  ollama: 'http://127.0.0.1:11434/v1',
};

/** Environment variable holding each provider's API key when the config names none. */
export const DEFAULT_API_KEY_ENV: Readonly<Partial<Record<ModelProvider, string>>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
};

/** A parsed model spec such as `openai:gpt-4o` or `openai-compatible:qwen@http://127.0.0.1:8000/v1`. */
export interface ModelSpec {
  provider: ModelProvider;
  /** Model id as the provider knows it (may contain `:` and `/`, e.g. `llama3.1:8b`). */
  model: string;
  /** Base URL given in the spec (`MODEL@BASE_URL`), if any. */
  baseURL?: string;
}

/**
 * Parses a model spec: `openai:MODEL`, `anthropic:MODEL`, `ollama:MODEL` (default base URL
 * http://127.0.0.1:11434/v1) or `openai-compatible:MODEL@BASE_URL`. Any provider also accepts
 * `@BASE_URL` (e.g. an OpenAI proxy). Only the first `:` separates the provider, so
 * `ollama:llama3.1:8b` works; the base URL starts at the last `@http://` or `@https://`.
 * Throws INVALID_ARGUMENT with the accepted forms.
 */
export function parseModelSpec(spec: string): ModelSpec {
  const colon = spec.indexOf(':');
  const provider = colon > 0 ? spec.slice(0, colon) : '';
  if (!(MODEL_PROVIDERS as readonly string[]).includes(provider)) {
    throw invalidSpec(spec, colon > 0 ? `unknown provider ${JSON.stringify(provider)}` : 'missing provider');
  }
  let rest = spec.slice(colon + 1);
  let baseURL: string | undefined;
  const at = Math.max(rest.lastIndexOf('@http://'), rest.lastIndexOf('@https://'));
  if (at >= 0) {
    baseURL = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = baseUrlProblem(baseURL);
    // The spec is not echoed whole: its URL may hold the very credential being refused.
    if (problem) throw invalidSpec(`${spec.slice(0, colon + 1 + at)}@…`, `invalid base URL: ${problem}`);
  }
  if (!rest.trim()) throw invalidSpec(spec, 'missing model name');
  if (provider === 'openai-compatible' && !baseURL)
    throw invalidSpec(spec, 'openai-compatible needs a base URL: openai-compatible:MODEL@BASE_URL');
  return baseURL ? { provider: provider as ModelProvider, model: rest, baseURL } : { provider: provider as ModelProvider, model: rest };
}

/** True when `name` looks like a model spec (`provider:...` with a known provider). */
export function isModelSpec(name: string): boolean {
  const colon = name.indexOf(':');
  return colon > 0 && (MODEL_PROVIDERS as readonly string[]).includes(name.slice(0, colon));
}

/** The spec string of a parsed spec (inverse of `parseModelSpec`). */
export function formatModelSpec(spec: ModelSpec): string {
  return `${spec.provider}:${spec.model}${spec.baseURL ? `@${spec.baseURL}` : ''}`;
}

function invalidSpec(spec: string, reason: string): GroundworkError {
  return new GroundworkError('INVALID_ARGUMENT', `invalid model spec ${JSON.stringify(spec)}: ${reason}`, {
    hint: `use ${MODEL_PROVIDERS.map((p) => (p === 'openai-compatible' ? `${p}:MODEL@BASE_URL` : `${p}:MODEL`)).join(', ')}, or a model name from the config file`,
  });
}
