import type { Agent, AgentTurn } from '../agents/agent.ts';
import type { Domain } from '../domains/domain.ts';
import { executeToolCall } from '../domains/tools.ts';
import { describeError, isInfraError } from '../errors.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import { TRAJECTORY_SCHEMA_VERSION, type TerminationReason, type Trajectory, type TrajectoryEvent, type Usage } from '../schema/trajectory.ts';
import { changesBetween } from '../state/diff.ts';
import type { TableState } from '../state/table-state.ts';
import { splitControlToken, type UserSimulator, type UserTurn } from '../users/user.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { OUTCOME_REPORT_TOOL, OUTCOME_REPORT_TOOL_NAME, OUTCOME_REQUEST_TEXT, outcomeReportInputSchema } from '../agents/outcome-report.ts';

/** Everything one episode needs. */
export interface EpisodeOptions {
  domain: Domain;
  task: Task;
  agent: Agent;
  user: UserSimulator;
  episodeId: string;
  trial: number;
  /** Seed for the agent and user of this episode. */
  seed: number;
  /**
   * Maximum agent + user turns before `max_steps`.
   * @default domain.options.maxSteps ?? 40
   */
  maxSteps?: number;
  /**
   * Invalid tool calls (unknown tool, bad JSON, failed schema, empty reply) tolerated per episode;
   * one more ends the episode with `agent_error`.
   * @default 5
   */
  maxInvalidToolCalls?: number;
  /** Start from this state instead of the task's initial state (forked, not modified). */
  startState?: TableState;
  /** Clock, injectable for deterministic tests. @default () => new Date() */
  now?: () => Date;
  /**
   * Ask the agent for a structured outcome report: `report_outcome` is offered beside the domain's
   * tools and intercepted (stored as an `outcome_report` event); when the episode ends normally
   * without one, the agent gets one more turn to report. @default false
   */
  outcomeReport?: boolean;
}

/** A finished episode: its trajectory and the states the grader compares. */
export interface EpisodeResult {
  trajectory: Trajectory;
  initialState: TableState;
  finalState: TableState;
}

class Termination {
  constructor(
    readonly reason: TerminationReason,
    readonly detail?: string,
  ) {}
}

/**
 * Runs one episode: the user opens, then agent turns (with tool calls executed in order against
 * the episode's own copy of the state) alternate with user turns until a termination reason.
 * Never throws for participant failures: they become `agent_error`, `user_error` or `infra_error`.
 */
export async function runEpisode(options: EpisodeOptions): Promise<EpisodeResult> {
  const { domain, task, agent, user, trial, seed } = options;
  const now = options.now ?? (() => new Date());
  const maxSteps = options.maxSteps ?? domain.options.maxSteps ?? 40;
  const maxInvalid = options.maxInvalidToolCalls ?? 5;
  const started = now();

  const initialState = options.startState ?? initialStateFor(domain, task);
  const initialStateHash = initialState.hash();
  const state = initialState.fork();
  const events: TrajectoryEvent[] = [];
  const usage: Record<string, Usage> = {};
  let steps = 0;
  let invalid = 0;
  let callCounter = 0;

  const addUsage = (role: string, add?: Usage) => {
    if (!add) return;
    const sum = (usage[role] ??= { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0 });
    sum.calls += add.calls;
    sum.inputTokens += add.inputTokens;
    sum.outputTokens += add.outputTokens;
    sum.costUsd += add.costUsd;
    sum.latencyMs += add.latencyMs;
  };

  const agentSession = agent.start({ domain, task: agent.privileged ? task : undefined, seed, trial, taskInfo: { id: task.id, family: task.family, split: task.split }, ...(options.outcomeReport ? { extraTools: [OUTCOME_REPORT_TOOL] } : {}) });
  let reported = false;
  const userSession = user.start({ task, seed, trial });

  const userTurn = async (): Promise<Termination | undefined> => {
    let turn: UserTurn;
    try {
      turn = await userSession.next(events);
    } catch (error) {
      return new Termination(isInfraError(error) ? 'infra_error' : 'user_error', describeError(error));
    }
    steps++;
    addUsage('user', turn.usage);
    if (typeof turn.content !== 'string') return new Termination('user_error', 'user simulator returned no text');
    const { text, control } = splitControlToken(turn.content);
    events.push(control ? { type: 'message', role: 'user', content: text, control } : { type: 'message', role: 'user', content: text });
    if (control) return new Termination('user_stop', control);
    return undefined;
  };

  const agentTurn = async (): Promise<Termination | 'to-user' | 'again'> => {
    let turn: AgentTurn;
    try {
      turn = await agentSession.next(events);
    } catch (error) {
      return new Termination(isInfraError(error) ? 'infra_error' : 'agent_error', describeError(error));
    }
    steps++;
    addUsage('agent', turn.usage);
    let calls = turn.toolCalls ?? [];
    const message = typeof turn.message === 'string' ? turn.message.trim() : '';
    if (message) events.push({ type: 'message', role: 'agent', content: message });
    if (calls.length > 1 && domain.options.singleToolCallPerTurn) {
      events.push({ type: 'note', content: `kept the first of ${calls.length} tool calls (domain executes one call per turn)` });
      calls = calls.slice(0, 1);
    }
    for (const call of calls) {
      const id = call.id || `call-${++callCounter}`;
      const args = call.arguments as JsonValue;
      events.push({ type: 'tool_call', id, name: call.name, arguments: args });
      if (options.outcomeReport && call.name === OUTCOME_REPORT_TOOL_NAME) {
        // Intercepted: not a domain tool, never touches the state.
        const report = interceptOutcomeReport(id, call.arguments);
        events.push({ type: 'tool_result', callId: id, name: call.name, content: report.content, isError: !report.event });
        if (report.event) {
          events.push(report.event);
          reported = true;
        } else if (++invalid > maxInvalid) return new Termination('agent_error', `more than ${maxInvalid} invalid tool calls`);
        continue;
      }
      const result = executeToolCall(domain, state, call.name, call.arguments);
      events.push({
        type: 'tool_result',
        callId: id,
        name: call.name,
        content: result.content,
        isError: result.isError,
        ...(result.wrote ? { stateHash: state.hash() } : {}),
      });
      if (!result.valid && ++invalid > maxInvalid) return new Termination('agent_error', `more than ${maxInvalid} invalid tool calls`);
      if (result.terminal) return new Termination('agent_stop', `terminal tool ${call.name}`);
    }
    if (calls.length > 0) return 'again';
    if (turn.end) return new Termination('agent_stop', 'agent ended the conversation');
    if (message) return 'to-user';
    events.push({ type: 'note', content: 'agent reply had neither text nor tool calls' });
    if (++invalid > maxInvalid) return new Termination('agent_error', `more than ${maxInvalid} invalid replies`);
    return 'again';
  };

  let termination: Termination | undefined = await userTurn();
  while (!termination) {
    if (steps >= maxSteps) {
      termination = new Termination('max_steps', `reached ${maxSteps} steps`);
      break;
    }
    const next = await agentTurn();
    if (next instanceof Termination) termination = next;
    else if (next === 'to-user') {
      if (steps >= maxSteps) termination = new Termination('max_steps', `reached ${maxSteps} steps`);
      else termination = await userTurn();
    }
  }

  if (options.outcomeReport && !reported && ['user_stop', 'agent_stop', 'max_steps'].includes(termination.reason)) {
    // One extra turn, outside the step budget: the agent reports on the episode it just finished.
    events.push({ type: 'outcome_request', content: OUTCOME_REQUEST_TEXT });
    try {
      const turn = await agentSession.next(events);
      addUsage('agent', turn.usage);
      const call = (turn.toolCalls ?? []).find((c) => c.name === OUTCOME_REPORT_TOOL_NAME);
      if (call) {
        const id = call.id || `call-${++callCounter}`;
        events.push({ type: 'tool_call', id, name: call.name, arguments: call.arguments as JsonValue });
        const report = interceptOutcomeReport(id, call.arguments);
        events.push({ type: 'tool_result', callId: id, name: call.name, content: report.content, isError: !report.event });
        if (report.event) events.push(report.event);
      } else {
        events.push({ type: 'note', content: 'the agent did not call report_outcome when asked' });
      }
    } catch (error) {
      events.push({ type: 'note', content: `outcome report failed: ${describeError(error)}` });
    }
  }

  const participants: Record<string, JsonValue> = {
    agent: { name: agent.name, ...(agentSession.describe?.() ?? {}) },
    user: { name: user.name, ...(userSession.describe?.() ?? {}) },
  };
  const trajectory: Trajectory = {
    schemaVersion: TRAJECTORY_SCHEMA_VERSION,
    episodeId: options.episodeId,
    taskId: task.id,
    domain: domain.name,
    agent: agent.name,
    user: user.name,
    trial,
    seed,
    events,
    termination: termination.detail === undefined ? { reason: termination.reason } : { reason: termination.reason, detail: termination.detail },
    finalChanges: changesBetween(initialState, state),
    initialStateHash,
    finalStateHash: state.hash(),
    steps,
    usage,
    participants,
    startedAt: started.toISOString(),
    durationMs: Math.max(0, now().getTime() - started.getTime()),
  };
  return { trajectory, initialState, finalState: state };
}

/** Validate an intercepted `report_outcome` call: the event to store, or an error the agent sees. */
function interceptOutcomeReport(callId: string, raw: JsonValue | string): { content: string; event?: Extract<TrajectoryEvent, { type: 'outcome_report' }> } {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { content: 'Error: report_outcome arguments are not valid JSON' };
    }
  }
  const parsed = outcomeReportInputSchema.safeParse(value);
  if (!parsed.success) return { content: `Error: invalid report_outcome arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}` };
  return { content: 'Outcome report recorded.', event: { type: 'outcome_report', callId, ...parsed.data } };
}
