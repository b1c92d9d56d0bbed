import type { AgentToolCall, AgentTurn } from '../agents/agent.ts';
import type { JsonValue } from '../schema/json.ts';
import type { TerminationReason, TrajectoryEvent } from '../schema/trajectory.ts';
import type { UserTurn } from '../users/user.ts';
import type { EpisodeRecord } from './record.ts';

/** The two participants that take turns. */
export type Actor = 'agent' | 'user';

/**
 * One action fed to an episode environment. A user turn is one action; an agent turn is played
 * out as `agent_turn` (its message, usage), then one `tool_call` per call, then `agent_turn_end`,
 * so wrappers can act between calls (stop after an invalid one, intercept one, drop extra ones).
 * A participant that threw becomes a `failure`: the loop itself never throws for participants.
 */
export type EpisodeAction =
  | { readonly type: 'user_turn'; readonly turn: UserTurn }
  | { readonly type: 'agent_turn'; readonly turn: AgentTurn }
  | { readonly type: 'tool_call'; readonly call: AgentToolCall }
  | { readonly type: 'agent_turn_end' }
  | { readonly type: 'failure'; readonly actor: Actor; readonly error: unknown };

/** Why an episode ended, as stored in the trajectory. */
export interface Termination {
  readonly reason: TerminationReason;
  readonly detail?: string;
}

/** Reasons that mean a limit was hit rather than the episode ending (Gymnasium's "truncated"). */
export const TRUNCATION_REASONS: ReadonlySet<TerminationReason> = new Set<TerminationReason>(['max_steps']);

/** What an environment answers to `reset` and `step` (Gymnasium's `(observation, …, terminated, truncated, info)`). */
export interface EpisodeStep {
  /** The events so far: the environment's own record (participants are given copies). */
  readonly observation: readonly TrajectoryEvent[];
  /** The episode ended: `user_stop`, `agent_stop`, `agent_error`, `user_error` or `infra_error`. */
  readonly terminated: boolean;
  /** A limit ended the episode: `max_steps`. */
  readonly truncated: boolean;
  /** Set exactly when `terminated` or `truncated`. */
  readonly termination?: Termination;
  /** Whose turn it is, once a turn is over; absent while an agent turn is being played out or when the episode is over. */
  readonly next?: Actor;
  /** This step was an invalid call (unknown tool, bad arguments) or an empty agent reply. */
  readonly invalid?: 'tool_call' | 'reply';
}

/** Name and arguments of one wrapper: enough to rebuild it (stored with the trajectory). */
export interface WrapperSpec {
  readonly name: string;
  readonly args: { readonly [key: string]: JsonValue };
}

/**
 * An episode environment: `reset` starts the episode, `step` applies one action. Synchronous:
 * participants (which may wait on models) are called by the loop, never by the environment.
 */
export interface EpisodeEnv {
  /** The trajectory being written: wrappers add their own events (notes, outcome reports) to it. */
  readonly record: EpisodeRecord;
  /** The wrappers around the core environment, outermost first. */
  readonly wrappers: readonly WrapperSpec[];
  reset(): EpisodeStep;
  step(action: EpisodeAction): EpisodeStep;
}

/**
 * Base of the wrappers (Gymnasium's `Wrapper`): forwards everything to the wrapped environment;
 * a subclass overrides `step` (and `reset` when it keeps counters) and names itself in `spec`.
 */
export abstract class EpisodeWrapper implements EpisodeEnv {
  constructor(
    protected readonly env: EpisodeEnv,
    /** Name and constructor arguments, recorded so the stack can be rebuilt. */
    readonly spec: WrapperSpec,
  ) {}

  get record(): EpisodeRecord {
    return this.env.record;
  }

  get wrappers(): readonly WrapperSpec[] {
    return [this.spec, ...this.env.wrappers];
  }

  reset(): EpisodeStep {
    return this.env.reset();
  }

  step(action: EpisodeAction): EpisodeStep {
    return this.env.step(action);
  }
}

/** A step after which the episode goes on; `next` when a turn is over. */
export function continues(observation: readonly TrajectoryEvent[], next?: Actor, invalid?: EpisodeStep['invalid']): EpisodeStep {
  return { observation, terminated: false, truncated: false, ...(next ? { next } : {}), ...(invalid ? { invalid } : {}) };
}

/** A step that ends the episode, terminated or truncated according to the reason. */
export function ends(observation: readonly TrajectoryEvent[], reason: TerminationReason, detail?: string): EpisodeStep {
  const truncated = TRUNCATION_REASONS.has(reason);
  return { observation, terminated: !truncated, truncated, termination: detail === undefined ? { reason } : { reason, detail } };
}

/** Whether the episode is over (terminated or truncated). */
export function isOver(step: EpisodeStep): step is EpisodeStep & { termination: Termination } {
  return step.terminated || step.truncated;
}
