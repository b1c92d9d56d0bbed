import { ends, EpisodeWrapper, isOver, type EpisodeAction, type EpisodeEnv, type EpisodeStep } from '../env.ts';

/**
 * Truncates the episode with `max_steps` once `maxSteps` agent and user turns were taken
 * (Gymnasium's `TimeLimit`). Checked when a turn is over, so a turn in progress always finishes
 * its tool calls, and a participant never starts a turn past the limit.
 */
export class StepLimit extends EpisodeWrapper {
  static readonly wrapperName = 'step-limit';
  private elapsed = 0;

  constructor(
    env: EpisodeEnv,
    readonly maxSteps: number,
  ) {
    super(env, { name: StepLimit.wrapperName, args: { maxSteps } });
  }

  override reset(): EpisodeStep {
    this.elapsed = 0;
    return this.env.reset();
  }

  override step(action: EpisodeAction): EpisodeStep {
    if (action.type === 'agent_turn' || action.type === 'user_turn') this.elapsed++;
    const step = this.env.step(action);
    if (isOver(step) || !step.next || this.elapsed < this.maxSteps) return step;
    return ends(step.observation, 'max_steps', `reached ${this.maxSteps} steps`);
  }
}
