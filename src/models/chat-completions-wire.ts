import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Content, LanguageModelV3Message } from '@ai-sdk/provider';
import { secureJsonParse, stringifyWithBigIntAndCycles } from '@ai-sdk/provider-utils';
import { jsonSchema, tool, type ToolSet } from 'ai';
import { isDeepStrictEqual } from 'node:util';
import { directCallOptions, prepareTools, readDirectResult, type GenerateResult, type PreparedTools } from './direct-call.ts';

/**
 * The chat-completions wire of `@ai-sdk/openai-compatible` (providers `openai-compatible` and
 * `ollama`) for the direct path's calls, without the provider's per-call machinery: the request
 * body built as its `doGenerate` builds it, and a plain 2xx answer read as it reads one (then
 * through the same `readDirectResult`). About half of what a model call costs the harness
 * (measured in bench/model-latency.ts --breakdown).
 *
 * It never guesses: a prompt, tool or answer outside the plain shapes gives undefined and the
 * provider's own doGenerate handles it (error statuses always do, so failures are classified
 * exactly as before). And it is checked against the installed provider once per model before any
 * use (`probeChatCompletionsWire`): the provider builds a request for a probe prompt and reads a
 * probe answer; only if our body is byte-identical and our reading deep-equal is the wire used.
 */

/** Where and how a model's chat-completions requests go, as its provider sends them. */
export interface ChatCompletionsWire {
  url: string;
  /** The provider's request headers (its auth and user agent), without the hub's route header. */
  headers: Record<string, string>;
  modelId: string;
  /** The JSON of each tool set this model was sent (see `chatCompletionsBody`). */
  toolsJson: ToolsJsonCache;
  /** The JSON of the long strings its requests repeat (see `chatCompletionsBody`). */
  stringsJson: StringJsonCache;
}

/** The JSON of prepared tool sets as the provider sends them, by tool set (null: one it drops). */
export type ToolsJsonCache = WeakMap<PreparedTools, string | null>;

/** The settings a direct call sets (see `directCallOptions`). */
export interface WireSettings {
  temperature?: number;
  maxOutputTokens?: number;
}

/** `serializeToolCallArguments` of the provider: a string that its secure parse reads stays as it is. */
function toolCallArguments(input: unknown): string | undefined {
  if (typeof input !== 'string') return stringifyWithBigIntAndCycles(input);
  try {
    // The provider's parse, which also refuses prototype keys (written plainly or escaped).
    secureJsonParse(input);
    return input;
  } catch {
    return JSON.stringify(input);
  }
}

/**
 * The JSON body the provider's `doGenerate` sends for `directCallOptions(prompt, tools, settings)`
 * (same keys, same order, same bytes), or undefined for shapes the direct path does not build.
 */
export function chatCompletionsBody(
  modelId: string,
  prompt: readonly LanguageModelV3Message[],
  tools: PreparedTools | undefined,
  settings: WireSettings,
  toolsJson: ToolsJsonCache = new WeakMap(),
  strings?: StringJsonCache,
): string | undefined {
  // Each message's JSON as JSON.stringify writes the object the provider builds: written out when
  // its fields are strings (their long ones from `strings`: a conversation sends its system prompt
  // and tool results again with every request), else by JSON.stringify itself.
  const str = strings ? (text: string) => strings.json(text) : (text: string) => JSON.stringify(text);
  const messages: string[] = [];
  for (const message of prompt) {
    if (message.providerOptions !== undefined) return undefined;
    switch (message.role) {
      case 'system': {
        const { content } = message;
        messages.push(
          typeof content === 'string' ? `{"role":"system","content":${str(content)}}` : JSON.stringify({ role: 'system', content }),
        );
        break;
      }
      case 'user': {
        const { content } = message;
        for (const part of content) if (part.type !== 'text' || part.providerOptions !== undefined) return undefined;
        const texts = content as { text: string }[];
        if (texts.every((part) => typeof part.text === 'string')) {
          messages.push(
            texts.length === 1
              ? `{"role":"user","content":${str(texts[0].text)}}`
              : `{"role":"user","content":[${texts.map((part) => `{"type":"text","text":${str(part.text)}}`).join(',')}]}`,
          );
        } else if (texts.length === 1) messages.push(JSON.stringify({ role: 'user', content: texts[0].text }));
        else messages.push(JSON.stringify({ role: 'user', content: texts.map((part) => ({ type: 'text', text: part.text })) }));
        break;
      }
      case 'assistant': {
        let text = '';
        const toolCalls: { id: string; name: string; arguments: string | undefined }[] = [];
        for (const part of message.content) {
          if (part.providerOptions !== undefined) return undefined;
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call')
            toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: toolCallArguments(part.input) });
          else return undefined;
        }
        if (toolCalls.length === 0) messages.push(`{"role":"assistant","content":${str(text)}}`);
        else if (toolCalls.every((c) => typeof c.id === 'string' && typeof c.name === 'string' && typeof c.arguments === 'string')) {
          const calls = toolCalls.map(
            (c) => `{"id":${str(c.id)},"type":"function","function":{"name":${str(c.name)},"arguments":${str(c.arguments!)}}}`,
          );
          messages.push(`{"role":"assistant","content":${text ? str(text) : 'null'},"tool_calls":[${calls.join(',')}]}`);
        } else
          messages.push(
            JSON.stringify({
              role: 'assistant',
              content: text || null,
              tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
            }),
          );
        break;
      }
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result' || part.providerOptions !== undefined) return undefined;
          const { output } = part;
          if (output.type !== 'text' && output.type !== 'error-text') return undefined;
          messages.push(
            typeof part.toolCallId === 'string' && typeof output.value === 'string'
              ? `{"role":"tool","tool_call_id":${str(part.toolCallId)},"content":${str(output.value)}}`
              : JSON.stringify({ role: 'tool', tool_call_id: part.toolCallId, content: output.value }),
          );
        }
        break;
      default:
        return undefined;
    }
  }
  const toolsText = tools !== undefined && tools.length > 0 ? wireToolsJson(tools, toolsJson) : undefined;
  if (toolsText === null) return undefined;
  // JSON.stringify of { model, max_tokens, temperature, messages, tools, tool_choice } (undefined
  // fields left out), with the tools' JSON made once per tool set: most of a request's bytes.
  // Written by one join, so the body is one flat string made once: a body built by `+` is flattened
  // again by the first reader that needs its bytes (its length in UTF-8, for Content-Length).
  const parts = [`{"model":${JSON.stringify(modelId)}`];
  if (settings.maxOutputTokens !== undefined) parts.push(`,"max_tokens":${JSON.stringify(settings.maxOutputTokens)}`);
  if (settings.temperature !== undefined) parts.push(`,"temperature":${JSON.stringify(settings.temperature)}`);
  parts.push(',"messages":[');
  for (let i = 0; i < messages.length; i++) parts.push(i === 0 ? messages[i] : `,${messages[i]}`);
  parts.push(']');
  if (toolsText !== undefined) parts.push(',"tools":', toolsText, ',"tool_choice":"auto"');
  parts.push('}');
  return parts.join('');
}

/**
 * JSON.stringify of the long strings a model's requests repeat (a system prompt, tool results),
 * each made once while it is remembered; bounded (forgotten when full, then made again).
 */
export class StringJsonCache {
  private readonly texts = new Map<string, string>();
  /** Characters held: each string and its JSON. */
  private chars = 0;

  /** JSON.stringify(text). */
  json(text: string): string {
    if (text.length < CACHED_STRING_LENGTH) return JSON.stringify(text);
    let json = this.texts.get(text);
    if (json === undefined) {
      json = JSON.stringify(text);
      const chars = text.length + json.length;
      if (chars > CACHED_CHARS / 4) return json;
      if (this.texts.size >= CACHED_STRINGS || this.chars + chars > CACHED_CHARS) {
        this.texts.clear();
        this.chars = 0;
      }
      this.texts.set(text, json);
      this.chars += chars;
    }
    return json;
  }
}

/** Strings shorter than this are written each time (cheaper than looking them up). */
const CACHED_STRING_LENGTH = 128;
/** Strings a `StringJsonCache` remembers: every long string of a few hundred conversations in flight. */
const CACHED_STRINGS = 4096;
/** Characters it holds at most (strings and their JSON: tool results can be long); a string over a quarter of it is never kept. */
const CACHED_CHARS = 16 * 1024 * 1024;

/** The JSON of a prepared tool set as the provider sends it (null: a tool it drops, left to it), made once per cache. */
function wireToolsJson(tools: PreparedTools, cache: ToolsJsonCache): string | null {
  let json = cache.get(tools);
  if (json !== undefined) return json;
  const wireTools: unknown[] = [];
  for (const prepared of tools) {
    // Provider-defined tools are dropped with a warning by the provider: leave them to it.
    if (prepared.type !== 'function') {
      cache.set(tools, null);
      return null;
    }
    wireTools.push({
      type: 'function',
      function: {
        name: prepared.name,
        description: prepared.description,
        parameters: prepared.inputSchema,
        ...(prepared.strict != null ? { strict: prepared.strict } : {}),
      },
    });
  }
  json = JSON.stringify(wireTools);
  cache.set(tools, json);
  return json;
}

const isNullish = (value: unknown) => value === null || value === undefined;
const nullishString = (value: unknown) => isNullish(value) || typeof value === 'string';
const nullishNumber = (value: unknown) => isNullish(value) || (typeof value === 'number' && Number.isFinite(value));
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
/** Nullish, or an object whose listed fields are nullish numbers. */
const nullishCounts = (value: unknown, fields: readonly string[]) =>
  isNullish(value) || (isObject(value) && fields.every((field) => nullishNumber(value[field])));

/** The usage fields the provider's schema checks. */
function plainUsage(usage: unknown): boolean {
  if (isNullish(usage)) return true;
  if (!isObject(usage)) return false;
  return (
    nullishNumber(usage.prompt_tokens) &&
    nullishNumber(usage.completion_tokens) &&
    nullishNumber(usage.total_tokens) &&
    nullishCounts(usage.prompt_tokens_details, ['cached_tokens']) &&
    nullishCounts(usage.completion_tokens_details, ['reasoning_tokens', 'accepted_prediction_tokens', 'rejected_prediction_tokens'])
  );
}

/** One choice as the provider's schema accepts it, with string (or no) content, no refusal, ids on every tool call. */
function plainChoice(choice: unknown): boolean {
  if (!isObject(choice) || !nullishString(choice.finish_reason)) return false;
  const { message } = choice;
  if (!isObject(message)) return false;
  if (!isNullish(message.role) && message.role !== 'assistant') return false;
  if (!nullishString(message.content) || !nullishString(message.reasoning_content) || !nullishString(message.reasoning)) return false;
  // A refusal string becomes text and changes the finish reason: the provider reads those.
  if (typeof message.refusal === 'string' && message.refusal.length > 0) return false;
  if (isNullish(message.tool_calls)) return true;
  if (!Array.isArray(message.tool_calls)) return false;
  return message.tool_calls.every(
    (call) =>
      isObject(call) &&
      // A missing id is generated by the provider; extra_content carries provider metadata.
      typeof call.id === 'string' &&
      isNullish(call.extra_content) &&
      isObject(call.function) &&
      typeof call.function.name === 'string' &&
      typeof call.function.arguments === 'string',
  );
}

/** `mapOpenAICompatibleFinishReason` of the provider (no refusal on this path). */
function unifiedFinishReason(reason: unknown): 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'other' {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    case 'function_call':
    case 'tool_calls':
      return 'tool-calls';
    default:
      return 'other';
  }
}

/**
 * A 2xx chat-completions answer read as the provider's `doGenerate` reads it (content, finish
 * reason, usage), or undefined when it is not plainly one the provider reads the same way: then
 * the provider reads it (and reports what is wrong with it, as before).
 */
export function readChatCompletion(text: string): GenerateResult | undefined {
  let answer: unknown;
  try {
    // The provider's parse: it refuses prototype keys (plain or escaped), which JSON.parse reads.
    answer = secureJsonParse(text);
  } catch {
    return undefined;
  }
  if (!isObject(answer) || !nullishString(answer.id) || !nullishNumber(answer.created) || !nullishString(answer.model)) return undefined;
  const { choices, usage } = answer;
  if (!Array.isArray(choices) || choices.length === 0 || !choices.every(plainChoice) || !plainUsage(usage)) return undefined;
  const { message, finish_reason: finishReason } = choices[0] as { message: Record<string, unknown>; finish_reason?: string | null };
  const content: LanguageModelV3Content[] = [];
  const reasoning = (message.reasoning_content ?? message.reasoning) as string | null | undefined;
  if (reasoning != null && reasoning.length > 0) content.push({ type: 'reasoning', text: reasoning });
  if (typeof message.content === 'string' && message.content.length > 0) content.push({ type: 'text', text: message.content });
  for (const call of (message.tool_calls ?? []) as { id: string; function: { name: string; arguments: string } }[])
    content.push({ type: 'tool-call', toolCallId: call.id, toolName: call.function.name, input: call.function.arguments });
  const counts = usage as { prompt_tokens?: number | null; completion_tokens?: number | null } | null | undefined;
  const noCounts = { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined };
  return {
    content,
    finishReason: { unified: unifiedFinishReason(finishReason), raw: finishReason ?? undefined },
    // readDirectResult reads the totals only (the provider's: 0 for a missing count when usage is there).
    usage: counts
      ? {
          inputTokens: { ...noCounts, total: counts.prompt_tokens ?? 0 },
          outputTokens: { total: counts.completion_tokens ?? 0, text: undefined, reasoning: undefined },
        }
      : { inputTokens: noCounts, outputTokens: { total: undefined, text: undefined, reasoning: undefined } },
  };
}

/** The probe's request: every message and part shape the direct path builds, and one tool. */
const PROBE_TOOLS: ToolSet = {
  look_up: tool({
    description: 'Probe tool',
    inputSchema: jsonSchema({
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
      additionalProperties: false,
    }),
  }),
};
const PROBE_PROMPT: LanguageModelV3Message[] = [
  { role: 'system', content: 'Probe system prompt "quoted" \u2013 ü' },
  { role: 'user', content: [{ type: 'text', text: 'one part' }] },
  {
    role: 'user',
    content: [
      { type: 'text', text: 'first of two' },
      { type: 'text', text: 'second' },
    ],
  },
  {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Looking.' },
      { type: 'tool-call', toolCallId: 'call_1', toolName: 'look_up', input: { query: 'x', n: [1, 2.5, null] } },
      { type: 'tool-call', toolCallId: 'call_2', toolName: 'look_up', input: '{"query":"y"}' },
    ],
  },
  {
    role: 'tool',
    content: [
      { type: 'tool-result', toolCallId: 'call_1', toolName: 'look_up', output: { type: 'text', value: '[]' } },
      { type: 'tool-result', toolCallId: 'call_2', toolName: 'look_up', output: { type: 'error-text', value: 'no such thing' } },
    ],
  },
  { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_3', toolName: 'look_up', input: 'not json' }] },
  { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_3', toolName: 'look_up', output: { type: 'text', value: 'ok' } }] },
  { role: 'assistant', content: [{ type: 'text', text: 'Done.' }] },
  { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
];
const PROBE_ANSWER = JSON.stringify({
  id: 'probe',
  created: 1,
  model: 'probe',
  choices: [
    {
      message: {
        role: 'assistant',
        content: 'Sure.',
        reasoning_content: 'thinking',
        tool_calls: [
          { id: 'call_9', type: 'function', function: { name: 'look_up', arguments: '{"query":"z"}' } },
          { id: 'call_10', type: 'function', function: { name: 'nope', arguments: '{' } },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 2 } },
});

/** What a probe found: the wire to use, or why every call goes through the provider. */
export type WireProbe = { wire: ChatCompletionsWire } | { reason: string };

/**
 * The wire of one model, checked against its own provider: `build` makes the provider's language
 * model over the fetch given (as the hub builds it). The provider sends the probe request to a fetch
 * that answers locally (nothing reaches the network); the wire is given only if our body for the
 * same call is byte-identical and our reading of the probe answer equals the provider's; otherwise
 * why not (another provider version or shape: every call then goes through the provider).
 */
export async function probeChatCompletionsWire(
  build: (fetch: typeof globalThis.fetch) => LanguageModelV3,
  modelId: string,
  sdkHeaders: Record<string, string>,
  routeHeader: string,
): Promise<WireProbe> {
  let sent: { url: string; headers: Record<string, string>; body: unknown } | undefined;
  const capture: typeof globalThis.fetch = async (input, init) => {
    const headers = init?.headers;
    if (!isObject(headers) || headers instanceof Headers || typeof input !== 'string') throw new Error('unexpected probe request');
    const { [routeHeader]: _route, ...rest } = headers as Record<string, string>;
    sent = { url: input, headers: rest, body: init?.body };
    return new Response(PROBE_ANSWER, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  try {
    const prepared = await prepareTools(PROBE_TOOLS);
    const settings = { temperature: 0.25, maxOutputTokens: 64 };
    const options = directCallOptions(
      [...PROBE_PROMPT],
      prepared,
      settings,
      { ...sdkHeaders, [routeHeader]: 'probe' },
      new AbortController().signal,
    ) as LanguageModelV3CallOptions;
    const theirs = await readDirectResult(await build(capture).doGenerate(options), PROBE_TOOLS);
    const ours = readChatCompletion(PROBE_ANSWER);
    if (!sent || !ours || sent.body !== chatCompletionsBody(modelId, PROBE_PROMPT, prepared, settings))
      return { reason: "the provider's request body for the probe differs from the wire's" };
    if (!isDeepStrictEqual(await readDirectResult(ours, PROBE_TOOLS), theirs))
      return { reason: 'the provider reads the probe answer differently from the wire' };
    return { wire: { url: sent.url, headers: sent.headers, modelId, toolsJson: new WeakMap(), stringsJson: new StringJsonCache() } };
  } catch (error) {
    return { reason: `the probe failed: ${(error as Error).message}` };
  }
}
