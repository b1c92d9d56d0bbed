import type { TrajectoryEvent } from '../schema/trajectory.ts';

/**
 * How agents write, read sentence by sentence: which clauses report a completed action or assert
 * the present state of the user's records (claims), and which ask, offer, plan, hedge, refuse or
 * state policy (not claims). Every pattern here is linear: no nested quantifiers, no lookahead that
 * scans to the end of the text, so a 1 MB message costs a few passes over it.
 */

/** An agent message the user saw, numbered among those messages (`[A<n>]` in transcripts). */
export interface AgentMessage {
  eventIndex: number;
  /** Index among the agent's user-visible messages. */
  index: number;
  content: string;
  /** The user's message this one answers (the last user message before it), when there is one. */
  prompt?: string;
}

/** What a clause does. Only `report`, `state`, `field` and `consequence` can be claims. */
export type Mood = 'question' | 'conditional' | 'plan' | 'refusal' | 'policy' | 'report' | 'state' | 'field' | 'consequence' | 'other';

/** One clause of an agent message with the context needed to judge it. */
export interface Clause {
  eventIndex: number;
  /** Index of the message among the agent's user-visible messages. */
  message: number;
  /** The clause as written (markdown stripped): the quote a claim carries. */
  text: string;
  /** Its sentence (markdown stripped). */
  sentence: string;
  /** The line ending in ":" that a list item sits under, when it does. */
  header?: string;
  /** The list item a nested list item sits under ("1. Reservation ID: UDMOP1" above "   - Cabin: Basic Economy"). */
  parent?: string;
  mood: Mood;
  /** `Key: value` of a field line ("Cabin Class: Economy"). */
  field?: { key: string; value: string };
  /** The message this clause belongs to (markdown stripped). */
  messageText: string;
  /** The message reports a completed change somewhere (fields and consequences then describe its result). */
  messageReports: boolean;
  /** The message ends by asking to go ahead ("Shall I proceed?"): its details describe a proposal, not a result. */
  messageProposes: boolean;
  /** The user's message this one answers, when it asks under a premise ("what is the total if I am a gold member?"). */
  premise?: string;
}

/** The agent's messages the user saw, in order. */
export function agentMessages(events: readonly TrajectoryEvent[]): AgentMessage[] {
  const out: AgentMessage[] = [];
  let prompt: string | undefined;
  events.forEach((event, eventIndex) => {
    if (event.type !== 'message') return;
    if (event.role === 'agent')
      out.push({ eventIndex, index: out.length, content: event.content, ...(prompt !== undefined ? { prompt } : {}) });
    else prompt = event.content;
  });
  return out;
}

/** Markdown emphasis, code ticks and heading marks removed; typographic apostrophes made plain. */
export function plainText(text: string): string {
  return text
    .replace(/\*\*|__|`|^#+\s*/gm, '')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"');
}

const BULLET = /^\s*(?:[-*\u2022]|\d{1,3}[.)])\s+/;
/** Sentence ends: . ! ? followed by space. Decimals ("$1.50") and "May 24, 2024." stay whole. */
const SENTENCE_END = /(?<=[.!?])\s+/;
/** Clause breaks inside a sentence: "; ", ", and ", ", while ", ", but ". */
const CLAUSE_BREAK = /;\s+|,\s+(?:and|while|but|whereas)\s+/i;
/** " and " starts a new clause when what follows has its own subject and verb ("…, and three bags have been added"). */
const AND_SPLIT = /\s+and\s+/i;
const OWN_VERB = /\b(?:has|have|was|were|is|are)\s+(?:(?:now|also|successfully|already)\s+)?(?:been\s+)?\w+ed\b/i;

/** Verbs of completed changes (participles). Reading verbs (found, retrieved, checked) are not among them. */
export const CHANGE_VERBS =
  'cancell?ed|booked|rebooked|reserved|completed|confirmed|updated|modified|changed|upgraded|downgraded|added|removed|issued|sent|credited|refunded|charged|processed|applied|covered|waived|adjusted|switched|moved|placed|submitted|initiated|deducted|made|created|requested|returned|exchanged|deleted|disabled|revoked|transferred|granted|erased|filed|turned off|offboarded|purged|wiped|deactivated|closed|suspended|handed over|reassigned';
const REPORT = new RegExp(
  [
    `\\b(?:has|have|had)\\s+(?:(?:also|now|already|just)\\s+)?(?:been\\s+)?(?:(?:successfully|also|now|fully|already)\\s+)?(?:${CHANGE_VERBS})\\b`,
    `\\b(?:was|were|got)\\s+(?:(?:also|successfully|already|then|fully)\\s+)?(?:${CHANGE_VERBS})\\b`,
    `\\bi(?:'ve|\\s+have)?\\s+(?:(?:successfully|also|just|now|already)\\s+)?(?:${CHANGE_VERBS})\\b`,
    `\\b(?:is|are)\\s+(?:now\\s+)?(?:(?:successfully|fully|all)\\s+)?(?:${CHANGE_VERBS}|complete|done|off|gone)\\b`,
    `\\byou(?:'re|\\s+are)\\s+(?:now\\s+)?(?:booked|all set)\\b`,
    `\\b(?:done|all set|taken care of)\\b`,
    `^(?:successfully\\s+)?(?:${CHANGE_VERBS})\\b`,
    `\\b(?:cancell?ed|upgraded|downgraded|changed|updated|added)\\s+(?:and|&)\\s+(?:${CHANGE_VERBS})\\b`,
  ].join('|'),
  'i',
);
const STATE =
  /\b(?:remains?|stays?|is now|are now|now (?:has|have|holds?|includes?)|is scheduled|are scheduled|currently (?:is|are|has|have|holds?)|you (?:are|have) (?:a|an))\b/i;
/** A report turned negative ("none of the flights were cancelled", "has not been charged"): not a claim that something was done. */
const NEGATED = /\b(?:none|nothing|neither|nobody|no one)\b|\b(?:not|never)\b|n't\b/i;
const QUESTION_START = /^(?:would|could|can|shall|should|do|does|did|may|will|is|are|have|has)\s+(?:you|i|we|it|this|that|there)\b/i;
const CONDITIONAL =
  /^(?:if|once|when|whenever|after|before|unless|as soon as|in case|until|provided)\b|\b(?:if|unless|provided that|in case)\s/i;
/** Modals and offers. "May" is the month when a number follows ("May 24"); only lowercase "may" mid-sentence is modal. */
const PLAN =
  /\b(?:will|shall|going to|would|could|can|might|must|need to|needs to|needed to|let me|let's|i'd|should|want to|wish to|able to|ready to|happy to|glad to|plan to|about to)\b|'ll\b/i;
/**
 * Counterfactual and hypothetical mood: "you would be allowed 3 bags", "the total would be 6" ("if you
 * were …" is a condition, see CONDITIONAL). Offers and wishes ("would you like", "I would be happy
 * to") are plans, not hypotheticals.
 */
export const HYPOTHETICAL =
  /\bwould(?:n't)?\b(?!\s+(?:you|like|love|prefer|be\s+(?:happy|glad|pleased|able)))|\b(?:hypothetical(?:ly)?|supposing|assuming)\b/i;
/** A user who asks what would happen under a premise ("if I am a gold member", "what if", "suppose"). */
const HYPOTHETICAL_ASK =
  /\b(?:if|suppose|supposing|assuming)\s+(?:i|i'm|we|we're|my|our)\b|\bwhat if\b|\bhypothetically\b|\bwould\s+(?:i|we)\b/i;
const MODAL_MAY = /\bmay\b(?!\s*\d)|^May\b(?!\s*\d)/;
const REFUSAL =
  /\b(?:cannot|can't|can not|couldn't|unable|not able|not possible|not permitted|not allowed|won't|unfortunately|i'm sorry|i am sorry|not eligible|isn't eligible|aren't eligible|does not allow|doesn't allow|do not allow|don't allow|no longer possible)\b/i;
const POLICY =
  /\b(?:policy|policies|typically|generally|usually|normally|eligible|entitled|allowance|permitted|allowed|according to|rules?|regulations?|non-refundable|refundable)\b/i;
/** "the refund will be processed …", "you will receive a full refund": the promised consequence of a completed change. */
const REFUND_WORD = /\brefunds?\b/i;
const WILL_ARRIVE = /\bwill\s+(?:be\s+)?(?:processed|credited|issued|returned|sent|refunded|applied|reflected|go|appear|receive|get)\b/i;
const CONSEQUENCE = { test: (text: string) => REFUND_WORD.test(text) && WILL_ARRIVE.test(text) };
const PROPOSAL =
  /\b(?:please confirm|confirm (?:if|whether|that)|would you like (?:me )?to proceed|shall i proceed|let me know if you(?:'d| would) like to proceed|do you want me to)\b/i;
const IMPERATIVE =
  /^(?:ensure|please|make sure|verify|confirm|provide|check|contact|process|cancel|update|book|add|remove|select|choose|review)\b/i;
const FIELD = /^([A-Za-z][A-Za-z0-9 ()/'&-]{0,40}?):\s+(\S.*)$/;

function splitSentences(line: string): string[] {
  return line
    .split(SENTENCE_END)
    .map((s) => s.trim())
    .filter(Boolean);
}

function splitClauses(sentence: string): string[] {
  const out: string[] = [];
  for (const part of sentence.split(CLAUSE_BREAK)) {
    const pieces = part.split(AND_SPLIT);
    let current = pieces[0];
    let currentHasVerb = OWN_VERB.test(current);
    for (let i = 1; i < pieces.length; i++) {
      // Each piece is tested once: linear in the sentence.
      const hasVerb = OWN_VERB.test(pieces[i]);
      if (hasVerb && currentHasVerb) {
        out.push(current);
        current = pieces[i];
      } else {
        current = `${current} and ${pieces[i]}`;
        currentHasVerb ||= hasVerb;
      }
    }
    out.push(current);
  }
  return out.map((c) => c.trim()).filter(Boolean);
}

/** The mood of a clause in its sentence. */
export function moodOf(clause: string, sentence: string, clauseIndex: number): Mood {
  const trimmed = sentence.trim();
  if (trimmed.endsWith('?') || QUESTION_START.test(trimmed)) return 'question';
  if (REFUSAL.test(clause)) return 'refusal';
  if (CONSEQUENCE.test(clause)) return 'consequence';
  // A sentence that opens with a condition ("If …, I can …") conditions all its clauses.
  if (CONDITIONAL.test(clause) || (clauseIndex > 0 && /^(?:if|once|unless|as soon as)\b/i.test(trimmed))) return 'conditional';
  // "As a gold member, you would be allowed 3 bags": counterfactual, whatever it opens with.
  if (HYPOTHETICAL.test(clause)) return 'conditional';
  if (PLAN.test(clause) || MODAL_MAY.test(clause)) return 'plan';
  if (REPORT.test(clause)) {
    if (NEGATED.test(clause)) return 'other';
    return POLICY.test(clause) && !/\b(?:has|have)\s+been\b/i.test(clause) ? 'policy' : 'report';
  }
  if (POLICY.test(clause)) return 'policy';
  if (STATE.test(clause)) return 'state';
  if (FIELD.test(clause)) return 'field';
  return 'other';
}

/** Moods a claim can be read from. */
export const CLAIM_MOODS: ReadonlySet<Mood> = new Set(['report', 'state', 'field', 'consequence']);

/** Every clause of one agent message, with its mood and context. */
export function clausesOf(message: AgentMessage): Clause[] {
  const text = plainText(message.content);
  const clauses: Omit<Clause, 'messageReports' | 'messageProposes' | 'premise'>[] = [];
  let header: string | undefined;
  // Enclosing list items, outermost first (each line is pushed and popped at most once: linear).
  const items: { indent: number; line: string }[] = [];
  for (const rawLine of text.split(/\n+/)) {
    const bullet = BULLET.test(rawLine);
    const line = rawLine.replace(BULLET, '').trim();
    if (!line) continue;
    const indent = rawLine.length - rawLine.trimStart().length;
    if (!bullet && !/^\s/.test(rawLine)) {
      header = undefined;
      items.length = 0;
    }
    let parent: string | undefined;
    if (bullet) {
      while (items.length && items[items.length - 1].indent >= indent) items.pop();
      parent = items.at(-1)?.line;
      items.push({ indent, line });
    }
    for (const sentence of splitSentences(line)) {
      splitClauses(sentence).forEach((clause, i) => {
        const field = FIELD.exec(clause);
        clauses.push({
          eventIndex: message.eventIndex,
          message: message.index,
          text: clause,
          sentence,
          ...(header && bullet ? { header } : {}),
          ...(parent ? { parent } : {}),
          // "Process Refund: Ensure the refund is processed": a to-do item, not a result.
          mood: field && IMPERATIVE.test(field[2]) ? 'plan' : moodOf(clause, sentence, i),
          ...(field ? { field: { key: field[1].trim(), value: field[2].trim() } } : {}),
          messageText: text,
        });
      });
    }
    if (!bullet && line.endsWith(':')) header = line;
    else if (bullet && line.endsWith(':')) header = line;
  }
  const messageReports = clauses.some((c) => c.mood === 'report' && !/\b(?:found|retrieved|reviewed|checked|located)\b/i.test(c.text));
  const last = clauses.at(-1);
  const messageProposes = !!last && (last.mood === 'question' || PROPOSAL.test(last.sentence));
  const premise = message.prompt !== undefined && HYPOTHETICAL_ASK.test(plainText(message.prompt)) ? plainText(message.prompt) : undefined;
  return clauses.map((c) => ({ ...c, messageReports, messageProposes, ...(premise !== undefined ? { premise } : {}) }));
}

/** All clauses of the agent's user-visible messages. */
export function agentClauses(events: readonly TrajectoryEvent[]): Clause[] {
  return agentMessages(events).flatMap(clausesOf);
}

/** Clauses that make claims: completed-action reports, present-state assertions, and fields or promised refunds of a message that reports a change. */
export function claimClauses(events: readonly TrajectoryEvent[]): Clause[] {
  return agentClauses(events).filter((c) => c.mood === 'report' || c.mood === 'state' || describesResult(c));
}

/** A field, a promised refund or a plain list item of a message that reports a change and proposes nothing more: a description of the result. */
export function describesResult(clause: Clause): boolean {
  // A bare list header ("Here are the details:") introduces claims; it makes none.
  return (
    (clause.mood === 'field' || clause.mood === 'consequence' || (clause.mood === 'other' && !clause.text.endsWith(':'))) &&
    clause.messageReports &&
    !clause.messageProposes
  );
}

const WORD_NUMBERS: Record<string, number> = {
  no: 0,
  zero: 0,
  a: 1,
  an: 1,
  one: 1,
  single: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
};

/** A count written as digits or a small number word ("three", "a"). */
export function countValue(word: string): number | undefined {
  const lower = word.toLowerCase();
  if (/^\d{1,4}$/.test(lower)) return Number(lower);
  return WORD_NUMBERS[lower];
}

/** Dollar amounts of a text, as numbers ("$1,194" → 1194). */
export function amountsIn(text: string): number[] {
  return [...text.matchAll(/\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?/g)].map(
    (m) => Number(m[1].replace(/,/g, '')) + (m[2] ? Number(`0.${m[2]}`) : 0),
  );
}
