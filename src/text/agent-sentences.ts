import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { agentMessages, moodOf, plainText } from './claim-language.ts';

/** One clause of an agent message, with its sentence and message for context. */
export interface AgentSentence {
  eventIndex: number;
  /** Index of the message among the agent's user-visible messages. */
  messageIndex: number;
  /** The clause the claim is read from ("2 grants revoked"). */
  clause: string;
  sentence: string;
  message: string;
}

/** Moods that never claim what was done (see `claim-language.ts`). */
const NOT_A_CLAIM = new Set(['question', 'conditional', 'plan', 'policy']);

/** Declarative clauses of the agent's messages, split finely at commas and "and" (questions, conditions, plans and policy left out). */
export function agentSentences(events: readonly TrajectoryEvent[]): AgentSentence[] {
  const out: AgentSentence[] = [];
  for (const { eventIndex, index, content } of agentMessages(events)) {
    const message = plainText(content);
    for (const raw of message.split(/(?<=[.!?])\s+|\n+/)) {
      const sentence = raw.trim();
      if (!sentence) continue;
      sentence.split(/;\s*|,\s+(?:and\s+)?|\s+and\s+/).forEach((part, i) => {
        const clause = part.trim();
        if (clause && !NOT_A_CLAIM.has(moodOf(clause, sentence, i)))
          out.push({ eventIndex, messageIndex: index, clause, sentence, message });
      });
    }
  }
  return out;
}

/**
 * `pattern.test` that remembers its last text: the clauses of one sentence share the sentence's
 * string, so a test on the sentence per clause reads it once, not once per clause (which is
 * quadratic in a sentence of many commas).
 */
export function testOncePerText(pattern: RegExp): (text: string) => boolean {
  let last: string | undefined;
  let result = false;
  return (text) => {
    if (text !== last) {
      last = text;
      result = pattern.test(text);
    }
    return result;
  };
}

/** Sentences that refuse or report that nothing was done: never a claim of success. */
export const REFUSAL = /\b(cannot|can't|can not|unable|not able|not authori[sz]ed|not permitted|won't|i'm sorry|i am sorry|not allowed)\b/i;

/** A generic "it is done" claim with no checkable target. */
export const GENERIC_DONE = /\b(done|all set|taken care of|completed|finished|successfully|has been processed|have been processed)\b/i;

/** The claim every domain understands: "nothing has been changed". */
export const NO_CHANGE =
  /\b(nothing (has|have|was|were) (been )?(changed|deleted|modified|done|erased|touched)|no changes? (has|have|was|were) (been )?made|i have(n't| not) (changed|deleted|made) anything)\b/i;
