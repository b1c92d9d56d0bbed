// When the runner grades and audits: not inside the microtask that ended the episode but at the
// event loop's next check phase, the episodes that ended since graded (then audited) back to back
// (it costs a third of the CPU at high concurrency: docs/scale.md), each audit stored with its episode;
// and not on the lane's way: the lane plays its next episode meanwhile.
import assert from 'node:assert/strict';
import { executionAsyncResource } from 'node:async_hooks';
import { test } from 'node:test';
import { createEpisodeAuditor, type EpisodeAuditor } from '../audit-runner/episode-auditor.ts';
import { createDomainRegistry } from '../domains/registry.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import type { Domain } from '../domains/domain.ts';
import { createRun, executeRun } from './local-runner.ts';

/** The tiny domain with its color task graded by a `colorIs` query that calls `onGrade` where it runs. */
function tinyDomainGradedBy(onGrade: () => void, onTool: () => void = () => undefined): Domain {
  const tiny = createTinyDomain();
  return {
    ...tiny,
    tools: tiny.tools.map((tool) => ({
      ...tool,
      execute: (state, input) => {
        onTool();
        return tool.execute(state, input);
      },
    })),
    queries: {
      colorIs: (state, args) => {
        onGrade();
        return state.get('kv', 'color')?.value === args.value;
      },
    },
    tasks: (selection) =>
      tiny.tasks(selection).map((task) =>
        task.id !== 'tiny-set-color' || task.expected.kind !== 'declared'
          ? task
          : {
              ...task,
              expected: {
                ...task.expected,
                alternatives: [
                  {
                    ...task.expected.alternatives[0]!,
                    required: [{ kind: 'query', query: 'colorIs', args: { value: 'blue' }, equals: true }],
                  },
                ],
              },
            },
      ),
  };
}

test('episodes are audited at the next check phase, those graded in one turn back to back, each stored with its audit', async () => {
  const store = SqliteStore.open(':memory:');
  const { runId, tasks } = await createRun(store, {
    domain: 'helpdesk',
    tasks: { count: 6 },
    agents: ['oracle', 'naive'],
    trials: 2,
    concurrency: 8,
  });
  const batches = new Map<object, string[]>();
  const failed: string[] = [];
  let auditor: EpisodeAuditor | undefined;
  const result = await executeRun(runId, {
    store,
    auditEpisode: (graded, task, domain) => {
      const resource = executionAsyncResource();
      batches.set(resource, [...(batches.get(resource) ?? []), graded.record.id]);
      if (graded.record.trial === 1 && graded.record.agent === 'naive') throw new Error('this audit fails');
      return (auditor ??= createEpisodeAuditor({ domain, tasks })).audit(graded, task);
    },
    onAuditError: (episodeId) => failed.push(episodeId),
  });
  assert.equal(result.ran, 24);
  const calls = [...batches.values()].flat();
  assert.equal(calls.length, 24);
  assert.ok(
    [...batches.keys()].every((resource) => resource.constructor.name === 'Immediate'),
    'every audit ran in a setImmediate callback',
  );
  assert.ok(
    [...batches.values()].some((ids) => ids.length > 1),
    `some episodes graded in one turn are audited in one check phase (batches of ${[...batches.values()].map((ids) => ids.length)})`,
  );
  // An audit that throws loses only itself: its episode is stored without one, the others with theirs.
  assert.equal(failed.length, 6);
  const stored = await store.listEpisodes(runId);
  assert.equal(stored.length, 24);
  for (const row of stored)
    assert.equal((await store.getEpisodeAudit(row.id)) !== undefined, !failed.includes(row.id), `audit of ${row.id} (${row.agent})`);
  await store.close();
});

test('episodes are graded at the next check phase, those that ended in one turn back to back', async () => {
  const graded: object[] = [];
  const domain = tinyDomainGradedBy(() => graded.push(executionAsyncResource()));
  const domains = createDomainRegistry([]).register('tiny', () => domain);
  const store = SqliteStore.open(':memory:');
  const { runId } = await createRun(store, { domain: 'tiny', agents: ['oracle', 'noop'], trials: 4, concurrency: 8 }, { domains });
  await executeRun(runId, { store, domains });
  const rows = await store.listEpisodes(runId, { result: 'pass' });
  assert.deepEqual(
    rows.filter((row) => row.taskId === 'tiny-set-color').map((row) => row.agent),
    ['oracle', 'oracle', 'oracle', 'oracle'],
  );
  assert.equal(graded.length, 8, 'the query graded the 8 episodes of the color task');
  assert.ok(
    graded.every((resource) => resource.constructor.name === 'Immediate'),
    'every grade ran in a setImmediate callback',
  );
  assert.ok(new Set(graded).size < graded.length, 'some episodes that ended in one turn are graded in one check phase');
  await store.close();
});

test('a lane plays its next episode while the last one is graded, audited and stored, with at most one save unsettled', async () => {
  // One lane, so the order is the lane's: each episode's tool call ("play"), its grade, its audit,
  // its save ("stored").
  const events: string[] = [];
  let auditing = false;
  const domain = tinyDomainGradedBy(
    () => events.push('grade'),
    // The auditor replays the task's expected call once (its lint): not an episode's.
    () => auditing || events.push('play'),
  );
  const domains = createDomainRegistry([]).register('tiny', () => domain);
  const store = SqliteStore.open(':memory:');
  const { runId, tasks } = await createRun(
    store,
    { domain: 'tiny', tasks: { ids: ['tiny-set-color'] }, agents: ['oracle'], trials: 6, concurrency: 1 },
    { domains },
  );
  let auditor: EpisodeAuditor | undefined;
  const result = await executeRun(runId, {
    store,
    domains,
    auditEpisode: (graded, task, runDomain) => {
      events.push('audit');
      auditing = true;
      try {
        return (auditor ??= createEpisodeAuditor({ domain: runDomain, tasks })).audit(graded, task);
      } finally {
        auditing = false;
      }
    },
    onProgress: ({ last }) => {
      if (last) events.push('stored');
    },
  });
  assert.equal(result.ran, 6);
  assert.deepEqual(
    ['play', 'grade', 'audit', 'stored'].map((kind) => events.filter((event) => event === kind).length),
    [6, 6, 6, 6],
  );
  assert.ok(
    events.indexOf('play', events.indexOf('play') + 1) < events.indexOf('grade'),
    `the second episode is played before the first is graded (${events.join(' ')})`,
  );
  // When an episode starts, every episode before the one just played is stored (one save in flight).
  events.forEach((event, at) => {
    if (event !== 'play') return;
    const before = events.slice(0, at);
    const played = before.filter((e) => e === 'play').length;
    const stored = before.filter((e) => e === 'stored').length;
    assert.ok(stored >= played - 1, `episode ${played + 1} started with ${played - stored} earlier ones not stored (${events.join(' ')})`);
  });
  await store.close();
});
