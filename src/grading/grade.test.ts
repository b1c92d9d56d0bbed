import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { DomainTool } from '../domains/domain.ts';
import { TASK_SCHEMA_VERSION, type ExpectedOutcome, type Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { freezeTables, TableState } from '../state/table-state.ts';
import { gradeEpisode } from './grade.ts';
import { phraseOccurs } from './communication.ts';
import { describeActual, describePredicate } from './predicate-text.ts';

// A tiny world: a customer with a primary copy and a backup, and an unrelated file.
const tables = freezeTables({
  copies: {
    c1: { id: 'c1', owner: 'dana', kind: 'primary' },
    c2: { id: 'c2', owner: 'dana', kind: 'backup' },
    c3: { id: 'c3', owner: 'eli', kind: 'primary' },
  },
  flags: { f1: { id: 'f1', on: true } },
});
const domain = {
  queries: {
    reachable: (state: TableState, args: Record<string, unknown>) => state.rows('copies').some((c) => c.owner === args.owner),
  },
  tools: [
    {
      name: 'delete_copy',
      description: '',
      kind: 'write',
      input: z.object({ id: z.string() }),
      execute: (s: TableState, { id }: { id: string }) => (s.delete('copies', id), 'ok'),
    },
    { name: 'handoff', description: '', kind: 'read', terminal: true, input: z.object({}), execute: () => 'bye' },
  ] as DomainTool[],
};

const erase: ExpectedOutcome = {
  kind: 'declared',
  alternatives: [
    {
      required: [{ kind: 'query', query: 'reachable', args: { owner: 'dana' }, equals: false, description: "no copy of Dana's data" }],
      allowed: [{ table: 'copies', where: { owner: 'dana' }, ops: ['delete'] }],
    },
  ],
  communicate: [],
};

function task(expected: ExpectedOutcome): Task {
  return {
    schemaVersion: TASK_SCHEMA_VERSION,
    id: 't',
    domain: 'tiny',
    family: 'erase',
    split: 'test',
    tags: [],
    user: { persona: '', instructions: '', openings: ['hi'], known: [], unknown: [], confirms: true },
    expected,
    noChange: false,
    oracle: [],
  };
}

function grade(expected: ExpectedOutcome, change: (s: TableState) => void, agentSays: string[] = []) {
  const initial = TableState.over(tables);
  const final = initial.fork();
  change(final);
  const events: TrajectoryEvent[] = agentSays.map((content) => ({ type: 'message', role: 'agent', content }));
  return gradeEpisode({
    domain,
    task: task(expected),
    initialState: initial,
    finalState: final,
    trajectory: { events, termination: { reason: 'user_stop' } },
  });
}

test('required change made, nothing else: reward 1, diff marks the changes required', () => {
  const o = grade(erase, (s) => (s.delete('copies', 'c1'), s.delete('copies', 'c2')), ['All of your data is deleted.']);
  assert.equal(o.reward, 1);
  assert.equal(o.state.pass, true);
  assert.deepEqual(
    o.diff.map((c) => [c.key, c.op, c.verdict]),
    [
      ['c1', 'delete', 'required'],
      ['c2', 'delete', 'required'],
    ],
  );
});

test('a backup left behind fails the required predicate whatever the agent claims', () => {
  const o = grade(erase, (s) => s.delete('copies', 'c1'), ['Done: all copies deleted.']);
  assert.equal(o.reward, 0);
  assert.equal(o.state.pass, false);
  assert.equal(o.state.predicates[0].actual, true);
  assert.equal(o.collateral.pass, true);
});

test('collateral damage fails the task and is listed field by field', () => {
  const o = grade(erase, (s) => {
    s.delete('copies', 'c1');
    s.delete('copies', 'c2');
    s.delete('copies', 'c3');
    s.mutable('flags', 'f1')!.on = false;
  });
  assert.equal(o.state.pass, true);
  assert.equal(o.reward, 0);
  assert.deepEqual(
    o.collateral.changes.map((c) => `${c.table}/${c.key}${c.path ? `.${c.path}` : ''}:${c.op}`),
    ['copies/c3:delete', 'flags/f1.on:update'],
  );
});

test('an allowed change of the wrong kind (update instead of delete) is collateral', () => {
  const o = grade(erase, (s) => {
    s.delete('copies', 'c1');
    s.delete('copies', 'c2');
    s.put('copies', 'c2', { id: 'c2', owner: 'nobody', kind: 'backup' });
  });
  assert.equal(o.reward, 0);
  assert.equal(o.collateral.changes.length, 1);
});

test('no-change task: the untouched state passes only if the required information was told', () => {
  const hold: ExpectedOutcome = {
    kind: 'declared',
    alternatives: [{ required: [], allowed: [] }],
    communicate: [{ id: 'hold', anyOf: ['legal hold'], match: 'word' }],
  };
  assert.equal(grade(hold, () => {}, ['Sorry, I cannot do that.']).reward, 0);
  const told = grade(hold, () => {}, ["I can't: the data is under a Legal  Hold."]);
  assert.equal(told.reward, 1);
  assert.equal(told.communication.items[0].pass, true);
  assert.equal(grade(hold, (s) => s.delete('copies', 'c1'), ['It is under a legal hold.']).reward, 0);
});

test('the best of several valid end states is chosen', () => {
  const either: ExpectedOutcome = {
    kind: 'declared',
    alternatives: [
      {
        label: 'flag off',
        required: [{ kind: 'field', table: 'flags', key: 'f1', path: 'on', equals: false }],
        allowed: [{ table: 'flags', keys: ['f1'], fields: ['on'] }],
      },
      {
        label: 'flag removed',
        required: [{ kind: 'absent', table: 'flags', key: 'f1' }],
        allowed: [{ table: 'flags', keys: ['f1'], ops: ['delete'] }],
      },
    ],
    communicate: [],
  };
  const removed = grade(either, (s) => s.delete('flags', 'f1'));
  assert.equal(removed.reward, 1);
  assert.equal(removed.alternative, 1);
  assert.equal(grade(either, (s) => (s.mutable('flags', 'f1')!.on = false)).alternative, 0);
});

test('word matching does not let "10" match "100"; the τ-bench rule does', () => {
  assert.equal(phraseOccurs('10', 'your refund is 100 dollars', 'word'), false);
  assert.equal(phraseOccurs('10', 'your refund is 10 dollars', 'word'), true);
  assert.equal(phraseOccurs('10', 'your refund is 100 dollars', 'tau-substring'), true);
  assert.equal(phraseOccurs('1000', 'total: 1,000', 'tau-substring'), true);
});

test('gold replay: the final state must equal the gold actions replayed; terminal actions are skipped', () => {
  const gold: ExpectedOutcome = {
    kind: 'gold-replay',
    actions: [
      { name: 'delete_copy', arguments: { id: 'c2' } },
      { name: 'handoff', arguments: {} },
    ],
    communicate: [],
  };
  assert.equal(grade(gold, (s) => s.delete('copies', 'c2')).reward, 1);
  const wrong = grade(gold, (s) => s.delete('copies', 'c1'));
  assert.equal(wrong.reward, 0);
  assert.deepEqual(
    wrong.state.predicates.map((p) => p.pass),
    [false],
  );
  assert.deepEqual(
    wrong.collateral.changes.map((c) => c.key),
    ['c1'],
  );
});

test('grading is pure: the same stored data gives the same outcome', () => {
  const a = grade(erase, (s) => s.delete('copies', 'c1'), ['done']);
  const b = grade(erase, (s) => s.delete('copies', 'c1'), ['done']);
  assert.deepEqual(a, b);
});

test('gold replay: a nested key the gold actions delete must be absent, and the evidence says so', () => {
  const wallet = freezeTables({ users: { u1: { id: 'u1', certificates: { cert_1: 100, cert_2: 50 } } } });
  const spend = {
    name: 'spend',
    description: '',
    kind: 'write',
    input: z.object({ id: z.string() }),
    execute: (s: TableState, { id }: { id: string }) => (
      delete (s.mutable('users', 'u1')!.certificates as Record<string, unknown>)[id], 'ok'
    ),
  } as DomainTool;
  const gold: ExpectedOutcome = { kind: 'gold-replay', actions: [{ name: 'spend', arguments: { id: 'cert_1' } }], communicate: [] };
  const gradeWallet = (change: (s: TableState) => void) => {
    const initial = TableState.over(wallet);
    const final = initial.fork();
    change(final);
    return gradeEpisode({
      domain: { queries: {}, tools: [spend] },
      task: task(gold),
      initialState: initial,
      finalState: final,
      trajectory: { events: [], termination: { reason: 'user_stop' } },
    });
  };
  const spent = gradeWallet((s) => delete (s.mutable('users', 'u1')!.certificates as Record<string, unknown>).cert_1);
  assert.equal(spent.reward, 1);
  assert.deepEqual(spent.state.predicates, [
    { predicate: { kind: 'absent', table: 'users', key: 'u1', path: 'certificates.cert_1' }, pass: true },
  ]);
  assert.equal(describePredicate(spent.state.predicates[0].predicate), 'users/u1.certificates.cert_1 is absent');
  const kept = gradeWallet(() => {});
  assert.equal(kept.reward, 0);
  assert.equal(kept.state.predicates[0].pass, false);
  assert.equal(describeActual(kept.state.predicates[0]), 'present: 100');
  // A key set to null is not a deleted key.
  assert.equal(
    gradeWallet((s) => ((s.mutable('users', 'u1')!.certificates as Record<string, unknown>).cert_1 = null)).state.predicates[0].pass,
    false,
  );
});

test('allowed values and record counts: a value outside the list, or one record too many, is collateral', () => {
  const grant: ExpectedOutcome = {
    kind: 'declared',
    alternatives: [
      {
        required: [{ kind: 'present', table: 'flags', key: 'f2' }],
        allowed: [{ table: 'flags', ops: ['create'], values: { on: [false] }, maxRecords: 1 }],
      },
    ],
    communicate: [],
  };
  assert.equal(grade(grant, (s) => s.put('flags', 'f2', { id: 'f2', on: false })).reward, 1);
  const wrongValue = grade(grant, (s) => s.put('flags', 'f2', { id: 'f2', on: true }));
  assert.equal(wrongValue.reward, 0);
  assert.deepEqual(
    wrongValue.collateral.changes.map((c) => c.key),
    ['f2'],
  );
  const extra = grade(grant, (s) => (s.put('flags', 'f2', { id: 'f2', on: false }), s.put('flags', 'f3', { id: 'f3', on: false })));
  assert.deepEqual(
    extra.collateral.changes.map((c) => c.key),
    ['f3'],
  );
  // An update may write only listed values into a listed field.
  const update: ExpectedOutcome = {
    kind: 'declared',
    alternatives: [{ required: [], allowed: [{ table: 'flags', keys: ['f1'], values: { on: [false] } }] }],
    communicate: [],
  };
  assert.equal(grade(update, (s) => (s.mutable('flags', 'f1')!.on = false)).reward, 1);
  assert.equal(grade(update, (s) => (s.mutable('flags', 'f1')!.on = 'off')).reward, 0);
});

test('an absent predicate with a path: the field must not exist; a missing value reads "absent", not ∅', () => {
  const o = grade(
    {
      kind: 'declared',
      alternatives: [
        {
          required: [
            { kind: 'absent', table: 'copies', key: 'c1', path: 'kind' },
            { kind: 'field', table: 'copies', key: 'c9', path: 'kind', equals: 'primary' },
          ],
          allowed: [],
        },
      ],
      communicate: [],
    },
    () => {},
  );
  assert.deepEqual(
    o.state.predicates.map((p) => [describePredicate(p.predicate), p.pass, describeActual(p)]),
    [
      ['copies/c1.kind is absent', false, 'present: "primary"'],
      ['copies/c9.kind equals "primary"', false, 'absent'],
    ],
  );
});
