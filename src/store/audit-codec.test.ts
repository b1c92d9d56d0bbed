import assert from 'node:assert/strict';
import { test } from 'node:test';
import { episodeAuditSchema, type EpisodeAudit } from '../schema/audit.ts';
import { decodeEpisodeAudit, encodeEpisodeAudit } from './audit-codec.ts';

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
