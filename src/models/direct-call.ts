import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FunctionTool,
  LanguageModelV3Message,
  LanguageModelV3ProviderTool,
  LanguageModelV3ToolCall,
} from '@ai-sdk/provider';
import { safeParseJSON, safeValidateTypes } from '@ai-sdk/provider-utils';
import { asSchema, MissingToolResultsError, NoSuchToolError, InvalidToolInputError, type ModelMessage, type ToolSet } from 'ai';

/**
 * The AI SDK's `generateText` for one step without tool execution, done directly on the provider's
 * `LanguageModelV3.doGenerate`: the same call options (prompt, tools, settings, headers), so the
 * same request on the wire, and the same reading of the answer (text, tool calls with `invalid`
 * for unknown tools and bad JSON, finish reason, usage). What it leaves out is the per-call cost:
 * zod validation of the whole history (our messages are built valid by our own code), telemetry
 * and step bookkeeping. Anything outside the shapes our agents and users build returns undefined
 * from `directCallOptions`, and the caller goes through `generateText` (which validates) instead.
 */

/** Tools as the provider is given them, prepared once per tool set. */
export type PreparedTools = (LanguageModelV3FunctionTool | LanguageModelV3ProviderTool)[];

/** The call settings `generateText` passes (every key, in its order). */
export interface DirectSettings {
  temperature?: number;
  maxOutputTokens?: number;
}

/**
 * `prepareToolsAndToolChoice` of the AI SDK for a tool set without `activeTools`, once. Undefined
 * for a tool type it does not know (the caller falls back to `generateText`).
 */
export async function prepareTools(tools: ToolSet): Promise<PreparedTools | undefined> {
  const prepared: PreparedTools = [];
  for (const [name, tool] of Object.entries(tools)) {
    switch (tool.type) {
      case undefined:
      case 'dynamic':
      case 'function':
        prepared.push({
          type: 'function',
          name,
          description: tool.description,
          inputSchema: (await asSchema(tool.inputSchema).jsonSchema) as LanguageModelV3FunctionTool['inputSchema'],
          ...(tool.inputExamples != null ? { inputExamples: tool.inputExamples } : {}),
          providerOptions: tool.providerOptions,
          ...(tool.strict != null ? { strict: tool.strict } : {}),
        } as LanguageModelV3FunctionTool);
        break;
      case 'provider':
        prepared.push({ type: 'provider', name, id: tool.id, args: tool.args } as LanguageModelV3ProviderTool);
        break;
      default:
        return undefined;
    }
  }
  return prepared;
}

type Part = { type?: unknown; text?: unknown; toolCallId?: unknown; toolName?: unknown; input?: unknown; output?: unknown };

/** A tool result's output the fast path passes through as is (what `mapToolResultOutput` does for them). */
function plainOutput(output: unknown): boolean {
  if (output === null || typeof output !== 'object') return false;
  const { type, value } = output as { type?: unknown; value?: unknown };
  return (type === 'text' || type === 'error-text') && typeof value === 'string' && !('providerOptions' in output);
}

/**
 * `convertToLanguageModelPrompt(standardizePrompt(...))` for messages of the shapes Groundwork
 * builds: user and assistant text, assistant tool calls, tool results as text. Undefined for
 * anything else (images, files, provider options, system messages...) so the SDK handles it.
 * Throws MissingToolResultsError exactly where the SDK does.
 */
export function languageModelPrompt(system: string | undefined, messages: readonly ModelMessage[]): LanguageModelV3Message[] | undefined {
  if (system !== undefined && typeof system !== 'string') return undefined;
  if (messages.length === 0) return undefined; // the SDK's InvalidPromptError
  const prompt: LanguageModelV3Message[] = system !== undefined ? [{ role: 'system', content: system }] : [];
  for (const message of messages) {
    if ((message as { providerOptions?: unknown }).providerOptions !== undefined) return undefined;
    const content = message.content as unknown;
    switch (message.role) {
      case 'user': {
        if (typeof content === 'string') {
          prompt.push({ role: 'user', content: [{ type: 'text', text: content }], providerOptions: undefined });
          break;
        }
        if (!Array.isArray(content)) return undefined;
        const parts: { type: 'text'; text: string; providerOptions: undefined }[] = [];
        for (const part of content as Part[]) {
          if (part.type !== 'text' || typeof part.text !== 'string' || 'providerOptions' in part) return undefined;
          if (part.text !== '') parts.push({ type: 'text', text: part.text, providerOptions: undefined });
        }
        prompt.push({ role: 'user', content: parts, providerOptions: undefined });
        break;
      }
      case 'assistant': {
        if (typeof content === 'string') {
          prompt.push({ role: 'assistant', content: [{ type: 'text', text: content }], providerOptions: undefined });
          break;
        }
        if (!Array.isArray(content)) return undefined;
        const parts: Extract<LanguageModelV3Message, { role: 'assistant' }>['content'] = [];
        for (const part of content as Part[]) {
          if ('providerOptions' in part) return undefined;
          if (part.type === 'text') {
            if (typeof part.text !== 'string') return undefined;
            if (part.text !== '') parts.push({ type: 'text', text: part.text, providerOptions: undefined });
          } else if (part.type === 'tool-call') {
            if (typeof part.toolCallId !== 'string' || typeof part.toolName !== 'string' || 'providerExecuted' in part) return undefined;
            parts.push({
              type: 'tool-call',
              toolCallId: part.toolCallId,
              toolName: part.toolName,
              input: part.input,
              providerExecuted: undefined,
              providerOptions: undefined,
            });
          } else return undefined;
        }
        prompt.push({ role: 'assistant', content: parts, providerOptions: undefined });
        break;
      }
      case 'tool': {
        if (!Array.isArray(content)) return undefined;
        const parts: Extract<LanguageModelV3Message, { role: 'tool' }>['content'] = [];
        for (const part of content as Part[]) {
          if (part.type !== 'tool-result' || typeof part.toolCallId !== 'string' || typeof part.toolName !== 'string') return undefined;
          if ('providerOptions' in part || !plainOutput(part.output)) return undefined;
          parts.push({
            type: 'tool-result',
            toolCallId: part.toolCallId,
            toolName: part.toolName,
            output: part.output as { type: 'text'; value: string },
            providerOptions: undefined,
          });
        }
        // Consecutive tool messages are one (no provider options to merge on this path).
        const last = prompt[prompt.length - 1];
        if (last?.role === 'tool') last.content.push(...parts);
        else prompt.push({ role: 'tool', content: parts, providerOptions: undefined });
        break;
      }
      default:
        return undefined;
    }
  }
  // Every tool call needs its result before the next user or system message (the SDK's check).
  const open = new Set<string>();
  for (const message of prompt) {
    if (message.role === 'assistant') {
      for (const part of message.content) if (part.type === 'tool-call') open.add(part.toolCallId);
    } else if (message.role === 'tool') {
      for (const part of message.content) if (part.type === 'tool-result') open.delete(part.toolCallId);
    } else if (open.size > 0) throw new MissingToolResultsError({ toolCallIds: Array.from(open) });
  }
  if (open.size > 0) throw new MissingToolResultsError({ toolCallIds: Array.from(open) });
  return prompt.filter((message) => message.role !== 'tool' || message.content.length > 0);
}

/**
 * The options `generateText` gives `doGenerate` for one step (same keys, same order), or
 * undefined when the settings are ones the SDK would refuse (it then reports them).
 */
export function directCallOptions(
  prompt: LanguageModelV3Message[],
  tools: PreparedTools | undefined,
  settings: DirectSettings,
  headers: Record<string, string>,
  abortSignal: AbortSignal,
): LanguageModelV3CallOptions | undefined {
  const { maxOutputTokens, temperature } = settings;
  if (maxOutputTokens != null && (!Number.isInteger(maxOutputTokens) || maxOutputTokens < 1)) return undefined;
  if (temperature != null && typeof temperature !== 'number') return undefined;
  const hasTools = tools !== undefined && tools.length > 0;
  return {
    maxOutputTokens,
    temperature,
    topP: undefined,
    topK: undefined,
    presencePenalty: undefined,
    frequencyPenalty: undefined,
    stopSequences: undefined,
    seed: undefined,
    tools: hasTools ? tools : undefined,
    toolChoice: hasTools ? { type: 'auto' } : undefined,
    responseFormat: undefined,
    prompt,
    providerOptions: undefined,
    abortSignal,
    headers,
  };
}

/** A tool call as `generateText`'s result gives it (the fields Groundwork reads). */
export interface ParsedToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
  invalid?: boolean;
}

/** What one step gave: `generateText`'s `text`, `toolCalls`, `finishReason` and `usage`. */
export interface DirectResult {
  text: string;
  toolCalls: ParsedToolCall[];
  finishReason: string;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
}

/** `parseToolCall` of the AI SDK without repair: unknown tools and unreadable input are `invalid`. */
async function parseToolCall(call: LanguageModelV3ToolCall, tools: ToolSet | undefined): Promise<ParsedToolCall> {
  try {
    const tool = tools?.[call.toolName];
    if (tools == null || tool == null) {
      if (call.providerExecuted && call.dynamic) {
        const parsed = call.input.trim() === '' ? { success: true as const, value: {} } : await safeParseJSON({ text: call.input });
        if (!parsed.success) throw new InvalidToolInputError({ toolName: call.toolName, toolInput: call.input, cause: parsed.error });
        return { toolCallId: call.toolCallId, toolName: call.toolName, input: parsed.value };
      }
      throw new NoSuchToolError({ toolName: call.toolName, ...(tools ? { availableTools: Object.keys(tools) } : {}) });
    }
    const schema = asSchema(tool.inputSchema);
    const parsed =
      call.input.trim() === '' ? await safeValidateTypes({ value: {}, schema }) : await safeParseJSON({ text: call.input, schema });
    if (!parsed.success) throw new InvalidToolInputError({ toolName: call.toolName, toolInput: call.input, cause: parsed.error });
    return { toolCallId: call.toolCallId, toolName: call.toolName, input: parsed.value };
  } catch {
    const parsed = await safeParseJSON({ text: call.input });
    return { toolCallId: call.toolCallId, toolName: call.toolName, input: parsed.success ? parsed.value : call.input, invalid: true };
  }
}

/** What `readDirectResult` reads of a `doGenerate` answer. */
export type GenerateResult = Pick<Awaited<ReturnType<LanguageModelV3['doGenerate']>>, 'content' | 'finishReason' | 'usage'>;

/** Reads a `doGenerate` answer the way `generateText` builds its one-step result. */
export async function readDirectResult(result: GenerateResult, tools: ToolSet | undefined): Promise<DirectResult> {
  const content: LanguageModelV3Content[] = result.content;
  const calls = content.filter((part): part is LanguageModelV3ToolCall => part.type === 'tool-call');
  const parsed = calls.length ? await Promise.all(calls.map((call) => parseToolCall(call, tools))) : [];
  let text = '';
  const toolCalls: ParsedToolCall[] = [];
  for (const part of content) {
    if (part.type === 'text') text += part.text;
    // The result lists, for each call in the answer, the first parsed call with its id (as the SDK does).
    else if (part.type === 'tool-call') toolCalls.push(parsed.find((call) => call.toolCallId === part.toolCallId)!);
  }
  return {
    text,
    toolCalls,
    finishReason: result.finishReason.unified,
    inputTokens: result.usage.inputTokens.total,
    outputTokens: result.usage.outputTokens.total,
  };
}
