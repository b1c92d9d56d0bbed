import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimulatorFault } from '../schema/audit.ts';
import type { Outcome } from '../schema/outcome.ts';
import { attributeFault, type FaultInput } from './fault-attribution.ts';

/** A τ-bench-style failure: the agent wrote nonfree_baggages 1 where 0 was expected; the record's other fields match. */
const expected = {
  reservation_id: 'HATHAT',
  user_id: 'mia_li_3668',
  total_baggages: 3,
  nonfree_baggages: 0,
  passengers: [{ first_name: 'Mia', last_name: 'Li' }],
};
const actual = { ...expected, nonfree_baggages: 1 };
const wrongBags: FaultInput['outcome'] = {
  state: {
    pass: false,
    predicates: [
      { predicate: { kind: 'field', table: 'reservations', key: 'HATHAT', path: '', equals: expected }, pass: false, actual },
      {
        predicate: { kind: 'field', table: 'users', key: 'mia_li_3668', path: 'reservations', equals: ['HATHAT'] },
        pass: true,
        actual: ['HATHAT'],
      },
    ],
  },
  collateral: { pass: true, changes: [] },
  communication: { pass: true, items: [] },
  diff: [{ table: 'reservations', key: 'HATHAT', op: 'create', path: '', after: actual, verdict: 'required' }] as Outcome['diff'],
};
const base: FaultInput = { reward: 0, termination: 'user_stop', outcome: wrongBags, claims: [], simulatorFaults: [], taskProblems: [] };
const inventedEmail: SimulatorFault = {
  kind: 'invented_fact',
  turn: 2,
  eventIndex: 7,
  text: 'My email is mia.l@example.com',
  evidence: 'said email "mia.l@example.com", which the scenario never gave and the agent never said',
};

describe('fault attribution cites only failed checks and blames the simulator only for what it explains', () => {
  it('an invented email does not explain a wrong baggage count the agent wrote: the agent is blamed, citing the failing field only', () => {
    const fault = attributeFault({ ...base, simulatorFaults: [inventedEmail] })!;
    assert.equal(fault.cause, 'agent');
    assert.match(fault.evidence, /reservations\/HATHAT\.nonfree_baggages: expected 0, actual 1/);
    assert.doesNotMatch(fault.evidence, /total_baggages|users\/mia_li_3668|passengers/);
    assert.match(fault.evidence, /explains no failing check/);
  });

  it("an invented fact that is what got written where the check failed is the simulator's fault", () => {
    const emailExpected = { email: 'mia.li3818@example.com' };
    const outcome: FaultInput['outcome'] = {
      ...wrongBags,
      state: {
        pass: false,
        predicates: [
          {
            predicate: { kind: 'field', table: 'users', key: 'mia_li_3668', path: 'address', equals: emailExpected },
            pass: false,
            actual: { email: 'mia.l@example.com' },
          },
        ],
      },
    };
    const fault = attributeFault({ ...base, outcome, simulatorFaults: [inventedEmail] })!;
    assert.equal(fault.cause, 'user_simulator');
    assert.match(fault.evidence, /invented_fact at user turn 2.*→ failing: users\/mia_li_3668\.address\.email/);
  });

  it('a premature stop explains a required change never made, not one made wrongly', () => {
    const stop: SimulatorFault = { kind: 'premature_stop', turn: 3, eventIndex: 9, text: 'bye', evidence: 'ended the conversation early' };
    assert.equal(attributeFault({ ...base, simulatorFaults: [stop] })!.cause, 'agent', 'the agent wrote the wrong value');
    const untouched: FaultInput['outcome'] = { ...wrongBags, diff: [] };
    const fault = attributeFault({ ...base, outcome: untouched, simulatorFaults: [stop] })!;
    assert.equal(fault.cause, 'user_simulator');
    assert.match(fault.evidence, /premature_stop .*→ failing: reservations\/HATHAT/);
  });

  it('a failed predicate the untouched initial state also fails, reading the same value, is a change never made — whatever its kind', () => {
    const stop: SimulatorFault = { kind: 'premature_stop', turn: 1, eventIndex: 3, text: 'bye', evidence: 'ended the conversation early' };
    // An erasure whose reachability query still answers true; the agent changed something else, so the diff is not empty.
    const query = { kind: 'query', query: 'customerDataReachable', args: { customer_id: 'c1' }, equals: false } as const;
    const unreached: FaultInput['outcome'] = {
      state: { pass: false, predicates: [{ predicate: query, pass: false, actual: true }] },
      collateral: { pass: true, changes: [] },
      communication: { pass: true, items: [] },
      diff: [
        { table: 'tickets', key: 't1', op: 'update', path: 'status', before: 'open', after: 'pending', verdict: 'allowed' },
      ] as Outcome['diff'],
    };
    const asBefore = () => ({ pass: false, actual: true });
    const fault = attributeFault({ ...base, outcome: unreached, simulatorFaults: [stop], initially: asBefore })!;
    assert.equal(fault.cause, 'user_simulator');
    assert.match(fault.evidence, /premature_stop at user turn 1.*→ failing: customerDataReachable/);
    // The query answers differently than at the start: something was done, and done wrongly: the agent's.
    assert.equal(
      attributeFault({ ...base, outcome: unreached, simulatorFaults: [stop], initially: () => ({ pass: false, actual: 'other' }) })!.cause,
      'agent',
    );
    // A record created with a wrong value reads differently than its absence at the start: made wrongly.
    assert.equal(attributeFault({ ...base, simulatorFaults: [stop], initially: () => ({ pass: false }) })!.cause, 'agent');
    // A record that should exist and still does not: never made.
    const present = { kind: 'present', table: 'grants', key: 'g1' } as const;
    const missing: FaultInput['outcome'] = { ...unreached, state: { pass: false, predicates: [{ predicate: present, pass: false }] } };
    assert.equal(
      attributeFault({ ...base, outcome: missing, simulatorFaults: [stop], initially: () => ({ pass: false }) })!.cause,
      'user_simulator',
    );
    // No simulator fault: the agent, citing the failed check.
    assert.match(attributeFault({ ...base, outcome: unreached, initially: asBefore })!.evidence, /required not met: customerDataReachable/);
  });

  it('passing predicates are never cited', () => {
    const passed: FaultInput['outcome'] = {
      ...wrongBags,
      state: { pass: true, predicates: [wrongBags.state.predicates[1]] },
      collateral: {
        pass: false,
        changes: [
          { table: 'users', key: 'u', op: 'update', path: 'email', before: 'a', after: 'b', verdict: 'collateral' },
        ] as Outcome['diff'],
      },
    };
    const fault = attributeFault({ ...base, outcome: passed })!;
    assert.equal(fault.evidence, 'collateral: update users/u.email');
  });
});
