import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { TableState } from '../state/table-state.ts';
import { countTokens, scenarioText, stateTokenIndex, tokenIndexWith, type KeyedRecord } from './simulator-fidelity.ts';
import { createAuditTextWork, createTaskAuditWork } from './task-work.ts';
import { completionFromState, goalItemsFor } from './goal-state.ts';
import { evaluatePredicate } from '../grading/grade.ts';
import { changesBetween } from '../state/diff.ts';
import { factTokens, normaliseFact } from '../text/fact-tokens.ts';

const recordsOf = (state: TableState): KeyedRecord[] =>
  state.tables().flatMap((table) => state.keys(table).map((key) => ({ key, record: state.get(table, key) })));

/** The index of `state` built from its base's token counts and its changes, as the episode auditor builds it. */
function indexFromBase(base: TableState, state: TableState): (token: string) => boolean {
  const removed: KeyedRecord[] = [];
  const added: KeyedRecord[] = [];
  for (const [table, rows] of Object.entries(state.changesFromBase())) {
    for (const [key, record] of Object.entries(rows)) {
      const before = base.get(table, key);
      if (before !== undefined) removed.push({ key, record: before });
      if (record !== null) added.push({ key, record });
    }
  }
  return tokenIndexWith(countTokens(recordsOf(base)), removed, added);
}

describe('a token index built from the base and the changes', () => {
  it('answers as the index of the whole state: replaced, deleted and created records, tokens shared with other records', () => {
    const base = TableState.over({
      users: {
        u1: { name: 'Alice', tags: ['vip', 'shared'] },
        u2: { name: 'Bob', nested: { team: 'Red' } },
        u3: { name: 'Dora', tags: ['shared'] },
      },
      orders: { '#W100': { user: 'u1', items: [{ sku: 'SKU-1' }] } },
    });
    const state = base.fork();
    state.delete('users', 'u1');
    state.put('users', 'u2', { name: 'Carol', nested: { team: 'Blue' } });
    state.put('users', 'u4', { name: 'Eve', tags: ['new'] });
    state.put('tickets', 't1', { subject: 'Printer' });
    const whole = stateTokenIndex(recordsOf(state));
    const built = indexFromBase(base, state);
    const tokens = ['alice', 'vip', 'shared', 'bob', 'red', 'carol', 'blue', 'eve', 'new', 'printer', 'u1', 'u2', 'u4', 't1'];
    for (const token of [...tokens, 'W100', '#w100', 'sku-1', 'SKU-1', 'name', 'tags', 'team', 'subject', 'nobody', '#nobody'])
      assert.equal(built(token), whole(token), token);
    // The cases that tell an index that forgets what was taken out from one that does not.
    assert.equal(built('alice'), false);
    assert.equal(built('vip'), false);
    assert.equal(built('bob'), false);
    assert.equal(built('red'), false);
    assert.equal(built('shared'), true, 'still in u3');
    assert.equal(built('carol'), true);
  });

  it('answers as the index of the whole state for helpdesk tasks, token by token', () => {
    const domain = createDomain('helpdesk');
    const { tables, hash } = domain.base();
    const base = TableState.over(tables, hash);
    const tokens = new Set<string>();
    for (const token of countTokens(recordsOf(base)).keys()) tokens.add(token);
    let changed = 0;
    for (const task of domain.tasks({ count: 40 })) {
      const state = initialStateFor(domain, task);
      if (Object.keys(state.changesFromBase()).length > 0) changed++;
      const stateTokens = new Set(tokens);
      for (const token of countTokens(recordsOf(state)).keys()) stateTokens.add(token);
      const whole = stateTokenIndex(recordsOf(state));
      const built = indexFromBase(base, state);
      for (const token of stateTokens) assert.equal(built(token), whole(token), `${task.id}: ${token}`);
      for (const fact of task.user.known) assert.equal(built(fact.value), whole(fact.value), `${task.id}: ${fact.value}`);
    }
    assert.ok(changed > 0, 'some tasks start from a changed state');
  });
});

describe("a task's shared audit work", () => {
  const domain = createDomain('helpdesk');
  const [task] = domain.tasks({ count: 1 });
  const initial = initialStateFor(domain, task);

  it('gives what the audits compute without it, whatever it held before (a memo of one entry forgets at every call)', () => {
    const fresh = createTaskAuditWork(task, domain, initial, createAuditTextWork());
    const forgetful = createTaskAuditWork(task, domain, initial, createAuditTextWork(1));
    const texts = [
      'My email is ana@example.com, ticket HD-1234, zip 94107.',
      'My email is ana@example.com, ticket HD-9999.',
      'I am Ana Lopez. Please give me read access.',
      'thanks',
    ];
    for (const work of [fresh, forgetful]) {
      for (const text of [...texts, ...texts]) assert.deepEqual(work.texts.factTokens(text), factTokens(text), text);
      assert.deepEqual(work.goal, goalItemsFor(task));
      assert.equal(work.scenario, scenarioText(task, goalItemsFor(task).items));
      assert.equal(work.scenarioNormal, normaliseFact(scenarioText(task, goalItemsFor(task).items)));
    }
    // Different texts never share an entry (the tokens differ).
    assert.notDeepEqual(fresh.texts.factTokens(texts[0]), fresh.texts.factTokens(texts[1]));
  });
});

describe("a task's shared audit work over states", () => {
  const domain = createDomain('helpdesk');
  const task = domain.tasks({ count: 10 }).find((t) => t.user.goal?.some((i) => i.done?.length))!;
  const initial = initialStateFor(domain, task);
  const items = task.user.goal!;
  const done = items.flatMap((i) => i.done ?? []);

  it('completion is looked up by the final changes: two final states, the same grade verdict, each its own completion', () => {
    const work = createTaskAuditWork(task, domain, initial, createAuditTextWork());
    const finished = initial.fork();
    for (const p of done) if (p.kind === 'field') (finished.mutable(p.table, p.key) as Record<string, unknown>)[p.path] = p.equals;
    const finishedChanges = changesBetween(initial, finished);
    assert.ok(Object.keys(finishedChanges).length > 0);
    for (const [changes, state] of [
      [{}, initial],
      [finishedChanges, finished],
      [{}, initial],
    ] as const) {
      const expected = completionFromState(items, { task, domain, finalState: state, statePass: false });
      assert.deepEqual(work.completion(changes, state, false), expected);
    }
    assert.notDeepEqual(
      completionFromState(items, { task, domain, finalState: initial, statePass: false }),
      completionFromState(items, { task, domain, finalState: finished, statePass: false }),
      'the two final states differ in completion',
    );
  });

  it('predicates on the initial state are looked up by the whole predicate', () => {
    const work = createTaskAuditWork(task, domain, initial, createAuditTextWork());
    const field = done.find((p) => p.kind === 'field')!;
    if (field.kind !== 'field') throw new Error('a field predicate');
    const record = initial.get(field.table, field.key) as Record<string, unknown>;
    const predicates = Object.keys(record).map((path) => ({ ...field, path, equals: null }));
    const results = predicates.map((p) => evaluatePredicate(domain, initial, p));
    assert.ok(new Set(results.map((r) => JSON.stringify(r.actual))).size > 1, 'the predicates read different values');
    for (let round = 0; round < 2; round++) {
      for (const [i, p] of predicates.entries()) assert.deepEqual(work.initially(p), results[i], p.path);
    }
  });
});
