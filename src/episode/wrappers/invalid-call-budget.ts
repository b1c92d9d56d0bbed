import { ends, EpisodeWrapper, type EpisodeAction, type EpisodeEnv, type EpisodeStep } from '../env.ts';

/**
 * Tolerates `maxInvalidToolCalls` invalid steps per episode (unknown tool, arguments that are
 * not JSON or fail the schema, an invalid `report_outcome`, a reply with neither text nor calls);
 * one more ends the episode with `agent_error` at once, before the rest of the turn runs.
 */
export class InvalidCallBudget extends EpisodeWrapper {
  static readonly wrapperName = 'invalid-call-budget';
  private invalid = 0;

  constructor(
    env: EpisodeEnv,
    readonly maxInvalidToolCalls: number,
  ) {
    super(env, { name: InvalidCallBudget.wrapperName, args: { maxInvalidToolCalls } });
  }

  override reset(): EpisodeStep {
    this.invalid = 0;
    return this.env.reset();
  }

  override step(action: EpisodeAction): EpisodeStep {
    const step = this.env.step(action);
    if (!step.invalid || ++this.invalid <= this.maxInvalidToolCalls) return step;
    const what = step.invalid === 'reply' ? 'invalid replies' : 'invalid tool calls';
    return ends(step.observation, 'agent_error', `more than ${this.maxInvalidToolCalls} ${what}`);
  }
}
