import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EXPERIENCE_SCHEMA_VERSION,
  type DemonstrationRecord,
  type ExperienceRecord,
  type ReflectionRecord,
  type SkillRecord,
} from '../schema/experience.ts';
import { renderExperience, selectExperience, systemPromptWithExperience } from './context.ts';
import { bm25Scores, hashedBagOfWordsEmbedding, retrieveDemonstrations } from './demonstrations.ts';
import { guardExperience } from './experience-store.ts';
import { selectReflections } from './reflexion.ts';
import { parseSkill } from './skills.ts';

const common = (id: string, taskIds: string[], split = 'train', round?: number) => ({
  schemaVersion: EXPERIENCE_SCHEMA_VERSION as typeof EXPERIENCE_SCHEMA_VERSION,
  id,
  setId: 'set',
  domain: 'helpdesk',
  createdAt: '2026-01-01T00:00:00.000Z',
  provenance: { runId: 'run', episodeIds: [`ep-${id}`], taskIds, split, producedBy: 'm', ...(round ? { round } : {}) },
});
const demo = (id: string, family: string, request: string): DemonstrationRecord => ({
  ...common(id, [`hd-train-${id}`]),
  kind: 'demonstration',
  family,
  taskId: `hd-train-${id}`,
  request,
  turns: [
    { role: 'user', content: request },
    { role: 'agent', content: `answer ${id}` },
  ],
});
const reflection = (id: string, taskId: string, round: number): ReflectionRecord => ({
  ...common(id, [taskId], 'train', round),
  kind: 'reflection',
  family: 'erase',
  taskId,
  text: `lesson ${id}`,
  withDiff: false,
});
const skill = (id: string, family: string, polarity: 'skill' | 'mistake', principle: string): SkillRecord => ({
  ...common(id, ['hd-train-1']),
  kind: 'skill',
  family,
  polarity,
  title: id,
  principle,
  whenToApply: '',
});

describe('retrieval order', () => {
  it('BM25: documents sharing rarer query terms score higher; no shared term scores 0', () => {
    const scores = bm25Scores(
      ['turn off the auto tagging feature', 'delete all data of Iris Textiles', 'offboard Dana from my team'],
      'please disable the Auto Tagging feature',
    );
    assert.ok(scores[0] > 0);
    assert.equal(scores[1], 0);
    assert.equal(scores[2], 0);
  });

  it('demonstrations: same family first, then by similarity of the opening request, ties by age', async () => {
    const demos = [
      demo('1', 'erase', 'delete all data of Iris Textiles'),
      demo('2', 'feature_off', 'turn off Voice Notes everywhere'),
      demo('3', 'feature_off', 'turn off Auto Tagging everywhere'),
      demo('4', 'offboard', 'Auto Tagging person left'),
    ];
    const ranked = await retrieveDemonstrations(
      demos,
      { request: 'Can you disable Auto Tagging? off for all tenants', family: 'feature_off' },
      3,
    );
    assert.deepEqual(
      ranked.map((d) => d.id),
      ['3', '2', '4'],
    );
    // Without a family, lexical similarity alone decides.
    assert.deepEqual(
      (await retrieveDemonstrations(demos, { request: 'Auto Tagging' }, 2)).map((d) => d.id),
      ['4', '3'],
    );
  });

  it('embeddings replace lexical similarity when an embed function is configured', async () => {
    const demos = [demo('1', 'x', 'alpha beta gamma'), demo('2', 'x', 'delta epsilon'), demo('3', 'x', 'delta epsilon zeta')];
    let calls = 0;
    const embed = async (texts: readonly string[]) => {
      calls++;
      return hashedBagOfWordsEmbedding(texts);
    };
    const ranked = await retrieveDemonstrations(demos, { request: 'delta epsilon' }, 3, embed);
    assert.equal(calls, 1);
    assert.deepEqual(
      ranked.map((d) => d.id),
      ['2', '3', '1'],
    );
  });

  it('reflections: the last N of the same task, oldest first', () => {
    const all = [reflection('a', 't1', 1), reflection('b', 't2', 1), reflection('c', 't1', 3), reflection('d', 't1', 2)];
    assert.deepEqual(
      selectReflections(all, 't1', 2).map((r) => r.id),
      ['d', 'c'],
    );
    assert.deepEqual(
      selectReflections(all, 't1', 5).map((r) => r.id),
      ['a', 'd', 'c'],
    );
    assert.deepEqual(selectReflections(all, 't3', 3), []);
  });

  it('context: selects per episode and renders rules, skills, mistakes, reflections and examples', async () => {
    const pool: ExperienceRecord[] = [
      reflection('r1', 'hd-train-7', 1),
      reflection('r2', 'hd-train-8', 1),
      { ...common('i1', ['hd-train-7']), kind: 'insight', text: 'Ask for the email first.', count: 2, order: 0 },
      skill('s1', 'erase', 'skill', 'Delete every copy, backups too.'),
      skill('s2', 'offboard', 'skill', 'Revoke grants.'),
      skill('m1', 'erase', 'mistake', 'Do not stop at the primary copy.'),
      demo('d1', 'erase', 'erase Iris Textiles data'),
    ];
    const selected = await selectExperience(
      pool,
      { taskId: 'hd-train-7', family: 'erase', request: 'please erase all data of Iris Textiles' },
      { reflections: 3, insights: 10, demonstrations: 1, skills: 1 },
    );
    assert.deepEqual(
      selected.reflections.map((r) => r.id),
      ['r1'],
    );
    assert.deepEqual(
      selected.skills.map((s) => s.id),
      ['s1'],
    );
    assert.deepEqual(
      selected.mistakes.map((s) => s.id),
      ['m1'],
    );
    const text = renderExperience(selected);
    for (const part of [
      'Ask for the email first.',
      'Delete every copy',
      'Do not stop at the primary copy.',
      'lesson r1',
      'erase Iris Textiles data',
    ])
      assert.ok(text.includes(part), part);
    assert.ok(!text.includes('lesson r2'));
    assert.equal(systemPromptWithExperience('POLICY', ''), 'POLICY');
    assert.ok(systemPromptWithExperience('POLICY', text).startsWith('POLICY\n\n# Experience'));
  });
});

describe('split separation', () => {
  it('a test evaluation refuses anything not built from train or derived from a test task; train rounds use train experience', () => {
    const records: ExperienceRecord[] = [
      reflection('ok', 'hd-train-1', 1),
      { ...reflection('from-test-split', 'hd-test-1', 1), provenance: { ...reflection('x', 'hd-test-1', 1).provenance, split: 'test' } },
      { ...common('mixed', ['hd-train-2', 'hd-test-3']), kind: 'insight', text: 'r', count: 2, order: 0 },
    ];
    const onTest = guardExperience(records, { split: 'test', taskIds: new Set(['hd-test-1', 'hd-test-3']) });
    assert.deepEqual(
      onTest.records.map((r) => r.id),
      ['ok'],
    );
    assert.deepEqual(
      onTest.refused.map((r) => r.id),
      ['from-test-split', 'mixed'],
    );
    const onTrain = guardExperience(records, { split: 'train', taskIds: new Set(['hd-train-1', 'hd-train-2']) });
    assert.deepEqual(
      onTrain.records.map((r) => r.id),
      ['ok', 'mixed'],
    );
  });
});

describe('skills', () => {
  it('reads a skill from JSON or from labelled lines', () => {
    assert.deepEqual(parseSkill('Sure! {"title": "Verify", "principle": "Ask the email first.", "whenToApply": "before any change"}'), {
      title: 'Verify',
      principle: 'Ask the email first.',
      whenToApply: 'before any change',
    });
    assert.deepEqual(parseSkill('Title: Verify\nPrinciple: Ask the email first.\nWhen to apply: always'), {
      title: 'Verify',
      principle: 'Ask the email first.',
      whenToApply: 'always',
    });
    assert.equal(parseSkill('no skill here'), undefined);
  });
});
