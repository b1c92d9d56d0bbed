import type { Domain, Side } from '../domains/domain.ts';
import { executeSideToolCall, type ToolExecution } from '../domains/tools.ts';
import { GroundworkError } from '../errors.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import type { Trajectory, TrajectoryEvent } from '../schema/trajectory.ts';
import type { TableState } from '../state/table-state.ts';
import { initialStateFor } from '../domains/initial-state.ts';

/** Tools the orchestrator intercepts: they never reach the domain, so replay skips them. */
const INTERCEPTED_TOOLS = new Set(['report_outcome']);

/** What a replay needs of a domain: both sides' tools and the sync run after each call. */
export type ReplayDomain = Pick<Domain, 'tools' | 'user' | 'sync'>;

/** One environment step of a trajectory: a tool call and where it sits in the events. */
export interface TrajectoryStep {
  /** Index of the `tool_call` event. */
  eventIndex: number;
  /** Dual control: the simulated user made the call, on its own tools. Absent: the agent's. */
  actor?: 'user';
  name: string;
  arguments: JsonValue;
  /** The state hash recorded after the call, when it wrote. */
  stateHash?: string;
}

/** The side whose tools run a step (or any action that may carry an `actor`). */
export const sideOf = (action: { actor?: 'user' }): Side => (action.actor === 'user' ? 'user' : 'agent');

/**
 * The tool calls of a trajectory that reached the domain, in order: the agent's and, in
 * dual-control episodes, the user's own (with `actor: 'user'`), as both changed the one state.
 */
export function trajectorySteps(trajectory: Pick<Trajectory, 'events'>): TrajectoryStep[] {
  const steps: TrajectoryStep[] = [];
  trajectory.events.forEach((event, eventIndex) => {
    if (event.type !== 'tool_call' || INTERCEPTED_TOOLS.has(event.name)) return;
    const result = trajectory.events
      .slice(eventIndex + 1)
      .find((e): e is Extract<TrajectoryEvent, { type: 'tool_result' }> => e.type === 'tool_result' && e.callId === event.id);
    steps.push({
      eventIndex,
      ...(event.actor === 'user' ? { actor: 'user' as const } : {}),
      name: event.name,
      arguments: event.arguments,
      ...(result?.stateHash ? { stateHash: result.stateHash } : {}),
    });
  });
  return steps;
}

/** The state of an episode after some of its steps, and the conversation up to there. */
export interface EpisodeSnapshot {
  /** Steps (tool calls) replayed. */
  step: number;
  /** The state after them: fork it for every branch (it is never modified by forks). */
  state: TableState;
  /** Events before the next step's tool call (everything the agent had seen). */
  events: TrajectoryEvent[];
}

/**
 * Re-executes one recorded step on `state` as the live episode did: on its actor's tools, followed
 * by the domain's sync. Throws INVALID_ARGUMENT when a write does not reach the recorded hash.
 */
export function replayStep(domain: ReplayDomain, state: TableState, step: TrajectoryStep, position: number): ToolExecution {
  const execution = executeSideToolCall(domain, state, sideOf(step), step.name, step.arguments);
  if (step.stateHash && state.hash() !== step.stateHash) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `replay diverged at step ${position} (${step.actor === 'user' ? "the user's " : ''}${step.name}): state ${state.hash()} instead of the recorded ${step.stateHash}`,
      { hint: 'the domain or its tools changed since the episode was recorded' },
    );
  }
  return execution;
}

/**
 * Snapshots an episode at step `step`: re-executes its first `step` tool calls (each on its
 * actor's tools) on the task's initial state (or `startState`) and checks each write against the
 * recorded state hash. Pure and deterministic: tools are pure functions of the state. Throws
 * INVALID_ARGUMENT when `step` is out of range or the replay disagrees with the record (the domain
 * changed since).
 */
export function replayToStep(
  domain: Domain,
  task: Task,
  trajectory: Pick<Trajectory, 'events' | 'initialStateHash'>,
  step: number,
  options: { startState?: TableState } = {},
): EpisodeSnapshot {
  const steps = trajectorySteps(trajectory);
  if (!Number.isInteger(step) || step < 0 || step > steps.length) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `step ${step} is out of range: the episode has ${steps.length} tool calls (0..${steps.length})`,
    );
  }
  const initial = options.startState ?? initialStateFor(domain, task);
  if (!options.startState && initial.hash() !== trajectory.initialStateHash) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `the task's initial state (${initial.hash()}) is not the episode's (${trajectory.initialStateHash})`,
      { hint: 'use the same domain seed and task as the stored run' },
    );
  }
  const state = initial.fork();
  for (const [index, planned] of steps.slice(0, step).entries()) replayStep(domain, state, planned, index + 1);
  const end = step < steps.length ? steps[step].eventIndex : trajectory.events.length;
  return { step, state, events: trajectory.events.slice(0, end) };
}

/** What one branch did: the action, the tool's answer, and the state it led to. */
export interface BranchResult {
  execution: ToolExecution;
  /** The branch's own state (a fork of the snapshot). */
  state: TableState;
}

/**
 * Tries an action from a snapshot on a fork: the snapshot's state is left untouched, so any
 * number of alternatives can be tried from the same state. The action runs on its actor's tools
 * (the agent's unless `actor: 'user'`), followed by the domain's sync, as in a live episode.
 */
export function branchAction(
  domain: ReplayDomain,
  snapshot: Pick<EpisodeSnapshot, 'state'>,
  action: { name: string; arguments: JsonValue | string; actor?: 'user' },
): BranchResult {
  const state = snapshot.state.fork();
  const execution = executeSideToolCall(domain, state, sideOf(action), action.name, action.arguments);
  return { execution, state };
}
