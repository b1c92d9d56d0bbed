import type { CommunicationItem } from '../schema/task.ts';

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

/** Check each item against the agent's messages to the user. */
export function checkCommunication(items: readonly CommunicationItem[], agentMessages: readonly string[]): { id: string; pass: boolean; evidence?: string }[] {
  return items.map((item) => {
    for (const message of agentMessages) {
      const phrase = item.anyOf.find((p) => phraseOccurs(p, message, item.match ?? 'word'));
      if (phrase !== undefined) return { id: item.id, pass: true, evidence: message.length > 240 ? `${message.slice(0, 240)}…` : message };
    }
    return { id: item.id, pass: false };
  });
}
