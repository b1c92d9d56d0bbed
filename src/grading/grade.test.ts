import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { DomainTool } from '../domains/domain.ts';
import { TASK_SCHEMA_VERSION, type ExpectedOutcome, type Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { freezeTables, TableState } from '../state/table-state.ts';
import { gradeEpisode } from './grade.ts';
import { phraseOccurs } from './communication.ts';

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
    { name: 'delete_copy', description: '', kind: 'write', input: z.object({ id: z.string() }), execute: (s: TableState, { id }: { id: string }) => (s.delete('copies', id), 'ok') },
    { name: 'handoff', description: '', kind: 'read', terminal: true, input: z.object({}), execute: () => 'bye' },
  ] as DomainTool[],
};

const erase: ExpectedOutcome = {
  kind: 'declared',
  alternatives: [{ required: [{ kind: 'query', query: 'reachable', args: { owner: 'dana' }, equals: false, description: "no copy of Dana's data" }], allowed: [{ table: 'copies', where: { owner: 'dana' }, ops: ['delete'] }] }],
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
  return gradeEpisode({ domain, task: task(expected), initialState: initial, finalState: final, trajectory: { events, termination: { reason: 'user_stop' } } });
}

test('required change made, nothing else: reward 1, diff marks the changes required', () => {
  const o = grade(erase, (s) => (s.delete('copies', 'c1'), s.delete('copies', 'c2')), ['All of your data is deleted.']);
  assert.equal(o.reward, 1);
  assert.equal(o.state.pass, true);
  assert.deepEqual(o.diff.map((c) => [c.key, c.op, c.verdict]), [['c1', 'delete', 'required'], ['c2', 'delete', 'required']]);
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
  assert.deepEqual(o.collateral.changes.map((c) => `${c.table}/${c.key}${c.path ? '.' + c.path : ''}:${c.op}`), ['copies/c3:delete', 'flags/f1.on:update']);
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
  const hold: ExpectedOutcome = { kind: 'declared', alternatives: [{ required: [], allowed: [] }], communicate: [{ id: 'hold', anyOf: ['legal hold'], match: 'word' }] };
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
      { label: 'flag off', required: [{ kind: 'field', table: 'flags', key: 'f1', path: 'on', equals: false }], allowed: [{ table: 'flags', keys: ['f1'], fields: ['on'] }] },
      { label: 'flag removed', required: [{ kind: 'absent', table: 'flags', key: 'f1' }], allowed: [{ table: 'flags', keys: ['f1'], ops: ['delete'] }] },
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
  const gold: ExpectedOutcome = { kind: 'gold-replay', actions: [{ name: 'delete_copy', arguments: { id: 'c2' } }, { name: 'handoff', arguments: {} }], communicate: [] };
  assert.equal(grade(gold, (s) => s.delete('copies', 'c2')).reward, 1);
  const wrong = grade(gold, (s) => s.delete('copies', 'c1'));
  assert.equal(wrong.reward, 0);
  assert.deepEqual(wrong.state.predicates.map((p) => p.pass), [false]);
  assert.deepEqual(wrong.collateral.changes.map((c) => c.key), ['c1']);
});

test('grading is pure: the same stored data gives the same outcome', () => {
  const a = grade(erase, (s) => s.delete('copies', 'c1'), ['done']);
  const b = grade(erase, (s) => s.delete('copies', 'c1'), ['done']);
  assert.deepEqual(a, b);
});
