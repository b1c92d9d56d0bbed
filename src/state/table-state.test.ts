import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { diffStates, changesBetween } from './diff.ts';
import { freezeTables, TableState, typedState, typedTables } from './table-state.ts';

const base = () =>
  freezeTables({ users: { u1: { id: 'u1', name: 'Ann', tags: ['a'] }, u2: { id: 'u2', name: 'Bob', tags: [] } }, orders: {} });

test('writes are private to a view; the shared base is never touched', () => {
  const tables = base();
  const a = TableState.over(tables);
  const b = TableState.over(tables);
  a.mutable('users', 'u1')!.name = 'Anna';
  b.delete('users', 'u2');
  assert.equal(a.get('users', 'u1')!.name, 'Anna');
  assert.equal(b.get('users', 'u1')!.name, 'Ann');
  assert.equal(a.has('users', 'u2'), true);
  assert.equal(b.has('users', 'u2'), false);
  assert.equal(tables.users.u1.name, 'Ann');
  assert.throws(() => {
    (tables.users.u1 as Record<string, unknown>).name = 'x';
  }, TypeError);
});

test('fork is independent in both directions, including records cloned before the fork', () => {
  const parent = TableState.over(base());
  parent.mutable('users', 'u1')!.name = 'P1';
  const child = parent.fork();
  child.mutable('users', 'u1')!.name = 'C';
  parent.mutable('users', 'u1')!.name = 'P2';
  assert.equal(child.get('users', 'u1')!.name, 'C');
  assert.equal(parent.get('users', 'u1')!.name, 'P2');
});

test('hash depends on content, not on history', () => {
  const tables = base();
  const a = TableState.over(tables, 'b');
  const b = TableState.over(tables, 'b');
  const before = a.hash();
  a.mutable('users', 'u1')!.name = 'X';
  assert.notEqual(a.hash(), before);
  a.mutable('users', 'u1')!.name = 'Ann';
  assert.equal(a.hash(), before, 'reverting a change restores the hash');
  a.put('orders', 'o1', { id: 'o1' });
  b.put('orders', 'o1', { id: 'o1' });
  assert.equal(a.hash(), b.hash());
});

test('keys keep base order, then created records; deleted records disappear', () => {
  const s = TableState.over(base());
  s.put('users', 'u3', { id: 'u3' });
  s.delete('users', 'u1');
  assert.deepEqual(s.keys('users'), ['u2', 'u3']);
  assert.deepEqual(s.changesFromBase(), { users: { u1: null, u3: { id: 'u3' } } });
});

test('field-level diff lists each changed field, creates and deletes', () => {
  const initial = TableState.over(base());
  const final = initial.fork();
  final.mutable('users', 'u1')!.name = 'Zed';
  final.mutable('users', 'u1')!.tags = ['a', 'b'];
  final.delete('users', 'u2');
  final.put('orders', 'o1', { id: 'o1' });
  assert.deepEqual(diffStates(initial, final), [
    { table: 'orders', key: 'o1', op: 'create', path: '', after: { id: 'o1' } },
    { table: 'users', key: 'u1', op: 'update', path: 'name', before: 'Ann', after: 'Zed' },
    { table: 'users', key: 'u1', op: 'update', path: 'tags', before: ['a'], after: ['a', 'b'] },
    { table: 'users', key: 'u2', op: 'delete', path: '', before: { id: 'u2', name: 'Bob', tags: [] } },
  ]);
  assert.deepEqual(Object.keys(changesBetween(initial, final)).sort(), ['orders', 'users']);
});

const schemas = {
  users: z.strictObject({ id: z.string(), name: z.string().optional(), tags: z.array(z.string()).optional() }),
  orders: z.strictObject({ id: z.string() }),
};

test('a typed view is the same copy-on-write state: typed reads, typed clones on write, untyped view for generic code', () => {
  const tables = base();
  const untyped = TableState.over(tables);
  const typed = typedState(untyped, schemas);
  // (assert.ok, not assert.equal: an assertion signature would narrow the typed view to the untyped type)
  assert.ok(Object.is(typed, untyped), 'no wrapper, no copy');
  const user = typed.get('users', 'u1');
  assert.ok(Object.is(user, tables.users.u1), 'reads return the shared frozen record itself (never a parsed copy)');
  const tags: readonly string[] | undefined = user?.tags;
  assert.deepEqual(tags, ['a']);
  const writable = typed.mutable('users', 'u1')!;
  assert.ok(!Object.is(writable, tables.users.u1), 'cloned on first write');
  writable.tags = [...(writable.tags ?? []), 'b'];
  assert.ok(Object.is(typed.mutable('users', 'u1'), writable), 'cloned once');
  typed.put('orders', 'o1', { id: 'o1' });
  const fork = typed.fork();
  fork.mutable('users', 'u1')!.name = 'Fork';
  assert.equal(typed.get('users', 'u1')!.name, 'Ann');
  assert.deepEqual(typed.entries('orders'), [['o1', { id: 'o1' }]]);
  assert.deepEqual(
    typed.rows('users').map((u) => u.id),
    ['u1', 'u2'],
  );
  assert.deepEqual(untyped.changesFromBase(), { orders: { o1: { id: 'o1' } }, users: { u1: { id: 'u1', name: 'Ann', tags: ['a', 'b'] } } });
  assert.equal(typed.untyped().hash(), untyped.hash());
  assert.deepEqual(Object.keys(changesBetween(TableState.over(tables), typed)), ['orders', 'users'], 'generic code takes a typed state');
  assert.equal(typedTables(tables, schemas).users.u2.name, 'Bob');

  // Compile-time checks (tsc fails when an expected error disappears).
  // @ts-expect-error an unknown table name
  typed.get('customers', 'c1');
  // @ts-expect-error an unknown table name
  typed.keys('customers');
  // @ts-expect-error a field of the wrong type
  writable.name = 42;
  // @ts-expect-error a record of another table's shape
  typed.put('orders', 'o2', { id: 'o2', tags: [] });
  // @ts-expect-error read records are read-only
  typed.get('users', 'u1')!.name = 'x';
  // The untyped view accepts any table.
  assert.equal(untyped.get('customers', 'c1'), undefined);
});

test('rows are listed once and follow every write: put, delete, clone on write, apply, fork', () => {
  const names = (state: TableState) => state.rows('users').map((u) => `${u.id}:${u.name}`);
  const a = TableState.over(base());
  const first = a.rows('users');
  assert.equal(a.rows('users'), first, 'an unwritten table is listed once');
  assert.ok(Object.isFrozen(first), 'the shared list cannot be changed by a caller');
  assert.equal(TableState.over(base()).rows('users').length, 2);
  a.mutable('users', 'u1')!.name = 'Anna';
  assert.deepEqual(names(a), ['u1:Anna', 'u2:Bob']);
  const listed = a.rows('users');
  assert.equal(a.rows('users'), listed, 'a written table is listed once until written again');
  a.mutable('users', 'u1')!.name = 'Annie'; // already cloned: changed in place
  assert.deepEqual(names(a), ['u1:Annie', 'u2:Bob']);
  a.put('users', 'u3', { id: 'u3', name: 'Cy', tags: [] });
  assert.deepEqual(names(a), ['u1:Annie', 'u2:Bob', 'u3:Cy']);
  a.delete('users', 'u2');
  assert.deepEqual(names(a), ['u1:Annie', 'u3:Cy']);
  a.apply({ users: { u1: null, u4: { id: 'u4', name: 'Di', tags: [] } } });
  assert.deepEqual(names(a), ['u3:Cy', 'u4:Di']);
  const b = a.fork();
  b.mutable('users', 'u3')!.name = 'Cyd';
  a.delete('users', 'u4');
  assert.deepEqual(names(a), ['u3:Cy']);
  assert.deepEqual(names(b), ['u3:Cyd', 'u4:Di']);
  assert.deepEqual(a.rows('orders'), []);
});

test('rows of a base that is not frozen are listed each time (its owner may still change it)', () => {
  const tables: Record<string, Record<string, { id: string; name: string }>> = { users: { u1: { id: 'u1', name: 'Ann' } } };
  const state = TableState.over(tables);
  assert.equal(state.rows('users').length, 1);
  tables.users.u2 = { id: 'u2', name: 'Bob' };
  assert.deepEqual(
    state.rows('users').map((u) => u.id),
    ['u1', 'u2'],
  );
});
