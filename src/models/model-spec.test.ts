import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroundworkError } from '../errors.ts';
import { runConfigSchema } from '../schema/run-config.ts';
import { ModelHub } from './model-hub.ts';
import { modelConfigSchema, resolveModel } from './model-config.ts';
import { formatModelSpec, isModelSpec, parseModelSpec } from './model-spec.ts';

describe('parseModelSpec', () => {
  const table: [string, ReturnType<typeof parseModelSpec>][] = [
    ['openai:gpt-4o', { provider: 'openai', model: 'gpt-4o' }],
    ['anthropic:claude-sonnet-4-5', { provider: 'anthropic', model: 'claude-sonnet-4-5' }],
    ['ollama:llama3.1:8b', { provider: 'ollama', model: 'llama3.1:8b' }],
    [
      'openai-compatible:qwen2.5@http://127.0.0.1:8080/v1',
      { provider: 'openai-compatible', model: 'qwen2.5', baseURL: 'http://127.0.0.1:8080/v1' },
    ],
    [
      'openai-compatible:meta-llama/Llama-3.1-8B@https://openrouter.ai/api/v1',
      { provider: 'openai-compatible', model: 'meta-llama/Llama-3.1-8B', baseURL: 'https://openrouter.ai/api/v1' },
    ],
    [
      'openai-compatible:claude@20240620@http://h:1/v1',
      { provider: 'openai-compatible', model: 'claude@20240620', baseURL: 'http://h:1/v1' },
    ],
    ['openai:gpt-4o@http://127.0.0.1:9/v1', { provider: 'openai', model: 'gpt-4o', baseURL: 'http://127.0.0.1:9/v1' }],
  ];
  for (const [spec, expected] of table) {
    it(spec, () => {
      assert.deepEqual(parseModelSpec(spec), expected);
      assert.equal(formatModelSpec(parseModelSpec(spec)), spec);
      assert.ok(isModelSpec(spec));
    });
  }

  for (const bad of ['gpt-4o', 'azure:gpt-4o', 'openai:', 'openai-compatible:qwen', 'openai-compatible:@http://h/v1', ':x']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseModelSpec(bad),
        (error: unknown) =>
          GroundworkError.isInstance(error) && error.code === 'INVALID_ARGUMENT' && error.message.includes(JSON.stringify(bad)),
      );
    });
  }
  it('isModelSpec is false for built-in names', () => {
    assert.equal(isModelSpec('oracle'), false);
    assert.equal(isModelSpec('scripted'), false);
  });
});

describe('modelConfigSchema and resolveModel', () => {
  it('fills defaults from the provider', () => {
    assert.deepEqual(resolveModel('ollama:qwen3'), {
      name: 'ollama:qwen3',
      provider: 'ollama',
      model: 'qwen3',
      baseURL: 'http://127.0.0.1:11434/v1',
      limits: { concurrency: 8, timeoutMs: 120000, maxRetries: 5, maxReplyBytes: 4 * 1024 * 1024 },
    });
    const openai = resolveModel('openai:gpt-4o');
    assert.equal(openai.baseURL, 'https://api.openai.com/v1');
    assert.equal(openai.apiKeyEnv, 'OPENAI_API_KEY');
    assert.equal(resolveModel('anthropic:claude-x').apiKeyEnv, 'ANTHROPIC_API_KEY');
  });

  it('a named model wins over spec parsing and keeps every field', () => {
    const models = {
      fast: modelConfigSchema.parse({
        provider: 'openai-compatible',
        model: 'qwen',
        baseURL: 'https://openrouter.ai/api/v1/',
        apiKeyEnv: 'OPENROUTER_API_KEY',
        temperature: 0.2,
        maxTokens: 512,
        pricePerMillion: { input: 0.5, output: 1.5 },
        limits: { concurrency: 2, requestsPerMinute: 30, timeoutMs: 5000, maxRetries: 1, maxReplyBytes: 1000 },
      }),
    };
    assert.deepEqual(resolveModel('fast', models), {
      name: 'fast',
      provider: 'openai-compatible',
      model: 'qwen',
      baseURL: 'https://openrouter.ai/api/v1',
      apiKeyEnv: 'OPENROUTER_API_KEY',
      temperature: 0.2,
      maxTokens: 512,
      pricePerMillion: { input: 0.5, output: 1.5 },
      limits: { concurrency: 2, requestsPerMinute: 30, timeoutMs: 5000, maxRetries: 1, maxReplyBytes: 1000 },
    });
  });

  it('rejects keys written in the config, unknown fields and missing base URLs', () => {
    assert.equal(modelConfigSchema.safeParse({ provider: 'openai', model: 'x', apiKey: 'sk-123' }).success, false);
    assert.equal(modelConfigSchema.safeParse({ provider: 'openai', model: 'x', apiKeyEnv: 'sk-abc-123' }).success, false);
    assert.equal(modelConfigSchema.safeParse({ provider: 'openai-compatible', model: 'x' }).success, false);
    assert.equal(modelConfigSchema.safeParse({ provider: 'openai', model: 'x', limits: { burst: 3 } }).success, false);
    assert.equal(modelConfigSchema.safeParse({ provider: 'ollama', model: 'x' }).success, true);
  });
});

describe('base URL rules (issue 13)', () => {
  const refused: [string, RegExp][] = [
    ['javascript:alert(1)', /only http/],
    ['file:///etc/passwd', /only http/],
    ['ftp://example.com/v1', /only http/],
    ['http://user:pass@127.0.0.1:8000/v1', /must not contain credentials/],
    ['https://key-only@example.com/v1', /must not contain credentials/],
    ['http://127.0.0.1:8000/v1?api_key=abcdef123456', /credential query parameter \(api_key=\)/],
    ['http://127.0.0.1:8000/v1?key=abcdef123456', /credential query parameter/],
    ['http://127.0.0.1:8000/v1?x=1&token=abcdef123456', /credential query parameter/],
    ['not a url', /not a valid URL/],
  ];
  for (const [url, reason] of refused) {
    it(`a model config refuses ${url}, without echoing it`, () => {
      const parsed = modelConfigSchema.safeParse({ provider: 'openai-compatible', model: 'x', baseURL: url });
      assert.equal(parsed.success, false);
      const messages = parsed.error!.issues.map((issue) => issue.message).join('; ');
      assert.match(messages, reason);
      for (const secret of ['user:pass@', 'key-only', 'abcdef123456']) assert.ok(!messages.includes(secret), messages);
    });
  }

  it('accepts plain http(s) base URLs, with harmless query parameters', () => {
    for (const url of ['http://127.0.0.1:8000/v1', 'https://openrouter.ai/api/v1', 'https://x.example/v1?api-version=2024-01-01'])
      assert.equal(modelConfigSchema.safeParse({ provider: 'openai-compatible', model: 'x', baseURL: url }).success, true, url);
  });

  it('model specs go through the same check, and the error does not repeat the credential', () => {
    for (const spec of [
      'openai-compatible:m@http://user:hunter2pass@127.0.0.1:8000/v1',
      'openai:m@https://api.example/v1?api_key=abcdef123456',
    ]) {
      assert.throws(
        () => parseModelSpec(spec),
        (error: unknown) =>
          GroundworkError.isInstance(error) &&
          error.code === 'INVALID_ARGUMENT' &&
          /invalid base URL/.test(error.message) &&
          !error.message.includes('hunter2pass') &&
          !error.message.includes('abcdef123456'),
      );
    }
    assert.throws(() => parseModelSpec('openai-compatible:m@javascript:alert(1)'), /needs a base URL/);
  });

  it('a model hub refuses a bad URL before any call; a run stored with one stays readable', () => {
    const models = { bad: { provider: 'openai' as const, model: 'x', baseURL: 'http://user:hunter2pass@127.0.0.1:9/v1' } };
    assert.throws(
      () => new ModelHub({ models }),
      (error: unknown) =>
        GroundworkError.isInstance(error) &&
        error.code === 'INVALID_CONFIG' &&
        /bad\.baseURL: a base URL must not contain credentials/.test(error.message) &&
        !error.message.includes('hunter2pass'),
    );
    // Runs stored before the rule are read back as they were (nothing stored is lost).
    assert.equal(runConfigSchema.safeParse({ domain: 'helpdesk', agents: ['bad'], models }).success, true);
  });
});
