import { z } from 'zod';
import { GroundworkError } from '../errors.ts';
import type { CommunicationJudgements } from '../grading/communication.ts';
import type { CommunicationItem, FactForm } from '../schema/task.ts';
import type { Usage } from '../schema/trajectory.ts';
import { parseJudgeJson, type JudgeSession } from './judge.ts';

/** Version of the communication judge's prompt; recorded in each verdict. */
export const COMMUNICATION_JUDGE_PROMPT_VERSION = 'groundwork-communication-judge/1';

const verdictsSchema = z.object({
  items: z.array(z.object({ id: z.string(), told: z.boolean(), quote: z.string().nullish(), reason: z.string().nullish() })),
});

const describeForm = (form: FactForm) =>
  form.kind === 'concept' ? `the idea "${form.concept.replace(/_/g, ' ')}"` : `the ${form.type} ${JSON.stringify(form.value)}`;

function describeItem(item: CommunicationItem): string {
  if (item.facts)
    return `- ${item.id}: ${item.description ?? 'the user must be told every fact below'}\n${item.facts.map((f) => `    * ${f.description ?? f.id} (stated as ${f.anyOf.map(describeForm).join(' or ')})`).join('\n')}`;
  return `- ${item.id}: ${item.description ?? `one of: ${(item.anyOf ?? []).map((p) => JSON.stringify(p)).join(', ')}`}`;
}

/**
 * Asks a judge whether the agent told the user each required piece of information, in free
 * text. Run before grading; its verdicts go to `gradeEpisode({…, judgements})`, where each
 * decides its item (grading itself stays a pure function of stored data and these verdicts).
 * Items the judge leaves out get no verdict and are decided by the rules.
 */
export async function judgeCommunication(
  session: JudgeSession,
  items: readonly CommunicationItem[],
  agentMessages: readonly string[],
  judgeName = 'llm',
): Promise<{ judgements: CommunicationJudgements; usage?: Usage }> {
  if (items.length === 0) return { judgements: {} };
  const system = `You check whether an AI support agent told the user specific facts. A fact counts as told only when an agent message states it as true: not when it is negated ("there is no legal hold"), asked ("is there a hold?"), hedged ("if there is a hold") or given as the reason for something else. A different reason than the one required does not count.
Answer one JSON object: {"items": [{"id": "...", "told": true or false, "quote": "the agent's words that state it, or null", "reason": "one short sentence"}]}.`;
  const user = `Required information:\n${items.map(describeItem).join('\n')}\n\nAgent messages to the user, in order:\n${agentMessages.map((m, i) => `[${i + 1}] ${m}`).join('\n') || '(none)'}`;
  const response = await session.generate({ system, messages: [{ role: 'user', content: user }], temperature: 0 });
  const parsed = verdictsSchema.safeParse(parseJudgeJson(response.text));
  if (!parsed.success)
    throw new GroundworkError(
      'AGENT_FAILED',
      `the judge's communication verdicts do not fit the schema: ${parsed.error.issues[0]?.message}`,
    );
  const ids = new Set(items.map((i) => i.id));
  const judgements: Record<string, CommunicationJudgements[string]> = {};
  for (const verdict of parsed.data.items) {
    if (!ids.has(verdict.id) || judgements[verdict.id]) continue;
    const rationale = [verdict.reason, verdict.quote ? `"${verdict.quote}"` : undefined].filter(Boolean).join(' ');
    judgements[verdict.id] = {
      pass: verdict.told,
      ...(rationale ? { rationale } : {}),
      judge: `${judgeName} (${COMMUNICATION_JUDGE_PROMPT_VERSION})`,
    };
  }
  return { judgements, usage: response.usage };
}
