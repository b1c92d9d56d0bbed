import { z } from 'zod';
import { GroundworkError } from '../errors.ts';
import type { Tau2NlJudgements } from '../grading/tau2.ts';
import type { CommunicationJudgement } from '../schema/outcome.ts';
import type { TrajectoryEvent, Usage } from '../schema/trajectory.ts';
import { parseJudgeJson, type JudgeSession } from './judge.ts';

/** Version of the NL-assertion judge's prompt; recorded in each verdict. */
export const TAU2_NL_JUDGE_PROMPT_VERSION = 'groundwork-tau2-nl-judge/1';

const verdictsSchema = z.object({
  results: z.array(
    z.object({
      expectedOutcome: z.string().nullish(),
      reasoning: z.string().nullish(),
      metExpectation: z.boolean(),
    }),
  ),
});

/**
 * The conversation as τ²'s judge reads it: every message of the episode, one per line as
 * `role: text`, with tool calls and tool results in place (τ² shows the whole message list,
 * results included, with the assistant as `assistant` and the customer as `user`).
 */
export function tau2JudgeTranscript(events: readonly TrajectoryEvent[]): string {
  return events
    .flatMap((event) => {
      switch (event.type) {
        case 'message':
          return [`${event.role === 'agent' ? 'assistant' : 'user'}: ${event.content}`];
        case 'tool_call':
          return [`${event.actor === 'user' ? 'user' : 'assistant'}: [tool call] ${event.name}(${JSON.stringify(event.arguments)})`];
        case 'tool_result':
          return [`tool: ${event.content}`];
        default:
          return [];
      }
    })
    .join('\n');
}

/**
 * Asks a judge whether the agent satisfied each of a τ² task's natural-language assertions, with
 * τ²'s semantics: the judge reads the whole conversation and the list of expected outcomes, grades
 * each one on its own and answers `{"results": [{expectedOutcome, reasoning, metExpectation}]}`;
 * the component passes when every assertion is met. Verdicts are matched to assertions by their
 * repeated text, else by position; an assertion the judge leaves out gets no verdict (it stays
 * pending rather than counting as met).
 */
export async function judgeTau2NlAssertions(
  session: JudgeSession,
  assertions: readonly string[],
  events: readonly TrajectoryEvent[],
  judgeName = 'llm',
): Promise<{ judgements: Tau2NlJudgements; usage?: Usage }> {
  if (assertions.length === 0) return { judgements: {} };
  const system = `You grade a test run of a customer-service AI agent. You get a conversation between the agent ("assistant") and a customer ("user"), with the agent's tool calls and their results ("tool"), and a list of expected outcomes.
Decide for each expected outcome, on its own, whether the agent satisfied it in this conversation.
Answer one JSON object: {"results": [{"expectedOutcome": "the expected outcome, repeated exactly as given", "reasoning": "a short explanation", "metExpectation": true or false}]} with one result per expected outcome, in the order given.`;
  const user = `Conversation:\n${tau2JudgeTranscript(events) || '(empty)'}\n\nExpected outcomes:\n${assertions.map((a, i) => `${i + 1}. ${a}`).join('\n')}`;
  const response = await session.generate({ system, messages: [{ role: 'user', content: user }], temperature: 0 });
  const parsed = verdictsSchema.safeParse(parseJudgeJson(response.text));
  if (!parsed.success)
    throw new GroundworkError(
      'AGENT_FAILED',
      `the judge's NL-assertion verdicts do not fit the schema: ${parsed.error.issues[0]?.message}`,
    );
  const results = parsed.data.results;
  const judge = `${judgeName} (${TAU2_NL_JUDGE_PROMPT_VERSION})`;
  const judgements: Record<string, CommunicationJudgement> = {};
  assertions.forEach((assertion, index) => {
    if (judgements[assertion]) return;
    const byText = results.find((r) => r.expectedOutcome?.trim() === assertion.trim());
    const result = byText ?? (results.length === assertions.length ? results[index] : undefined);
    if (!result) return;
    judgements[assertion] = { pass: result.metExpectation, ...(result.reasoning ? { rationale: result.reasoning } : {}), judge };
  });
  return { judgements, usage: response.usage };
}
