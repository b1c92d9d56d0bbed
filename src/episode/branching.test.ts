import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNoopAgent, createOracleAgent } from '../agents/oracle.ts';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { createScriptedUser } from '../users/scripted.ts';
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
