import type { AgentToolCall } from '../../agents/agent.ts';
import { OUTCOME_REPORT_TOOL_NAME, OUTCOME_REQUEST_TEXT, outcomeReportInputSchema } from '../../agents/outcome-report.ts';
import { describeError } from '../../errors.ts';
import type { JsonValue } from '../../schema/json.ts';
import type { TerminationReason, TrajectoryEvent } from '../../schema/trajectory.ts';
import {
  continues,
  ends,
  EpisodeWrapper,
  isOver,
  type EpisodeAction,
  type EpisodeEnv,
  type EpisodeStep,
  type Termination,
} from '../env.ts';
import type { EpisodeRecord } from '../record.ts';

/**
 * Intercepts `report_outcome` calls: never a domain call, never the state. The call, its result
 * and (when the arguments are valid) an `outcome_report` event are recorded; invalid arguments
 * are an invalid call the agent sees. Sits below the invalid-call budget, which counts them.
 */
export class InterceptOutcomeReport extends EpisodeWrapper {
  static readonly wrapperName = 'intercept-outcome-report';

  constructor(env: EpisodeEnv) {
    super(env, { name: InterceptOutcomeReport.wrapperName, args: {} });
  }

  override step(action: EpisodeAction): EpisodeStep {
    if (action.type !== 'tool_call' || action.call.name !== OUTCOME_REPORT_TOOL_NAME) return this.env.step(action);
    const valid = recordOutcomeReport(this.record, action.call);
    return continues(this.record.events, undefined, valid ? undefined : 'tool_call');
  }
}

/** Endings after which the agent is asked for its report; after failures there is nothing to report on. */
const REQUESTED_AFTER: ReadonlySet<TerminationReason> = new Set<TerminationReason>(['user_stop', 'agent_stop', 'max_steps']);

/**
 * When the episode ends normally (`user_stop`, `agent_stop`, `max_steps`) without an outcome
 * report, gives the agent one more turn, outside the step limit: an `outcome_request` event, then
 * its first `report_outcome` call is recorded (its other calls and text are not). The episode then
 * ends as it would have; a failure on that turn only adds a note. Sits above the step limit.
 */
export class RequestOutcomeReport extends EpisodeWrapper {
  static readonly wrapperName = 'request-outcome-report';
  private pending: Termination | undefined;

  constructor(env: EpisodeEnv) {
    super(env, { name: RequestOutcomeReport.wrapperName, args: {} });
  }

  override reset(): EpisodeStep {
    this.pending = undefined;
    return this.env.reset();
  }

  override step(action: EpisodeAction): EpisodeStep {
    if (this.pending) return this.collect(this.pending, action);
    const step = this.env.step(action);
    if (
      !isOver(step) ||
      !REQUESTED_AFTER.has(step.termination.reason) ||
      this.record.events.some((event) => event.type === 'outcome_report')
    )
      return step;
    this.pending = step.termination;
    this.record.push({ type: 'outcome_request', content: OUTCOME_REQUEST_TEXT });
    return continues(this.record.events, 'agent');
  }

  /** The agent's answer to the request; whatever it is, the episode then ends as it was going to. */
  private collect(termination: Termination, action: EpisodeAction): EpisodeStep {
    if (action.type === 'failure') {
      this.record.note(`outcome report failed: ${describeError(action.error)}`);
    } else if (action.type === 'agent_turn') {
      this.record.addUsage('agent', action.turn.usage);
      const call = (action.turn.toolCalls ?? []).find((c) => c.name === OUTCOME_REPORT_TOOL_NAME);
      if (call) recordOutcomeReport(this.record, call);
      else this.record.note('the agent did not call report_outcome when asked');
    } else {
      return continues(this.record.events);
    }
    this.pending = undefined;
    return ends(this.record.events, termination.reason, termination.detail);
  }
}

/** Records a `report_outcome` call and its result, and the report when valid. Returns whether it was. */
function recordOutcomeReport(record: EpisodeRecord, call: AgentToolCall): boolean {
  const id = record.callId(call);
  record.push({ type: 'tool_call', id, name: call.name, arguments: call.arguments as JsonValue });
  const report = parseOutcomeReport(id, call.arguments);
  record.push({ type: 'tool_result', callId: id, name: call.name, content: report.content, isError: !report.event });
  if (report.event) record.push(report.event);
  return report.event !== undefined;
}

/** Validate `report_outcome` arguments: the event to store, or an error the agent sees. */
function parseOutcomeReport(
  callId: string,
  raw: JsonValue | string,
): { content: string; event?: Extract<TrajectoryEvent, { type: 'outcome_report' }> } {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { content: 'Error: report_outcome arguments are not valid JSON' };
    }
  }
  const parsed = outcomeReportInputSchema.safeParse(value);
  if (!parsed.success)
    return {
      content: `Error: invalid report_outcome arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`,
    };
  return { content: 'Outcome report recorded.', event: { type: 'outcome_report', callId, ...parsed.data } };
}
