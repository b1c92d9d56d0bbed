import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3, LanguageModelV3Message } from '@ai-sdk/provider';
import { jsonSchema, tool, type ToolSet } from 'ai';
import { agentMessages } from '../agents/llm-agent.ts';
import { agentToolSpecs } from '../agents/tool-specs.ts';
import { helpdeskTools } from '../domains/helpdesk/tools.ts';
import { MODEL_CONVERSATION } from '../testing/model-conversation.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer, PeerReply } from '../testing/peer-server.ts';
import { chatCompletionsBody, probeChatCompletionsWire, readChatCompletion, StringJsonCache } from './chat-completions-wire.ts';
import { directCallOptions, languageModelPrompt, prepareTools, readDirectResult } from './direct-call.ts';
import type { ModelConfig } from './model-config.ts';
import { ModelHub } from './model-hub.ts';
import { CALL_ROUTE_HEADER, type ModelRequest } from './model-session.ts';
import { modelToolSet } from './tool-set.ts';

/**
 * The chat-completions wire against the provider it stands in for (@ai-sdk/openai-compatible, as
 * installed): the same request bytes for every prompt shape it builds, the same reading of every
 * answer it accepts (and no answer accepted that the provider refuses), and through the hub against
 * a local HTTP peer: the same requests, answers, retries, errors and cassettes with the wire on and off.
 */

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-wire-peers' };
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

/** The provider as the hub builds it, over a fetch that records the request and answers `answer`. */
function capturing(answer: { status: number; body: string }) {
  const sent: { url: string; headers: Record<string, string>; body: string }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    sent.push({ url: String(input), headers: init?.headers as Record<string, string>, body: String(init?.body) });
    return new Response(answer.body, { status: answer.status, headers: { 'content-type': 'application/json' } });
  };
  const model = createOpenAICompatible({ name: 'openai-compatible', baseURL: 'http://peer.test/v1', includeUsage: true, fetch }).chatModel(
    'm-test',
  ) as LanguageModelV3;
  return { model, sent };
}

const helpdesk = modelToolSet(agentToolSpecs({ tools: helpdeskTools } as unknown as Parameters<typeof agentToolSpecs>[0], false));
const strictTools: ToolSet = {
  strict_on: tool({ inputSchema: jsonSchema({ type: 'object', properties: {} }), strict: true }),
  strict_off: tool({
    description: 'no strict',
    inputSchema: jsonSchema({ type: 'object', properties: { a: { type: 'number' } } }),
    strict: false,
  }),
};

const events = MODEL_CONVERSATION;

const text = (value: string) => ({ type: 'text' as const, text: value });
const call = (toolCallId: string, input: unknown) => ({ type: 'tool-call' as const, toolCallId, toolName: 'find_person', input });
const result = (toolCallId: string, value: string, error = false) => ({
  type: 'tool-result' as const,
  toolCallId,
  toolName: 'find_person',
  output: { type: error ? ('error-text' as const) : ('text' as const), value },
});

/** Prompts of every shape the direct path builds, with tools and settings. */
const prompts: {
  name: string;
  prompt: LanguageModelV3Message[];
  tools?: ToolSet;
  settings: { temperature?: number; maxOutputTokens?: number };
}[] = [
  {
    name: 'the LLM agent',
    prompt: languageModelPrompt('You are the helpdesk agent.', agentMessages(events))!,
    tools: helpdesk,
    settings: { temperature: 0, maxOutputTokens: 300 },
  },
  {
    name: 'the LLM user',
    prompt: languageModelPrompt('A user.', [{ role: 'user', content: 'Hi! How can I help?' }])!,
    settings: { temperature: 1 },
  },
  {
    name: 'no system, no settings',
    prompt: languageModelPrompt(undefined, agentMessages(events, undefined, true))!,
    tools: helpdesk,
    settings: {},
  },
  {
    name: 'user parts: none, one, two',
    prompt: [
      { role: 'user', content: [] },
      { role: 'user', content: [text('one')] },
      { role: 'user', content: [text('a'), text('b')] },
    ],
    settings: { maxOutputTokens: 1 },
  },
  {
    name: 'assistant: empty text, text only, calls only, text and calls; string inputs',
    prompt: [
      { role: 'user', content: [text('go')] },
      { role: 'assistant', content: [] },
      { role: 'assistant', content: [text('a'), text('b')] },
      { role: 'assistant', content: [call('k1', '{"query":"x"}'), call('k2', 'not json'), call('k3', ''), call('k4', '  {"a" : 1}  ')] },
      {
        role: 'tool',
        content: [result('k1', ''), result('k2', 'bad', true), result('k3', '{"x":1}'), result('k4', 'ok')],
      },
      { role: 'assistant', content: [text('t'), call('k5', { a: { b: [] } }), call('k6', 7), call('k7', null)] },
      { role: 'tool', content: [result('k5', '1'), result('k6', '2'), result('k7', '3')] },
      // Prototype keys, plain and escaped: the provider's secure parse refuses them, so they are quoted again.
      {
        role: 'assistant',
        content: [
          call('p1', '{"__proto__":{"x":1}}'),
          call('p2', '{"\\u005f_proto__":1}'),
          call('p3', '{"\\u0063onstructor":{"prototype":{}}}'),
          call('p4', '{"constructor":1}'),
        ],
      },
      { role: 'tool', content: [result('p1', 'a'), result('p2', 'b'), result('p3', 'c'), result('p4', 'd')] },
    ],
    tools: strictTools,
    settings: { temperature: 0.7 },
  },
  {
    // Long strings (kept by the strings cache), repeated, with quotes, escapes, control characters and unicode.
    name: 'long strings, repeated, escaped',
    prompt: (() => {
      const long = `Policy "quoted" \\ back\tslash\n${'é ✓ \u2028 \u0001 '.repeat(40)}`;
      const rows = JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ id: `p-${i}`, note: 'a "b" \\c' })));
      return [
        { role: 'system', content: long },
        { role: 'user', content: [text(long)] },
        { role: 'assistant', content: [text(long), call('c1', rows)] },
        { role: 'tool', content: [result('c1', rows)] },
        { role: 'user', content: [text(long), text(rows)] },
        { role: 'assistant', content: [text(rows)] },
        // Long strings that differ only at their end.
        { role: 'user', content: [text(`${long} A`)] },
        { role: 'user', content: [text(`${long} B`)] },
      ] as LanguageModelV3Message[];
    })(),
    tools: helpdesk,
    settings: { temperature: 0 },
  },
];

describe('the chat-completions wire against @ai-sdk/openai-compatible', () => {
  it('builds the request body the provider sends, byte for byte, for every prompt shape', async () => {
    const strings = new StringJsonCache();
    for (const { name, prompt, tools, settings } of prompts) {
      const prepared = tools ? await prepareTools(tools) : undefined;
      const { model, sent } = capturing({ status: 200, body: JSON.stringify({ choices: [{ message: { content: 'x' } }] }) });
      await model.doGenerate(directCallOptions(prompt, prepared, settings, {}, new AbortController().signal)!);
      const toolsJson = new WeakMap();
      assert.equal(chatCompletionsBody('m-test', prompt, prepared, settings, toolsJson), sent[0].body, name);
      assert.equal(chatCompletionsBody('m-test', prompt, prepared, settings, toolsJson), sent[0].body, `${name} (tools JSON reused)`);
      // With the strings cache: its first request, then one whose long strings it remembers.
      for (const time of ['first', 'again']) {
        assert.equal(
          chatCompletionsBody('m-test', prompt, prepared, settings, toolsJson, strings),
          sent[0].body,
          `${name} (strings ${time})`,
        );
      }
    }
  });

  it('leaves to the provider what it builds differently: provider tools', async () => {
    const providerTool = [{ type: 'provider' as const, name: 'web', id: 'openai.web_search' as const, args: {} }];
    assert.equal(chatCompletionsBody('m', [{ role: 'user', content: [text('go')] }], providerTool, {}), undefined);
  });

  /** Answers around every field the provider's schema reads; `accepted`: the wire reads it (else the provider does). */
  const answers: { name: string; body: string; accepted: boolean }[] = [];
  const raw = (name: string, body: string, accepted: boolean) => answers.push({ name, body, accepted });
  const answer = (name: string, value: unknown, accepted: boolean) => raw(name, JSON.stringify(value), accepted);
  const message = (fields: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
    id: 'chatcmpl-1',
    created: 1700000000,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', ...fields }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    ...rest,
  });
  const calls = (...list: unknown[]) => ({ content: null, tool_calls: list });
  const fn = (id: unknown, name: string, args: string) => ({ id, type: 'function', function: { name, arguments: args } });
  answer('text', message({ content: 'Hello.' }), true);
  answer('empty text', message({ content: '' }), true);
  answer('no content', message({}), true);
  answer(
    'tool calls: valid, unknown tool, bad JSON, empty input',
    message(
      calls(fn('a', 'find_person', '{"query":"x"}'), fn('b', 'nope', '{}'), fn('c', 'find_person', '{"qu'), fn('d', 'find_person', '')),
    ),
    true,
  );
  answer(
    'duplicate tool call ids',
    message(calls(fn('e', 'find_person', '{"query":"1"}'), fn('e', 'get_person', '{"person_id":"p"}'))),
    true,
  );
  answer('reasoning_content and reasoning', message({ content: 'x', reasoning_content: 'why', reasoning: 'other' }), true);
  answer('reasoning only', message({ content: 'x', reasoning: 'why' }), true);
  answer('null role, null fields', message({ role: null, content: null, reasoning_content: null, tool_calls: null, refusal: null }), true);
  answer('non-string refusal', message({ content: 'x', refusal: false }), true);
  answer('empty refusal', message({ content: 'x', refusal: '' }), true);
  for (const reason of ['stop', 'length', 'content_filter', 'tool_calls', 'function_call', 'other', 'weird', null])
    raw(`finish ${reason}`, JSON.stringify({ choices: [{ message: { content: 'x' }, finish_reason: reason }] }), true);
  answer('no finish reason', { choices: [{ message: { content: 'x' } }] }, true);
  answer('usage null', message({ content: 'x' }, { usage: null }), true);
  answer('usage missing counts', message({ content: 'x' }, { usage: { total_tokens: 4 } }), true);
  answer(
    'usage details',
    message(
      { content: 'x' },
      {
        usage: {
          prompt_tokens: 5,
          completion_tokens: 2,
          prompt_tokens_details: { cached_tokens: 1 },
          completion_tokens_details: { reasoning_tokens: 1, accepted_prediction_tokens: 0 },
        },
      },
    ),
    true,
  );
  answer('two choices', { choices: [{ message: { content: 'first' } }, { message: { content: 'second' } }] }, true);
  answer(
    'extra fields anywhere',
    {
      object: 'chat.completion',
      system_fingerprint: 'fp',
      choices: [{ index: 0, logprobs: null, message: { content: 'x', annotations: [] }, finish_reason: 'stop' }],
    },
    true,
  );
  // Left to the provider: it reads them differently, or refuses them.
  answer('refusal', message({ content: null, refusal: 'I cannot.' }), false);
  answer('content parts', message({ content: [{ type: 'text', text: 'a' }] }), false);
  answer('tool call without id', message(calls(fn(undefined, 'find_person', '{}'))), false);
  answer('tool call with null id', message(calls(fn(null, 'find_person', '{}'))), false);
  answer(
    'thought signature',
    message(calls({ ...fn('a', 'find_person', '{}'), extra_content: { google: { thought_signature: 's' } } })),
    false,
  );
  answer('no choices', { choices: [] }, false);
  answer('choices missing', { id: 'x' }, false);
  answer('array answer', [], false);
  answer('role user', message({ role: 'user', content: 'x' }), false);
  answer('content number', message({ content: 5 }), false);
  answer('arguments object', message(calls({ id: 'a', type: 'function', function: { name: 'find_person', arguments: { q: 1 } } })), false);
  answer('tool name missing', message(calls({ id: 'a', function: { arguments: '{}' } })), false);
  answer('tool calls not a list', message({ content: 'x', tool_calls: {} }), false);
  answer('usage as string', message({ content: 'x' }, { usage: 'lots' }), false);
  answer('usage count as string', message({ content: 'x' }, { usage: { prompt_tokens: '5' } }), false);
  answer('usage details wrong', message({ content: 'x' }, { usage: { prompt_tokens_details: { cached_tokens: 'x' } } }), false);
  answer('created as string', message({ content: 'x' }, { created: 'now' }), false);
  answer('id as number', message({ content: 'x' }, { id: 7 }), false);
  answer('second choice malformed', { choices: [{ message: { content: 'ok' } }, { message: 'no' }] }, false);
  answer('finish reason number', { choices: [{ message: { content: 'x' }, finish_reason: 1 }] }, false);
  raw('infinite count', '{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1e999}}', false);
  raw('prototype key', '{"choices":[{"message":{"content":"x"}}],"__proto__":{"polluted":1}}', false);
  raw('escaped prototype key', '{"\\u005f_proto__":{},"choices":[{"message":{"content":"x"}}]}', false);
  raw(
    'escaped constructor.prototype in a message',
    '{"choices":[{"message":{"content":"x","\\u0063onstructor":{"prototype":{}}}}]}',
    false,
  );
  raw('a constructor key (read by both)', '{"choices":[{"message":{"content":"x","constructor":1}}]}', true);
  raw('not JSON', '<html>busy</html>', false);
  raw('truncated', '{"choices":[{"message":{"content":"x"', false);

  it('reads every answer it accepts as the provider does, and accepts none the provider refuses', async () => {
    const prepared = await prepareTools(helpdesk);
    const prompt = prompts[0].prompt;
    for (const { name, body, accepted } of answers) {
      const { model } = capturing({ status: 200, body });
      let theirs: unknown;
      let refused: unknown;
      try {
        theirs = await readDirectResult(
          await model.doGenerate(directCallOptions(prompt, prepared, {}, {}, new AbortController().signal)!),
          helpdesk,
        );
      } catch (error) {
        refused = error;
      }
      const read = readChatCompletion(body);
      assert.equal(read !== undefined, accepted, `${name}: ${read ? 'read by the wire' : 'left to the provider'}`);
      if (!read) continue;
      assert.equal(refused, undefined, `${name}: the provider refuses it, the wire must not read it`);
      assert.deepEqual(await readDirectResult(read, helpdesk), theirs, name);
    }
    assert.ok(answers.filter((a) => a.accepted).length >= 20);
  });

  it('is used only when the installed provider builds and reads its probe exactly so', async () => {
    const build = (fetch: typeof globalThis.fetch) =>
      createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: 'http://peer.test/v1',
        apiKey: 'sk-probe',
        includeUsage: true,
        fetch,
      }).chatModel('m-test') as LanguageModelV3;
    const probe = await probeChatCompletionsWire(build, 'm-test', { 'user-agent': 'ai/test' }, CALL_ROUTE_HEADER);
    const wire = 'wire' in probe ? probe.wire : undefined;
    assert.equal(wire?.url, 'http://peer.test/v1/chat/completions');
    assert.equal(wire?.headers.authorization, 'Bearer sk-probe');
    assert.equal(wire?.headers[CALL_ROUTE_HEADER], undefined);
    // A provider that builds another body (here: its own temperature), or reads answers another way.
    const otherBody = (fetch: typeof globalThis.fetch): LanguageModelV3 => {
      const inner = build(fetch);
      return { ...inner, doGenerate: (options) => inner.doGenerate({ ...options, temperature: 0.5 }) } as LanguageModelV3;
    };
    const otherReading = (fetch: typeof globalThis.fetch): LanguageModelV3 => {
      const inner = build(fetch);
      return {
        ...inner,
        doGenerate: async (options) => {
          const out = await inner.doGenerate(options);
          return { ...out, finishReason: { unified: 'stop', raw: 'stop' } };
        },
      } as LanguageModelV3;
    };
    const body = { reason: "the provider's request body for the probe differs from the wire's" };
    assert.deepEqual(await probeChatCompletionsWire(otherBody, 'm-test', {}, CALL_ROUTE_HEADER), body);
    assert.deepEqual(await probeChatCompletionsWire(otherReading, 'm-test', {}, CALL_ROUTE_HEADER), {
      reason: 'the provider reads the probe answer differently from the wire',
    });
    assert.deepEqual(await probeChatCompletionsWire(build, 'another-model', {}, CALL_ROUTE_HEADER), body, 'the model id is in the body');
    const broken = (): LanguageModelV3 => {
      throw new Error('no such provider option');
    };
    assert.deepEqual(await probeChatCompletionsWire(broken, 'm-test', {}, CALL_ROUTE_HEADER), {
      reason: 'the probe failed: no such provider option',
    });
  });
});

describe('the wire through the hub, against a local OpenAI-compatible peer, on and off', () => {
  const request: ModelRequest = { system: 'You are the helpdesk agent.', messages: agentMessages(events), tools: helpdesk, temperature: 0 };

  /** The same script answered with the wire on and off: answers (or errors), and what reached the peer. */
  async function both(
    script: PeerReply[],
    requests: ModelRequest[] = [request],
    hubOptions: { record?: string; replay?: string }[] = [{}, {}],
  ) {
    const out = [];
    for (const [index, chatWire] of [true, false].entries()) {
      const peer = await startOpenAIPeer([...script]);
      peers.push(peer);
      const hub = new ModelHub({
        env: ENV,
        chatWire,
        models: { m: { provider: 'openai-compatible', model: 'm-test', baseURL: peer.url, apiKeyEnv: 'OPENAI_API_KEY' } as ModelConfig },
        retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5 },
        ...hubOptions[index],
      });
      const session = hub.session('m', { role: 'agent', trial: 0, seed: 1 });
      const results = [];
      for (const each of requests) {
        try {
          const {
            usage: { latencyMs: _latency, ...usage },
            ...answer
          } = await session.generate(each);
          results.push({ answer, usage });
        } catch (error) {
          results.push({ error: String(error) });
        }
      }
      const seen = peer.requests.map(({ path, headers: { host: _host, ...headers }, body }) => ({
        path,
        headers,
        body: JSON.stringify(body),
      }));
      out.push({
        results,
        seen,
        chatWire: await (hub as unknown as { chatWire(model: unknown): Promise<unknown> }).chatWire(hub.resolve('m')),
      });
    }
    const [on, off] = out;
    assert.ok(on.chatWire, 'the wire passed its probe');
    return { on, off };
  }

  it('the same requests and answers for plain answers, error statuses, retries and answers the provider reads', async () => {
    const script: PeerReply[] = [
      { kind: 'message', text: 'Looking.', toolCalls: [{ id: 'a', name: 'find_person', arguments: { query: 'x' } }] },
      { kind: 'error', status: 429, headers: { 'retry-after': '0' } },
      { kind: 'message', text: 'after a 429' },
      { kind: 'error', status: 500, message: 'overloaded' },
      { kind: 'message', toolCalls: [{ id: 'b', name: 'nope', arguments: '{"broken' }] },
      {
        kind: 'raw',
        body: JSON.stringify({ choices: [{ message: { content: [{ type: 'text', text: 'parts' }] }, finish_reason: 'stop' }] }),
      },
      { kind: 'raw', body: JSON.stringify({ choices: [{ message: { content: null, refusal: 'No.' }, finish_reason: 'stop' }] }) },
      { kind: 'raw', body: 'not json at all' },
      { kind: 'error', status: 400, message: 'bad request: unknown model' },
    ];
    const { on, off } = await both(
      script,
      Array.from({ length: 7 }, () => request),
    );
    assert.deepEqual(on.results, off.results);
    assert.deepEqual(on.seen, off.seen);
    // 1 + 2 (429, retried) + 2 (500, retried) + 1 + 1 + 2 (not JSON: retried, then the 400) + 1 (script exhausted):
    // an answer left to the provider is read from the reply received, never requested a second time.
    assert.equal(on.seen.length, 10);
    assert.deepEqual(
      on.results.map((r) => (r.answer ? `${r.answer.text}|${r.answer.finishReason}|${r.answer.attempts}` : 'error')),
      ['Looking.|tool-calls|1', 'after a 429|stop|2', '|tool-calls|2', 'parts|stop|1', 'No.|content-filter|1', 'error', 'error'],
    );
    assert.match(JSON.stringify(on.results[5]), /HTTP 400: bad request: unknown model after 2 attempts/);
  });

  it('an error status is a failure even when its body reads as an answer', async () => {
    const looksAnswered = JSON.stringify({ choices: [{ message: { content: 'all done' }, finish_reason: 'stop' }] });
    const { on, off } = await both([
      { kind: 'raw', status: 503, body: looksAnswered },
      { kind: 'message', text: 'after the 503' },
    ]);
    assert.deepEqual(on.results, off.results);
    assert.deepEqual(
      on.results.map((r) => r.answer && `${r.answer.text}|${r.answer.attempts}`),
      ['after the 503|2'],
    );
  });

  it('the same failures for a dropped connection, a refused one, a timeout and a reply over the cap', async () => {
    const dropped = await both([{ kind: 'reset' }, { kind: 'reset' }, { kind: 'message', text: 'back' }]);
    assert.deepEqual(dropped.on.results, dropped.off.results);
    assert.equal(dropped.on.seen.length, 3);
    const closed = await startOpenAIPeer([]);
    await closed.close();
    const failures = [];
    for (const chatWire of [true, false]) {
      const errors = [];
      for (const [name, config] of [
        ['refused', { baseURL: closed.url, limits: { maxRetries: 0 } }],
        ['timeout', { limits: { timeoutMs: 50, maxRetries: 0 } }],
        ['cap', { limits: { maxReplyBytes: 64, maxRetries: 0 } }],
      ] as const) {
        const peer = await startOpenAIPeer([
          name === 'timeout' ? { kind: 'message', text: 'late', delayMs: 500 } : { kind: 'message', text: 'x'.repeat(200) },
        ]);
        peers.push(peer);
        const hub = new ModelHub({
          env: ENV,
          chatWire,
          models: { m: { provider: 'openai-compatible', model: 'm-test', baseURL: peer.url, ...config } as ModelConfig },
          retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5 },
        });
        const error = await hub
          .session('m', { role: 'agent', trial: 0, seed: 1 })
          .generate(request)
          .then(
            () => 'answered',
            (caught: unknown) => String(caught).replace(/:\d+\//g, ':PORT/'),
          );
        errors.push(`${name}: ${error}`);
      }
      failures.push(errors);
    }
    assert.deepEqual(failures[0], failures[1]);
    assert.match(failures[0].join('\n'), /refused: .*connection refused.* at http:\/\/127\.0\.0\.1:PORT\/v1/);
    assert.match(failures[0].join('\n'), /timeout: .*timeout after 50 ms/);
    assert.match(failures[0].join('\n'), /cap: .*reply too large/);
  });

  it('cassettes recorded with the wire replay without it, and the other way round', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'gw-wire-a-')), mkdtempSync(join(tmpdir(), 'gw-wire-b-'))];
    try {
      const script: PeerReply[] = [
        { kind: 'message', text: 'one', toolCalls: [{ id: 'a', name: 'find_person', arguments: { query: 'x' } }] },
        { kind: 'message', text: 'two' },
      ];
      const recorded = await both(script, [request, request], [{ record: dirs[0] }, { record: dirs[1] }]);
      // Wire on replays what the wire-off hub recorded, and the reverse: no request reaches a peer.
      const replayed = await both([], [request, request], [{ replay: dirs[1] }, { replay: dirs[0] }]);
      assert.deepEqual(replayed.on.results, recorded.off.results);
      assert.deepEqual(replayed.off.results, recorded.on.results);
      assert.deepEqual(recorded.on.results, recorded.off.results);
      assert.equal(replayed.on.seen.length + replayed.off.seen.length, 0);
      assert.equal(JSON.stringify(replayed.on.results).includes('REPLAY_MISS'), false);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});
