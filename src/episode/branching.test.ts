import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { createNoopAgent, createOracleAgent } from '../agents/oracle.ts';
import type { Domain } from '../domains/domain.ts';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { createTau2MockDomain } from '../domains/tau2-bench/mock/index.ts';
import { freezeTables, hashTables } from '../state/table-state.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { createScriptedUser } from '../users/scripted.ts';
import type { UserSimulator, UserTurn } from '../users/user.ts';
import { branchAction, replayToStep, trajectorySteps } from './branching.ts';
import { runEpisode } from './orchestrator.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'train' }).find((t) => t.family === 'offboard')!;

async function oracleEpisode() {
  return runEpisode({ domain, task, agent: createOracleAgent(), user: createScriptedUser(), episodeId: 'ep-branch', trial: 0, seed: 3 });
}

describe('environment branching', () => {
  it('replays a stored trajectory to any step, matching the recorded state hashes', async () => {
    const { trajectory } = await oracleEpisode();
    const steps = trajectorySteps(trajectory);
    assert.ok(steps.length >= 5);
    assert.equal(replayToStep(domain, task, trajectory, 0).state.hash(), trajectory.initialStateHash);
    assert.equal(replayToStep(domain, task, trajectory, steps.length).state.hash(), trajectory.finalStateHash);
    const lastWrite = steps
      .map((s, i) => ({ ...s, i }))
      .filter((s) => s.stateHash)
      .at(-2)!;
    const snapshot = replayToStep(domain, task, trajectory, lastWrite.i + 1);
    assert.equal(snapshot.state.hash(), lastWrite.stateHash);
    // The snapshot's events end just before the next step's call.
    assert.equal(snapshot.events.length, steps[lastWrite.i + 1].eventIndex);
    assert.throws(() => replayToStep(domain, task, trajectory, steps.length + 1), /out of range/);
    // A record that does not replay (tampered hash) is refused.
    const tampered = structuredClone(trajectory);
    const write = tampered.events.find((e) => e.type === 'tool_result' && e.stateHash)!;
    (write as { stateHash: string }).stateHash = 'not-the-hash';
    assert.throws(() => replayToStep(domain, task, tampered, steps.length), /diverged/);
  });

  it('forks are independent: alternative actions from one snapshot do not see each other or change it', async () => {
    const { trajectory } = await oracleEpisode();
    const steps = trajectorySteps(trajectory);
    const firstWrite = steps.findIndex((s) => s.stateHash);
    const snapshot = replayToStep(domain, task, trajectory, firstWrite);
    const before = snapshot.state.hash();
    const expert = branchAction(domain, snapshot, steps[firstWrite]);
    const other = steps.slice(firstWrite + 1).find((s) => s.stateHash && s.name !== steps[firstWrite].name) ?? steps[firstWrite + 1];
    const alternative = branchAction(domain, snapshot, other);
    assert.equal(expert.execution.isError, false);
    assert.equal(snapshot.state.hash(), before, 'the snapshot is unchanged');
    assert.notEqual(expert.state.hash(), before);
    assert.notEqual(expert.state.hash(), alternative.state.hash());
    // The expert branch's write is invisible to the other branch.
    const changed = expert.state.changesFromBase();
    for (const [table, rows] of Object.entries(changed)) {
      for (const key of Object.keys(rows)) {
        if (!Object.hasOwn(alternative.state.changesFromBase()[table] ?? {}, key))
          assert.deepEqual(alternative.state.get(table, key), snapshot.state.get(table, key));
      }
    }
    // An episode can start from the snapshot; its initial state is the snapshot's.
    const forked = await runEpisode({
      domain,
      task,
      agent: createNoopAgent(),
      user: createScriptedUser(),
      episodeId: 'ep-fork',
      trial: 0,
      seed: 3,
      startState: snapshot.state,
    });
    assert.equal(forked.trajectory.initialStateHash, before);
    assert.equal(forked.trajectory.finalStateHash, before);
    assert.equal(snapshot.state.hash(), before);
  });

  it('forks are cheap: the base is shared, not copied', async () => {
    const { trajectory } = await oracleEpisode();
    const snapshot = replayToStep(domain, task, trajectory, trajectorySteps(trajectory).length);
    const tables = snapshot.state.tables();
    const started = performance.now();
    const forks = Array.from({ length: 10_000 }, () => snapshot.state.fork());
    const elapsed = performance.now() - started;
    // Unchanged records are the very same objects as in the shared base: nothing was copied.
    for (const fork of forks.slice(0, 50)) {
      for (const table of tables) {
        const key = fork.keys(table)[0];
        if (key !== undefined) assert.equal(fork.get(table, key), snapshot.state.get(table, key));
      }
    }
    const baseRecords = tables.reduce((n, t) => n + snapshot.state.keys(t).length, 0);
    assert.ok(baseRecords > 100);
    assert.ok(elapsed < 1000, `10,000 forks took ${elapsed.toFixed(1)} ms`);
    process.stderr.write(`# 10,000 forks of a ${baseRecords}-record state in ${elapsed.toFixed(1)} ms\n`);
  });
});

/**
 * A dual-control episode of τ²'s mock domain: the user checks its inbox with its own tool, asks
 * the agent (the oracle) to complete task_1, then dismisses the notification on its side.
 */
async function dualControlEpisode() {
  const mock = createTau2MockDomain();
  const [mockTask] = mock.tasks({ ids: ['update_task_with_user_tools'] });
  const turns: UserTurn[] = [
    { content: '', toolCalls: [{ name: 'check_notifications', arguments: {} }] },
    { content: 'I finished task_1, please mark it completed.' },
    { content: '', toolCalls: [{ name: 'dismiss_notification', arguments: { notification_id: 'notif_1' } }] },
    { content: 'Thanks! ###STOP###' },
  ];
  const user: UserSimulator = { name: 'inbox-user', start: () => ({ next: async () => turns.shift() ?? { content: '###STOP###' } }) };
  const result = await runEpisode({
    domain: mock,
    task: mockTask,
    agent: createOracleAgent(),
    user,
    episodeId: 'ep-dual',
    trial: 0,
    seed: 1,
  });
  return { mock, mockTask, ...result };
}

/** The tiny key-value store with a phone on the user's side, and a sync that mirrors the phone's signal on the agent's side. */
function syncedDualDomain(): Domain {
  const tiny = createTinyDomain();
  const tables = freezeTables({ ...tiny.base().tables, phone: { me: { airplane: true } } });
  return {
    ...tiny,
    tables: { ...tiny.tables, phone: z.object({ airplane: z.boolean() }) },
    user: {
      tables: ['phone'],
      tools: [
        {
          name: 'toggle_airplane_mode',
          description: 'Toggles airplane mode.',
          kind: 'write',
          input: z.object({}),
          execute(state) {
            const phone = state.mutable('phone', 'me')!;
            phone.airplane = !phone.airplane;
            return `airplane ${phone.airplane ? 'on' : 'off'}`;
          },
        },
      ],
    },
    sync(state) {
      const signal = state.get('phone', 'me')!.airplane ? 'none' : 'full';
      if (state.get('kv', 'signal')?.value !== signal) state.put('kv', 'signal', { value: signal });
    },
    base: () => ({ tables, hash: hashTables(tables) }),
  };
}

describe('branching in dual-control episodes', () => {
  it("replays the user's own tool calls on the user's tools, matching every recorded hash", async () => {
    const { mock, mockTask, trajectory, finalState } = await dualControlEpisode();
    const steps = trajectorySteps(trajectory);
    assert.deepEqual(
      steps.map((s) => `${s.actor ?? 'agent'}:${s.name}`),
      ['user:check_notifications', 'agent:update_task_status', 'user:dismiss_notification'],
    );
    assert.equal(finalState.get('notifications', 'notif_1')?.status, 'read', 'the live episode dismissed the notification');
    const end = replayToStep(mock, mockTask, trajectory, steps.length);
    assert.equal(end.state.hash(), trajectory.finalStateHash);
    assert.equal(end.state.get('notifications', 'notif_1')?.status, 'read');
    // The snapshot before the user's dismissal holds the agent's write but not the user's.
    const before = replayToStep(mock, mockTask, trajectory, 2);
    assert.equal(before.state.get('tasks', 'task_1')?.status, 'completed');
    assert.equal(before.state.get('notifications', 'notif_1')?.status, 'unread');
    // Branching the user's action runs it on the user's tools; as the agent's, it is an unknown tool.
    const asUser = branchAction(mock, before, steps[2]);
    assert.equal(asUser.execution.isError, false);
    assert.equal(asUser.state.hash(), trajectory.finalStateHash);
    const asAgent = branchAction(mock, before, { name: steps[2].name, arguments: steps[2].arguments });
    assert.match(asAgent.execution.content, /unknown tool "dismiss_notification"/);
    assert.equal(asAgent.state.hash(), before.state.hash());
  });

  it("applies the domain's sync after each replayed call of either side, as the live episode did", async () => {
    const synced = syncedDualDomain();
    const [syncedTask] = synced.tasks({});
    const turns: UserTurn[] = [
      { content: '', toolCalls: [{ name: 'toggle_airplane_mode', arguments: {} }] },
      { content: 'done ###STOP###' },
    ];
    const user: UserSimulator = { name: 'phone-user', start: () => ({ next: async () => turns.shift() ?? { content: '###STOP###' } }) };
    const { trajectory, finalState } = await runEpisode({
      domain: synced,
      task: syncedTask,
      agent: createNoopAgent(),
      user,
      episodeId: 'ep-sync',
      trial: 0,
      seed: 1,
    });
    assert.equal(finalState.get('kv', 'signal')?.value, 'full', 'the live episode synced the agent side');
    const end = replayToStep(synced, syncedTask, trajectory, trajectorySteps(trajectory).length);
    assert.equal(end.state.get('kv', 'signal')?.value, 'full');
    assert.equal(end.state.hash(), trajectory.finalStateHash);
    const back = branchAction(synced, end, { actor: 'user', name: 'toggle_airplane_mode', arguments: {} });
    assert.equal(back.state.get('kv', 'signal')?.value, 'none', 'a branch syncs too');
  });
});
