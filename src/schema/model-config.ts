// The `models:` section of config files and run configs: stored with every run, so it lives here.
import { z } from 'zod';

/** Providers a model spec can name. */
export const MODEL_PROVIDERS = ['openai', 'anthropic', 'ollama', 'openai-compatible'] as const;
/** A provider name of a model spec. */
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

/** What a configured model is for (see `modelConfigSchema.kind`). */
export const MODEL_KINDS = ['chat', 'embedding'] as const;
/** What a configured model is for. */
export type ModelKind = (typeof MODEL_KINDS)[number];

/** Limits of one model, shared by every episode of a run. */
export const modelLimitsSchema = z.strictObject({
  /** Requests in flight at once to this model, across all episodes of the run. @default 8 */
  concurrency: z.number().int().positive().optional(),
  /** Requests started per minute to this model, across all episodes. @default unlimited */
  requestsPerMinute: z.number().positive().optional(),
  /** Timeout of one request (one attempt), in milliseconds. @default 120000 */
  timeoutMs: z.number().int().positive().optional(),
  /** Retries after the first attempt on 429, 5xx, connection errors, timeouts and garbage replies. @default 5 */
  maxRetries: z.number().int().nonnegative().optional(),
  /**
   * Largest reply body accepted from this model, in bytes; a longer reply fails the call (an
   * infra error, not retried) before it is read whole or stored. @default 4194304 (4 MiB)
   */
  maxReplyBytes: z.number().int().positive().optional(),
});
/** Limits of one model (see `modelLimitsSchema`). */
export type ModelLimits = z.infer<typeof modelLimitsSchema>;

/** Query parameters that carry credentials (`?api_key=`, `?key=`, `?token=`...). */
export const CREDENTIAL_QUERY_PARAM = /^(?:key|api[-_]?key|access[-_]?token|token|auth|secret|password)$/i;

/**
 * Why a model base URL is refused, or undefined when it is fine: only http(s), and no
 * credentials in it (user info or credential query parameters), since URLs are stored, logged
 * and shown; keys belong in the environment variable named by `apiKeyEnv`.
 */
export function baseUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'only http:// and https:// base URLs are accepted';
  if (parsed.username || parsed.password)
    return 'a base URL must not contain credentials (user:password@); put the key in the variable named by apiKeyEnv';
  for (const name of parsed.searchParams.keys())
    if (CREDENTIAL_QUERY_PARAM.test(name))
      return `a base URL must not carry a credential query parameter (${name}=); put the key in the variable named by apiKeyEnv`;
  return undefined;
}

/** Price of a model in US dollars per million tokens. */
export const modelPriceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
});
/** Price per million tokens (see `modelPriceSchema`). */
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** Fields of a named model; `baseURL` differs between what is accepted and what was stored. */
function modelConfigObject<U extends z.ZodType<string>>(baseURL: U) {
  return z
    .strictObject({
      provider: z.enum(MODEL_PROVIDERS),
      /**
       * What the model is for: `chat` (agents, users, judges, critics) or `embedding` (retrieval,
       * `groundwork learn --embed`). Each use refuses a model declared for the other. @default either
       */
      kind: z.enum(MODEL_KINDS).optional(),
      /** Model id as the provider knows it. */
      model: z.string().min(1),
      /** API base URL: http(s), no credentials. @default the provider's (Ollama: http://127.0.0.1:11434/v1); required for openai-compatible */
      baseURL: baseURL.optional(),
      /** Environment variable with the API key. @default OPENAI_API_KEY / ANTHROPIC_API_KEY; none for ollama and openai-compatible */
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, not a key')
        .optional(),
      /** Sampling temperature. @default the role's default (agent 0, user 1) */
      temperature: z.number().min(0).max(2).optional(),
      /** Maximum output tokens per call. @default provider default (Anthropic: 4096) */
      maxTokens: z.number().int().positive().optional(),
      /** Price per million tokens, for cost accounting. @default unpriced (cost 0) */
      pricePerMillion: modelPriceSchema.optional(),
      limits: modelLimitsSchema.optional(),
    })
    .refine((config) => config.provider !== 'openai-compatible' || config.baseURL !== undefined, {
      message: 'openai-compatible models need a baseURL',
      path: ['baseURL'],
    });
}

/**
 * A named model in the config file (`models: { NAME: {...} }`). API keys are never written in
 * the config: `apiKeyEnv` names the environment variable holding it. The base URL must pass
 * `baseUrlProblem` (http(s), no credentials).
 */
export const modelConfigSchema = modelConfigObject(
  z.string().superRefine((url, context) => {
    const problem = baseUrlProblem(url);
    // Never echo the URL itself: it may hold the credential being refused.
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
);
/** A named model of the config file (see `modelConfigSchema`). */
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** The `models:` section of a config file: name -> model. */
export const modelsConfigSchema = z.record(z.string().min(1), modelConfigSchema);
/** The `models:` section: name -> model. */
export type ModelsConfig = z.infer<typeof modelsConfigSchema>;

/**
 * The `models:` section as stored with a run: any URL, as runs stored before the base URL rules
 * were, so they stay readable (`show`, `report`); a model hub refuses a bad one before any call.
 */
export const storedModelsConfigSchema = z.record(z.string().min(1), modelConfigObject(z.url()));
