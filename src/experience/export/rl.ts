import { rlcrReward } from '../../audits/calibration.ts';
import type { EpisodeRecord } from '../../store/store.ts';
import { chatMessages } from './chat-format.ts';
import type { ChatTool, RlLine } from './schemas.ts';

const bit = (pass: boolean): 0 | 1 => (pass ? 1 : 0);

/**
 * One RL line per graded episode (infra errors have no verdict and are left out): the prompt the
 * agent started from, the grounded reward and its components from the stored outcome, and the
 * calibration term when the agent reported an outcome (`report_outcome`).
 */
export function rlLine(
  episode: EpisodeRecord,
  policy: string,
  tools: ChatTool[],
  simulatorFaulted: boolean | undefined,
): RlLine | undefined {
  if (episode.termination === 'infra_error') return undefined;
  const messages = chatMessages(policy, episode.trajectory.events);
  const firstUser = messages.find((m) => m.role === 'user');
  if (!firstUser) return undefined;
  const { outcome } = episode;
  const reward = bit(outcome.reward === 1);
  const report = [...episode.trajectory.events].reverse().find((e) => e.type === 'outcome_report');
  return {
    prompt: { messages: [messages[0], firstUser], tools },
    reward,
    components: {
      state: bit(outcome.state.pass),
      collateral: bit(outcome.collateral.pass),
      communication: bit(outcome.communication.pass),
    },
    ...(report && report.type === 'outcome_report'
      ? {
          calibration: {
            confidence: report.confidence,
            claimedSuccess: report.success,
            outcome: reward,
            rlcrReward: rlcrReward({ q: report.confidence, y: reward }),
          },
        }
      : {}),
    ...(simulatorFaulted !== undefined ? { simulatorFaulted } : {}),
    metadata: {
      runId: episode.runId,
      episodeId: episode.id,
      taskId: episode.taskId,
      family: episode.family,
      agent: episode.agent,
      trial: episode.trial,
      split: episode.split,
      termination: episode.termination,
    },
  };
}
