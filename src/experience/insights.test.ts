import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPERIENCE_SCHEMA_VERSION, type ExperienceProvenance, type InsightRecord } from '../schema/experience.ts';
import { applyInsightEdits, parseInsightEdits, rankInsights, type InsightEditSource } from './insights.ts';

const provenance = (episode: string, task: string): ExperienceProvenance => ({
  runId: 'run-1',
  episodeIds: [episode],
  taskIds: [task],
  split: 'train',
  producedBy: 'critic',
});
const source = (episode = 'e9', task = 't9'): InsightEditSource => ({
  setId: 'set',
  domain: 'helpdesk',
  provenance: provenance(episode, task),
  createdAt: '2026-01-01T00:00:00.000Z',
});
const rule = (text: string, count: number, order: number): InsightRecord => ({
  schemaVersion: EXPERIENCE_SCHEMA_VERSION,
  id: `r${order}`,
  setId: 'set',
  domain: 'helpdesk',
  kind: 'insight',
  text,
  count,
  order,
  provenance: provenance(`e${order}`, `t${order}`),
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('insight edits (ExpeL)', () => {
  it('parses ADD / EDIT / AGREE / REMOVE lines and ignores the rest', () => {
    const { edits, ignored } = parseInsightEdits(
      'Here are my operations:\nADD: Ask for the email first.\nEDIT 2: Revoke every grant.\n- AGREE 1: existing text\n**REMOVE 3**\nAGREE: no number\nEDIT 4:',
    );
    assert.deepEqual(edits, [
      { op: 'ADD', text: 'Ask for the email first.' },
      { op: 'EDIT', index: 2, text: 'Revoke every grant.' },
      { op: 'AGREE', index: 1 },
      { op: 'REMOVE', index: 3 },
    ]);
    assert.deepEqual(ignored, ['Here are my operations:', 'AGREE: no number', 'EDIT 4:']);
  });

  it('counters: ADD sets 2, AGREE and EDIT add 1, REMOVE subtracts 1; a rule at 0 is removed', () => {
    const rules = [rule('A', 3, 0), rule('B', 1, 1), rule('C', 2, 2)];
    const result = applyInsightEdits(
      rules,
      [
        { op: 'AGREE', index: 1 },
        { op: 'REMOVE', index: 2 },
        { op: 'EDIT', index: 3, text: 'C, better' },
        { op: 'ADD', text: 'D' },
        { op: 'AGREE', index: 9 },
      ],
      source(),
    );
    assert.deepEqual(
      result.rules.map((r) => [r.text, r.count]),
      [
        ['A', 4],
        ['C, better', 3],
        ['D', 2],
      ],
    );
    assert.deepEqual(
      result.removed.map((r) => r.id),
      ['r1'],
    );
    assert.deepEqual(result.skipped, [{ op: 'AGREE', index: 9 }]);
    // The input is not modified (pure).
    assert.deepEqual(
      rules.map((r) => r.count),
      [3, 1, 2],
    );
    // Touched rules accumulate the provenance of the comparison that touched them.
    assert.deepEqual(result.rules[0].provenance.episodeIds, ['e0', 'e9']);
    const added = result.rules.find((r) => r.text === 'D')!;
    assert.equal(added.order, 3);
    assert.deepEqual(added.provenance, provenance('e9', 't9'));
  });

  it('an ADD of an existing rule counts as AGREE; REMOVEs take a rule to zero and it is removed', () => {
    const first = applyInsightEdits(
      [],
      [
        { op: 'ADD', text: 'Verify identity.' },
        { op: 'ADD', text: 'verify   identity' },
      ],
      source(),
    );
    assert.deepEqual(
      first.rules.map((r) => [r.text, r.count]),
      [['Verify identity.', 3]],
    );
    const remove = { op: 'REMOVE', index: 1 } as const;
    const twice = applyInsightEdits(first.rules, [remove, remove], source());
    assert.deepEqual(
      twice.rules.map((r) => r.count),
      [1],
    );
    const second = applyInsightEdits(first.rules, [remove, remove, remove, remove], source());
    assert.deepEqual(second.rules, []);
    assert.equal(second.removed.length, 1);
    // The fourth REMOVE named a rule already at 0.
    assert.equal(second.skipped.length, 1);
  });

  it('ranks by counter, then by age', () => {
    assert.deepEqual(
      rankInsights([rule('new', 2, 5), rule('old', 2, 1), rule('strong', 7, 9)]).map((r) => r.text),
      ['strong', 'old', 'new'],
    );
  });
});
