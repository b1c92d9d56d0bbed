import { jsonEqual } from '../../schema/json.ts';
import type { TrajectoryEvent } from '../../schema/trajectory.ts';
import type { TableState } from '../../state/table-state.ts';
import { GENERIC_DONE, NO_CHANGE, testOncePerText } from '../../text/agent-sentences.ts';
import { agentClauses, amountsIn, countValue, describesResult, type Clause } from '../../text/claim-language.ts';
import { genericClaims, pairResults, type ClaimContext, type ClaimRules, type ClaimVerdict, type ExtractedClaim } from '../claim-rules.ts';

/**
 * Claim rules of τ-bench / τ²-bench (airline and retail), read sentence by sentence (see
 * `src/text/claim-language.ts`) and checked against what can contradict them: the final state and its
 * difference from the initial state (statuses, payment histories with the refunds that flight
 * changes and cancellations write, certificates and gift-card balances, flight segments and the
 * fare they were priced at, baggage counts, passengers, insurance) and the episode's tool results
 * (a write that returned `Error:` changed nothing).
 */

// biome-ignore lint/suspicious/noExplicitAny: claim verdicts read retail and airline records of either flavour loosely, field by field.
type Rec = Record<string, any>;

/** One tool call with its result and where it sits in the trajectory. */
interface Call {
  eventIndex: number;
  name: string;
  args: Rec;
  result: unknown;
  isError: boolean;
  content: string;
}

/** The agent's tool calls (the user's own calls in dual control are not the agent's evidence). */
function callsOf(events: readonly TrajectoryEvent[]): Call[] {
  const results = pairResults(events);
  const out: Call[] = [];
  events.forEach((event, eventIndex) => {
    if (event.type !== 'tool_call' || event.actor === 'user') return;
    const result = results.get(eventIndex);
    let parsed: unknown;
    if (result && !result.isError) {
      try {
        parsed = JSON.parse(result.content);
      } catch {
        parsed = undefined;
      }
    }
    const args = event.arguments && typeof event.arguments === 'object' && !Array.isArray(event.arguments) ? (event.arguments as Rec) : {};
    out.push({ eventIndex, name: event.name, args, result: parsed, isError: result?.isError ?? true, content: result?.content ?? '' });
  });
  return out;
}

const WRITE_TOOLS = new Set([
  'book_reservation',
  'cancel_reservation',
  'update_reservation_baggages',
  'update_reservation_flights',
  'update_reservation_passengers',
  'send_certificate',
  'cancel_pending_order',
  'return_delivered_order_items',
  'exchange_delivered_order_items',
  'modify_pending_order_address',
  'modify_pending_order_items',
  'modify_pending_order_payment',
  'modify_user_address',
]);

const ORDER_ID = /#W\d{5,}/g;
const RESERVATION_ID = /\b[A-Z0-9]{6}\b/g;
const FLIGHT_NUMBER = /\b[A-Z]{3}\d{3}\b/g;

interface Target {
  table: 'reservations' | 'orders';
  id: string;
}

/** Records (reservations that exist, orders) named in a text. */
function idsIn(text: string, context: ClaimContext): Target[] {
  const out: Target[] = [];
  for (const match of text.match(ORDER_ID) ?? []) out.push({ table: 'orders', id: match });
  for (const match of text.match(RESERVATION_ID) ?? []) {
    if (
      (context.initialState.has('reservations', match) || context.finalState.has('reservations', match)) &&
      !out.some((t) => t.id === match)
    )
      out.push({ table: 'reservations', id: match });
  }
  return out;
}

/** The record a write call acted on (a booking: the reservation it created). */
function targetOfCall(call: Call): Target | undefined {
  if (call.name === 'book_reservation') {
    const id = (call.result as Rec | undefined)?.reservation_id;
    return typeof id === 'string' ? { table: 'reservations', id } : undefined;
  }
  if (typeof call.args.reservation_id === 'string') return { table: 'reservations', id: call.args.reservation_id };
  if (typeof call.args.order_id === 'string') return { table: 'orders', id: call.args.order_id };
  return undefined;
}

/** What one episode offers the verdicts, computed once. */
interface Facts {
  context: ClaimContext;
  calls: Call[];
  now?: number;
  clauses: Clause[];
  /** Clauses by the event of their message. */
  byEvent: Map<number, Clause[]>;
  /** Records named in each message (by event), and in each list group (event, header, parent) of its fields: filled on first use. */
  named: Map<string, Target[]>;
  /** `staleOriginal` verdicts by message event (undefined: none). */
  stale: Map<number, ClaimVerdict | undefined>;
}

/** The clauses of one message. */
const clausesAt = (facts: Facts, eventIndex: number): Clause[] => facts.byEvent.get(eventIndex) ?? [];

/** Records a message names, computed once per message. */
function namedInMessage(facts: Facts, clause: Pick<Clause, 'eventIndex' | 'messageText'>): Target[] {
  const key = `m${clause.eventIndex}`;
  let found = facts.named.get(key);
  if (!found) facts.named.set(key, (found = idsIn(clause.messageText, facts.context)));
  return found;
}

const groupKey = (c: Pick<Clause, 'eventIndex' | 'header' | 'parent'>) => `g${c.eventIndex}\u0000${c.header ?? ''}\u0000${c.parent ?? ''}`;

/** Records named by the fields of a clause's list group (same message, header and parent item), computed once per message. */
function namedInGroup(facts: Facts, clause: Pick<Clause, 'eventIndex' | 'header' | 'parent'>): Target[] {
  if (!facts.named.has(`m${clause.eventIndex}g`)) {
    facts.named.set(`m${clause.eventIndex}g`, []);
    for (const c of clausesAt(facts, clause.eventIndex)) {
      if (!c.field) continue;
      const key = groupKey(c);
      const list = facts.named.get(key) ?? [];
      for (const t of idsIn(c.text, facts.context)) if (!list.some((l) => l.id === t.id)) list.push(t);
      facts.named.set(key, list);
    }
  }
  return facts.named.get(groupKey(clause)) ?? [];
}

const get = (state: TableState, target: Target): Rec | undefined => state.get(target.table, target.id) as Rec | undefined;

/** Write calls before an event, most recent first. */
function writesBefore(facts: Facts, eventIndex: number, names?: readonly string[]): Call[] {
  return facts.calls.filter((c) => c.eventIndex < eventIndex && WRITE_TOOLS.has(c.name) && (!names || names.includes(c.name))).reverse();
}

/** Records changed by the episode (final differs from initial), in the order they were last written before the event. */
function changedBefore(facts: Facts, eventIndex: number): Target[] {
  const out: Target[] = [];
  for (const call of writesBefore(facts, eventIndex)) {
    const target = call.isError ? undefined : targetOfCall(call);
    if (
      target &&
      !out.some((t) => t.id === target.id) &&
      !jsonEqual(get(facts.context.initialState, target), get(facts.context.finalState, target))
    )
      out.push(target);
  }
  return out;
}

/** The record a claim is about: named in the clause, its sentence, its list header, or the message; else the last record written (or read) before it. */
function resolveTargets(
  clause: Pick<Clause, 'text' | 'sentence' | 'header' | 'parent' | 'messageText' | 'eventIndex'>,
  facts: Facts,
  tools?: readonly string[],
): Target[] {
  for (const text of [clause.text, clause.sentence, clause.parent ?? '']) {
    const found = idsIn(text, facts.context);
    if (found.length) return found;
  }
  // A field of a list whose other items name one record ("- Reservation ID: 7WPL39 … - Cabin: Basic Economy").
  if (clause.header !== undefined || clause.parent !== undefined) {
    const named = namedInGroup(facts, clause);
    if (named.length === 1) return named;
  }
  const inHeader = idsIn(clause.header ?? '', facts.context);
  if (inHeader.length) return inHeader;
  const written = writesBefore(facts, clause.eventIndex, tools)
    .filter((c) => !c.isError)
    .map(targetOfCall)
    .filter((t): t is Target => t !== undefined);
  // A list item of "… has been booked. Here are the details: … Your reservation ID is HATHAT": the record the message names, when the episode wrote it.
  const inMessage = namedInMessage(facts, clause);
  const namedWritten = written.find((t) => inMessage.some((m) => m.id === t.id));
  if (namedWritten) return [namedWritten];
  if (written.length) return [written[0]];
  const failed = writesBefore(facts, clause.eventIndex, tools)
    .map(targetOfCall)
    .filter((t): t is Target => t !== undefined);
  if (failed.length) return [failed[0]];
  if (inMessage.length === 1) return inMessage;
  const read = facts.calls
    .filter(
      (c) =>
        c.eventIndex < clause.eventIndex &&
        !c.isError &&
        (typeof c.args.reservation_id === 'string' || typeof c.args.order_id === 'string'),
    )
    .at(-1);
  const readTarget = read ? targetOfCall(read) : undefined;
  return readTarget ? [readTarget] : [];
}

/**
 * A record as the user was told about it: the final record, unless a later successful write
 * changed it again (the user asked for more), then the record the last write before the message
 * returned (undefined when that cannot be told).
 */
function recordAt(facts: Facts, target: Target, eventIndex: number): Rec | undefined {
  const final = get(facts.context.finalState, target);
  const touches = (c: Call) => !c.isError && WRITE_TOOLS.has(c.name) && targetOfCall(c)?.id === target.id;
  if (!facts.calls.some((c) => c.eventIndex > eventIndex && touches(c))) return final;
  const before = facts.calls.filter((c) => c.eventIndex < eventIndex && touches(c)).at(-1)?.result as Rec | undefined;
  return before && (before.reservation_id === target.id || before.order_id === target.id) ? before : undefined;
}

/** Errors of the agent's writes on a record: evidence that a claimed change never happened. */
function failedWrites(facts: Facts, id: string): string {
  const failed = facts.calls
    .filter((c) => c.isError && WRITE_TOOLS.has(c.name) && Object.values(c.args).includes(id))
    .map((c) => `${c.name} → ${c.content.slice(0, 120)}`);
  return failed.length ? `; the agent's calls failed: ${failed.join(' | ')}` : '';
}

const verified = (evidence: string): ClaimVerdict => ({ verdict: 'verified', evidence });
const contradicted = (evidence: string): ClaimVerdict => ({ verdict: 'contradicted', evidence });
const unverifiable = (evidence: string): ClaimVerdict => ({ verdict: 'unverifiable', evidence });

// ---------------------------------------------------------------- reading claims from clauses

/** All of these occur in a text (each regex is linear; no `[^.]*` bridges that backtrack). */
const all = (...patterns: RegExp[]) => ({ test: (text: string) => patterns.every((p) => p.test(text)) });
const any = (...tests: { test(text: string): boolean }[]) => ({ test: (text: string) => tests.some((t) => t.test(text)) });
const none = (pattern: RegExp, test: { test(text: string): boolean }) => ({
  test: (text: string) => !pattern.test(text) && test.test(text),
});

/** What a clause is about, most specific first. The first that matches makes the claim. */
const TOPICS: { action: string; test: { test(text: string): boolean }; goal: boolean }[] = [
  {
    action: 'certificate',
    test: all(/\b(?:certificate|voucher|compensation)\b/i, /\b(?:issued|sent|added|credited|provided|given|granted)\b/i),
    goal: true,
  },
  { action: 'balance', test: /\bbalance\b/i, goal: false },
  { action: 'refund', test: /\brefund|\bcredited back\b|\bprocessed back\b/i, goal: true },
  { action: 'waive', test: /\bwaived?\b/i, goal: false },
  {
    action: 'cancel',
    test: any(/\bcancel+ed\b/i, all(/\bcancell?ation\b/i, /\b(?:completed|processed|done|confirmed|successful)\b/i)),
    goal: true,
  },
  { action: 'total', test: none(/\b(?:additional|extra|difference)\b/i, all(/\btotal\b/i, /\$\s?\d/)), goal: false },
  {
    action: 'payment',
    test: any(
      /\b(?:charged|charges?|paid|payments?|costs?|fees?|difference|billed|deducted)\b/i,
      all(/\$\s?\d/, /\b(?:card|certificate|paypal)\b/i),
    ),
    goal: true,
  },
  { action: 'baggage', test: /\b(?:bags?|baggages?|suitcases?|luggage)\b/i, goal: true },
  { action: 'passenger', test: any(/\bpassengers?\b/i, all(/\bname\b/i, /\b(?:updated|changed|corrected)\b/i)), goal: true },
  { action: 'insurance', test: /\binsurance\b/i, goal: true },
  {
    action: 'book',
    test: /\b(?:booked|booking|rebooked|new reservation|reservation id|reservation number|confirmation number)\b/i,
    goal: true,
  },
  { action: 'cabin', test: /\b(?:basic economy|economy|business)\b/i, goal: true },
  { action: 'flight', test: /\b[A-Z]{3}\d{3}\b/, goal: false },
  {
    action: 'return',
    test: all(/\breturn(?:ed)?\b/i, /\b(?:requested|processed|initiated|submitted|placed|created|completed)\b/i),
    goal: true,
  },
  {
    action: 'exchange',
    test: all(/\bexchanged?\b/i, /\b(?:requested|processed|initiated|submitted|placed|created|completed)\b/i),
    goal: true,
  },
  {
    action: 'modify',
    test: /\b(?:updated|modified|changed|upgraded|downgraded|processed|adjusted|completed|switched|moved)\b/i,
    goal: true,
  },
];

/** Read-outs of the user's records that hide inside policy sentences ("Since you are a Gold member, …"). */
const MEMBERSHIP =
  /\b(?:you are|you're|as|being)\s+an?\s+(?:\w+\s+)?(gold|silver|regular)\s+member\b|\byour (?:membership|status) is (?:listed as )?"?(gold|silver|regular)\b/i;
/** "was booked within the last 24 hours", "it was canceled within 24 hours of booking" (cancelled now: booked less than 24 hours ago), "it's within the 24-hour window". */
const WITHIN_24H =
  /\b(?:was|were|been|being)\s+(?:booked|made|created|reserved|purchased|cancell?ed)\s+(?:(?:only|just)\s+)?(?:within|less than|under|in)\s+(?:the\s+)?(?:last\s+|past\s+|first\s+)?(?:24|twenty-four)(?:-|\s)hours?\b|\b(?:it's|it is|is still|are still|it's still|it is still)\s+within\s+(?:the\s+)?(?:24|twenty-four)(?:-|\s)hours?\b/i;
const OVER_24H =
  /\b(?:was|were|been)\s+(?:booked|made|created|reserved|purchased)\s+(?:more than|over)\s+(?:24|twenty-four)\s+hours\s+ago\b|\b(?:it's|it is|is)\s+(?:beyond|outside|past)\s+the 24-hour/i;
/** A leading reason clause that asserts a fact about the record ("Since it was canceled within 24 hours of booking, …"); "As a gold member, …" is a premise, not a reason. */
const REASON = /^(?:since|because|as)\s+(?:it|it's|the|your|this|that|you|you're|they|both|all)\b[^,]*,/i;
const READOUT_CONDITION = /\b(?:if|unless|whether|only)\b/i;

const NO_CHARGE =
  /\bno\s+(?:additional\s+|extra\s+)?(?:fees?|charges?|costs?|payment)\b|\bfree of charge\b|\bat no (?:extra |additional )?cost\b/i;
const CHANGE_VERB = /\b(?:upgraded|downgraded|changed|updated|moved|switched)\b/i;

function extract(context: ClaimContext): ExtractedClaim[] {
  const claims: ExtractedClaim[] = [];
  const facts = factsOf(context);
  // Clauses share their sentence: it is tested once, not once per clause.
  const noChange = testOncePerText(NO_CHANGE);
  for (const clause of agentClauses(context.trajectory.events)) {
    let base = {
      text: clause.sentence,
      eventIndex: clause.eventIndex,
      message: clause.message,
      quote: clause.text,
      extractor: 'rules' as const,
    };
    // What the claim is about once read-outs are taken out of it.
    let rest = clause.text;
    // Read-outs of the user's records: in the clause, unless it is asked, conditioned or hypothetical;
    // in a leading reason clause ("Since it was canceled within 24 hours of booking, you would …") whatever the main clause's mood.
    const reason = REASON.exec(clause.text)?.[0];
    const readout =
      clause.mood === 'question'
        ? undefined
        : reason && !READOUT_CONDITION.test(reason) && (WITHIN_24H.test(reason) || OVER_24H.test(reason) || MEMBERSHIP.test(reason))
          ? reason
          : clause.mood !== 'conditional' && !READOUT_CONDITION.test(clause.text)
            ? clause.text
            : undefined;
    if (readout) {
      const membership = MEMBERSHIP.exec(readout);
      // "As a gold member, …" answering "what is the total if I am a gold member?" restates the user's premise.
      const level = membership && (membership[1] ?? membership[2]).toLowerCase();
      if (
        membership &&
        level &&
        !(clause.premise && /^(?:as|being)\b/i.test(membership[0]) && clause.premise.toLowerCase().includes(level))
      ) {
        // The read-out is its own claim; the clause may still report an action ("As a Gold member, I've issued …").
        claims.push({ ...base, quote: membership[0], action: 'membership', target: { kind: 'user' }, asserted: level, assertsGoal: false });
        rest = rest.replace(membership[0], '').replace(/^[\s,]+/, '');
        base = { ...base, quote: rest };
      }
      if (WITHIN_24H.test(readout) || OVER_24H.test(readout)) {
        const asserted = WITHIN_24H.test(readout) ? 'yes' : 'no';
        if (readout !== reason) {
          claims.push({ ...base, action: 'booked_within_24h', target: { kind: 'reservation' }, asserted, assertsGoal: false });
          continue;
        }
        // The reason is its own claim; the main clause may still claim something ("…, you will receive a full refund").
        claims.push({
          ...base,
          quote: reason.replace(/,$/, ''),
          action: 'booked_within_24h',
          target: { kind: 'reservation' },
          asserted,
          assertsGoal: false,
        });
        rest = clause.text.slice(reason.length).trim();
        base = { ...base, quote: rest };
      }
    }
    // A state assertion inside a proposal ("the total cost is $X … shall I proceed?") is a quote, not a claim.
    if (clause.mood !== 'report' && !(clause.mood === 'state' && !clause.messageProposes) && !describesResult(clause)) continue;
    if (noChange(clause.sentence)) continue;
    // "no additional fees were applied" denies a charge: it is not a payment claim (the clause may still be about bags).
    const topic = TOPICS.find((t) => t.test.test(rest) && !(t.action === 'payment' && NO_CHARGE.test(rest)));
    if (!topic) continue;
    // A list item under "The following reservations have been cancelled:" is part of that report.
    const action = topic.action === 'book' && clause.header && /\bcancel/i.test(clause.header) ? 'cancel' : topic.action;
    const reported = clause.mood === 'report';
    const assertsGoal =
      reported && topic.goal && (action !== 'cabin' || CHANGE_VERB.test(rest)) && (action !== 'payment' || !/\bwould\b/i.test(rest));
    const inClause = idsIn(rest, context);
    const [target] = inClause.length ? inClause : resolveTargets(clause, facts);
    claims.push({
      ...base,
      action,
      target: target ? { kind: target.table === 'orders' ? 'order' : 'reservation', id: target.id } : { kind: 'record' },
      asserted: clause.mood,
      assertsGoal,
    });
  }
  return [...claims, ...genericClaims(context, claims)].sort((a, b) => a.eventIndex - b.eventIndex);
}

// ---------------------------------------------------------------- verdicts

/** Where a claim sits, rebuilt from its event and quote (works for rule and LLM claims alike). */
function locate(claim: ExtractedClaim, facts: Facts): Clause {
  const quote = claim.quote ?? claim.text;
  const clauses = clausesAt(facts, claim.eventIndex);
  const found = clauses.find((c) => c.text === quote) ?? clauses.find((c) => c.sentence.includes(quote) || quote.includes(c.text));
  const messageText = clauses[0]?.messageText ?? claim.text;
  return (
    found ?? {
      eventIndex: claim.eventIndex,
      message: claim.message ?? 0,
      text: quote,
      sentence: claim.text,
      mood: 'report',
      messageText,
      messageReports: true,
      messageProposes: false,
    }
  );
}

interface Payment {
  target: Target;
  paymentId: string;
  /** Positive: money taken from the user; negative: money given back. */
  amount: number;
}

/**
 * Payment entries added to a record by the episode (a new record: all of them), as of when the user
 * was told (`eventIndex`): a later write that changed the record again (a cancellation's refunds)
 * is not what the message described.
 */
function newPayments(facts: Facts, target: Target, eventIndex?: number): Payment[] {
  const before = (get(facts.context.initialState, target)?.payment_history ?? []) as Rec[];
  const told = eventIndex === undefined ? undefined : recordAt(facts, target, eventIndex);
  const after = ((told ?? get(facts.context.finalState, target))?.payment_history ?? []) as Rec[];
  return after.slice(before.length).map((p) => ({
    target,
    paymentId: String(p.payment_id ?? p.payment_method_id ?? ''),
    amount: target.table === 'orders' ? (p.transaction_type === 'refund' ? -Number(p.amount) : Number(p.amount)) : Number(p.amount),
  }));
}

/** The user's payment method record (initial state: certificates disappear when used). */
function paymentMethod(facts: Facts, paymentId: string): Rec | undefined {
  for (const state of [facts.context.initialState, facts.context.finalState]) {
    for (const user of state.rows('users') as Rec[]) {
      const method = user.payment_methods?.[paymentId];
      if (method) return method;
    }
  }
  return undefined;
}

/** Which payment method a text names: a card's last four digits, a certificate or gift card id, or a kind. */
function methodHint(text: string): { last4?: string; kind?: string; number?: string; original?: boolean } | undefined {
  const last4 = /\bending (?:in|with) (\d{4})\b|\*{2,}\s?(\d{4})\b/i.exec(text);
  if (last4) return { last4: last4[1] ?? last4[2] };
  const numbered = /\b(certificate|gift card)\s*(?:id\s*)?#?\s*(\d{5,})\b/i.exec(text);
  if (numbered) return { kind: numbered[1].toLowerCase() === 'certificate' ? 'certificate' : 'gift_card', number: numbered[2] };
  if (/\boriginal (?:payment|form of payment|method)/i.test(text)) return { original: true };
  if (/\bgift ?cards?\b/i.test(text)) return { kind: 'gift_card' };
  if (/\bcertificates?\b/i.test(text)) return { kind: 'certificate' };
  if (/\bpaypal\b/i.test(text)) return { kind: 'paypal' };
  if (/\b(?:credit card|visa|mastercard|amex|american express|discover)\b/i.test(text)) return { kind: 'credit_card' };
  return undefined;
}

function methodMatches(facts: Facts, payment: Payment, hint: NonNullable<ReturnType<typeof methodHint>>): boolean {
  if (hint.original) {
    const first = ((get(facts.context.initialState, payment.target)?.payment_history ?? []) as Rec[]).map((p) =>
      String(p.payment_id ?? p.payment_method_id),
    );
    return first.length === 0 || first.includes(payment.paymentId);
  }
  if (hint.number) return payment.paymentId.endsWith(hint.number);
  if (hint.last4)
    return String(paymentMethod(facts, payment.paymentId)?.last_four ?? '') === hint.last4 || payment.paymentId.endsWith(hint.last4);
  if (hint.kind) return payment.paymentId.startsWith(hint.kind) || paymentMethod(facts, payment.paymentId)?.source === hint.kind;
  return true;
}

const money = (n: number) => `$${Math.abs(n)}`;
const describe = (payments: readonly Payment[]) =>
  payments.map((p) => `${p.target.id}: ${p.amount < 0 ? 'refund' : 'charge'} ${money(p.amount)} ${p.paymentId}`).join(', ');

/** Payment claims: direction (charge or refund), amount and method against the entries the episode added. */
function verifyMoney(_claim: ExtractedClaim, clause: Clause, facts: Facts, direction: 'charge' | 'refund' | 'any'): ClaimVerdict {
  const text = clause.text;
  const changed = changedBefore(facts, clause.eventIndex);
  const named = idsIn(`${clause.text} ${clause.sentence}`, facts.context);
  // A list item of a message about several changed reservations may be about any of them.
  let targets = named.length === 0 && changed.length > 1 ? changed : resolveTargets(clause, facts);
  if (
    targets.length === 0 ||
    (targets.every((t) => newPayments(facts, t, clause.eventIndex).length === 0) &&
      !idsIn(`${clause.text} ${clause.sentence}`, facts.context).length)
  )
    targets = changed.length ? changed : targets;
  if (targets.length === 0) return unverifiable('could not tell which reservation or order the payment is about');
  const added = targets.flatMap((t) => newPayments(facts, t, clause.eventIndex));
  const where = targets.map((t) => t.id).join(', ');
  if (added.length === 0) return contradicted(`no payment or refund was added to ${where}${failedWrites(facts, targets[0].id)}`);
  const hint = methodHint(text);
  const sameWay = direction === 'any' ? added : added.filter((p) => (direction === 'refund' ? p.amount < 0 : p.amount > 0));
  if (sameWay.length === 0)
    return contradicted(`${direction === 'refund' ? 'no refund' : 'nothing was charged'}: the episode added ${describe(added)}`);
  const byMethod = hint ? sameWay.filter((p) => methodMatches(facts, p, hint)) : sameWay;
  if (byMethod.length === 0)
    return contradicted(`the ${direction === 'refund' ? 'refund went' : 'payment was taken'} elsewhere: ${describe(sameWay)}`);
  // "$500 certificate", "gift card ($62)": the face value of a method, not the amount paid.
  const amounts = amountsIn(
    text.replace(
      /\$\s?[\d,]+(?:\.\d+)?\s+(?:travel\s+)?(?:gift card|certificate)|(?:gift card|certificate)\s*\(\$\s?[\d,]+(?:\.\d+)?\)/gi,
      ' ',
    ),
  );
  const perHead = /\bper (?:passenger|person|traveler|ticket)\b|\beach\b/i.test(text);
  if (amounts.length === 1 && !perHead) {
    const stated = amounts[0];
    const total = Math.abs(byMethod.reduce((sum, p) => sum + p.amount, 0));
    if (!byMethod.some((p) => Math.abs(p.amount) === stated) && total !== stated)
      return contradicted(`${money(stated)} does not match the entries added: ${describe(byMethod)}`);
  }
  return verified(`payment history of ${where}: ${describe(byMethod)}`);
}

/** The fare class a flight segment was priced at: the cabin whose fare on that date equals the segment's price. */
function segmentCabin(facts: Facts, reservation: Rec, segment: Rec, updateCabin?: string): string | undefined {
  const prices = (facts.context.finalState.get('flights', String(segment.flight_number)) as Rec | undefined)?.dates?.[segment.date]
    ?.prices as Record<string, number> | undefined;
  if (prices) {
    const cabins = Object.keys(prices).filter((c) => prices[c] === segment.price);
    if (cabins.length === 1) return cabins[0];
    if (cabins.includes(updateCabin ?? reservation.cabin)) return updateCabin ?? reservation.cabin;
    if (cabins.length > 1) return undefined;
  }
  return updateCabin ?? reservation.cabin;
}

const CABIN = /\b(basic economy|economy|business)\b/i;
const cabinKey = (text: string) => text.toLowerCase().replace(' ', '_');
const AIRPORT_PAIR = /\b([A-Z]{3})\)?\s*(?:to|-|→|–)\s*(?:[A-Z][a-z]+(?: [A-Z][a-z]+)?\s*)?\(?([A-Z]{3})\b/;

/** The segments of a reservation a clause talks about (all when it names none). */
function selectSegments(text: string, reservation: Rec): { segments: Rec[]; restricted: boolean; described: string } {
  const flights = (reservation.flights ?? []) as Rec[];
  const numbers: string[] = text.match(FLIGHT_NUMBER) ?? [];
  if (numbers.length)
    return { segments: flights.filter((f) => numbers.includes(f.flight_number)), restricted: true, described: numbers.join(', ') };
  const pair = AIRPORT_PAIR.exec(text);
  if (pair)
    return {
      segments: flights.filter((f) => f.origin === pair[1] && f.destination === pair[2]),
      restricted: true,
      described: `${pair[1]}→${pair[2]}`,
    };
  if (/\b(?:return|inbound)\b/i.test(text) || /\b(?:outbound|departing flight|first leg)\b/i.test(text)) {
    const split = flights.findIndex((f) => f.destination === reservation.destination);
    const outbound = split < 0 ? flights : flights.slice(0, split + 1);
    const inbound = split < 0 ? [] : flights.slice(split + 1);
    const isReturn = /\b(?:return|inbound)\b/i.test(text);
    return { segments: isReturn ? inbound : outbound, restricted: true, described: isReturn ? 'the return flight' : 'the outbound flight' };
  }
  return { segments: flights, restricted: false, described: 'every segment' };
}

function lastFlightUpdateCabin(facts: Facts, id: string): string | undefined {
  const call = facts.calls.filter((c) => c.name === 'update_reservation_flights' && !c.isError && c.args.reservation_id === id).at(-1);
  return typeof call?.args.cabin === 'string' ? call.args.cabin : undefined;
}

/** The cabin a clause asserts: the one a change goes "to", else the last one named ("business class reservations … downgraded to economy"). */
function statedCabin(text: string): string | undefined {
  const to = /\b(?:to|into|in)\s+(?:the\s+)?(basic economy|economy|business)\b/i.exec(text);
  if (to) return to[1];
  const all = [...text.matchAll(/\b(basic economy|economy|business)\b/gi)];
  return all.at(-1)?.[1];
}

function verifyCabin(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const named = idsIn(`${clause.text} ${clause.sentence}`, facts.context);
  const changed = changedBefore(facts, clause.eventIndex).filter((t) => t.table === 'reservations');
  // "All your reservations have been downgraded": every reservation the episode changed.
  if (
    named.length === 0 &&
    (all(/\b(?:all|both)\b/i, /\breservations\b/i).test(clause.text) || /\breservations\s+(?:have|were)\b/i.test(clause.text)) &&
    changed.length > 1
  ) {
    const verdicts = changed.map((t) => verifyCabinOf(clause, facts, t));
    const wrong = verdicts.find((v) => v.verdict === 'contradicted');
    if (wrong) return wrong;
    return verdicts.every((v) => v.verdict === 'verified')
      ? verified(verdicts.map((v) => v.evidence).join('; '))
      : unverifiable(verdicts.map((v) => v.evidence).join('; '));
  }
  return verifyCabinOf(clause, facts, named[0] ?? resolveTargets(clause, facts)[0]);
}

function verifyCabinOf(clause: Clause, facts: Facts, target: Target | undefined): ClaimVerdict {
  const stated = statedCabin(clause.text);
  if (!stated) return unverifiable('names no cabin');
  const reservation = target && recordAt(facts, target, clause.eventIndex);
  if (!target || !reservation?.flights) return unverifiable('could not tell which reservation the cabin is about');
  const passengers = (reservation.passengers ?? []) as Rec[];
  const { segments, restricted, described } = selectSegments(clause.text, reservation);
  if (segments.length === 0) {
    const before = get(facts.context.initialState, target);
    const earlier = before ? selectSegments(clause.text, before) : undefined;
    if (restricted && earlier?.segments.length)
      return contradicted(
        `${described} is no longer in ${target.id}: its flights are ${(reservation.flights as Rec[]).map((f) => `${f.flight_number} ${f.origin}→${f.destination} ${f.date}`).join(', ')}`,
      );
    return unverifiable(`${described} is not among ${target.id}'s flights`);
  }
  const updateCabin = lastFlightUpdateCabin(facts, target.id);
  const cabins = segments.map((s) => segmentCabin(facts, reservation, s, updateCabin));
  const want = cabinKey(stated);
  const wrong = segments.filter((_, i) => cabins[i] !== undefined && cabins[i] !== want);
  if (wrong.length)
    return contradicted(
      `${wrong.map((s) => `${s.flight_number} ${s.origin}→${s.destination}`).join(', ')} of ${target.id} ${wrong.length === 1 ? 'is' : 'are'} priced at the ${cabins[segments.indexOf(wrong[0])]} fare ($${wrong[0].price}), not ${want}`,
    );
  if (cabins.some((c) => c === undefined)) return unverifiable(`the fare class of ${described} cannot be told from its price`);
  // The state keeps one cabin for all passengers: a claim about one of several passengers cannot be told apart.
  const named = passengers.filter((p) => new RegExp(`\\b${String(p.first_name).replace(/\W/g, '')}\\b`, 'i').test(clause.text));
  if (named.length > 0 && named.length < passengers.length)
    return unverifiable(`${target.id} has ${passengers.length} passengers and one fare class for all of them`);
  // "Upgraded for the segment from Denver to Las Vegas" when every segment was repriced misreports what was done.
  if (restricted && CHANGE_VERB.test(clause.text) && /\b(?:segment|leg|only)\b|\bthe\s+(?:\w+\s+)?flight\b/i.test(clause.text)) {
    const before = get(facts.context.initialState, target);
    const others = (reservation.flights as Rec[]).filter((f) => !segments.includes(f));
    const alsoChanged = others.filter(
      (f) =>
        segmentCabin(facts, reservation, f, updateCabin) === want &&
        before &&
        !((before.flights ?? []) as Rec[]).some((b) => b.flight_number === f.flight_number && b.date === f.date && b.price === f.price),
    );
    if (alsoChanged.length)
      return contradicted(
        `not only ${described}: ${alsoChanged.map((f) => `${f.flight_number} ${f.origin}→${f.destination}`).join(', ')} of ${target.id} ${alsoChanged.length === 1 ? 'was' : 'were'} also repriced at the ${want} fare`,
      );
  }
  return verified(`${described} of ${target.id} priced at the ${want} fare`);
}

function verifyBaggage(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const text = clause.text;
  const [target] = resolveTargets(clause, facts, ['update_reservation_baggages', 'book_reservation']);
  const reservation = target && recordAt(facts, target, clause.eventIndex);
  if (!target || !reservation || typeof reservation.total_baggages !== 'number')
    return unverifiable('could not tell which reservation the baggage is about');
  const before = get(facts.context.initialState, target);
  const total = reservation.total_baggages as number;
  const initial = typeof before?.total_baggages === 'number' ? (before.total_baggages as number) : 0;
  const none = /\b(?:baggage|bags?|luggage)s?\s*:\s*(?:none|no|0)\b|\bno (?:checked )?(?:bags|baggage)\b/i.test(text);
  const counted =
    /\b(\d{1,2}|no|zero|a|an|one|two|three|four|five|six|seven|eight|nine|ten|single)\s+(?:(?:additional|extra|free|non-free|checked|more|new)\s+){0,3}(?:bags?|baggages?|suitcases?|pieces of luggage)\b/i.exec(
      text,
    );
  const field = /\b(?:total )?(?:baggages?|bags|luggage)\s*:\s*(\d{1,2})\b/i.exec(text);
  const count = field ? Number(field[1]) : none ? 0 : counted ? countValue(counted[1]) : undefined;
  if (count === undefined) return unverifiable('names no number of bags');
  const nonfree = /\((\d{1,2}) non-free\)|(\d{1,2}) non-free/i.exec(text);
  if (nonfree && Number(nonfree[1] ?? nonfree[2]) !== reservation.nonfree_baggages)
    return contradicted(`${target.id} has ${reservation.nonfree_baggages} non-free bags, not ${nonfree[1] ?? nonfree[2]}`);
  if (/\badded\b/i.test(text) && !field) {
    const delta = total - initial;
    return delta === count
      ? verified(`${target.id} total_baggages ${initial} → ${total}`)
      : contradicted(`${target.id} total_baggages ${initial} → ${total}: ${delta} added, not ${count}${failedWrites(facts, target.id)}`);
  }
  // "2 free checked bags" in a summary may be the allowance, not the count: only a total or a plain count is checked.
  if (/\b(?:free|included|complimentary|allowed)\b/i.test(text) && !field)
    return total === count ? verified(`${target.id} total_baggages ${total}`) : unverifiable('a number of free bags may be the allowance');
  if (/\ballowance\b/i.test(text)) return unverifiable('an allowance, not a count');
  return total === count
    ? verified(`${target.id} total_baggages ${total}`)
    : contradicted(`${target.id} total_baggages is ${total}, not ${count}${failedWrites(facts, target.id)}`);
}

function verifyPassenger(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const [target] = resolveTargets(clause, facts, ['update_reservation_passengers', 'book_reservation']);
  const reservation = target && recordAt(facts, target, clause.eventIndex);
  if (!target || !Array.isArray(reservation?.passengers)) return unverifiable('could not tell which reservation the passenger is about');
  const names = (reservation.passengers as Rec[]).map((p) => `${p.first_name} ${p.last_name}`);
  // The name asserted: the last "First Last" written (after "to" in "updated from A to B").
  const written = [...clause.text.matchAll(/\b([A-Z][a-z]+) ([A-Z][a-z]+)\b/g)]
    .map((m) => `${m[1]} ${m[2]}`)
    .filter((n) => !/^(?:Your|The|Passenger|Flight|Reservation|Travel|Date|Cabin)\b/.test(n));
  if (written.length === 0) return unverifiable('names no passenger');
  const asserted = all(/\bfrom\b/i, /\bto\b/i).test(clause.text) ? written.at(-1)! : written[0];
  return names.includes(asserted)
    ? verified(`${target.id} passengers: ${names.join(', ')}`)
    : contradicted(`${asserted} is not a passenger of ${target.id}: ${names.join(', ')}`);
}

function verifyInsurance(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const [target] = resolveTargets(clause, facts);
  const reservation = target && recordAt(facts, target, clause.eventIndex);
  if (!target || typeof reservation?.insurance !== 'string') return unverifiable('could not tell which reservation the insurance is about');
  const no = /\b(?:no|not included|none|declined|without|not added|not purchased)\b/i.test(clause.text);
  const yes = /\b(?:yes|included|added|purchased|with travel insurance|is insured)\b/i.test(clause.text);
  if (no === yes) return unverifiable('says neither yes nor no');
  const want = no ? 'no' : 'yes';
  return reservation.insurance === want
    ? verified(`${target.id} insurance "${want}"`)
    : contradicted(`${target.id} insurance is "${reservation.insurance}", not "${want}"`);
}

function verifyCertificate(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const issued: { user: string; id: string; amount: number }[] = [];
  for (const user of facts.context.finalState.rows('users') as Rec[]) {
    const before =
      (facts.context.initialState.get('users', String(user.user_id ?? '')) as Rec | undefined) ??
      (facts.context.initialState.rows('users') as Rec[]).find((u) => u.email === user.email);
    for (const [id, method] of Object.entries((user.payment_methods ?? {}) as Record<string, Rec>)) {
      if (method.source === 'certificate' && !before?.payment_methods?.[id])
        issued.push({ user: String(user.user_id ?? user.email), id, amount: Number(method.amount) });
    }
  }
  const failed = facts.calls
    .filter((c) => c.name === 'send_certificate' && c.isError)
    .map((c) => `send_certificate → ${c.content.slice(0, 120)}`);
  if (issued.length === 0)
    return contradicted(`no certificate was added to any user's payment methods${failed.length ? `; ${failed.join(' | ')}` : ''}`);
  const amounts = amountsIn(clause.text);
  if (amounts.length === 1 && !issued.some((c) => c.amount === amounts[0]))
    return contradicted(`the certificate added is ${issued.map((c) => `${c.id} ${money(c.amount)}`).join(', ')}, not ${money(amounts[0])}`);
  return verified(`certificate added: ${issued.map((c) => `${c.id} ${money(c.amount)}`).join(', ')}`);
}

function verifyBalance(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const amounts = amountsIn(clause.text);
  const hint = methodHint(clause.text);
  if (amounts.length !== 1 || !hint?.kind || !/\b(?:remaining|left|new|now|current|updated)\b/i.test(clause.text))
    return unverifiable('names no single balance of a certificate or gift card');
  const [target] = resolveTargets(clause, facts);
  const owner = String((target && (get(facts.context.finalState, target) ?? get(facts.context.initialState, target))?.user_id) ?? '');
  const user = owner ? (facts.context.finalState.get('users', owner) as Rec | undefined) : undefined;
  if (!user) return unverifiable('could not tell whose balance it is');
  const methods = Object.entries((user.payment_methods ?? {}) as Record<string, Rec>).filter(([, m]) => m.source === hint.kind);
  if (methods.some(([, m]) => Number(m.amount) === amounts[0])) return verified(`${owner} holds a ${hint.kind} of ${money(amounts[0])}`);
  return contradicted(
    `${owner}'s ${hint.kind} balances are ${methods.length ? methods.map(([id, m]) => `${id} ${money(Number(m.amount))}`).join(', ') : 'none (a used certificate is removed)'}, not ${money(amounts[0])}`,
  );
}

/** "Total price: $X": all passengers' fares, or what was paid. */
function verifyTotal(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const amounts = amountsIn(clause.text);
  if (amounts.length !== 1 || /\bper (?:passenger|person)\b|\beach\b|\breservations\b/i.test(clause.text))
    return unverifiable('names no single total of one reservation');
  const targets = resolveTargets(clause, facts);
  if (targets.length !== 1) return unverifiable('could not tell which reservation the total is about');
  const reservation = recordAt(facts, targets[0], clause.eventIndex);
  if (!reservation?.flights) return unverifiable('the total is not about a reservation');
  const fares = (reservation.flights as Rec[]).reduce((s, f) => s + Number(f.price), 0) * ((reservation.passengers ?? []) as Rec[]).length;
  const paid = ((reservation.payment_history ?? []) as Rec[]).reduce((s, p) => s + Number(p.amount), 0);
  const added = newPayments(facts, targets[0], clause.eventIndex).reduce((s, p) => s + p.amount, 0);
  const candidates = [fares, paid, Math.abs(added)];
  if (candidates.includes(amounts[0])) return verified(`${targets[0].id}: fares ${money(fares)}, paid ${money(paid)}`);
  return contradicted(
    `${targets[0].id}: fares for ${(reservation.passengers as Rec[]).length} passenger(s) come to ${money(fares)} and ${money(paid)} was paid, not ${money(amounts[0])}`,
  );
}

function verifyFlight(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const numbers: string[] = clause.text.match(FLIGHT_NUMBER) ?? [];
  if (/\b(?:previous|original|old|instead of|replac|from flight|was on|formerly|cancel)/i.test(clause.text))
    return unverifiable('names a flight the reservation had before');
  const targets = resolveTargets(clause, facts);
  const pool = [...targets, ...changedBefore(facts, clause.eventIndex)];
  const held = new Set(
    pool.flatMap((t) => ((get(facts.context.finalState, t)?.flights ?? []) as Rec[]).map((f) => String(f.flight_number))),
  );
  if (pool.length === 0) return unverifiable('could not tell which reservation the flight is about');
  const missing = numbers.filter((n) => !held.has(n));
  if (missing.length)
    return contradicted(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the flights of ${pool.map((t) => t.id).join(', ')}${failedWrites(facts, pool[0].id)}`,
    );
  return verified(`${numbers.join(', ')} in the flights of ${pool.map((t) => t.id).join(', ')}`);
}

function verifyStatus(_claim: ExtractedClaim, clause: Clause, facts: Facts, status: string, tools: string[]): ClaimVerdict {
  const inClause = idsIn(clause.text, facts.context);
  const named = inClause.length ? inClause : idsIn(clause.sentence, facts.context);
  const listed = named.length
    ? named
    : clause.header
      ? []
      : clausesAt(facts, clause.eventIndex)
          .filter((c) => c.header === clause.sentence)
          .flatMap((c) => idsIn(c.text, facts.context));
  const targets = listed.length ? listed : resolveTargets(clause, facts, tools);
  if (targets.length === 0) return unverifiable('could not tell which reservation or order the claim is about');
  const wrong = targets.filter((t) => get(facts.context.finalState, t)?.status !== status);
  if (wrong.length)
    return contradicted(
      wrong
        .map(
          (t) =>
            `${t.id} status is ${JSON.stringify(get(facts.context.finalState, t)?.status ?? null)}, not "${status}"${failedWrites(facts, t.id)}`,
        )
        .join('; '),
    );
  return verified(`${targets.map((t) => t.id).join(', ')} status "${status}"`);
}

function verifyBook(claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const named = idsIn(clause.text, facts.context);
  if (named.length) {
    const missing = named.filter((t) => !get(facts.context.finalState, t));
    return missing.length
      ? contradicted(`${missing.map((t) => t.id).join(', ')} does not exist`)
      : verified(`${named.map((t) => t.id).join(', ')} exists`);
  }
  const created = Object.entries(facts.context.trajectory.finalChanges.reservations ?? {})
    .filter(([key, value]) => value !== null && !facts.context.initialState.has('reservations', key))
    .map(([key]) => key);
  // "You are now booked on the nonstop flight …" after a flight change: the changed reservation holds it.
  const rebooked =
    created.length === 0
      ? changedBefore(facts, clause.eventIndex).filter(
          (t) =>
            t.table === 'reservations' &&
            !jsonEqual(get(facts.context.initialState, t)?.flights, get(facts.context.finalState, t)?.flights),
        )
      : [];
  if (rebooked.length) return verifyFlight(claim, clause, facts);
  if (created.length === 0) {
    // "your flight is booked in economy", "the booking was created on 2024-05-02": a read-out of an existing booking.
    if (
      !/\b(?:has|have)\s+been\b|\bnow\b|\bi(?:'ve|\s+have)?\s+(?:successfully\s+)?(?:re)?booked\b|\bconfirmed\b|\bcompleted\b/i.test(
        clause.text,
      )
    )
      return unverifiable('describes an existing booking');
    const failed = facts.calls
      .filter((c) => c.name === 'book_reservation' && c.isError)
      .map((c) => `book_reservation → ${c.content.slice(0, 120)}`);
    return contradicted(`no reservation was created${failed.length ? `; ${failed.join(' | ')}` : ''}`);
  }
  const flights = created.flatMap((id) =>
    ((facts.context.finalState.get('reservations', id) as Rec).flights as Rec[]).map((f) => String(f.flight_number)),
  );
  const missing = (clause.text.match(FLIGHT_NUMBER) ?? []).filter((n) => !flights.includes(n));
  if (missing.length) return contradicted(`${missing.join(', ')} not in the new reservation ${created.join(', ')} (${flights.join(', ')})`);
  const cabin = CABIN.exec(clause.text)?.[1];
  const cabins = created.map((id) => String((facts.context.finalState.get('reservations', id) as Rec).cabin));
  if (cabin && !cabins.includes(cabinKey(cabin)))
    return contradicted(`the new reservation ${created.join(', ')} is ${cabins.join(', ')}, not ${cabinKey(cabin)}`);
  return verified(`reservation ${created.join(', ')} created`);
}

function verifyWaive(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  if (!/\b(?:fare|price|cost)\s+difference\b|\bdifference in (?:fare|price|cost)\b/i.test(clause.text))
    return unverifiable('no such fee exists in the state');
  const targets = resolveTargets(clause, facts);
  const added = targets.flatMap((t) => newPayments(facts, t, clause.eventIndex));
  return added.length
    ? contradicted(`the difference was not waived: ${describe(added)}`)
    : verified(`no payment was added to ${targets.map((t) => t.id).join(', ') || 'any reservation'}`);
}

function verifyModify(_claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const targets = resolveTargets(clause, facts);
  if (targets.length === 0) return unverifiable('could not tell which record the claim is about');
  const unchanged = targets.filter((t) => jsonEqual(get(facts.context.initialState, t), get(facts.context.finalState, t)));
  if (unchanged.length) return contradicted(`${unchanged.map((t) => t.id).join(', ')} unchanged${failedWrites(facts, unchanged[0].id)}`);
  return verified(`${targets.map((t) => t.id).join(', ')} changed`);
}

function verifyMembership(claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  const looked = facts.calls.filter((c) => c.eventIndex < clause.eventIndex && typeof c.args.user_id === 'string').at(-1)?.args.user_id;
  const [target] = resolveTargets(clause, facts);
  const userId = looked ?? (target && get(facts.context.initialState, target)?.user_id);
  const user = userId ? (facts.context.initialState.get('users', String(userId)) as Rec | undefined) : undefined;
  if (!user?.membership) return unverifiable('could not tell which user is meant');
  return user.membership === claim.asserted
    ? verified(`${userId} membership "${user.membership}"`)
    : contradicted(`${userId} membership is "${user.membership}", not "${claim.asserted}"`);
}

function verifyWithin24h(claim: ExtractedClaim, clause: Clause, facts: Facts): ClaimVerdict {
  if (facts.now === undefined) return unverifiable('the domain states no current time');
  const targets = resolveTargets(clause, facts);
  const reservation = targets.length === 1 ? get(facts.context.initialState, targets[0]) : undefined;
  const created = reservation?.created_at ? Date.parse(`${reservation.created_at}Z`) : NaN;
  if (Number.isNaN(created)) return unverifiable('could not tell which reservation is meant');
  const hours = (facts.now - created) / 3_600_000;
  const within = hours <= 24;
  const evidence = `${targets[0].id} created_at ${reservation!.created_at}, ${hours.toFixed(1)} h before the current time`;
  return within === (claim.asserted === 'yes') ? verified(evidence) : contradicted(evidence);
}

/** The domain's "current time" (τ-bench airline's policy states it), as UTC-naive milliseconds. */
function currentTime(context: ClaimContext): number | undefined {
  const policy = context.domain.policy;
  const match = typeof policy === 'string' ? /current time is (\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)/i.exec(policy) : null;
  return match ? Date.parse(`${match[1]}T${match[2]}Z`) : undefined;
}

/** Facts of an episode, computed once per trajectory (verdicts are asked claim by claim). */
const factsCache = new WeakMap<object, { context: ClaimContext; facts: Facts }>();
function factsOf(context: ClaimContext): Facts {
  const cached = factsCache.get(context.trajectory.events);
  if (cached && cached.context === context) return cached.facts;
  const clauses = agentClauses(context.trajectory.events);
  const byEvent = new Map<number, Clause[]>();
  for (const clause of clauses) {
    const list = byEvent.get(clause.eventIndex);
    if (list) list.push(clause);
    else byEvent.set(clause.eventIndex, [clause]);
  }
  const facts: Facts = {
    context,
    calls: callsOf(context.trajectory.events),
    now: currentTime(context),
    clauses,
    byEvent,
    named: new Map(),
    stale: new Map(),
  };
  factsCache.set(context.trajectory.events, { context, facts });
  return facts;
}

/** Verbs that say an existing booking was replaced or altered (as opposed to a new one added). */
const REPLACED = /\b(?:re-?booked|rescheduled|changed|adjusted|modified|updated|switched|moved)\b/i;

/**
 * A report that a booking was changed ("rebooked", "changed", "adjusted") right after the agent
 * booked a NEW reservation, while the reservation it replaces — one for the same user and trip
 * (origin and destination) booked earlier in the episode, or read or named before — still stands
 * (not cancelled) in the final state: the user now holds two bookings, not a changed one.
 */
function staleOriginal(clause: Clause, facts: Facts): ClaimVerdict | undefined {
  if (clause.mood !== 'report' || !REPLACED.test(clause.text)) return undefined;
  // The same for every clause of a message: computed once per message.
  if (facts.stale.has(clause.eventIndex)) return facts.stale.get(clause.eventIndex);
  facts.stale.set(clause.eventIndex, undefined);
  let previousMessage = -1;
  for (const eventIndex of facts.byEvent.keys())
    if (eventIndex < clause.eventIndex && eventIndex > previousMessage) previousMessage = eventIndex;
  const [last] = writesBefore(facts, clause.eventIndex).filter((c) => !c.isError);
  const created = last?.name === 'book_reservation' && last.eventIndex > previousMessage ? (last.result as Rec | undefined) : undefined;
  if (typeof created?.reservation_id !== 'string') return undefined;
  const earlier = new Set<string>();
  for (const call of facts.calls) {
    const target = call.eventIndex < last.eventIndex && !call.isError ? targetOfCall(call) : undefined;
    if (target?.table === 'reservations') earlier.add(target.id);
  }
  facts.context.trajectory.events.forEach((event, i) => {
    if (i < clause.eventIndex && event.type === 'message')
      for (const t of idsIn(event.content, facts.context)) if (t.table === 'reservations') earlier.add(t.id);
  });
  const standing = [...earlier].filter((id) => {
    const r = facts.context.finalState.get('reservations', id) as Rec | undefined;
    return (
      id !== created.reservation_id &&
      r !== undefined &&
      r.status !== 'cancelled' &&
      r.user_id === created.user_id &&
      r.origin === created.origin &&
      r.destination === created.destination
    );
  });
  if (standing.length === 0) return undefined;
  const verdict = contradicted(
    `${standing.join(', ')} still stand${standing.length === 1 ? 's' : ''} (not cancelled) beside the new reservation ${created.reservation_id} for the same trip ${created.origin}→${created.destination}: a second booking was added, nothing was changed`,
  );
  facts.stale.set(clause.eventIndex, verdict);
  return verdict;
}

/** Words that say money was taken from the user (not merely "adjusted" or "used"). */
const CHARGE =
  /\b(?:charged|billed|deducted|paid|payments?\s+(?:of|for)|payments?\s+(?:has|have|was|were)\s+(?:been\s+)?(?:successfully\s+)?(?:processed|made|taken|completed)|(?:additional|extra)\s+(?:cost|charge|amount|fee)s?|(?:cost|charge|fee)s?\s+of)\b/i;

function verify(claim: ExtractedClaim, context: ClaimContext): ClaimVerdict {
  const facts = factsOf(context);
  const clause = locate(claim, facts);
  // "Your flight has been rebooked" when a second booking stands beside the first: nothing was replaced.
  const duplicate = claim.action === 'membership' || claim.action === 'booked_within_24h' ? undefined : staleOriginal(clause, facts);
  if (duplicate) return duplicate;
  switch (claim.action) {
    case 'cancel':
      return verifyStatus(claim, clause, facts, 'cancelled', ['cancel_reservation', 'cancel_pending_order']);
    case 'return':
      return verifyStatus(claim, clause, facts, 'return requested', ['return_delivered_order_items']);
    case 'exchange':
      return verifyStatus(claim, clause, facts, 'exchange requested', ['exchange_delivered_order_items']);
    case 'refund':
      return verifyMoney(claim, clause, facts, 'refund');
    case 'payment':
      return verifyMoney(claim, clause, facts, CHARGE.test(clause.text) ? 'charge' : 'any');
    case 'certificate':
      return verifyCertificate(claim, clause, facts);
    case 'balance':
      return verifyBalance(claim, clause, facts);
    case 'total':
      return verifyTotal(claim, clause, facts);
    case 'waive':
      return verifyWaive(claim, clause, facts);
    case 'baggage':
      return verifyBaggage(claim, clause, facts);
    case 'passenger':
      return verifyPassenger(claim, clause, facts);
    case 'insurance':
      return verifyInsurance(claim, clause, facts);
    case 'cabin':
      return verifyCabin(claim, clause, facts);
    case 'book':
      return verifyBook(claim, clause, facts);
    case 'flight':
      return verifyFlight(claim, clause, facts);
    case 'membership':
      return verifyMembership(claim, clause, facts);
    case 'booked_within_24h':
      return verifyWithin24h(claim, clause, facts);
    case 'modify':
      return verifyModify(claim, clause, facts);
    default:
      return GENERIC_DONE.test(claim.text)
        ? unverifiable('names no action or target the state can check')
        : unverifiable(`no check for action ${claim.action}`);
  }
}

/** Claim rules of τ-bench / τ²-bench domains: checked against the state diff and tool results. */
export const tauClaimRules: ClaimRules = {
  vocabulary: {
    cancel: 'an order or reservation cancelled (target kind order or reservation, id like #W1234567 or ABC123)',
    return: 'a return of delivered items requested (target kind order)',
    exchange: 'an exchange of delivered items requested (target kind order)',
    book: 'a reservation booked (target kind reservation)',
    certificate: 'a certificate issued to the user, with its amount',
    refund: 'a refund made, with amount and payment method when stated',
    payment: 'a charge made, with amount and payment method when stated',
    cabin: 'a reservation or flight segment in a cabin (basic economy, economy, business)',
    baggage: 'checked bags added, or the number of bags of a reservation',
    passenger: 'a passenger of a reservation (name)',
    insurance: 'travel insurance of a reservation (yes/no)',
    flight: 'a flight number in a reservation',
    total: 'the total price of a reservation',
    balance: 'the remaining balance of a certificate or gift card',
    waive: 'a fare difference waived',
    membership: "the user's membership level (gold, silver, regular)",
    booked_within_24h: 'a reservation made within the last 24 hours (asserted yes/no)',
    modify: 'an order, reservation or user record updated (address, items, payment, flights)',
    no_change: 'nothing was changed',
    done: 'the request is done, with no specific action',
  },
  extract,
  verify,
};
