import assert from 'node:assert/strict';
import { test } from 'node:test';
import { episodeAuditSchema, type EpisodeAudit } from '../schema/audit.ts';
import { decodeEpisodeAudit, encodeEpisodeAudit, GoalItemsCache, goalItemsKey, sameJson } from './audit-codec.ts';

const audit: EpisodeAudit = episodeAuditSchema.parse({
  schemaVersion: 1,
  episodeId: 'ep-1',
  runId: 'run-1',
  agent: 'naive',
  taskId: 'hd-test-000',
  trial: 2,
  reward: 0,
  termination: 'user_stop',
  claims: [],
  successClaimed: true,
  confidentFailure: true,
  goal: {
    items: [{ id: 'objective:request', category: 'objectives', description: 'offboard Yusuf', cues: ['offboard'] }],
    source: 'task',
    timeline: [],
    final: { 'objective:request': 'INCOMPLETE' },
    tracker: 'rules',
  },
  simulatorFaults: [],
  fault: { cause: 'agent', evidence: 'claimed done' },
  auditorVersion: 'groundwork-auditor/3',
  toolErrors: { count: 1 },
});
const row = { episodeId: 'ep-1', runId: 'run-1', agent: 'naive', taskId: 'hd-test-000', trial: 2, reward: 0, termination: 'user_stop' };

test('an encoded audit drops what its episode row holds and decodes to the same audit', () => {
  const encoded = encodeEpisodeAudit(audit, row);
  const body = JSON.parse(encoded.body);
  for (const field of ['episodeId', 'runId', 'agent', 'taskId', 'trial', 'termination']) assert.equal(field in body, false, field);
  assert.equal(body.goal.items, undefined);
  assert.equal(body.reward, 0);
  assert.equal(encoded.faultCause, 'agent');
  assert.equal(encoded.confidentFailure, true);
  assert.deepEqual(JSON.parse(encoded.goalItems), audit.goal.items);
  assert.equal(encodeEpisodeAudit({ ...audit, trial: 5 }, row).goalKey, encoded.goalKey);
  assert.deepEqual(decodeEpisodeAudit(encoded.body, row, encoded.goalItems), audit);
});

test('the audit keeps its reward when the episode was re-graded, and fields that differ from the row', () => {
  const encoded = encodeEpisodeAudit(audit, { ...row, agent: 'other' });
  const regraded = decodeEpisodeAudit(encoded.body, { ...row, reward: 1 }, encoded.goalItems);
  assert.equal(regraded.reward, 0);
  assert.equal(regraded.agent, 'naive');
});

test('a body stored before the compact encoding (the whole audit) decodes as is; a newer schema is refused', () => {
  assert.deepEqual(decodeEpisodeAudit(JSON.stringify(audit), { episodeId: 'ep-1', runId: 'run-1' }, null), audit);
  assert.throws(
    () => decodeEpisodeAudit(JSON.stringify({ ...audit, schemaVersion: 9 }), row, null),
    (error: { code?: string }) => error.code === 'SCHEMA_VERSION',
  );
});

test("a store's goal-items cache gives the text of the items as they are now, never a stale one", () => {
  const cache = new GoalItemsCache();
  const items = structuredClone(audit.goal.items) as Record<string, unknown>[];
  const withItems = (): EpisodeAudit => ({ ...audit, goal: { ...audit.goal, items: items as EpisodeAudit['goal']['items'] } });
  const check = () => {
    const cached = encodeEpisodeAudit(withItems(), row, cache);
    const fresh = encodeEpisodeAudit(withItems(), row);
    assert.deepEqual(cached, fresh);
    assert.equal(cached.goalItems, JSON.stringify(items));
    assert.equal(cached.goalKey, goalItemsKey(JSON.stringify(items)));
  };
  check();
  check();
  // The same array changed in place, then its item replaced by an equal copy, then a field JSON leaves out.
  items[0].description = 'offboard Yusuf today';
  check();
  items[0] = { ...items[0] };
  check();
  items[0].note = undefined;
  check();
  items.push({ ...items[0], id: 'objective:second' });
  check();
});

test('sameJson is true only where JSON.stringify gives the same text', () => {
  const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
  const same = [{ a: 1, b: [true, null, 'x\u00e9'], c: { d: -0 } }, [], {}, 'text', 0, null, [{ id: 'a' }, { id: 'b' }]];
  for (const value of same) assert.equal(sameJson(value, json(value)), true, JSON.stringify(value));
  const pairs: [unknown, unknown][] = [
    [{ a: undefined }, {}],
    [[undefined], [null]],
    [new Array(3), [null, null, null]],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [new Date(0), {}],
    [{ toJSON: () => 'x' }, {}],
    [new (class Point {})(), {}],
    [
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ],
    [[1, 2], { 0: 1, 1: 2 }],
    [{ 0: 1, 1: 2 }, [1, 2]],
    [{ a: [1] }, { a: [1, 2] }],
    ['1', 1],
  ];
  for (const [value, other] of pairs) {
    const parsed = json(other);
    if (sameJson(value, parsed)) assert.equal(JSON.stringify(value), JSON.stringify(parsed), `${String(value)}`);
  }
  assert.equal(sameJson(new Date(0), {}), false);
  assert.equal(sameJson({ a: undefined }, {}), false);
});
