import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { freezeTables, TableState } from '../state/table-state.ts';
import { namesIn, toolCallsOf } from './claim-rules.ts';

// What claim rules read once and reuse (names lowercased per row list, tool calls per event list)
// must follow the state and the trajectory as they change.

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

test('toolCallsOf reads a trajectory that grew again', () => {
  const events: TrajectoryEvent[] = [
    { type: 'tool_call', id: 'c1', name: 'find_person', arguments: { query: 'alex' } },
    { type: 'tool_result', callId: 'c1', name: 'find_person', content: '[{"id":"p-1"}]', isError: false },
  ];
  assert.deepEqual(
    toolCallsOf(events).map((c) => c.name),
    ['find_person'],
  );
  assert.equal(toolCallsOf(events), toolCallsOf(events), 'read once');
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
  assert.ok(Object.isFrozen(toolCallsOf(events)[0]), 'shared: read-only');
});
