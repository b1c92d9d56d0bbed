import type { Domain } from '../domains/domain.ts';
import { executeToolCall, type ToolExecution } from '../domains/tools.ts';
import { GroundworkError } from '../errors.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import type { Trajectory, TrajectoryEvent } from '../schema/trajectory.ts';
import type { TableState } from '../state/table-state.ts';
import { initialStateFor } from '../domains/initial-state.ts';

/** Tools the orchestrator intercepts: they never reach the domain, so replay skips them. */
const INTERCEPTED_TOOLS = new Set(['report_outcome']);

/** One environment step of a trajectory: a tool call and where it sits in the events. */
export interface TrajectoryStep {
  /** Index of the `tool_call` event. */
  eventIndex: number;
  name: string;
  arguments: JsonValue;
  /** The state hash recorded after the call, when it wrote. */
  stateHash?: string;
}

/** The tool calls of a trajectory that reached the domain, in order. */
export function trajectorySteps(trajectory: Pick<Trajectory, 'events'>): TrajectoryStep[] {
  const steps: TrajectoryStep[] = [];
  trajectory.events.forEach((event, eventIndex) => {
    if (event.type !== 'tool_call' || INTERCEPTED_TOOLS.has(event.name)) return;
    const result = trajectory.events
      .slice(eventIndex + 1)
      .find((e): e is Extract<TrajectoryEvent, { type: 'tool_result' }> => e.type === 'tool_result' && e.callId === event.id);
    steps.push({ eventIndex, name: event.name, arguments: event.arguments, ...(result?.stateHash ? { stateHash: result.stateHash } : {}) });
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
 * Snapshots an episode at step `step`: re-executes its first `step` tool calls on the task's
 * initial state (or `startState`) and checks each write against the recorded state hash. Pure and
 * deterministic: tools are pure functions of the state. Throws INVALID_ARGUMENT when `step` is
 * out of range or the replay disagrees with the record (the domain changed since).
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
  for (const [index, planned] of steps.slice(0, step).entries()) {
    executeToolCall(domain, state, planned.name, planned.arguments);
    if (planned.stateHash && state.hash() !== planned.stateHash) {
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `replay diverged at step ${index + 1} (${planned.name}): state ${state.hash()} instead of the recorded ${planned.stateHash}`,
        { hint: 'the domain or its tools changed since the episode was recorded' },
      );
    }
  }
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
 * number of alternatives can be tried from the same state.
 */
export function branchAction(
  domain: Pick<Domain, 'tools'>,
  snapshot: Pick<EpisodeSnapshot, 'state'>,
  action: { name: string; arguments: JsonValue | string },
): BranchResult {
  const state = snapshot.state.fork();
  const execution = executeToolCall(domain, state, action.name, action.arguments);
  return { execution, state };
}
