// How the runner's lanes wait for stored episodes: a lane starts its next episode while the last
// one's group commit is still under way (a model-bound episode's first call overlaps the fsync),
// holds at most one unsettled save, counts progress only for stored episodes, and stops at once
// when a save fails. Episodes run through an executor (`ExecuteRunOptions.runEpisodes`) that
// plays them with the runner's own `runGradedEpisode`, so the test decides when each one ends;
// saves go to a real SQLite store, held or failed on the way in. On the runner's own thread, where
// a lane hands an episode's grade, audit and save on together, the same holds for failures and stops.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDomain } from '../domains/registry.ts';
import type { RunConfig } from '../schema/run-config.ts';
import type { Task } from '../schema/task.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { EpisodeRecord, Store } from '../store/store.ts';
import { buildAgent, buildUser } from './build.ts';
import { createRun, executeRun, runGradedEpisode, type EpisodeExecutor, type ExecutedEpisode, type RunProgress } from './local-runner.ts';
import type { EpisodeSpec } from './plan.ts';

/** A promise with its resolve and reject at hand. */
interface Gate {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Gate {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Waits until `ready()` holds (polling), failing after two seconds with `what`. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!ready()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/**
 * A real SQLite store whose saves wait for the test: each `saveEpisode` is recorded and reaches the
 * store only once its gate opens (`gates[i].resolve()`), or fails with the gate's error.
 */
function gatedStore(store: SqliteStore): { store: Store; saves: string[]; gates: Gate[] } {
  const saves: string[] = [];
  const gates: Gate[] = [];
  const gated = new Proxy(store, {
    get(target, key) {
      if (key === 'saveEpisode')
        return (episode: EpisodeRecord) => {
          saves.push(episode.id);
          const gate = deferred();
          gates.push(gate);
          return gate.promise.then(() => target.saveEpisode(episode));
        };
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: gated, saves, gates };
}

/** A helpdesk run of `tasks` tasks for the oracle at `concurrency`, in a real SQLite store whose saves wait for the test. */
async function gatedRun(tasks: number, concurrency: number) {
  const sqlite = SqliteStore.open(':memory:');
  const { runId, config } = await createRun(sqlite, {
    domain: 'helpdesk',
    tasks: { count: tasks },
    agents: ['oracle'],
    trials: 1,
    concurrency,
  });
  return { sqlite, runId, config, ...gatedStore(sqlite) };
}

/** Plays each episode with built-in participants; `hold(n)` gives the gate the n-th episode (1-based) waits on first. */
function executorOf(config: RunConfig, hold: (n: number) => Promise<void> | undefined = () => undefined) {
  const domain = createDomain('helpdesk');
  const user = buildUser('scripted');
  const started: string[] = [];
  const executor: EpisodeExecutor & { started: string[] } = {
    started,
    async run(spec: EpisodeSpec, task: Task): Promise<ExecutedEpisode> {
      started.push(spec.episodeId);
      await hold(started.length);
      const graded = await runGradedEpisode(spec, task, domain, buildAgent(spec.agent, domain), user, config, () => new Date());
      return { record: graded.record };
    },
    async close() {},
  };
  return executor;
}

describe('the runner stores episodes without holding up the next one', () => {
  it('a lane runs its next episode while the last save commits, holds at most one unsettled save, counts stored ones only', async () => {
    const { sqlite, store, saves, gates, runId, config } = await gatedRun(3, 1);
    const executor = executorOf(config);
    const progress: RunProgress[] = [];
    const run = executeRun(runId, { store, runEpisodes: executor, onProgress: (p) => progress.push(p) });

    // The first save is held: the lane has played the second episode meanwhile and handed its save.
    await until(() => saves.length === 2, 'the second episode to be saved while the first save is held');
    // Not a third one: the first save is still unsettled.
    await sleep(20);
    assert.equal(executor.started.length, 2);
    assert.deepEqual(
      progress.map((p) => p.done),
      [0],
    );

    gates[0].resolve();
    await until(() => saves.length === 3, 'the third episode once the first save settled');
    assert.deepEqual(
      progress.map((p) => p.done),
      [0, 1],
    );
    gates[1].resolve();
    gates[2].resolve();
    const result = await run;
    assert.equal(result.status, 'finished');
    assert.equal(result.ran, 3);
    assert.deepEqual(
      progress.map((p) => p.done),
      [0, 1, 2, 3],
    );
    assert.equal((await sqlite.listEpisodes(runId)).length, 3);
    await sqlite.close();
  });

  it('a save that fails rejects the run at once, with other episodes still in flight, and starts nothing more', async () => {
    const { sqlite, store, saves, gates, runId, config } = await gatedRun(6, 2);
    // Every episode waits for the test before it is played.
    const playing = new Map<number, Gate>();
    const executor = executorOf(config, (n) => {
      const gate = deferred();
      playing.set(n, gate);
      return gate.promise;
    });
    const run = executeRun(runId, { store, runEpisodes: executor });

    await until(() => executor.started.length === 2, 'both lanes to start an episode');
    playing.get(1)!.resolve();
    await until(() => saves.length === 1, 'the first episode to be saved');
    // Its lane may have started another episode meanwhile; nothing may start after the failure.
    await sleep(20);
    const started = executor.started.length;
    gates[0].reject(new Error('disk full'));
    await Promise.race([
      assert.rejects(run, /disk full/),
      sleep(1_000).then(() => assert.fail('the run did not reject while episodes were in flight')),
    ]);

    for (const [n, gate] of playing) if (n > 1) gate.resolve();
    await until(() => saves.length === started, 'the episodes in flight to finish');
    await sleep(20);
    assert.equal(executor.started.length, started);
    for (const gate of gates.slice(1)) gate.resolve();
    await sqlite.close();
  });

  it('episodes that never wait on I/O still let the event loop turn between two episodes of a lane', async () => {
    const store = SqliteStore.open(':memory:');
    const { runId, config } = await createRun(store, {
      domain: 'helpdesk',
      tasks: { count: 4 },
      agents: ['oracle'],
      trials: 1,
      concurrency: 1,
    });
    const domain = createDomain('helpdesk');
    const user = buildUser('scripted');
    // Turns of the event loop, counted by a check-phase callback that renews itself.
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const turnAtStart: number[] = [];
    const result = await executeRun(runId, {
      store,
      runEpisodes: {
        async run(spec, task) {
          turnAtStart.push(turns);
          const graded = await runGradedEpisode(spec, task, domain, buildAgent(spec.agent, domain), user, config, () => new Date());
          return { record: graded.record };
        },
        async close() {},
      },
    });
    counting = false;
    assert.equal(result.ran, 4);
    for (let i = 1; i < turnAtStart.length; i++)
      assert.ok(turnAtStart[i] > turnAtStart[i - 1], `episodes ${i} and ${i + 1} started in the same turn: ${turnAtStart.join(', ')}`);
    await store.close();
  });
});

describe("on the runner's own thread, where a lane goes on once an episode is played", () => {
  it('a save that fails rejects the run at once and starts nothing more', async () => {
    const { sqlite, store, saves, gates, runId } = await gatedRun(8, 2);
    const run = executeRun(runId, { store });
    // Each lane played two episodes and waits for the save of its first.
    await until(() => saves.length === 4, 'both lanes to hand on two saves');
    await sleep(20);
    assert.equal(saves.length, 4);
    gates[0].reject(new Error('disk full'));
    await Promise.race([
      assert.rejects(run, /disk full/),
      sleep(1_000).then(() => assert.fail('the run did not reject while saves were in flight')),
    ]);
    for (const gate of gates.slice(1)) gate.resolve();
    await sleep(50);
    assert.equal(saves.length, 4, 'no episode was played after the failure');
    assert.equal((await sqlite.listEpisodes(runId)).length, 3);
    await sqlite.close();
  });

  it('a stop leaves the run interrupted with every played episode stored', async () => {
    const { sqlite, store, saves, gates, runId } = await gatedRun(8, 2);
    const stop = new AbortController();
    const progress: RunProgress[] = [];
    const run = executeRun(runId, { store, signal: stop.signal, onProgress: (p) => progress.push(p) });
    await until(() => saves.length === 4, 'both lanes to hand on two saves');
    stop.abort();
    let ended = false;
    void run.finally(() => {
      ended = true;
    });
    // The lanes' first saves settle; their last ones are still in flight.
    gates[0].resolve();
    gates[1].resolve();
    await sleep(20);
    assert.equal(ended, false, 'the run waits for the saves in flight');
    gates[2].resolve();
    gates[3].resolve();
    const result = await run;
    assert.equal(result.status, 'interrupted');
    assert.equal(result.ran, 4);
    assert.equal(saves.length, 4);
    assert.equal(progress.at(-1)?.done, 4);
    assert.equal((await sqlite.listEpisodes(runId)).length, 4);
    await sqlite.close();
  });
});
