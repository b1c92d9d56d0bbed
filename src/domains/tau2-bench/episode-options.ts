import type { Domain } from '../domain.ts';

/**
 * How `tau2 run` bounds an episode, for every τ² domain: every tool call of a reply runs, 200 steps
 * (τ²'s `DEFAULT_MAX_STEPS`), and the episode ends after 10 tool errors of either side
 * (`DEFAULT_MAX_ERRORS`, τ²'s `too_many_errors`). τ² has no separate budget for malformed calls
 * (they are tool errors), so ours is set where the error limit always ends the episode first.
 */
export const TAU2_EPISODE_OPTIONS: Domain['options'] = Object.freeze({ maxSteps: 200, maxToolErrors: 10, maxInvalidToolCalls: 10 });
