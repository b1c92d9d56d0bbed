import { oracleStepMessage } from '../../src/schema/task.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHelpdeskDomain } from '../../src/domains/helpdesk/index.ts';
import { learn } from '../../src/experience/learn.ts';
import { INSIGHT_CRITIC_SYSTEM } from '../../src/experience/insights.ts';
import { REFLECTION_SYSTEM } from '../../src/experience/reflexion.ts';
import { SKILL_SYSTEM } from '../../src/experience/skills.ts';
import { EXPERIENCE_SCHEMA_VERSION, type ExperienceRecord } from '../../src/schema/experience.ts';
import { ModelHub } from '../../src/models/model-hub.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../../src/testing/peer-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const peers: ModelPeer[] = [];

/** Run the CLI asynchronously (the peer answers from this process). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, OPENAI_API_KEY: undefined } as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}
after(() => Promise.all(peers.map((p) => p.close())));

const domain = createHelpdeskDomain();
const TRAIN = ['hd-train-002', 'hd-train-009'];
const TEST = ['hd-test-002', 'hd-test-016'];
const tasks = [...domain.tasks({ split: 'train', ids: TRAIN }), ...domain.tasks({ split: 'test', ids: TEST })];
const byOpening = new Map(tasks.flatMap((task) => task.user.openings.map((opening) => [opening, task] as const)));

/** The lesson the agent model needs in its prompt to solve feature_off tasks. */
const PHRASE = 'verify the requester, then switch the flag off everywhere';
const REFLECTION = `I told the user it was done without doing anything. Next time I will ${PHRASE}.`;
const RULE = `Always ${PHRASE} before saying it is done.`;

const systemOf = (request: PeerRequest): string => {
  const first = request.body.messages[0];
  return first?.role === 'system' ? String(first.content) : '';
};

/**
 * One peer plays three models: the agent (solves a feature_off task by its reference steps only
 * when the lesson is in its system prompt, else claims success at once), the reflection (its own
 * model writing the lesson) and the critic (adds the lesson as a rule).
 */
function model(request: PeerRequest): PeerReply {
  const system = systemOf(request);
  if (system === REFLECTION_SYSTEM) return { kind: 'message', text: REFLECTION };
  if (system === INSIGHT_CRITIC_SYSTEM) return { kind: 'message', text: `ADD: ${RULE}\nThis line is not an operation.` };
  if (system === SKILL_SYSTEM)
    return {
      kind: 'message',
      text: JSON.stringify({ title: 'Flag off', principle: 'Look up every override of the flag.', whenToApply: 'feature_off requests' }),
    };
  const messages: { role: string; content: unknown }[] = request.body.messages;
  const opening = String(messages.find((m) => m.role === 'user')?.content ?? '');
  const task = byOpening.get(opening);
  if (!task || !system.includes(PHRASE)) return { kind: 'message', text: 'Done! The feature is now turned off.' };
  const step = task.oracle[messages.filter((m) => m.role === 'assistant').length];
  if (!step) return { kind: 'message', text: 'Done.' };
  return step.kind === 'call'
    ? { kind: 'message', toolCalls: [{ name: step.call.name, arguments: step.call.arguments }] }
    : { kind: 'message', text: oracleStepMessage(step) };
}

async function setup() {
  const peer = await startOpenAIPeer(model);
  peers.push(peer);
  const models = { learner: { provider: 'openai-compatible' as const, model: 'peer-learner', baseURL: peer.url } };
  const hub = new ModelHub({ models, env: {} });
  const store = SqliteStore.open(':memory:');
  return { peer, hub, store, models };
}

describe('groundwork learn against a scripted model peer', () => {
  it('reflexion then insights: train improves round over round, test improves after learning, provenance is right', async () => {
    const { peer, hub, store, models } = await setup();
    const session = await learn({
      store,
      hub,
      models,
      agent: 'learner',
      mechanisms: ['reflection', 'insight'],
      rounds: 2,
      trainTasks: { ids: TRAIN },
      testTasks: { ids: TEST },
      trials: 1,
    });
    assert.equal(session.status, 'finished');
    assert.deepEqual(
      session.rounds.map((r) => r.successRate),
      [0, 1],
    );
    assert.equal(session.test.before?.successRate, 0);
    assert.equal(session.test.after?.successRate, 1);
    assert.equal(session.test.after?.passHatK['1'], 1);
    assert.equal(session.test.after?.experienceRefused, 0);
    assert.ok((session.test.after?.experienceUsed ?? 0) >= 1);
    // Stored with the run database: the session and its experience.
    assert.deepEqual(await store.getLearningSession(session.id), session);
    const experience = await store.listExperience({ setId: session.id });
    const reflections = experience.filter((r) => r.kind === 'reflection');
    const insights = experience.filter((r): r is Extract<ExperienceRecord, { kind: 'insight' }> => r.kind === 'insight');
    assert.equal(reflections.length, 2, 'one reflection per failed round-1 episode');
    const round1 = session.rounds[0].runId;
    const round1Episodes = await store.listEpisodes(round1);
    for (const reflection of reflections) {
      assert.equal(reflection.provenance.runId, round1);
      assert.equal(reflection.provenance.split, 'train');
      assert.equal(reflection.provenance.producedBy, 'learner');
      assert.equal(reflection.provenance.round, 1);
      assert.ok(
        round1Episodes.some(
          (e) => e.id === reflection.provenance.episodeIds[0] && e.taskId === reflection.provenance.taskIds[0] && e.reward === 0,
        ),
      );
    }
    assert.equal(insights.length, 1);
    assert.equal(insights[0].text, RULE);
    // Two comparisons (one per task) both ADD the same rule: the second counts as AGREE.
    assert.equal(insights[0].count, 3);
    assert.deepEqual([...insights[0].provenance.taskIds].sort(), TRAIN);
    assert.equal(insights[0].provenance.episodeIds.length, 4, 'two failures of round 1, two successes of round 2');
    assert.equal(insights[0].provenance.runId, session.rounds[1].runId);
    // Each phase is a stored run whose config records the experience block.
    const afterRun = (await store.getRun(session.test.after!.runId))!;
    assert.deepEqual(afterRun.config.experience, {
      mechanisms: ['reflection', 'insight'],
      setId: session.id,
      sourceRunIds: session.rounds.map((r) => r.runId),
      sourceSplit: 'train',
      trainOnly: true,
      phase: 'test-after',
      retrieval: 'bm25',
    });
    // The test-split evaluation saw only experience derived from train tasks.
    const byId = new Map(experience.map((r) => [r.id, r]));
    for await (const episode of store.iterateEpisodes(afterRun.id)) {
      const shown = (episode.trajectory.participants.agent as { experience: string[] }).experience;
      assert.ok(shown.length > 0);
      for (const id of shown) {
        const record = byId.get(id)!;
        assert.equal(record.provenance.split, 'train');
        assert.ok(record.provenance.taskIds.every((t) => t.startsWith('hd-train-')));
      }
    }
    // The reflection and the critic were asked; the agent model received the rule on test tasks.
    assert.ok(peer.requests.some((r) => systemOf(r) === REFLECTION_SYSTEM));
    assert.ok(session.usage.reflection.calls === 2 && session.usage.critic.calls >= 2);
    await store.close();
  });

  it('all four mechanisms: demonstrations and skills are built from train with provenance and retrieved by family', async () => {
    const { peer, hub, store, models } = await setup();
    const session = await learn({
      store,
      hub,
      models,
      agent: 'learner',
      rounds: 2,
      trainTasks: { ids: TRAIN },
      testTasks: { ids: TEST },
      trials: 1,
      testBefore: false,
    });
    assert.deepEqual(session.mechanisms, ['reflection', 'insight', 'demonstration', 'skill']);
    assert.deepEqual(
      session.rounds.map((r) => r.successRate),
      [0, 1],
    );
    assert.equal(session.test.after?.successRate, 1);
    assert.deepEqual(session.rounds[1].experience, { reflection: 2, insight: 1, demonstration: 2, skill: 2 });
    const experience = await store.listExperience({ setId: session.id });
    const round2 = await store.listEpisodes(session.rounds[1].runId);
    for (const demo of experience.filter((r) => r.kind === 'demonstration')) {
      assert.equal(demo.provenance.producedBy, 'rule');
      assert.equal(demo.provenance.runId, session.rounds[1].runId);
      assert.ok(round2.some((e) => e.id === demo.provenance.episodeIds[0] && e.reward === 1 && e.taskId === demo.taskId));
      assert.equal(demo.family, 'feature_off');
    }
    const skills = experience.filter((r) => r.kind === 'skill');
    assert.deepEqual(skills.map((s) => (s.kind === 'skill' ? s.polarity : '')).sort(), ['mistake', 'skill']);
    assert.ok(skills.every((s) => s.provenance.producedBy === 'learner' && s.family === 'feature_off'));
    // Test prompts carry a train demonstration of the same family, and no test task's own conversation.
    const testPrompts = peer.requests.map(systemOf).filter((text) => text.includes('Examples of verified successful conversations'));
    assert.ok(testPrompts.length > 0);
    const trainOpenings = domain.tasks({ split: 'train', ids: TRAIN }).flatMap((t) => t.user.openings);
    assert.ok(testPrompts.every((text) => trainOpenings.some((opening) => text.includes(opening))));
    await store.close();
  });

  it('reflexion alone does not transfer to unseen test tasks (reflections are per task)', async () => {
    const { hub, store, models } = await setup();
    const session = await learn({
      store,
      hub,
      models,
      agent: 'learner',
      mechanisms: ['reflection'],
      rounds: 2,
      trainTasks: { ids: TRAIN },
      testTasks: { ids: TEST },
      trials: 1,
      testBefore: false,
    });
    assert.deepEqual(
      session.rounds.map((r) => r.successRate),
      [0, 1],
    );
    assert.equal(session.test.before, undefined);
    assert.equal(session.test.after?.successRate, 0);
    assert.equal(session.test.after?.experienceUsed, 0);
    await store.close();
  });

  it('split separation: experience derived from test tasks is refused on a test evaluation and never reaches the model', async () => {
    const { peer, hub, store, models } = await setup();
    const setId = 'learn-leak-check';
    const leaked = `LEAKED ${PHRASE}`;
    const common = {
      schemaVersion: EXPERIENCE_SCHEMA_VERSION,
      setId,
      domain: 'helpdesk',
      family: 'feature_off',
      createdAt: '2026-01-01T00:00:00.000Z',
    } as const;
    // Planted records: one claims the test split, one claims train but was derived from a test task.
    await store.saveExperience([
      {
        ...common,
        id: 'insi-leak-1',
        kind: 'insight',
        text: leaked,
        count: 5,
        order: 0,
        provenance: { runId: 'r', episodeIds: ['e1'], taskIds: [TEST[0]], split: 'test', producedBy: 'rule' },
      },
      {
        ...common,
        id: 'refl-leak-2',
        kind: 'reflection',
        taskId: TEST[1],
        text: leaked,
        withDiff: false,
        provenance: { runId: 'r', episodeIds: ['e2'], taskIds: [TEST[1]], split: 'train', producedBy: 'rule' },
      },
      {
        ...common,
        id: 'insi-ok-3',
        kind: 'insight',
        text: 'Be polite.',
        count: 2,
        order: 1,
        provenance: { runId: 'r', episodeIds: ['e3'], taskIds: [TRAIN[0]], split: 'train', producedBy: 'rule' },
      },
    ]);
    const session = await learn({
      store,
      hub,
      models,
      agent: 'learner',
      sessionId: setId,
      mechanisms: ['reflection', 'insight'],
      rounds: 1,
      trainTasks: { ids: [TRAIN[0]] },
      testTasks: { ids: TEST },
      trials: 1,
      testBefore: false,
    });
    assert.equal(session.test.after?.experienceRefused, 2);
    const testRun = session.test.after!.runId;
    const testRequests = peer.requests.filter((r) => systemOf(r).startsWith(domain.policy));
    assert.ok(testRequests.length > 0);
    assert.ok(
      testRequests.every((r) => !systemOf(r).includes('LEAKED')),
      'no prompt contains test-derived experience',
    );
    assert.ok(
      peer.requests.some((r) => systemOf(r).includes('Be polite.')),
      'train-derived experience is used',
    );
    assert.equal(session.test.after?.successRate, 0, 'the test tasks are not solved by leaked lessons');
    for await (const episode of store.iterateEpisodes(testRun)) {
      const shown = (episode.trajectory.participants.agent as { experience: string[] }).experience;
      assert.ok(!shown.includes('insi-leak-1') && !shown.includes('refl-leak-2'));
    }
    await store.close();
  });

  it('from the command line: groundwork learn --json, experience list, and an sft export of the learned test run', async () => {
    const peer = await startOpenAIPeer(model);
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-learn-'));
    const db = join(dir, 'groundwork.db');
    const config = join(dir, 'models.yaml');
    writeFileSync(config, `models:\n  learner:\n    provider: openai-compatible\n    model: peer-learner\n    baseURL: ${peer.url}\n`);
    const run = await cli([
      'learn',
      '--config',
      config,
      '--agent',
      'learner',
      '--mechanisms',
      'reflexion,insights',
      '--rounds',
      '2',
      '--train-tasks',
      TRAIN.join(','),
      '--test-tasks',
      TEST.join(','),
      '--json',
      '--db',
      db,
    ]);
    assert.equal(run.status, 0, run.stderr);
    const session = JSON.parse(run.stdout);
    assert.deepEqual(session.mechanisms, ['reflection', 'insight']);
    assert.deepEqual(
      session.rounds.map((r: { successRate: number }) => r.successRate),
      [0, 1],
    );
    assert.equal(session.test.before.successRate, 0);
    assert.equal(session.test.after.successRate, 1);
    // Every run of the session has its log beside the database, like `groundwork run`.
    const runIds: string[] = [
      session.test.before.runId,
      ...session.rounds.map((r: { runId: string }) => r.runId),
      session.test.after.runId,
    ];
    assert.equal(new Set(runIds).size, 4);
    for (const runId of runIds) {
      const log = readFileSync(join(dir, 'logs', `${runId}.log`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.equal(log[0].msg, 'run start');
      assert.ok(log.every((line) => line.runId === runId));
      assert.equal(log.filter((line) => line.msg === 'episode stored').length, 2);
      assert.ok(log.some((line) => line.msg === 'run end'));
    }
    const listed = await cli(['experience', 'list', '--json', '--set', session.id, '--db', db]);
    assert.equal(listed.status, 0, listed.stderr);
    const { records, sessions } = JSON.parse(listed.stdout);
    assert.deepEqual(records.map((r: { kind: string }) => r.kind).sort(), ['insight', 'reflection', 'reflection']);
    assert.equal(sessions[0].id, session.id);
    const text = await cli(['experience', 'list', '--db', db]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /0\.00 → 1\.00/);
    assert.ok(text.stdout.includes(RULE.slice(0, 40)));
    const file = join(dir, 'sft.jsonl');
    const exported = await cli(['export', session.test.after.runId, '--format', 'sft', '-o', file, '--json', '--db', db]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).lines, TEST.length);
    // The exported system message is the policy the agent followed, learned rules included.
    const first = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]);
    // SFT carries the domain's policy, not the experience-augmented prompt: the behaviour is distilled.
    assert.equal(first.messages[0].content, domain.policy);
    const bad = await cli(['learn', '--db', db]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^groundwork: error: learn needs a model agent/);
  });
});
