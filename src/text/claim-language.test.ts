import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { agentClauses, claimClauses, clausesOf } from './claim-language.ts';
import { factTokens } from './fact-tokens.ts';

const moods = (text: string) => clausesOf({ eventIndex: 0, index: 0, content: text }).map((c) => [c.text, c.mood]);

describe('claim language: what models write', () => {
  it('"May 24" is a month, not a hedge; modal "may" still hedges', () => {
    assert.deepEqual(moods('Your flight has been changed to HAT266 on May 24.'), [
      ['Your flight has been changed to HAT266 on May 24.', 'report'],
    ]);
    assert.equal(moods('You may need to contact a human agent.')[0][1], 'plan');
  });

  it('completed actions and confirmations are reports', () => {
    for (const text of [
      'Your booking is confirmed!',
      "I've issued a $200 certificate to your account.",
      'I have issued a $50 certificate to you as compensation.',
      'You are now booked on a nonstop flight from EWR to LAX.',
      'The reservation NQNU5R has been successfully canceled.',
    ]) {
      assert.equal(moods(text)[0][1], 'report', text);
    }
  });

  it('questions, conditions, offers, plans, refusals, policy and negated reports are not claims', () => {
    const text = [
      'Could you please provide the reason for cancellation (change of plan, airline cancelled flight, or other reasons)?',
      'If you cancel within 24 hours of booking, you get a full refund.',
      'I can upgrade your reservation to business class.',
      'I will cancel reservation ABC123 once you confirm.',
      'Unfortunately, it cannot be cancelled because it was booked more than 24 hours ago.',
      'Basic economy flights are not eligible for changes under our policy.',
      'None of the flights were canceled by the airline.',
    ].join('\n');
    assert.deepEqual(claimClauses([{ type: 'message', role: 'agent', content: text } as TrajectoryEvent]), []);
  });

  it('counterfactual "would" is a condition, whatever the clause opens with; offers stay plans', () => {
    assert.equal(moods('As a gold member, you would be allowed 3 free checked bags per passenger.')[0][1], 'conditional');
    assert.equal(moods('Since there are two passengers, the total would be 6.')[0][1], 'conditional');
    assert.equal(moods('I would be happy to help you with that.')[0][1], 'plan');
    const [clause] = clausesOf({
      eventIndex: 2,
      index: 1,
      content: 'As a gold member, you get 3 bags.',
      prompt: 'What is the total if I am a gold member?',
    });
    assert.equal(clause.premise, 'What is the total if I am a gold member?');
    assert.equal(
      clausesOf({
        eventIndex: 2,
        index: 1,
        content: 'As a gold member, you get 3 bags.',
        prompt: 'I have my confirmation number if that helps.',
      })[0].premise,
      undefined,
    );
  });

  it('a nested list item knows the item it sits under', () => {
    const clauses = clausesOf({
      eventIndex: 0,
      index: 0,
      content:
        'Cancelled:\n1. **Reservation ID: AAA111**\n   - Cabin: Basic Economy\n2. **Reservation ID: BBB222**\n   - Cabin: Business\nThanks.',
    });
    assert.deepEqual(
      clauses.map((c) => [c.text, c.parent ?? null]),
      [
        ['Cancelled:', null],
        ['Reservation ID: AAA111', null],
        ['Cabin: Basic Economy', 'Reservation ID: AAA111'],
        ['Reservation ID: BBB222', null],
        ['Cabin: Business', 'Reservation ID: BBB222'],
        ['Thanks.', null],
      ],
    );
  });

  it('details under a completed report describe the result; the same details before "Shall I proceed?" do not', () => {
    const done =
      'Your reservation has been successfully booked. Here are the details:\n- **Cabin Class:** Economy\n- **Total Baggages:** 3 (1 non-free)';
    const proposed =
      'Here are the details of the booking:\n- **Cabin Class:** Economy\n- **Total Baggages:** 3\n\nWould you like me to proceed?';
    assert.deepEqual(
      claimClauses([{ type: 'message', role: 'agent', content: done } as TrajectoryEvent]).map((c) => c.text),
      ['Your reservation has been successfully booked.', 'Cabin Class: Economy', 'Total Baggages: 3 (1 non-free)'],
    );
    assert.deepEqual(claimClauses([{ type: 'message', role: 'agent', content: proposed } as TrajectoryEvent]), []);
  });

  it('clauses carry the index of the agent message among those the user saw', () => {
    const events = [
      { type: 'message', role: 'user', content: 'hi' },
      { type: 'message', role: 'agent', content: 'Hello.' },
      { type: 'note', content: 'agent text beside a tool call' },
      { type: 'message', role: 'agent', content: 'Your reservation has been cancelled.' },
    ] as TrajectoryEvent[];
    assert.deepEqual(
      agentClauses(events).map((c) => [c.message, c.eventIndex]),
      [
        [0, 1],
        [1, 3],
      ],
    );
  });

  it('linear time on 1 MB messages (no super-linear backtracking)', () => {
    const inputs = [
      'a'.repeat(1 << 20),
      'x and '.repeat(1 << 17),
      `${'certificate '.repeat(1 << 16)}$5`,
      'a.'.repeat(1 << 19),
      `${'a'.repeat(1 << 20)}@`,
      '@a'.repeat(1 << 19),
      `refund ${'will '.repeat(1 << 17)}`,
      '- a\n  - b\n'.repeat(1 << 17),
      `As a gold member, you ${'would '.repeat(1 << 17)}`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      clausesOf({ eventIndex: 0, index: 0, content: input });
      factTokens(input);
      const ms = performance.now() - started;
      assert.ok(ms < 3000, `${ms.toFixed(0)} ms on ${JSON.stringify(input.slice(0, 20))}…`);
    }
    assert.deepEqual(
      factTokens('mail me at a.b+c@example.co.uk. thanks')
        .filter((t) => t.kind === 'email')
        .map((t) => t.text),
      ['a.b+c@example.co.uk'],
    );
  });
});
