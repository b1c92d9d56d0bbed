import { OUTCOME_REPORT_TOOL_NAME, type OutcomeReportInput } from './outcome-report.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { AgentSession, AgentToolCall, AgentTurn } from './agent.ts';
import type { BaselineScript, ScriptInput } from '../domains/baseline.ts';

export { callTurn, parseResult, type ScriptInput } from '../domains/baseline.ts';

/** A built-in agent written as a generator: yield a turn, receive what came back. */
// biome-ignore lint/suspicious/noConfusingVoidType: a generator that ends without `return` has a void return type.
export type AgentScript = Generator<AgentTurn, AgentTurn | void, ScriptInput> | BaselineScript;

/**
 * Adapts a generator script to the AgentSession contract: each `next(events)` resumes the
 * script with what happened since its last turn. When the script is finished it ends the episode.
 * `report` answers the orchestrator's outcome request (when the run asks for reports).
 */
export function scriptedSession(
  start: (firstUserMessage: string) => AgentScript,
  report?: (events: readonly TrajectoryEvent[]) => OutcomeReportInput,
): AgentSession {
  let script: AgentScript | undefined;
  let seen = 0;
  let callCounter = 0;
  return {
    async next(events: readonly TrajectoryEvent[]): Promise<AgentTurn> {
      // Asked for an outcome report (run option): answer with the report, the script stays where it is.
      if (events.at(-1)?.type === 'outcome_request') {
        seen = events.length;
        return report
          ? { toolCalls: [{ id: `call-${++callCounter}`, name: OUTCOME_REPORT_TOOL_NAME, arguments: report(events) }] }
          : { end: true };
      }
      const fresh = events.slice(seen);
      seen = events.length;
      const input: ScriptInput = {
        results: fresh.filter((e) => e.type === 'tool_result').map((e) => (e as { content: string }).content),
        userMessages: fresh.filter((e) => e.type === 'message' && e.role === 'user').map((e) => (e as { content: string }).content),
      };
      script ??= start(input.userMessages.join('\n'));
      const step = script.next(input);
      const turn: AgentTurn = step.value ?? { end: true };
      if (turn.toolCalls) turn.toolCalls = turn.toolCalls.map((c: AgentToolCall) => ({ ...c, id: c.id || `call-${++callCounter}` }));
      return step.done && !step.value ? { end: true } : turn;
    },
  };
}
