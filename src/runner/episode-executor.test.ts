// The runner's episode-executor contract (`ExecuteRunOptions.runEpisodes`), with an executor that
// runs episodes through the runner's own `runGradedEpisode` (what the CLI's threads run), over an
// in-memory SQLite store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import type { RunConfig } from '../schema/run-config.ts';
import type { Task } from '../schema/task.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { buildAgent, buildUser } from './build.ts';
import { createRun, executeRun, runGradedEpisode, type EpisodeExecutor, type ExecutedEpisode } from './local-runner.ts';
import type { EpisodeSpec } from './plan.ts';

const CONFIG = { domain: 'helpdesk', tasks: { count: 4 }, agents: ['oracle', 'noop'], trials: 2, concurrency: 4 };

/** Runs episodes here as the runner does; `fail` makes the given call (1-based) reject instead. */
function executorOf(config: RunConfig, options: { fail?: number } = {}) {
  const domain = createDomain('helpdesk');
  const user = buildUser('scripted');
  const started: string[] = [];
  let closed = false;
  const executor: EpisodeExecutor & { started: string[]; closed: () => boolean } = {
    started,
    closed: () => closed,
    async run(spec: EpisodeSpec, task: Task): Promise<ExecutedEpisode> {
      started.push(spec.episodeId);
      if (started.length === options.fail) throw new Error('the thread died');
      const graded = await runGradedEpisode(spec, task, domain, buildAgent(spec.agent, domain), user, config, () => new Date());
      return { record: graded.record };
    },
    async close() {
      closed = true;
    },
  };
  return executor;
}

describe('an episode executor runs the episodes; the runner stores them', () => {
  it('stores what the executor returns, reports its audit errors, never calls auditEpisode; the caller closes it', async () => {
    const store = SqliteStore.open(':memory:');
    const { runId, config } = await createRun(store, CONFIG);
    const executor = executorOf(config);
    const auditErrors: string[] = [];
    const result = await executeRun(runId, {
      store,
      runEpisodes: {
        run: async (spec, task) => {
          const executed = await executor.run(spec, task);
          return spec.agent === 'noop' && spec.trial === 0 ? { ...executed, auditError: new Error('audit broke') } : executed;
        },
        close: executor.close,
      },
      onAuditError: (episodeId) => auditErrors.push(episodeId),
      auditEpisode: () => {
        throw new Error('not called with an executor');
      },
    });
    assert.equal(result.status, 'finished');
    assert.equal(result.ran, 16);
    assert.equal(executor.started.length, 16);
    assert.equal(auditErrors.length, 4);
    assert.equal(executor.closed(), false);
    assert.equal((await store.listEpisodes(runId)).length, 16);
    await store.close();
  });

  it('a rejection stops the run: nothing new starts, the rest in flight are stored, the run is interrupted, the error thrown', async () => {
    const store = SqliteStore.open(':memory:');
    const { runId, config } = await createRun(store, CONFIG);
    const executor = executorOf(config, { fail: 3 });
    await assert.rejects(executeRun(runId, { store, runEpisodes: executor }), /the thread died/);
    // Four lanes: the third call failed while three others were started at most; none after it.
    assert.ok(executor.started.length <= 4, `${executor.started.length} started`);
    const stored = await store.listEpisodes(runId);
    assert.equal(stored.length, executor.started.length - 1);
    assert.equal((await store.getRun(runId))?.status, 'interrupted');
    // Resumed without the failure, exactly the missing episodes run.
    const resumed = await executeRun(runId, { store, runEpisodes: executorOf(config) });
    assert.equal(resumed.status, 'finished');
    assert.equal(resumed.skipped, stored.length);
    assert.equal(resumed.ran, 16 - stored.length);
    await store.close();
  });

  it('with play: a result that fails after its lane went on stops the run; every result still in flight is stored first', async () => {
    const store = SqliteStore.open(':memory:');
    const { runId, config } = await createRun(store, CONFIG);
    const inner = executorOf(config);
    let calls = 0;
    let delivered = 0;
    // Played here at once; its result comes 5 ms later (as a thread's graded, audited result does).
    const executor: EpisodeExecutor = {
      run: (spec, task) => inner.run(spec, task),
      async play(spec, task) {
        const call = ++calls;
        const result = await inner.run(spec, task);
        const executed = new Promise<ExecutedEpisode>((resolve, reject) =>
          setTimeout(() => (call === 3 ? reject(new Error('the thread died')) : (delivered++, resolve(result))), 5),
        );
        return { executed };
      },
      close: inner.close,
    };
    await assert.rejects(executeRun(runId, { store, runEpisodes: executor }), /the thread died/);
    const deliveredWhenStopped = delivered;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(delivered, deliveredWhenStopped, 'no result was still in flight when the run stopped');
    assert.equal((await store.listEpisodes(runId)).length, delivered);
    assert.equal((await store.getRun(runId))?.status, 'interrupted');
    const resumed = await executeRun(runId, { store, runEpisodes: executorOf(config) });
    assert.equal(resumed.ran, 16 - delivered);
    assert.equal(resumed.status, 'finished');
    await store.close();
  });

  it("takes the run's tasks from its caller when given (not read again) and stores the same episodes", async () => {
    const episodesOf = async (given: boolean) => {
      const real = SqliteStore.open(':memory:');
      const { runId } = await createRun(real, CONFIG, { now: () => new Date('2026-01-01T00:00:00Z') });
      const tasks = await real.runTasks(runId);
      let reads = 0;
      // The real store, counting its runTasks reads.
      const store = new Proxy(real, {
        get: (target, key) => (key === 'runTasks' ? (id: string) => (reads++, target.runTasks(id)) : Reflect.get(target, key, target)),
      });
      const result = await executeRun(runId, { store, ...(given ? { tasks } : {}), now: () => new Date('2026-01-01T00:00:00Z') });
      const episodes = (await real.listEpisodes(runId)).map((e) => [e.agent, e.taskId, e.trial, e.seed, e.reward, e.termination]);
      await real.close();
      return { ran: result.ran, reads, episodes: JSON.stringify(episodes.sort()) };
    };
    const read = await episodesOf(false);
    const given = await episodesOf(true);
    assert.equal(read.reads, 1);
    assert.equal(given.reads, 0);
    assert.equal(given.ran, 16);
    assert.equal(given.episodes, read.episodes);
  });
});
