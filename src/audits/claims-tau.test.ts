import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Claim } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { TableState, type Tables } from '../state/table-state.ts';
import { auditClaims } from './claims.ts';
import { tauClaimRules } from '../domains/tau-bench/claim-rules.ts';

/**
 * τ-bench airline claim rules on small hand-built episodes: the language models write (hypotheticals,
 * reasons, summaries of what was just booked) and the state that can contradict it. Each case is a
 * pattern, not a transcript: the names and numbers are made up.
 */

const POLICY = 'The current time is 2024-05-15 15:00:00 EST.';
const domain = { name: 'tau-bench/airline', queries: {}, policy: POLICY };

type Rec = Record<string, unknown>;
const reservation = (id: string, fields: Rec = {}): Rec => ({
  reservation_id: id,
  user_id: 'kim_lee_1',
  origin: 'JFK',
  destination: 'SEA',
  flight_type: 'one_way',
  cabin: 'economy',
  flights: [{ flight_number: 'HAT100', date: '2024-05-20', price: 150, origin: 'JFK', destination: 'SEA' }],
  passengers: [{ first_name: 'Kim', last_name: 'Lee', dob: '1990-01-01' }],
  payment_history: [{ payment_id: 'credit_card_1', amount: 150 }],
  created_at: '2024-05-02T10:00:00',
  total_baggages: 0,
  nonfree_baggages: 0,
  insurance: 'no',
  ...fields,
});
const user = (fields: Rec = {}): Rec => ({
  name: { first_name: 'Kim', last_name: 'Lee' },
  membership: 'silver',
  payment_methods: {
    credit_card_1: { source: 'credit_card', brand: 'visa', last_four: '1234', id: 'credit_card_1' },
    certificate_11111: { source: 'certificate', amount: 100, id: 'certificate_11111' },
    certificate_22222: { source: 'certificate', amount: 50, id: 'certificate_22222' },
  },
  reservations: [],
  ...fields,
});

/** One episode: the initial tables, the events in order, and the writes they made (applied to a fork). */
function episode(initial: Tables, events: TrajectoryEvent[], writes: Record<string, Record<string, Rec | null>>): Claim[] {
  const initialState = TableState.over(initial);
  const finalState = initialState.fork();
  finalState.apply(writes as never);
  const trajectory = { events, finalChanges: finalState.changesFromBase() };
  return auditClaims(tauClaimRules, { domain: domain as never, task: {} as Task, trajectory, initialState, finalState });
}

const userSays = (content: string): TrajectoryEvent => ({ type: 'message', role: 'user', content });
const agentSays = (content: string): TrajectoryEvent => ({ type: 'message', role: 'agent', content });
/** A tool call and its result; `id` may repeat across calls, as in recorded τ-bench trajectories. */
const call = (id: string, name: string, args: Rec, result: unknown): TrajectoryEvent[] => [
  { type: 'tool_call', id, name, arguments: args } as TrajectoryEvent,
  {
    type: 'tool_result',
    callId: id,
    name,
    content: typeof result === 'string' ? result : JSON.stringify(result),
    isError: typeof result === 'string' && result.startsWith('Error'),
  } as TrajectoryEvent,
];
const verdicts = (claims: Claim[]) => claims.map((c) => [c.message, c.action, c.quote, c.verdict]);

describe('τ-bench claims: what models write about airline records', () => {
  it('a hypothetical the user asked for is not a claim, even when it opens with "As a gold member,"', () => {
    const tables: Tables = {
      users: { kim_lee_1: user() },
      reservations: { ABC123: reservation('ABC123', { passengers: [{ first_name: 'Kim' }, { first_name: 'Ray' }] }) },
    } as never;
    const claims = episode(
      tables,
      [
        userSays('My reservation is ABC123 and my user id is kim_lee_1.'),
        ...call('c1', 'get_user_details', { user_id: 'kim_lee_1' }, tables.users.kim_lee_1),
        agentSays('You are a silver member, so you get 2 free checked bags per passenger.'),
        userSays('I want to know the total if I am a gold member.'),
        agentSays(
          'As a gold member, you would be allowed 3 free checked bags per passenger. Since there are two passengers, the total would be 6.',
        ),
        userSays('And what if I were a gold member on my next trip?'),
        agentSays('As a gold member, you get 3 free checked bags per passenger.'),
      ],
      {},
    );
    assert.deepEqual(verdicts(claims.filter((c) => c.action === 'membership')), [[0, 'membership', 'You are a silver member', 'verified']]);
    // Without the user's premise, the same read-out is a claim about her profile, and a false one.
    const asserted = episode(
      tables,
      [
        userSays('My user id is kim_lee_1. How many bags can I take?'),
        ...call('c1', 'get_user_details', { user_id: 'kim_lee_1' }, tables.users.kim_lee_1),
        agentSays('As a gold member, you are entitled to 3 free checked bags per passenger.'),
      ],
      {},
    );
    assert.deepEqual(verdicts(asserted.filter((c) => c.action === 'membership')), [[0, 'membership', 'As a gold member', 'contradicted']]);
  });

  it('payment lines of a booking summary are judged on the reservation the message names, as it was when the user was told', () => {
    const tables: Tables = { users: { kim_lee_1: user() }, reservations: {} } as never;
    const first = reservation('NEW001', {
      created_at: '2024-05-15T15:00:00',
      payment_history: [
        { payment_id: 'certificate_11111', amount: 100 },
        { payment_id: 'certificate_22222', amount: 50 },
      ],
    });
    const second = reservation('NEW002', {
      created_at: '2024-05-15T15:00:00',
      payment_history: [{ payment_id: 'credit_card_1', amount: 150 }],
    });
    const claims = episode(
      tables,
      [
        userSays('Book JFK to SEA on May 20 with my two certificates.'),
        // Recorded trajectories reuse call ids: each result belongs to the call just before it.
        ...call('call_same', 'book_reservation', { user_id: 'kim_lee_1' }, first),
        agentSays(
          'Your flight has been successfully booked. Here are the details:\n\n- **Flight:** HAT100\n- **Payment:**\n  - Certificate 11111: $100\n  - Certificate 22222: $50\n\nYour reservation ID is **NEW001**.',
        ),
        userSays('Please book the same flight again for my colleague with my card.'),
        ...call('call_same', 'book_reservation', { user_id: 'kim_lee_1' }, second),
        agentSays('The second booking is confirmed: reservation NEW002, paid with your Visa ending in 1234.'),
      ],
      { reservations: { NEW001: first, NEW002: second } },
    );
    const summary = claims.filter((c) => c.message === 0 && c.action === 'payment');
    assert.deepEqual(
      summary.map((c) => [c.quote, c.verdict]),
      [
        ['Certificate 11111: $100', 'verified'],
        ['Certificate 22222: $50', 'verified'],
      ],
    );
    assert.match(summary[0].evidence, /NEW001/);
    assert.doesNotMatch(summary[0].evidence, /NEW002/);
  });

  it('"since it was canceled within 24 hours of booking" is a read-out of created_at, checked apart from the refund it explains', () => {
    const old = reservation('OLD123', { created_at: '2024-05-02T10:00:00' });
    const cancelled = {
      ...old,
      status: 'cancelled',
      payment_history: [...(old.payment_history as Rec[]), { payment_id: 'credit_card_1', amount: -150 }],
    };
    const claims = episode(
      { users: { kim_lee_1: user() }, reservations: { OLD123: old } } as never,
      [
        userSays('Please cancel OLD123.'),
        ...call('c1', 'cancel_reservation', { reservation_id: 'OLD123' }, cancelled),
        agentSays(
          'Your reservation OLD123 has been successfully canceled. Since it was canceled within 24 hours of booking, you will receive a full refund to the original payment method.',
        ),
      ],
      { reservations: { OLD123: cancelled } },
    );
    assert.deepEqual(verdicts(claims), [
      [0, 'cancel', 'Your reservation OLD123 has been successfully canceled.', 'verified'],
      [0, 'booked_within_24h', 'Since it was canceled within 24 hours of booking', 'contradicted'],
      [0, 'refund', 'you will receive a full refund to the original payment method.', 'verified'],
    ]);
    assert.match(claims[1].evidence, /OLD123 created_at 2024-05-02T10:00:00/);
    // Other wordings of the same read-out.
    for (const text of [
      'As it was booked within the last 24 hours, it can be cancelled for free.',
      'It is within the 24-hour cancellation window.',
    ]) {
      const read = episode(
        { users: { kim_lee_1: user() }, reservations: { OLD123: old } } as never,
        [userSays('Can I cancel OLD123?'), ...call('c1', 'get_reservation_details', { reservation_id: 'OLD123' }, old), agentSays(text)],
        {},
      );
      assert.deepEqual(
        read.map((c) => [c.action, c.verdict]),
        [['booked_within_24h', 'contradicted']],
        text,
      );
    }
  });

  it('"rebooked" / "changed" while the first booking still stands beside a second one is contradicted', () => {
    const first = reservation('NEW001', {
      created_at: '2024-05-15T15:00:00',
      payment_history: [
        { payment_id: 'certificate_11111', amount: 100 },
        { payment_id: 'certificate_22222', amount: 50 },
      ],
    });
    const second = reservation('NEW002', { created_at: '2024-05-15T15:00:00' });
    const events = (cancelFirst: boolean): TrajectoryEvent[] => [
      userSays('Book JFK to SEA on May 20.'),
      ...call('c1', 'book_reservation', { user_id: 'kim_lee_1' }, first),
      agentSays('Your flight has been successfully booked. Your reservation ID is NEW001.'),
      userSays('Please pay with my card instead.'),
      ...(cancelFirst ? call('c2', 'cancel_reservation', { reservation_id: 'NEW001' }, { ...first, status: 'cancelled' }) : []),
      ...call('c3', 'book_reservation', { user_id: 'kim_lee_1' }, second),
      agentSays(
        'Your flight from JFK to SEA has been successfully rebooked with the payment method adjusted. Your new reservation ID is NEW002.',
      ),
    ];
    const duplicate = episode({ users: { kim_lee_1: user() }, reservations: {} } as never, events(false), {
      reservations: { NEW001: first, NEW002: second },
    });
    const rebooked = duplicate.find((c) => c.message === 1 && /rebooked/.test(c.quote ?? ''))!;
    assert.equal(rebooked.verdict, 'contradicted');
    assert.match(rebooked.evidence, /NEW001 still stands .* beside the new reservation NEW002/);
    // The first booking cancelled: a real rebooking.
    const replaced = episode({ users: { kim_lee_1: user() }, reservations: {} } as never, events(true), {
      reservations: { NEW001: { ...first, status: 'cancelled' }, NEW002: second },
    });
    assert.notEqual(replaced.find((c) => c.message === 1 && /rebooked/.test(c.quote ?? ''))!.verdict, 'contradicted');
  });

  it('a nested list item belongs to the item it sits under; a list field to the record its list names', () => {
    const a = reservation('AAA111', { cabin: 'basic_economy' });
    const b = reservation('BBB222', { cabin: 'business' });
    const c = reservation('CCC333', { cabin: 'economy' });
    const cancel = (r: Rec) => ({ ...r, status: 'cancelled' });
    const claims = episode(
      { users: { kim_lee_1: user() }, reservations: { AAA111: a, BBB222: b, CCC333: c } } as never,
      [
        userSays('Cancel my single-passenger reservations.'),
        ...call('c1', 'cancel_reservation', { reservation_id: 'AAA111' }, cancel(a)),
        ...call('c2', 'cancel_reservation', { reservation_id: 'BBB222' }, cancel(b)),
        agentSays(
          'These reservations have been successfully canceled:\n1. **Reservation ID: AAA111**\n   - Cabin: Basic Economy\n2. **Reservation ID: BBB222**\n   - Cabin: Business\n\nYou also have an upcoming reservation with the following details:\n\n- **Reservation ID**: CCC333\n- **Cabin**: Economy',
        ),
      ],
      { reservations: { AAA111: cancel(a), BBB222: cancel(b) } },
    );
    assert.deepEqual(
      claims.filter((x) => x.action === 'cabin').map((x) => [x.quote, x.verdict, x.evidence.match(/[A-Z]{3}\d{3}/)?.[0]]),
      [
        ['Cabin: Basic Economy', 'verified', 'AAA111'],
        ['Cabin: Business', 'verified', 'BBB222'],
        ['Cabin: Economy', 'verified', 'CCC333'],
      ],
    );
  });

  it('linear in the message: a 1 MB booking summary with 48,000 list fields is audited in seconds', () => {
    const booked = reservation('NEW001', { created_at: '2024-05-15T15:00:00' });
    const content = `Your flight has been successfully rebooked. Details:\n${'- Cabin: Economy\n- Payment: $150 credit card\n'.repeat(24_000)}Your reservation ID is NEW001.`;
    const started = performance.now();
    const claims = episode(
      { users: { kim_lee_1: user() }, reservations: {} } as never,
      [userSays('Book it.'), ...call('c1', 'book_reservation', {}, booked), agentSays(content)],
      { reservations: { NEW001: booked } },
    );
    const ms = performance.now() - started;
    assert.ok(claims.length > 48_000);
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
  });
});
