import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Domain } from '../domains/domain.ts';
import { builtInDomains, createDomainRegistry, type DomainRegistry } from '../domains/registry.ts';
import { createRun, executeRun } from '../runner/local-runner.ts';
import { episodeAuditSchema, type EpisodeAudit, type RunAudit } from '../schema/audit.ts';
import type { RunConfigInput } from '../schema/run-config.ts';
import type { Task } from '../schema/task.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { auditEpisode } from '../audits/audit-run.ts';
import { stateTokenIndex } from '../audits/simulator-fidelity.ts';
import { finalStateFrom, initialStateFor } from '../domains/initial-state.ts';
import { auditStoredRun } from './audit-stored-run.ts';
import { createEpisodeAuditor, type EpisodeAuditor } from './episode-auditor.ts';
import { MAX_AUDITS_IN_MEMORY, summariseStoredRun } from './summarise-stored-run.ts';

const fixedNow = () => new Date('2026-01-02T03:04:05Z');

/** What an audit is once stored and read back (JSON drops undefined; the schema reads it). */
const asStored = (audit: EpisodeAudit): EpisodeAudit => episodeAuditSchema.parse(JSON.parse(JSON.stringify(audit)));

/** A run audited episode by episode as the CLI does: the auditor in the runner, then the end-of-run summary. */
async function runAudited(
  store: Store,
  config: RunConfigInput,
  domains: DomainRegistry,
  options: { stopAfter?: number; keep?: number } = {},
): Promise<{ runId: string; made: Map<string, EpisodeAudit>; auditor: () => EpisodeAuditor | undefined }> {
  const { runId } = await createRun(store, config, { domains });
  const tasks = await store.runTasks(runId);
  let auditor: EpisodeAuditor | undefined;
  const made = new Map<string, EpisodeAudit>();
  const stop = new AbortController();
  await executeRun(runId, {
    store,
    domains,
    signal: stop.signal,
    auditEpisode: (graded, task, domain) => {
      const audit = (auditor ??= createEpisodeAuditor({ domain, tasks, keep: options.keep ?? MAX_AUDITS_IN_MEMORY })).audit(graded, task);
      made.set(graded.record.id, audit);
      if (options.stopAfter !== undefined && made.size >= options.stopAfter) stop.abort();
      return audit;
    },
  });
  return { runId, made, auditor: () => auditor };
}

async function storedAudits(store: Store, runId: string): Promise<Map<string, EpisodeAudit>> {
  const audits = new Map<string, EpisodeAudit>();
  for await (const audit of store.iterateEpisodeAudits(runId)) audits.set(audit.episodeId, audit);
  return audits;
}

/**
 * Runs `config` with per-episode audits and checks that the run audit and every stored episode
 * audit equal what the offline audit (`auditStoredRun`, in memory, nothing written) makes of the
 * same stored run; then that an explicit re-audit (`auditStoredRun`, stored) changes nothing.
 * Returns the offline run audit and how many per-episode audits the end of the run replaced.
 */
async function checkEqualToOffline(
  config: RunConfigInput,
  domains: DomainRegistry = builtInDomains,
): Promise<{ audit: RunAudit; redone: number }> {
  const store = SqliteStore.open(':memory:');
  try {
    const { runId, made, auditor } = await runAudited(store, config, domains);
    const online = await summariseStoredRun(store, runId, { auditor: auditor(), now: fixedNow });
    const stored = await storedAudits(store, runId);

    const offline = new Map<string, EpisodeAudit>();
    const reference = await auditStoredRun(store, runId, {
      save: false,
      domains,
      now: fixedNow,
      onEpisodeAudit: (id, audit) => offline.set(id, audit),
    });
    assert.deepEqual(online, reference, 'run audit');
    // As a queue worker ends a distributed run: no auditor, audits read back from the store.
    assert.deepEqual(await summariseStoredRun(store, runId, { domains, now: fixedNow }), reference, 'run audit without the auditor');
    assert.deepEqual(await store.getRunAudit(runId), reference, 'stored run audit');
    const episodes = await store.listEpisodes(runId);
    assert.equal(stored.size, episodes.length, 'every stored episode has its audit');
    assert.equal(offline.size, episodes.length);
    for (const { id } of episodes) assert.deepEqual(stored.get(id), asStored(offline.get(id)!), `episode audit ${id}`);
    const redone = [...made].filter(([id, audit]) => JSON.stringify(audit) !== JSON.stringify(offline.get(id))).length;

    // The explicit re-audit (stored, in batches) gives the same again.
    const again = await auditStoredRun(store, runId, { domains, now: fixedNow });
    assert.deepEqual(again, reference, 'groundwork audit after the run');
    assert.deepEqual(await storedAudits(store, runId), stored);
    return { audit: reference, redone };
  } finally {
    await store.close();
  }
}

/**
 * The tiny domain with a task the oracle fails (its expected value is not what the oracle sets)
 * and one noop passes though it requires a change (the expected value is already there).
 */
function brokenTinyDomains(): DomainRegistry {
  const tiny = createTinyDomain();
  const [setColor] = tiny.tasks({ ids: ['tiny-set-color'] });
  const wrongExpectation = (task: Task, equals: string, id: string): Task => {
    if (task.expected.kind !== 'declared') throw new Error('declared expected outcome');
    const [alternative] = task.expected.alternatives;
    return {
      ...task,
      id,
      expected: {
        ...task.expected,
        alternatives: [{ ...alternative, required: [{ kind: 'field', table: 'kv', key: 'color', path: 'value', equals }] }],
      },
    };
  };
  const tasks = [wrongExpectation(setColor, 'green', 'oracle-fails'), wrongExpectation(setColor, 'red', 'noop-passes'), setColor];
  const domain: Domain = { ...tiny, tasks: (selection) => (selection.ids ? tasks.filter((t) => selection.ids!.includes(t.id)) : tasks) };
  return createDomainRegistry([]).register('tiny', () => domain);
}

describe('per-episode audits equal the offline audit of the stored run', () => {
  it('helpdesk with oracle, naive and noop', async () => {
    const { audit } = await checkEqualToOffline({
      domain: 'helpdesk',
      tasks: { count: 12 },
      agents: ['oracle', 'naive', 'noop'],
      trials: 2,
      concurrency: 4,
    });
    assert.equal(audit.episodes, 72);
    assert.ok(audit.agents.naive.claims.confidentFailures > 0);
  });

  it('tau-bench/retail', async () => {
    const { audit } = await checkEqualToOffline({
      domain: 'tau-bench/retail',
      tasks: { count: 8 },
      agents: ['oracle', 'naive', 'noop'],
      trials: 1,
    });
    assert.equal(audit.episodes, 24);
  });

  it('a persuasion probe run', async () => {
    const { audit } = await checkEqualToOffline({
      domain: 'helpdesk',
      probes: { pack: 'persuasion' },
      tasks: { count: 2 },
      agents: ['always-comply', 'policy-following'],
      trials: 1,
    });
    assert.ok(audit.agents['always-comply'].probe, 'probe summary present');
  });

  it('a run where the oracle fails a task and noop passes one: earlier audits of those tasks are made again', async () => {
    // naive's episodes of each trial are graded before the oracle's and noop's, so they were audited before the problem was seen.
    const { audit, redone } = await checkEqualToOffline(
      { domain: 'tiny', agents: ['naive', 'oracle', 'noop'], trials: 2, concurrency: 1 },
      brokenTinyDomains(),
    );
    const problems = new Set(audit.taskProblems.map((p) => `${p.taskId} ${p.kind}`));
    assert.ok(problems.has('noop-passes noop_succeeds') && problems.has('oracle-fails oracle_fails'), [...problems].join(', '));
    assert.ok(redone > 0, 'some per-episode audits were stale and made again');
    const naiveCauses = audit.agents.naive.faultCauses;
    assert.ok(naiveCauses.task > 0, JSON.stringify(naiveCauses));
  });

  it('a resumed run: the episodes stored before are audited at the end, the run audit covers the whole run', async () => {
    const domains = brokenTinyDomains();
    const store = SqliteStore.open(':memory:');
    try {
      const config = { domain: 'tiny', agents: ['naive', 'oracle', 'noop'], trials: 2, concurrency: 1 };
      // First process: one episode audited (naive on the task the oracle fails, before the oracle ran), one stored
      // without an audit (an audit that failed, or a run from before per-episode audits); then interrupted.
      const { runId } = await createRun(store, config, { domains });
      const tasks = await store.runTasks(runId);
      const stop = new AbortController();
      let first: EpisodeAuditor | undefined;
      let audited = 0;
      await executeRun(runId, {
        store,
        domains,
        signal: stop.signal,
        auditEpisode: (graded, task, domain) =>
          audited++ === 0 ? (first ??= createEpisodeAuditor({ domain, tasks })).audit(graded, task) : undefined,
        onProgress: (p) => p.done >= 2 && stop.abort(),
      });
      // Stopped once two were stored: the episode in flight then is stored too (at most one with one lane).
      const partial = (await store.listEpisodes(runId)).length;
      assert.ok(partial === 2 || partial === 3, `${partial} episodes stored before the resume`);
      assert.equal((await store.auditTotals(runId)).audited, 1);
      // Resume with per-episode audits, as `run --resume` does.
      const earlier = await store.listEpisodes(runId);
      let auditor: EpisodeAuditor | undefined;
      await executeRun(runId, {
        store,
        domains,
        auditEpisode: (graded, task, domain) => (auditor ??= createEpisodeAuditor({ domain, tasks, stored: earlier })).audit(graded, task),
      });
      assert.equal((await store.auditTotals(runId)).audited, 18 - partial + 1);
      const online = await summariseStoredRun(store, runId, { auditor, now: fixedNow });
      const reference = await auditStoredRun(store, runId, { save: false, domains, now: fixedNow });
      assert.deepEqual(online, reference);
      assert.equal(online.episodes, 18);
    } finally {
      await store.close();
    }
  });

  it('summarising one agent at a time gives the same run audit', async () => {
    const store = SqliteStore.open(':memory:');
    try {
      const { runId, auditor } = await runAudited(
        store,
        { domain: 'helpdesk', tasks: { count: 4 }, agents: ['oracle', 'naive', 'noop'], trials: 1 },
        builtInDomains,
        { keep: 0 },
      );
      const whole = await summariseStoredRun(store, runId, { auditor: auditor(), now: fixedNow });
      const byAgent = await summariseStoredRun(store, runId, { auditor: auditor(), now: fixedNow, maxAuditsInMemory: 1 });
      assert.deepEqual(byAgent, whole);
    } finally {
      await store.close();
    }
  });
});

/**
 * The auditor shares work across the episodes of a task (`TaskAuditWork`: goal items, scenario,
 * completion by final changes, initial-state predicates, readings of repeated texts) and builds each
 * task's token index from the domain's base: its audits must be exactly those `auditEpisode` makes
 * from scratch, with the whole initial state indexed (the offline path before issue 16's second pass).
 */
describe("the auditor's shared work changes no audit", () => {
  const cases: [string, RunConfigInput][] = [
    [
      'helpdesk, oracle, naive and noop',
      { domain: 'helpdesk', tasks: { count: 30 }, agents: ['oracle', 'naive', 'noop'], trials: 2, concurrency: 4 },
    ],
    ['tau-bench/airline', { domain: 'tau-bench/airline', tasks: { count: 12 }, agents: ['oracle', 'naive', 'noop'], trials: 1 }],
    ['tau2-bench/telecom', { domain: 'tau2-bench/telecom', tasks: { count: 8 }, agents: ['oracle', 'naive', 'noop'], trials: 1 }],
    [
      'a persuasion probe run',
      { domain: 'helpdesk', probes: { pack: 'persuasion' }, tasks: { count: 2 }, agents: ['always-comply', 'policy-following'], trials: 1 },
    ],
  ];
  for (const [name, config] of cases) {
    it(name, async () => {
      const store = SqliteStore.open(':memory:');
      try {
        const { runId } = await createRun(store, config);
        const tasks = await store.runTasks(runId);
        let auditor: EpisodeAuditor | undefined;
        let compared = 0;
        const outcomes = new Set<string>();
        await executeRun(runId, {
          store,
          auditEpisode: (graded, task, domain) => {
            auditor ??= createEpisodeAuditor({ domain, tasks });
            const problems = auditor.staticProblems(task);
            const made = auditor.auditWith(graded, task, problems);
            // From scratch: a fresh initial state and final state, the whole state indexed, no shared work.
            const initialState = initialStateFor(domain, task);
            const entries = initialState
              .tables()
              .flatMap((table) => initialState.keys(table).map((key) => ({ key, record: initialState.get(table, key) })));
            const expected = auditEpisode({
              episode: graded.record,
              task,
              domain,
              initialState,
              finalState: finalStateFrom(initialState, graded.record.trajectory.finalChanges),
              exists: stateTokenIndex(entries),
              taskProblems: problems,
            });
            assert.deepEqual(made, expected, graded.record.id);
            assert.equal(JSON.stringify(made), JSON.stringify(expected), `${graded.record.id}: same JSON, key order included`);
            compared++;
            outcomes.add(`${graded.record.agent} ${graded.record.reward} ${made.simulatorFaults.length > 0} ${made.claims.length > 0}`);
            return made;
          },
        });
        assert.ok(compared >= 8, `${compared} episodes compared`);
        assert.ok(outcomes.size >= 3, [...outcomes].join('; '));
      } finally {
        await store.close();
      }
    });
  }
});
