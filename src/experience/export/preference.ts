import type { EpisodeRecord } from '../../store/store.ts';
import { isVerifiedSuccess } from '../demonstrations.ts';
import { chatMessages, comparable } from './chat-format.ts';
import type { ChatMessage, ChatTool, PreferenceLine } from './schemas.ts';

/** Messages both conversations share from the start (ids ignored). */
export function sharedPrefixLength(a: readonly ChatMessage[], b: readonly ChatMessage[]): number {
  let n = 0;
  while (n < a.length && n < b.length && comparable(a[n]) === comparable(b[n])) n++;
  return n;
}

/**
 * Preference pairs of one task: each failure is paired with the success sharing the longest
 * prefix with it, when both then act (an assistant message) from that same point: the same state
 * and conversation, different actions. Simulator-faulted and infra-error episodes take no part.
 */
export function preferencePairs(
  episodes: readonly EpisodeRecord[],
  policy: string,
  tools: ChatTool[],
  faulted: ReadonlySet<string>,
): PreferenceLine[] {
  const usable = episodes.filter((e) => e.termination !== 'infra_error' && !faulted.has(e.id));
  const successes = usable.filter(isVerifiedSuccess).map((e) => ({ episode: e, messages: chatMessages(policy, e.trajectory.events) }));
  const failures = usable.filter((e) => e.reward < 1).map((e) => ({ episode: e, messages: chatMessages(policy, e.trajectory.events) }));
  const lines: PreferenceLine[] = [];
  for (const failure of failures) {
    let best: { success: (typeof successes)[number]; shared: number } | undefined;
    for (const success of successes) {
      const shared = sharedPrefixLength(success.messages, failure.messages);
      const acted = success.messages[shared]?.role === 'assistant' && failure.messages[shared]?.role === 'assistant';
      // At least the system message and the user's opening must be shared.
      if (acted && shared >= 2 && (!best || shared > best.shared)) best = { success, shared };
    }
    if (!best) continue;
    const { success, shared } = best;
    lines.push({
      input: { messages: success.messages.slice(0, shared), tools, parallel_tool_calls: false },
      preferred_output: [success.messages[shared]],
      non_preferred_output: [failure.messages[shared]],
      metadata: {
        taskId: failure.episode.taskId,
        runId: failure.episode.runId,
        preferredEpisodeId: success.episode.id,
        nonPreferredEpisodeId: failure.episode.id,
        sharedPrefix: shared - 1,
      },
    });
  }
  return lines;
}
