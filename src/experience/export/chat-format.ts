import type { Domain } from '../../domains/domain.ts';
import { toolJsonSchema } from '../../domains/tools.ts';
import type { JsonValue } from '../../schema/json.ts';
import type { TrajectoryEvent } from '../../schema/trajectory.ts';
import type { ChatMessage, ChatTool } from './schemas.ts';

/** Tools the orchestrator intercepts (not domain tools): left out of exported conversations. */
const INTERCEPTED = new Set(['report_outcome']);

/** The domain's tools in OpenAI's chat format. */
export function chatTools(domain: Pick<Domain, 'tools'>): ChatTool[] {
  return domain.tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: toolJsonSchema(tool) },
  }));
}

const argumentsText = (value: JsonValue): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A trajectory as OpenAI chat messages from the agent's side: system = policy, user messages,
 * assistant messages (text, and one tool call per assistant message, joined to the text that came
 * just before it), tool results as `tool` messages. Notes, outcome reports and the simulated
 * user's own tool traffic (dual control: the agent never saw it) are left out.
 */
export function chatMessages(policy: string, events: readonly TrajectoryEvent[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: policy }];
  const skipped = new Set<string>();
  for (const event of events) {
    switch (event.type) {
      case 'message':
        messages.push(event.role === 'user' ? { role: 'user', content: event.content } : { role: 'assistant', content: event.content });
        break;
      case 'tool_call': {
        if (INTERCEPTED.has(event.name) || event.actor === 'user') {
          skipped.add(event.id);
          break;
        }
        const call = { id: event.id, type: 'function' as const, function: { name: event.name, arguments: argumentsText(event.arguments) } };
        const last = messages.at(-1)!;
        // The orchestrator records a reply's text just before its calls: one assistant message.
        if (last.role === 'assistant' && !last.tool_calls) last.tool_calls = [call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'tool_result':
        if (!skipped.has(event.callId) && event.actor !== 'user')
          messages.push({ role: 'tool', tool_call_id: event.callId, content: event.content });
        break;
      default:
        break;
    }
  }
  return messages;
}

/** A message without call ids, for comparing two conversations (ids differ between episodes). */
export function comparable(message: ChatMessage): string {
  if (message.role === 'assistant')
    return JSON.stringify([message.role, message.content, (message.tool_calls ?? []).map((c) => [c.function.name, c.function.arguments])]);
  if (message.role === 'tool') return JSON.stringify([message.role, message.content]);
  return JSON.stringify([message.role, message.content]);
}
