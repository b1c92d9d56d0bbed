import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffStates, changesBetween } from './diff.ts';
import { freezeTables, TableState } from './table-state.ts';

const base = () => freezeTables({ users: { u1: { id: 'u1', name: 'Ann', tags: ['a'] }, u2: { id: 'u2', name: 'Bob', tags: [] } }, orders: {} });

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
