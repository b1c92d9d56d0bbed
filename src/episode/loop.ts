import type { AgentSession, AgentTurn } from '../agents/agent.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { UserSession } from '../users/user.ts';
import { isOver, type EpisodeAction, type EpisodeEnv, type EpisodeStep } from './env.ts';

/**
 * Plays one episode to its end: resets the environment, then asks whichever participant's turn
 * it is and feeds its turn to the environment until the episode is terminated or truncated.
 * Never throws for participant failures: a participant that throws becomes a `failure` action.
 * @returns the last step; its `termination` says why the episode ended.
 */
export async function playEpisode(
  env: EpisodeEnv,
  agent: AgentSession,
  user: UserSession,
): Promise<EpisodeStep & { termination: NonNullable<EpisodeStep['termination']> }> {
  let step = env.reset();
  while (!isOver(step)) {
    const actions = step.next === 'user' ? await userActions(user, step.observation) : await agentActions(agent, step.observation);
    for (const action of actions) {
      step = env.step(action);
      if (isOver(step) || step.next) break;
    }
  }
  return step;
}

async function userActions(user: UserSession, events: readonly TrajectoryEvent[]): Promise<EpisodeAction[]> {
  try {
    return [{ type: 'user_turn', turn: await user.next(events) }];
  } catch (error) {
    return [{ type: 'failure', actor: 'user', error }];
  }
}

/** An agent turn as actions: the turn, each of its tool calls, the end of the turn. */
async function agentActions(agent: AgentSession, events: readonly TrajectoryEvent[]): Promise<EpisodeAction[]> {
  let turn: AgentTurn;
  try {
    turn = await agent.next(agentView(events));
  } catch (error) {
    return [{ type: 'failure', actor: 'agent', error }];
  }
  return [
    { type: 'agent_turn', turn },
    ...(turn.toolCalls ?? []).map((call): EpisodeAction => ({ type: 'tool_call', call })),
    { type: 'agent_turn_end' },
  ];
}

/**
 * The conversation as the agent may see it: a frozen copy of frozen events, so an agent can
 * neither rewrite the stored trajectory nor smuggle state between turns through it. The user's
 * own tool traffic (dual control) is left out: τ² routes it between the user and the environment only.
 */
export function agentView(events: readonly TrajectoryEvent[]): readonly TrajectoryEvent[] {
  for (const event of events) if (!Object.isFrozen(event)) deepFreeze(event);
  return Object.freeze(events.filter((event) => !isUserToolTraffic(event)));
}

function isUserToolTraffic(event: TrajectoryEvent): boolean {
  return (event.type === 'tool_call' || event.type === 'tool_result') && event.actor === 'user';
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}
