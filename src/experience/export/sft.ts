import type { EpisodeRecord } from '../../store/store.ts';
import { isVerifiedSuccess } from '../demonstrations.ts';
import { chatMessages } from './chat-format.ts';
import type { ChatTool, SftLine } from './schemas.ts';

/** Why an episode is not an SFT example, or undefined when it is one. */
export function sftExclusion(episode: Pick<EpisodeRecord, 'reward' | 'termination'>, simulatorFaulted: boolean): string | undefined {
  if (episode.termination === 'infra_error') return 'infra_error';
  if (!isVerifiedSuccess(episode)) return 'failed';
  if (simulatorFaulted) return 'simulator_faulted';
  return undefined;
}

/**
 * One SFT line from a verified success: the conversation in OpenAI's chat format, trailing
 * non-assistant messages dropped (the user's closing thanks teaches nothing). Undefined when the
 * episode is excluded (failed, infra error, simulator-faulted) or has no assistant message.
 */
export function sftLine(episode: EpisodeRecord, policy: string, tools: ChatTool[], simulatorFaulted: boolean): SftLine | undefined {
  if (sftExclusion(episode, simulatorFaulted)) return undefined;
  const messages = chatMessages(policy, episode.trajectory.events);
  while (messages.length && messages.at(-1)!.role !== 'assistant') messages.pop();
  if (messages.length < 3) return undefined;
  return { messages, tools, parallel_tool_calls: false };
}
