import type { TrajectoryEvent } from '../schema/trajectory.ts';

/**
 * A helpdesk conversation as the LLM agent builds its model messages from it, for tests of model
 * calls: user text, tool calls (one to an unknown tool, with arguments that are not JSON), their
 * results (one an error), an agent message, and a user message with characters JSON escapes
 * (accents, CJK, quotes, an emoji, a lone surrogate, a line separator, `</script>`).
 */
export const MODEL_CONVERSATION: readonly TrajectoryEvent[] = [
  { type: 'message', role: 'user', content: 'I cannot open the finance folder.' },
  { type: 'tool_call', id: 'c1', name: 'find_person', arguments: { query: 'alex', n: [1, 2.5e-7, null, true] } },
  { type: 'tool_call', id: 'c2', name: 'no_such_tool', arguments: '{"broken' },
  { type: 'tool_result', callId: 'c1', name: 'find_person', content: '[{"id":"p-001"}]', isError: false },
  { type: 'tool_result', callId: 'c2', name: 'no_such_tool', content: 'unknown tool', isError: true },
  { type: 'message', role: 'agent', content: 'Found you. Anything else?' },
  { type: 'message', role: 'user', content: 'No, thanks \u00e9\u4e2d "quoted" \ud83d\ude00 \ud800 \u2028 </script>' },
] as TrajectoryEvent[];
