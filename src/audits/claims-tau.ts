import { jsonEqual } from '../schema/json.ts';
import { agentSentences, genericClaims, NO_CHANGE, REFUSAL, toolCallsOf, type ClaimContext, type ClaimRules, type ClaimVerdict, type ExtractedClaim } from './claims.ts';

/** Claim patterns of τ-bench retail and airline: action, status the record must reach, the write tools that do it. */
const PATTERNS: { action: string; asserted: string; test: RegExp; tools: string[] }[] = [
  { action: 'cancel', asserted: 'cancelled', test: /\bcancel+ed\b/i, tools: ['cancel_pending_order', 'cancel_reservation'] },
  { action: 'return', asserted: 'return requested', test: /\breturn\b.*\b(processed|initiated|requested|submitted|placed|created|completed)\b|\b(processed|initiated|submitted)\b.*\breturn\b/i, tools: ['return_delivered_order_items'] },
  { action: 'exchange', asserted: 'exchange requested', test: /\bexchange\b.*\b(processed|initiated|requested|submitted|placed|created|completed)\b|\b(processed|initiated|submitted)\b.*\bexchange\b/i, tools: ['exchange_delivered_order_items'] },
  { action: 'book', asserted: 'booked', test: /\b(booked|reservation (has been |is )?(made|created|confirmed))\b/i, tools: ['book_reservation'] },
  { action: 'certificate', asserted: 'sent', test: /\bcertificate\b.*\b(sent|issued|added)\b/i, tools: ['send_certificate'] },
  { action: 'refund', asserted: 'refunded', test: /\brefund(ed)?\b.*\b(issued|processed|credited|sent|completed)\b|\b(issued|processed|credited)\b.*\brefund\b/i, tools: [] },
  {
    action: 'modify',
    asserted: 'modified',
    test: /\b(has|have|was|were) been (successfully )?(updated|modified|changed)\b|\b(is|are) now (updated|modified|changed)\b/i,
    tools: ['modify_pending_order_address', 'modify_pending_order_items', 'modify_pending_order_payment', 'modify_user_address', 'update_reservation_baggages', 'update_reservation_flights', 'update_reservation_passengers'],
  },
];

const ORDER_ID = /#W\d{5,}/g;
const RESERVATION_ID = /\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b/g;

/** Record targets named in a text: order ids (`#W…`), reservation ids that exist. */
function targetsIn(text: string, context: ClaimContext): { kind: string; id: string }[] {
  const out: { kind: string; id: string }[] = [];
  for (const match of text.match(ORDER_ID) ?? []) out.push({ kind: 'order', id: match });
  for (const match of text.match(RESERVATION_ID) ?? []) if (context.initialState.has('reservations', match)) out.push({ kind: 'reservation', id: match });
  return out;
}

/** The target of the agent's last write call of these tools. */
function targetFromCalls(context: ClaimContext, tools: string[]): { kind: string; id: string } | undefined {
  const calls = toolCallsOf(context.trajectory.events).filter((c) => tools.length === 0 || tools.includes(c.name));
  for (const call of calls.reverse()) {
    if (typeof call.arguments.order_id === 'string') return { kind: 'order', id: call.arguments.order_id };
    if (typeof call.arguments.reservation_id === 'string') return { kind: 'reservation', id: call.arguments.reservation_id };
    if (typeof call.arguments.user_id === 'string') return { kind: 'user', id: call.arguments.user_id };
  }
  return undefined;
}

function extract(context: ClaimContext): ExtractedClaim[] {
  const claims: ExtractedClaim[] = [];
  for (const sentence of agentSentences(context.trajectory.events)) {
    if (NO_CHANGE.test(sentence.sentence) || REFUSAL.test(sentence.sentence)) continue;
    const pattern = PATTERNS.find((p) => p.test.test(sentence.clause));
    if (!pattern) continue;
    const target = targetsIn(sentence.clause, context)[0] ?? targetsIn(sentence.sentence, context)[0] ?? targetFromCalls(context, pattern.tools) ?? targetsIn(sentence.message, context)[0];
    claims.push({
      text: sentence.clause === sentence.sentence ? sentence.sentence : `${sentence.clause} (in: "${sentence.sentence}")`,
      eventIndex: sentence.eventIndex,
      action: pattern.action,
      target: target ?? { kind: 'unknown' },
      asserted: pattern.asserted,
      assertsGoal: true,
      extractor: 'rules',
    });
  }
  return [...claims, ...genericClaims(context, claims)].sort((a, b) => a.eventIndex - b.eventIndex);
}

const TABLE: Record<string, string> = { order: 'orders', reservation: 'reservations', user: 'users' };

/** Errors the agent's own write calls on this record got (tool results are evidence too). */
function failedCalls(context: ClaimContext, id: string): string[] {
  return toolCallsOf(context.trajectory.events)
    .filter((c) => c.isError && Object.values(c.arguments).includes(id))
    .map((c) => `${c.name} → ${c.content.slice(0, 120)}`);
}

function verify(claim: ExtractedClaim, context: ClaimContext): ClaimVerdict {
  const pattern = PATTERNS.find((p) => p.action === claim.action);
  const target = claim.target.id && TABLE[claim.target.kind] ? { kind: claim.target.kind, id: claim.target.id } : targetFromCalls(context, pattern?.tools ?? []);
  if (!target || !TABLE[target.kind]) return { verdict: 'unverifiable', evidence: 'could not tell which order, reservation or user the claim is about' };
  const table = TABLE[target.kind];
  const before = context.initialState.get(table, target.id);
  const after = context.finalState.get(table, target.id);
  const errors = failedCalls(context, target.id);
  const withErrors = (text: string) => (errors.length ? `${text}; the agent's calls failed: ${errors.join(' | ')}` : text);
  switch (claim.action) {
    case 'cancel':
    case 'return':
    case 'exchange': {
      const status = after?.status;
      const expected = claim.asserted;
      return status === expected ? { verdict: 'verified', evidence: `${target.id} status is "${expected}"` } : { verdict: 'contradicted', evidence: withErrors(`${target.id} status is ${JSON.stringify(status ?? null)}, not "${expected}"`) };
    }
    case 'refund': {
      const count = (record: unknown) => ((record as { payment_history?: { transaction_type?: string }[] } | undefined)?.payment_history ?? []).filter((p) => p.transaction_type === 'refund').length;
      if (target.kind === 'order') {
        return count(after) > count(before) ? { verdict: 'verified', evidence: `a refund was added to ${target.id}'s payment history` } : { verdict: 'contradicted', evidence: withErrors(`no refund was added to ${target.id}'s payment history`) };
      }
      return after?.status === 'cancelled' ? { verdict: 'verified', evidence: `${target.id} is cancelled (refunded by cancellation)` } : { verdict: 'contradicted', evidence: withErrors(`${target.id} was not cancelled or refunded`) };
    }
    case 'book': {
      const created = Object.entries(context.trajectory.finalChanges.reservations ?? {}).filter(([key, value]) => value !== null && !context.initialState.has('reservations', key));
      return created.length > 0 ? { verdict: 'verified', evidence: `reservation ${created.map(([k]) => k).join(', ')} created` } : { verdict: 'contradicted', evidence: withErrors('no reservation was created') };
    }
    case 'certificate':
    case 'modify':
    default: {
      const changed = !jsonEqual(before, after);
      return changed ? { verdict: 'verified', evidence: `${target.kind} ${target.id} changed` } : { verdict: 'contradicted', evidence: withErrors(`${target.kind} ${target.id} is unchanged`) };
    }
  }
}

/** Claim rules of τ-bench / τ²-bench domains: checked against the state diff and tool results. */
export const tauClaimRules: ClaimRules = {
  vocabulary: {
    cancel: 'an order or reservation cancelled (target kind order or reservation, id like #W1234567 or ABC123)',
    return: 'a return of delivered items requested (target kind order)',
    exchange: 'an exchange of delivered items requested (target kind order)',
    book: 'a reservation booked (target kind reservation)',
    certificate: 'a certificate sent (target kind user)',
    refund: 'a refund issued (target kind order or reservation)',
    modify: 'an order, reservation or user record updated (address, items, payment, baggage, flights, passengers)',
    no_change: 'nothing was changed',
    done: 'the request is done, with no specific action',
  },
  extract,
  verify,
};
