import { OUTCOME_REPORT_TOOL_NAME } from '../../agents/outcome-report.ts';
import { ends, EpisodeWrapper, isOver, type EpisodeAction, type EpisodeEnv, type EpisodeStep } from '../env.ts';

/**
 * τ²-bench's error limit (`max_errors`, 10 in `tau2 run`): ends the episode once `maxToolErrors`
 * tool calls returned an error — any error (unknown tool, bad arguments, refusal), by either side
 * (the user's own tools count too, as in τ²). Checked when a turn is over, as τ² checks after the
 * environment answered a whole message's calls. τ² ends with `too_many_errors`, which our closed
 * set of reasons does not have: the episode ends with `agent_error` and a detail naming it (τ²
 * scores it as premature, 0, either way). Outcome reports are Groundwork's, not τ²'s: not counted.
 */
export class ToolErrorLimit extends EpisodeWrapper {
  static readonly wrapperName = 'tool-error-limit';
  private errors = 0;
  /** Events already counted. */
  private counted = 0;

  constructor(
    env: EpisodeEnv,
    readonly maxToolErrors: number,
  ) {
    super(env, { name: ToolErrorLimit.wrapperName, args: { maxToolErrors } });
  }

  override reset(): EpisodeStep {
    this.errors = 0;
    this.counted = 0;
    return this.env.reset();
  }

  override step(action: EpisodeAction): EpisodeStep {
    const step = this.env.step(action);
    for (const event of step.observation.slice(this.counted))
      if (event.type === 'tool_result' && event.isError && event.name !== OUTCOME_REPORT_TOOL_NAME) this.errors++;
    this.counted = step.observation.length;
    if (isOver(step) || !step.next || this.errors < this.maxToolErrors) return step;
    return ends(step.observation, 'agent_error', `too_many_errors: ${this.errors} tool errors (limit ${this.maxToolErrors})`);
  }
}
