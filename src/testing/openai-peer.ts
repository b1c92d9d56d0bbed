import type { JsonValue } from '../schema/json.ts';
import { estimateTokens, startPeer, type ModelPeer, type PeerOptions, type PeerScript, type WireFormat } from './peer-server.ts';

const openAIFormat: WireFormat = {
  paths: ['/chat/completions'],
  successBody(request, reply, serial) {
    const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
      id: call.id ?? `call_${serial}_${index}`,
      type: 'function',
      function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
    }));
    const message: Record<string, JsonValue> = { role: 'assistant', content: reply.text ?? null };
    if (toolCalls.length) message.tool_calls = toolCalls;
    const inputTokens = reply.usage?.inputTokens ?? estimateTokens(request.body?.messages);
    const outputTokens = reply.usage?.outputTokens ?? estimateTokens((reply.text ?? '') + JSON.stringify(toolCalls));
    return {
      id: `chatcmpl-${serial}`,
      object: 'chat.completion',
      created: 1700000000,
      model: String(request.body?.model ?? 'peer'),
      choices: [{ index: 0, message, finish_reason: reply.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop') }],
      usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
    };
  },
  errorBody(status, message) {
    return { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'server_error', param: null, code: null } };
  },
  embeddingPaths: ['/embeddings'],
  embeddingBody(request, vectors, inputTokens) {
    return {
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', embedding, index })),
      model: String(request.body?.model ?? 'peer'),
      usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
    };
  },
};

/**
 * Starts a local server speaking the OpenAI chat-completions wire format (non-streaming, with
 * tool calls) and the embeddings endpoint (`/embeddings`, answered by `embedding` replies) on
 * 127.0.0.1, answering from `script`. Works for the `openai`, `ollama` and `openai-compatible`
 * providers. Close it after the test.
 */
export function startOpenAIPeer(script: PeerScript = [], options: PeerOptions = {}): Promise<ModelPeer> {
  return startPeer(openAIFormat, script, options);
}

/** A script answering every embeddings request with the peer's embedding function (chat requests get a 400). */
export const embeddingsOnly: PeerScript = () => ({ kind: 'embedding' });

/** The chat messages of a request received by an OpenAI peer. */
export function openAIMessages(body: any): { role: string; content?: unknown; tool_calls?: unknown[]; tool_call_id?: string }[] {
  return Array.isArray(body?.messages) ? body.messages : [];
}
