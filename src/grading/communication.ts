import type { CommunicationCheck, CommunicationJudgement, FactCheck, Outcome } from '../schema/outcome.ts';
import type { CommunicationFact, CommunicationItem, FactForm } from '../schema/task.ts';
import { conceptPatterns, CONCEPTS } from './concepts.ts';
import { FactText, tokenize } from './fact-text.ts';

/** Lowercase, unify quotes and dashes, collapse whitespace. */
function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `phrase` occurs in `message` under the item's rule.
 * `word`: whole words, so "10" does not match "100" (τ-bench's known false positive).
 * `tau-substring`: τ-bench v1 exactly (lowercase, commas removed from the message, substring).
 */
export function phraseOccurs(phrase: string, message: string, rule: CommunicationItem['match']): boolean {
  if (rule === 'tau-substring') return message.toLowerCase().replace(/,/g, '').includes(phrase.toLowerCase());
  const pattern = new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(normalise(phrase))}($|[^\\p{L}\\p{N}])`, 'u');
  return pattern.test(normalise(message));
}

/** Precomputed judge verdicts per communication item id; a verdict present for an item decides it. */
export type CommunicationJudgements = Readonly<Record<string, CommunicationJudgement>>;

const clip = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The judge verdicts an outcome was graded with, so a re-grade without a judge keeps them
 * instead of silently falling back to the rules.
 */
export function judgementsOf(outcome: Pick<Outcome, 'communication'> | undefined): CommunicationJudgements {
  const out: Record<string, CommunicationJudgements[string]> = {};
  for (const item of outcome?.communication.items ?? []) if (item.method === 'judge' && item.judgement) out[item.id] = item.judgement;
  return out;
}

/**
 * Check each item against the agent's messages to the user. Phrase items (`anyOf`) match as
 * before; fact items pass when every fact is stated in some message, in any of its forms. A
 * judge verdict given for an item decides it (the rule-based fact checks are still recorded).
 */
export function checkCommunication(
  items: readonly CommunicationItem[],
  agentMessages: readonly string[],
  judgements?: CommunicationJudgements,
): CommunicationCheck[] {
  let texts: FactText[] | undefined;
  const factTexts = () => (texts ??= agentMessages.map((m) => new FactText(m)));
  return items.map((item): CommunicationCheck => {
    const ruled = item.facts ? checkFacts(item.id, item.facts, factTexts(), agentMessages) : checkPhrases(item, agentMessages);
    const judgement = judgements?.[item.id];
    if (!judgement) return ruled;
    const by = judgement.judge ? `judge ${judgement.judge}` : 'judge';
    return {
      id: item.id,
      pass: judgement.pass,
      method: 'judge',
      evidence: `${by}: ${judgement.rationale ?? (judgement.pass ? 'told' : 'not told')}`,
      ...(ruled.facts ? { facts: ruled.facts } : {}),
      judgement,
    };
  });
}

function checkPhrases(item: CommunicationItem, agentMessages: readonly string[]): CommunicationCheck {
  for (const message of agentMessages) {
    const phrase = (item.anyOf ?? []).find((p) => phraseOccurs(p, message, item.match ?? 'word'));
    if (phrase !== undefined) return { id: item.id, pass: true, method: 'phrase', evidence: clip(message) };
  }
  return { id: item.id, pass: false, method: 'phrase' };
}

function checkFacts(
  id: string,
  facts: readonly CommunicationFact[],
  texts: readonly FactText[],
  agentMessages: readonly string[],
): CommunicationCheck {
  const checks = facts.map((fact) => checkFact(fact, texts));
  const pass = checks.every((c) => c.pass);
  const first = checks.find((c) => c.pass && c.message !== undefined);
  return { id, pass, method: 'facts', facts: checks, ...(pass && first ? { evidence: clip(agentMessages[first.message! - 1]) } : {}) };
}

/** Where one form of a fact is stated, or why its mentions did not count. */
interface FormHit {
  found?: { quote: string; message: number };
  rejected?: string;
}

function describeForm(form: FactForm): string {
  return form.kind === 'concept' ? `concept ${form.concept}` : `${form.type} ${JSON.stringify(form.value)}`;
}

function checkFact(fact: CommunicationFact, texts: readonly FactText[]): FactCheck {
  let rejected: string | undefined;
  for (const form of fact.anyOf) {
    for (const [index, text] of texts.entries()) {
      const hit = findForm(form, text);
      if (hit.found) return { id: fact.id, pass: true, matched: describeForm(form), quote: clip(hit.found.quote, 160), message: index + 1 };
      if (hit.rejected && !rejected) rejected = `message ${index + 1}: ${hit.rejected}`;
      if (hit.rejected?.startsWith('unknown concept')) break;
    }
  }
  return { id: fact.id, pass: false, note: rejected ?? `not stated (looked for ${fact.anyOf.map(describeForm).join(', ')})` };
}

function findForm(form: FactForm, text: FactText): FormHit {
  if (form.kind === 'concept') return findConcept(form.concept, form.patterns, text);
  const value = String(form.value);
  switch (form.type) {
    case 'text':
    case 'name': {
      const span = text.findSequence(tokenize(value));
      return span ? { found: { quote: text.quote(span[0], span[1]), message: 0 } } : {};
    }
    case 'number':
    case 'amount': {
      const number = typeof form.value === 'number' ? form.value : Number(value.replace(/[$,\s]/g, ''));
      if (!Number.isFinite(number)) return { rejected: `not a number: ${JSON.stringify(form.value)}` };
      const at = text.findNumber(number);
      return at === undefined ? {} : { found: { quote: text.quote(at, at), message: 0 } };
    }
    case 'date': {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return { rejected: `not an ISO date: ${JSON.stringify(value)}` };
      const span = text.findDate(value);
      return span ? { found: { quote: text.quote(span[0], span[1]), message: 0 } } : {};
    }
  }
}

function findConcept(name: string, inline: readonly string[] | undefined, text: FactText): FormHit {
  const patterns = conceptPatterns(name, inline);
  if (!patterns) return { rejected: `unknown concept "${name}" (library: ${Object.keys(CONCEPTS).join(', ')})` };
  const negatable = inline ? true : CONCEPTS[name].negatable;
  let rejected: string | undefined;
  for (const pattern of patterns) {
    for (const [from, to] of text.matches(pattern)) {
      const quote = text.quote(from, to);
      const hedge = text.hedged(from);
      if (hedge) {
        rejected ??= `"${clip(quote, 80)}" is ${hedge === 'a question' ? 'in a question' : `hedged by "${hedge}"`}`;
        continue;
      }
      const negator = negatable ? (text.negatedBefore(from) ?? text.negatedAfter(to)) : undefined;
      if (negator) {
        rejected ??= `"${clip(quote, 80)}" is negated by "${negator}"`;
        continue;
      }
      return { found: { quote, message: 0 } };
    }
  }
  return rejected ? { rejected } : {};
}
