import { continues, EpisodeWrapper, type EpisodeAction, type EpisodeEnv, type EpisodeStep } from '../env.ts';

/**
 * Keeps only the first tool call of each agent turn, for domains whose original harness executes
 * one call per reply (τ-bench); the others never run, and a note says how many were sent.
 */
export class SingleToolCallPerTurn extends EpisodeWrapper {
  static readonly wrapperName = 'single-tool-call-per-turn';
  private callsLeft = 0;

  constructor(env: EpisodeEnv) {
    super(env, { name: SingleToolCallPerTurn.wrapperName, args: {} });
  }

  override step(action: EpisodeAction): EpisodeStep {
    if (action.type === 'tool_call') {
      if (this.callsLeft === 0) return continues(this.record.events);
      this.callsLeft--;
      return this.env.step(action);
    }
    if (action.type !== 'agent_turn') return this.env.step(action);
    const calls = action.turn.toolCalls ?? [];
    this.callsLeft = Math.min(calls.length, 1);
    if (calls.length <= 1) return this.env.step(action);
    const step = this.env.step({ type: 'agent_turn', turn: { ...action.turn, toolCalls: calls.slice(0, 1) } });
    this.record.note(`kept the first of ${calls.length} tool calls (domain executes one call per turn)`);
    return step;
  }
}
