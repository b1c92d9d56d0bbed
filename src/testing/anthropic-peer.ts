import type { JsonValue } from '../schema/json.ts';
import { estimateTokens, startPeer, type ModelPeer, type PeerScript, type WireFormat } from './peer-server.ts';

const anthropicFormat: WireFormat = {
  paths: ['/messages'],
  successBody(request, reply, serial) {
    const content: JsonValue[] = [];
    if (reply.text !== undefined) content.push({ type: 'text', text: reply.text });
    (reply.toolCalls ?? []).forEach((call, index) => {
      let input: JsonValue = call.arguments as JsonValue;
      if (typeof call.arguments === 'string') {
        try {
          input = JSON.parse(call.arguments);
        } catch {
          input = call.arguments;
        }
      }
      content.push({ type: 'tool_use', id: call.id ?? `toolu_${serial}_${index}`, name: call.name, input });
    });
    const hasTools = (reply.toolCalls ?? []).length > 0;
    return {
      id: `msg_${serial}`,
      type: 'message',
      role: 'assistant',
      model: String(request.body?.model ?? 'peer'),
      content,
      stop_reason: reply.finishReason ?? (hasTools ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: {
        input_tokens: reply.usage?.inputTokens ?? estimateTokens([request.body?.system, request.body?.messages]),
        output_tokens: reply.usage?.outputTokens ?? estimateTokens(content),
      },
    };
  },
  errorBody(status, message) {
    const type =
      status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
    return { type: 'error', error: { type, message } };
  },
};

/**
 * Starts a local server speaking the Anthropic Messages wire format (non-streaming, with
 * `tool_use` blocks) on 127.0.0.1, answering from `script`. Close it after the test.
 */
export function startAnthropicPeer(script: PeerScript = []): Promise<ModelPeer> {
  return startPeer(anthropicFormat, script);
}
