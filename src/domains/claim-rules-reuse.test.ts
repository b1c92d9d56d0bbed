import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { freezeTables, TableState } from '../state/table-state.ts';
import { namesIn, toolCallsOf } from './claim-rules.ts';

// What claim rules read once and reuse (names lowercased per row list) must follow the state as it
// changes; the tool calls of a trajectory are read as it is at each call.

test('namesIn sees a name edited in place, a record added and one deleted, as a fresh read would', () => {
  const base = freezeTables({ people: { 'p-1': { id: 'p-1', name: 'Alex Kim' }, 'p-2': { id: 'p-2', name: 'Sam Lee' } } });
  const state = TableState.over(base);
  const text = 'Done for Alex Kim, Sam Lee and Robin Park.';
  assert.deepEqual(namesIn(text, state, 'people'), [
    { id: 'p-1', name: 'Alex Kim' },
    { id: 'p-2', name: 'Sam Lee' },
  ]);
  // The first write copies the record (a new row list); later ones edit that copy in place, so the
  // row list read in between stays the same object while the name changes.
  state.mutable('people', 'p-1')!.name = 'Alexandra Kim';
  assert.deepEqual(namesIn(text, state, 'people'), [{ id: 'p-2', name: 'Sam Lee' }]);
  const list = state.rows('people');
  state.mutable('people', 'p-1')!.name = 'Robin Park';
  assert.equal(state.rows('people'), list, 'edited in place');
  assert.deepEqual(namesIn(text, state, 'people'), [
    { id: 'p-1', name: 'Robin Park' },
    { id: 'p-2', name: 'Sam Lee' },
  ]);
  state.put('people', 'p-3', { id: 'p-3', name: 'Alex Kim' });
  state.delete('people', 'p-2');
  assert.deepEqual(namesIn(text, state, 'people'), [
    { id: 'p-1', name: 'Robin Park' },
    { id: 'p-3', name: 'Alex Kim' },
  ]);
  // The base, read through another view, is unchanged.
  assert.deepEqual(
    namesIn(text, TableState.over(base), 'people').map((f) => f.id),
    ['p-1', 'p-2'],
  );
});

test('namesIn never gives a name the wrong id, even over a base edited behind the state', () => {
  // Against the contract (bases are never edited), but the ids must stay right: the row list read
  // before the edit no longer lines up with the table's keys.
  const base: Record<string, Record<string, Record<string, unknown>>> = { people: { 'p-1': { name: 'Alex Kim' } } };
  const state = TableState.over(base as never);
  state.put('people', 'p-9', { name: 'Robin Park' });
  const text = 'Robin Park and Alex Kim.';
  assert.deepEqual(
    namesIn(text, state, 'people').map((f) => [f.id, f.name]),
    [
      ['p-9', 'Robin Park'],
      ['p-1', 'Alex Kim'],
    ],
  );
  base.people['p-2'] = { name: 'Sam Lee' };
  for (const found of namesIn(text, state, 'people')) assert.equal(state.get('people', found.id)?.name, found.name);
});

test('toolCallsOf reads a trajectory that grew again', () => {
  const events: TrajectoryEvent[] = [
    { type: 'tool_call', id: 'c1', name: 'find_person', arguments: { query: 'alex' } },
    { type: 'tool_result', callId: 'c1', name: 'find_person', content: '[{"id":"p-1"}]', isError: false },
  ];
  assert.deepEqual(
    toolCallsOf(events).map((c) => c.name),
    ['find_person'],
  );
  events.push(
    { type: 'tool_call', id: 'c2', name: 'revoke_grant', arguments: { grant_id: 'g-1' } },
    { type: 'tool_result', callId: 'c2', name: 'revoke_grant', content: 'no such grant', isError: true },
  );
  assert.deepEqual(
    toolCallsOf(events).map((c) => [c.name, c.isError]),
    [
      ['find_person', false],
      ['revoke_grant', true],
    ],
  );
});
