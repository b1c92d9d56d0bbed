import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { generateText, type LanguageModel, type ModelMessage } from 'ai';
import { agentMessages } from '../agents/llm-agent.ts';
import { helpdeskTools } from '../domains/helpdesk/tools.ts';
import { agentToolSpecs } from '../agents/tool-specs.ts';
import { startAnthropicPeer } from '../testing/anthropic-peer.ts';
import { MODEL_CONVERSATION } from '../testing/model-conversation.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import { maxConcurrent, type ModelPeer, type PeerReply, type PeerScript } from '../testing/peer-server.ts';
import { directCallOptions, languageModelPrompt, prepareTools } from './direct-call.ts';
import type { ModelConfig, ModelsConfig } from './model-config.ts';
import { ModelHub } from './model-hub.ts';
import type { AdmissionStats, ModelAdmission } from './model-limiter.ts';
import type { ModelRequest } from './model-session.ts';
import { modelToolSet } from './tool-set.ts';

/**
 * The direct path (the provider's doGenerate with the options generateText would build) against
 * the real AI SDK: the same requests on the wire and the same reading of the answers, for each
 * provider package; plus the hub's shared provider models, default limits and throttle report.
 */

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-direct-peers', ANTHROPIC_API_KEY: 'sk-ant-test-key-for-direct-peers' };
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

const tools = modelToolSet(agentToolSpecs({ tools: helpdeskTools } as unknown as Parameters<typeof agentToolSpecs>[0], false));

/** A conversation as the LLM agent builds it: user text, tool calls (one unknown), results (one an error). */
const events = MODEL_CONVERSATION;

const requests: ModelRequest[] = [
  { system: 'You are the helpdesk agent.', messages: agentMessages(events), tools, temperature: 0, maxOutputTokens: 300 },
  { system: 'A user.', messages: [{ role: 'user', content: 'Hi! How can I help you today?' }], temperature: 1 },
  { messages: agentMessages(events, undefined, true), tools },
  // Outside the direct path's shapes (user parts array with an empty text): the SDK path answers.
  {
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: '' },
        ],
      },
    ],
  },
];

/** Answers covering the reading of tool calls: valid, unknown tool, bad JSON, empty input, duplicate ids. */
const replies: PeerReply[] = [
  { kind: 'message', text: 'Looking.', toolCalls: [{ id: 'a', name: 'find_person', arguments: { query: 'x' } }] },
  { kind: 'message', toolCalls: [{ id: 'b', name: 'nope', arguments: { q: 1 } }] },
  { kind: 'message', toolCalls: [{ id: 'c', name: 'find_person', arguments: '{"query": "tru' }] },
  { kind: 'message', toolCalls: [{ id: 'd', name: 'find_person', arguments: '' }] },
  {
    kind: 'message',
    toolCalls: [
      { id: 'e', name: 'find_person', arguments: { query: 'one' } },
      { id: 'e', name: 'get_person', arguments: { person_id: 'p-1' } },
    ],
  },
  { kind: 'message', text: 'All done.', usage: { inputTokens: 17, outputTokens: 3 } },
];

type Provider = 'openai' | 'openai-compatible' | 'anthropic';

async function peerFor(provider: Provider, script: PeerScript): Promise<ModelPeer> {
  const peer = provider === 'anthropic' ? await startAnthropicPeer(script) : await startOpenAIPeer(script);
  peers.push(peer);
  return peer;
}

/** The provider model exactly as the hub builds it, with a plain fetch: the reference path. */
function sdkModel(provider: Provider, url: string): LanguageModel {
  if (provider === 'openai') return createOpenAI({ apiKey: ENV.OPENAI_API_KEY, baseURL: url }).chat('m-test');
  if (provider === 'anthropic') return createAnthropic({ apiKey: ENV.ANTHROPIC_API_KEY, baseURL: url })('m-test');
  return createOpenAICompatible({ name: 'openai-compatible', baseURL: url, includeUsage: true }).chatModel('m-test');
}

/** What generateText gives, read the way ModelSession reads it (before redaction, which is identity here). */
async function viaSdk(model: LanguageModel, request: ModelRequest, anthropic: boolean) {
  const result = await generateText({
    model,
    ...(request.system !== undefined ? { system: request.system } : {}),
    messages: request.messages,
    ...(request.tools ? { tools: request.tools } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : anthropic ? { maxOutputTokens: 4096 } : {}),
    maxRetries: 0,
  });
  return {
    text: result.text,
    toolCalls: result.toolCalls.map((call) => ({
      id: call.toolCallId,
      name: call.toolName,
      arguments: call.input === undefined ? {} : call.input,
      invalid: (call as { invalid?: boolean }).invalid === true,
    })),
    finishReason: result.finishReason,
    inputTokens: result.usage.inputTokens ?? 0,
    outputTokens: result.usage.outputTokens ?? 0,
  };
}

/** Every request the peer saw: path, headers (all of them, content-length included) and body. */
function wire(peer: ModelPeer) {
  return peer.requests.map((request) => ({ path: request.path, headers: request.headers, body: JSON.stringify(request.body) }));
}

describe('direct model calls against the real AI SDK', () => {
  for (const provider of ['openai-compatible', 'openai', 'anthropic'] as const) {
    it(`${provider}: the same requests on the wire and the same answers as generateText`, async () => {
      const script = () => {
        let i = 0;
        return () => replies[i++ % replies.length];
      };
      const reference = await peerFor(provider, script());
      const direct = await peerFor(provider, script());
      const model = sdkModel(provider, reference.url);
      const hub = new ModelHub({
        env: ENV,
        models: { m: { provider, model: 'm-test', baseURL: direct.url } as ModelConfig },
      });
      const session = hub.session('m', { role: 'agent', trial: 0, seed: 1 });
      for (let round = 0; round < replies.length; round++) {
        const request = requests[round % requests.length];
        const expected = await viaSdk(model, request, provider === 'anthropic');
        const got = await session.generate(request);
        assert.deepEqual(
          {
            text: got.text,
            toolCalls: got.toolCalls,
            finishReason: got.finishReason,
            inputTokens: got.usage.inputTokens,
            outputTokens: got.usage.outputTokens,
          },
          expected,
          `answer ${round}`,
        );
      }
      const hostless = (list: ReturnType<typeof wire>) => list.map(({ headers: { host, ...headers }, ...rest }) => ({ ...rest, headers }));
      assert.deepEqual(hostless(wire(direct)), hostless(wire(reference)));
      assert.ok(direct.requests.some((r) => JSON.stringify(r.body).includes('find_person')));
    });
  }

  it('builds the call options generateText gives doGenerate', async () => {
    let seen: LanguageModelV3CallOptions | undefined;
    const recorder: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: 'recorder',
      modelId: 'r',
      supportedUrls: {},
      async doGenerate(options) {
        seen = options;
        return {
          content: [],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 1, text: 1, reasoning: 0 },
          },
          warnings: [],
        };
      },
      doStream() {
        throw new Error('unused');
      },
    };
    for (const request of requests.slice(0, 3)) {
      await generateText({
        model: recorder,
        ...(request.system !== undefined ? { system: request.system } : {}),
        messages: request.messages,
        ...(request.tools ? { tools: request.tools } : {}),
        temperature: request.temperature,
        maxOutputTokens: request.maxOutputTokens,
        maxRetries: 0,
      });
      const prompt = languageModelPrompt(request.system, request.messages);
      assert.ok(prompt, 'the agent and user shapes take the direct path');
      const prepared = request.tools ? await prepareTools(request.tools) : undefined;
      const signal = new AbortController().signal;
      const options = directCallOptions(
        prompt,
        prepared,
        { temperature: request.temperature, maxOutputTokens: request.maxOutputTokens },
        seen!.headers as Record<string, string>,
        signal,
      );
      const { abortSignal: _a, ...want } = seen!;
      const { abortSignal: _b, ...have } = options!;
      assert.deepEqual(Object.keys(have), Object.keys(want));
      assert.deepEqual(have, want);
    }
    // The SDK's own errors stay its own: a missing tool result is refused the same way.
    const open: ModelMessage[] = [
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'x', toolName: 'find_person', input: {} }] },
      { role: 'user', content: 'hi' },
    ];
    const sdkError = await generateText({ model: recorder, messages: open, maxRetries: 0 }).catch((error: Error) => error);
    assert.throws(
      () => languageModelPrompt(undefined, open),
      (error: Error) => error.name === (sdkError as Error).name,
    );
  });
});

describe('ModelHub: shared provider models and limits', () => {
  const models = (url: string, limits?: ModelConfig['limits']): ModelsConfig => ({
    m: { provider: 'openai-compatible', model: 'm-test', baseURL: url, ...(limits ? { limits } : {}) } as ModelConfig,
    other: { provider: 'openai-compatible', model: 'o-test', baseURL: url } as ModelConfig,
  });

  it('builds one provider model per model, however many sessions', async () => {
    const peer = await peerFor('openai-compatible', () => ({ kind: 'message', text: 'ok' }));
    const hub = new ModelHub({ env: ENV, models: models(peer.url) });
    const calls = [];
    for (let trial = 0; trial < 20; trial++) {
      for (const name of ['m', 'other'])
        calls.push(hub.session(name, { role: 'agent', trial, seed: 1 }).generate({ messages: [{ role: 'user', content: `t${trial}` }] }));
    }
    const answers = await Promise.all(calls);
    assert.equal(answers.length, 40);
    assert.ok(answers.every((answer) => answer.text === 'ok'));
    assert.equal(hub.languageModelsBuilt, 2);
    assert.equal(peer.requests.length, 40);
    // The route header never leaves the process.
    assert.ok(peer.requests.every((request) => !Object.keys(request.headers).some((name) => name.startsWith('x-groundwork'))));
  });

  it("a model's default concurrency follows the run; a configured limit holds and is reported as throttling", async () => {
    const peer = await peerFor('openai-compatible', () => ({ kind: 'message', text: 'ok', delayMs: 40 }));
    const run = async (hub: ModelHub, name: string, count: number) => {
      const before = peer.requests.length;
      await Promise.all(
        Array.from({ length: count }, (_, trial) =>
          hub.session(name, { role: 'agent', trial, seed: 1 }).generate({ messages: [{ role: 'user', content: 'x' }] }),
        ),
      );
      return maxConcurrent(peer.requests.slice(before));
    };
    // 12 episodes at once: more than the old default of 8, all in flight together.
    const following = new ModelHub({ env: ENV, models: models(peer.url), defaultConcurrency: 12 });
    assert.equal(following.resolve('m').limits.concurrency, 12);
    assert.equal(await run(following, 'other', 12), 12);
    assert.equal(following.throttleReport().text, undefined);
    assert.deepEqual(
      following.throttleReport().models.map((m) => [m.model, m.requests, m.throttled]),
      [['other', 12, false]],
    );
    // A configured limit is the model's, whatever the run asks for, and its waits are reported.
    const limited = new ModelHub({ env: ENV, models: models(peer.url, { concurrency: 2 }), defaultConcurrency: 12 });
    assert.equal(limited.resolve('m').limits.concurrency, 2);
    assert.equal(await run(limited, 'm', 12), 2);
    const report = limited.throttleReport();
    const m = report.models.find((entry) => entry.model === 'm')!;
    assert.equal(m.requests, 12);
    assert.equal(m.concurrency, 2);
    assert.ok(m.throttled && m.waited >= 10 && m.waitMs > 0, JSON.stringify(m));
    assert.match(
      report.text ?? '',
      /^model m: \d+ of 12 requests \(\d+%\) waited [\d.]+ s in all for its limits \(concurrency 2\); raise limits\.concurrency/,
    );
  });

  it('uses the admission it is given, and pauses it on a 429 with Retry-After', async () => {
    const peer = await peerFor('openai-compatible', [
      { kind: 'error', status: 429, headers: { 'retry-after': '0.05' } },
      { kind: 'message', text: 'ok' },
    ]);
    const acquired: string[] = [];
    const pauses: number[] = [];
    const stats: AdmissionStats = { concurrency: 3, requests: 0, waited: 0, waitMs: 0, maxInFlight: 0 };
    const admission = (model: { name: string }): ModelAdmission => ({
      async acquire() {
        acquired.push(model.name);
        stats.requests++;
        return () => undefined;
      },
      pause: (ms) => pauses.push(ms),
      stats: () => stats,
    });
    const hub = new ModelHub({
      env: ENV,
      models: models(peer.url),
      admission,
      retry: { initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
    });
    const answer = await hub.session('m', { role: 'agent', trial: 0, seed: 1 }).generate({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(answer.text, 'ok');
    assert.deepEqual(acquired, ['m', 'm']);
    assert.deepEqual(pauses, [50]);
    assert.equal(hub.throttleReport().models[0].requests, 2);
  });
});
