import { z } from 'zod';
import type { DomainTool } from '../domains/domain.ts';

/** Name of the orchestrator-intercepted tool an agent reports its outcome with. */
export const OUTCOME_REPORT_TOOL_NAME = 'report_outcome';

/** Arguments of `report_outcome`. */
export const outcomeReportInputSchema = z.object({
  success: z.boolean().describe("Whether you accomplished the user's request"),
  confidence: z.number().min(0).max(1).describe('Your probability (0 to 1) that the request was really accomplished'),
  summary: z.string().describe('One line: what you did'),
});
export type OutcomeReportInput = z.infer<typeof outcomeReportInputSchema>;

/** What the agent is told when the orchestrator asks for its report at the end. */
export const OUTCOME_REQUEST_TEXT =
  '[The conversation with the user is over. Call report_outcome now: did you accomplish the request (success), your probability that it was really accomplished (confidence, 0 to 1), and a one-line summary. The user will not see it.]';

/**
 * `report_outcome`: not a domain tool. Offered to agents when a run asks for outcome reports;
 * the orchestrator intercepts the call (it never reaches the domain, changes no state) and stores
 * it as an `outcome_report` event for the calibration audit.
 */
export const OUTCOME_REPORT_TOOL: DomainTool<OutcomeReportInput> = {
  name: OUTCOME_REPORT_TOOL_NAME,
  description:
    "Report the outcome of this conversation for evaluation: whether you accomplished the user's request, your probability (0 to 1) that it was really accomplished, and a one-line summary. Not shown to the user; changes nothing. Call it once, when the conversation is over.",
  kind: 'think',
  input: outcomeReportInputSchema,
  execute: () => 'Outcome report recorded.',
};
