/**
 * What the audit numbers measure, in one place for the CLI, the report and the viewer (no imports:
 * the viewer's browser bundle reads it too).
 */
/** What the simulator-fidelity numbers measure (one text for the CLI, the report and the viewer). */
export const FIDELITY_TEXT =
  'Simulator fidelity measures the simulated user, not the agent: per UGST category, the share of goal items the user kept — profile facts never contradicted, policy (what it must not know or invent) never broken, objectives and requirements pursued (asked for; whether the agent then did them is under goal outcomes), preferences expressed when the conversation gave the chance (e.g. the agent asked to confirm). Items the user never had the chance to express are not counted (n/a). The same user should score the same whichever agent it talks to; low values mean the user contradicted its profile, broke its policy, never asked for part of its goal or ignored a chance to state a preference. Simulator faults are listed beside.';
/** What the goal-outcome numbers measure. */
export const GOAL_OUTCOME_TEXT =
  "Goal outcomes measure the agent's side of the user's goal: each objective and requirement is completed (the final state shows it done), blocked (not done; the agent refused it or asked for what the user cannot know — a correct refusal lands here), open (the state shows it not done and nothing blocked it) or unknown (the state cannot tell and the agent did not block it). Read from the state, never from the agent's words.";
