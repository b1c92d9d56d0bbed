import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBuiltInAgent } from '../../agents/registry.ts';
import { runEpisode } from '../../episode/orchestrator.ts';
import { gradeEpisode } from '../../grading/grade.ts';
import { canonicalJson } from '../../schema/json.ts';
import { taskSchema } from '../../schema/task.ts';
import { createScriptedUser } from '../../users/scripted.ts';
import { createHelpdeskDomain, HELPDESK_FAMILIES } from './index.ts';
import { HELPDESK_TABLES } from './state.ts';

test('same seed, same world and tasks byte for byte; another seed differs', () => {
  const a = createHelpdeskDomain({ seed: 7 });
  const b = createHelpdeskDomain({ seed: 7 });
  const c = createHelpdeskDomain({ seed: 8 });
  assert.equal(canonicalJson(a.base().tables), canonicalJson(b.base().tables));
  assert.equal(JSON.stringify(a.tasks({ split: 'train' })), JSON.stringify(b.tasks({ split: 'train' })));
  assert.equal(JSON.stringify(a.tasks({ split: 'test' })), JSON.stringify(b.tasks({ split: 'test' })));
  assert.notEqual(canonicalJson(a.base().tables), canonicalJson(c.base().tables));
  assert.notEqual(JSON.stringify(a.tasks({ split: 'test' })), JSON.stringify(c.tasks({ split: 'test' })));
});

test('a task does not depend on how many are generated, and can be fetched by id', () => {
  const d = createHelpdeskDomain();
  const few = d.tasks({ split: 'test', count: 5 });
  const many = d.tasks({ split: 'test', count: 200 });
  assert.deepEqual(few, many.slice(0, 5));
  assert.deepEqual(d.tasks({ ids: ['hd-test-150', 'hd-train-003'] }), [many[150], d.tasks({ split: 'train', count: 4 })[3]]);
  assert.throws(() => d.tasks({ ids: ['nope'] }), /unknown helpdesk task/);
  assert.throws(() => d.tasks({ split: 'dev' }), /no split/);
});

test('train and test splits are fixed, disjoint, cover every family, and validate', () => {
  const d = createHelpdeskDomain();
  const train = d.tasks({ split: 'train' });
  const test_ = d.tasks({ split: 'test' });
  assert.equal(train.length, 70);
  assert.equal(test_.length, 21);
  const ids = new Set(train.map((t) => t.id));
  assert.ok(test_.every((t) => !ids.has(t.id)));
  for (const split of [train, test_]) assert.deepEqual(new Set(split.map((t) => t.family)), new Set(HELPDESK_FAMILIES));
  for (const t of [...train, ...test_]) taskSchema.parse(t);
});

test('the world matches its typed schema and the toolkit has read and write tools', () => {
  const d = createHelpdeskDomain();
  for (const [table, schema] of Object.entries(HELPDESK_TABLES)) {
    for (const record of Object.values(d.base().tables[table])) schema.parse(record);
  }
  assert.ok(d.tools.length >= 12);
  assert.ok(d.tools.filter((t) => t.kind === 'read').length >= 6);
  assert.ok(d.tools.filter((t) => t.kind === 'write').length >= 6);
  assert.match(d.policy, /legal hold/);
});

test('oracle solves every task of both splits; noop solves none that needs a change; naive is far below', async () => {
  const d = createHelpdeskDomain();
  const user = createScriptedUser();
  const score: Record<string, number> = { oracle: 0, noop: 0, naive: 0 };
  const tasks = [...d.tasks({ split: 'train' }), ...d.tasks({ split: 'test' })];
  for (const task of tasks) {
    for (const name of Object.keys(score)) {
      const r = await runEpisode({ domain: d, task, agent: createBuiltInAgent(name, d), user, episodeId: 'e', trial: 0, seed: 3 });
      const o = gradeEpisode({ domain: d, task, initialState: r.initialState, finalState: r.finalState, trajectory: r.trajectory });
      score[name] += o.reward;
      if (name === 'oracle')
        assert.equal(o.reward, 1, `oracle failed ${task.id}: ${JSON.stringify(o.state.predicates.filter((p) => !p.pass))}`);
      if (name === 'noop' && !task.noChange) assert.equal(o.reward, 0, `noop passed ${task.id}`);
    }
  }
  assert.equal(score.oracle, tasks.length);
  assert.ok(score.naive < tasks.length * 0.25, `naive ${score.naive}/${tasks.length}`);
});

test('naive leaves the traps in state: backups after erasure, overrides after disabling', async () => {
  const d = createHelpdeskDomain();
  const tasks = d.tasks({ split: 'test' });
  for (const family of ['erase', 'feature_off', 'legal_hold']) {
    const task = tasks.find((t) => t.family === family)!;
    const r = await runEpisode({
      domain: d,
      task,
      agent: createBuiltInAgent('naive', d),
      user: createScriptedUser(),
      episodeId: 'e',
      trial: 0,
      seed: 1,
    });
    const o = gradeEpisode({ domain: d, task, initialState: r.initialState, finalState: r.finalState, trajectory: r.trajectory });
    assert.equal(o.reward, 0, family);
    assert.match(
      r.trajectory.events
        .filter((e) => e.type === 'message' && e.role === 'agent')
        .map((e) => (e as { content: string }).content)
        .join(' '),
      /Done!/,
    );
    if (family === 'legal_hold') assert.equal(o.collateral.pass, false);
    else assert.equal(o.state.pass, false);
  }
});
