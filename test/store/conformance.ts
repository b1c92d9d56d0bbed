// The store conformance suite: every Store method, run against each backend (SQLite, PostgreSQL) on
// real databases. Expected values come from outside the store under test: the records the real
// runner produced, filters recomputed in plain JS over them, and the backend's own database read
// directly (row counts, the layout version).
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { createRun, executeRun } from '../../src/runner/local-runner.ts';
import { AUDIT_SCHEMA_VERSION, type EpisodeAudit, type FaultCause, type RunAudit } from '../../src/schema/audit.ts';
import { EXPERIENCE_SCHEMA_VERSION, type ExperienceRecord, type LearningSession } from '../../src/schema/experience.ts';
import type { Task } from '../../src/schema/task.ts';
import { openStore, redactStoreLocation } from '../../src/store/open-store.ts';
import { episodeKey, type EpisodeFilter, type EpisodeRecord, type EpisodeRow, type Store } from '../../src/store/store.ts';

/** One store implementation under test, with direct access to its database (not through the store). */
export interface StoreBackend {
  name: string;
  /** `node:test` skip reason (a missing server outside CI), or false. */
  skip: string | false;
  /** Start what the backend needs (a server), once before its tests. */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** The location (file path or URL) of a new database that holds nothing yet. */
  freshLocation(): Promise<string>;
  /** Write the layout version straight into the database's `meta` table. */
  setLayoutVersion(location: string, version: number): Promise<void>;
  /** Rows of a table, counted directly in the database. */
  countRows(location: string, table: string): Promise<number>;
}

const HELPDESK = { domain: 'helpdesk', tasks: { count: 4 }, agents: ['oracle', 'noop'], trials: 2 } as const;

/** A store holding one finished helpdesk run made by the real runner (16 episodes, 4 tasks). */
export interface SeededStore {
  store: Store;
  location: string;
  runId: string;
  tasks: Task[];
  episodes: EpisodeRecord[];
}

export async function seedStore(location: string): Promise<SeededStore> {
  const store = await openStore(location);
  const { runId, tasks } = await createRun(store, { ...HELPDESK, tasks: { ...HELPDESK.tasks }, agents: [...HELPDESK.agents] });
  const result = await executeRun(runId, { store });
  assert.equal(result.status, 'finished');
  const episodes: EpisodeRecord[] = [];
  for await (const episode of store.iterateEpisodes(runId)) episodes.push(episode);
  assert.equal(episodes.length, 16);
  return { store, location, runId, tasks, episodes };
}

/** A valid episode audit of `episode` (the store keeps it as given; its verdicts drive filters and totals). */
export function auditOf(
  episode: Pick<EpisodeRecord, 'id' | 'runId' | 'agent' | 'taskId' | 'trial' | 'reward' | 'termination'>,
  verdict: { confidentFailure?: boolean; cause?: FaultCause } = {},
): EpisodeAudit {
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    episodeId: episode.id,
    runId: episode.runId,
    agent: episode.agent,
    taskId: episode.taskId,
    trial: episode.trial,
    reward: episode.reward,
    termination: episode.termination,
    claims: [],
    successClaimed: verdict.confidentFailure ?? false,
    confidentFailure: verdict.confidentFailure ?? false,
    goal: { items: [], source: 'task', timeline: [], final: {}, tracker: 'rules' },
    simulatorFaults: [],
    ...(verdict.cause ? { fault: { cause: verdict.cause, evidence: `because ${verdict.cause} \u00e9\u{1f600}` } } : {}),
    auditorVersion: 'conformance/1',
  };
}

/**
 * Audits for a seeded run: every failed episode of `noop` blamed on the agent, trial-1 failures a
 * confident failure, one failure blamed on the task; passes audited without a fault. One episode
 * stays unaudited.
 */
export function auditsFor(episodes: readonly EpisodeRecord[]): EpisodeAudit[] {
  return episodes
    .slice(1)
    .map((episode, i) =>
      episode.reward >= 1
        ? auditOf(episode)
        : auditOf(episode, { confidentFailure: episode.trial === 1, cause: i === 2 ? 'task' : 'agent' }),
    );
}

/** What an episode filter selects, computed in JS from the records, their tasks and their audits. */
export function expectedRows(
  episodes: readonly EpisodeRecord[],
  tasks: readonly Task[],
  audits: readonly EpisodeAudit[],
  filter: EpisodeFilter,
): EpisodeRow[] {
  const audit = new Map(audits.map((a) => [a.episodeId, a]));
  const tags = new Map(tasks.map((t) => [t.id, new Set(t.tags)]));
  return episodes
    .filter((e) => !filter.agent || e.agent === filter.agent)
    .filter((e) => !filter.family || e.family === filter.family)
    .filter((e) => !filter.termination || e.termination === filter.termination)
    .filter((e) => !filter.result || (filter.result === 'pass' ? e.reward >= 1 : e.reward < 1))
    .filter((e) => !filter.faultCause || audit.get(e.id)?.fault?.cause === filter.faultCause)
    .filter((e) => filter.confidentFailure === undefined || audit.get(e.id)?.confidentFailure === filter.confidentFailure)
    .filter((e) => (filter.tags ?? []).every((tag) => tags.get(e.taskId)?.has(tag)))
    .map(({ trajectory: _t, outcome: _o, ...row }) => row);
}

/** Filters worth checking on the seeded run (each selects a different, non-trivial subset). */
export const FILTERS: EpisodeFilter[] = [
  {},
  { agent: 'oracle' },
  { agent: 'noop', result: 'fail' },
  { result: 'pass' },
  { family: 'erase' },
  { termination: 'user_stop' },
  { termination: 'infra_error' },
  { faultCause: 'agent' },
  { faultCause: 'task' },
  { confidentFailure: true },
  { confidentFailure: false },
  { tags: ['variant:approved'] },
  { tags: ['variant:approved', 'family:access_request'] },
  { tags: ['variant:approved', 'family:erase'] },
  { agent: 'noop', faultCause: 'agent', confidentFailure: true },
];

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Every page of a keyset listing, following `next` until it is null. */
export async function allPages(store: Store, runId: string, filter: EpisodeFilter, limit: number): Promise<EpisodeRow[][]> {
  const pages: EpisodeRow[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listEpisodesPage(runId, { ...filter, limit, ...(after === undefined ? {} : { after }) });
    pages.push(page.rows);
    if (page.next === null) return pages;
    assert.ok(page.rows.length === limit, 'a page followed by another is full');
    after = page.next;
    assert.ok(pages.length < 100, 'paging ends');
  }
}

const rejectsWith = (code: string, pattern: RegExp) => (error: unknown) => {
  const e = error as { code?: string; message: string };
  assert.equal(e.code, code, e.message);
  assert.match(e.message, pattern);
  return true;
};

/** Registers the conformance tests of one backend. */
export function storeConformance(backend: StoreBackend): void {
  describe(`${backend.name} store conformance`, { skip: backend.skip }, () => {
    const opened: Store[] = [];
    const open = async (location: string, readOnly = false): Promise<Store> => {
      const store = await openStore(location, { readOnly });
      opened.push(store);
      return store;
    };
    let seeded: SeededStore;
    let audits: EpisodeAudit[];

    before(async () => {
      await backend.setup?.();
      seeded = await seedStore(await backend.freshLocation());
      opened.push(seeded.store);
      audits = auditsFor(seeded.episodes);
      await seeded.store.saveEpisodeAudits(seeded.runId, audits);
    });
    after(async () => {
      for (const store of opened) await store.close();
      await backend.teardown?.();
    });

    test('opens a new database, reopens it without change, and names it without secrets', async () => {
      const location = await backend.freshLocation();
      const first = await open(location);
      assert.equal(first.location, redactStoreLocation(location));
      assert.deepEqual(await first.listRuns(), []);
      await first.close();
      await first.close(); // idempotent
      const again = await open(location);
      assert.deepEqual(await again.listRuns(), []);
      assert.equal(await backend.countRows(location, 'meta'), 1);
    });

    test('runs: stored config and tasks read back equal; listed with per-agent stats; status and hashes', async () => {
      const { store, runId, tasks, episodes } = seeded;
      const run = (await store.getRun(runId))!;
      assert.equal(run.status, 'finished');
      assert.equal(run.planned, 16);
      assert.equal(run.lease, undefined);
      assert.deepEqual(await store.runTasks(runId), tasks);
      const hashes = await store.runTaskHashes(runId);
      assert.deepEqual(
        [...hashes.keys()],
        tasks.map((t) => t.id),
      );
      assert.ok([...hashes.values()].every((h) => /^[0-9a-f]{8,}$/.test(h)));
      const [listing] = (await store.listRuns()).filter((r) => r.id === runId);
      assert.equal(listing.episodes, 16);
      assert.equal(listing.graded, 16);
      const mean = (agent: string) => {
        const rewards = episodes.filter((e) => e.agent === agent).map((e) => e.reward);
        return rewards.reduce((a, b) => a + b, 0) / rewards.length;
      };
      assert.deepEqual(listing.meanReward, { noop: mean('noop'), oracle: mean('oracle') });
      assert.equal(await store.getRun('run-missing'), undefined);
      assert.deepEqual(await store.runTasks('run-missing'), []);

      // A second run, newest first; status changes; a run with nothing graded has null means.
      const other = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['oracle'], trials: 1 });
      await store.setRunStatus(other.runId, 'queued');
      const runs = await store.listRuns();
      assert.equal(runs[0].id, other.runId);
      assert.equal(runs[0].status, 'queued');
      assert.deepEqual(runs[0].meanReward, {});
      assert.equal(runs[0].episodes, 0);
      await store.setRunStatus(other.runId, 'running');
      assert.equal((await store.getRun(other.runId))!.status, 'interrupted', 'running without a live lease is interrupted');
    });

    test('episodes: read back deep-equal, streamed in saving order, one per slot', async () => {
      const { store, runId, episodes } = seeded;
      for (const episode of episodes.slice(0, 3)) assert.deepEqual(await store.getEpisode(runId, episode.id), episode);
      assert.equal(await store.getEpisode('run-missing', episodes[0].id), undefined);
      assert.deepEqual(
        await store.listEpisodes(runId),
        episodes.map(({ trajectory: _t, outcome: _o, ...row }) => row),
      );
      assert.deepEqual(await store.episodeKeys(runId), new Set(episodes.map((e) => episodeKey(e.agent, e.taskId, e.trial))));
      // The same episode again, or another id for the same slot: refused, nothing changes.
      assert.equal(await store.saveEpisode(episodes[0]), false);
      assert.equal(await store.saveEpisode({ ...episodes[0], id: 'ep-other-id', reward: 0.5 }), false);
      assert.equal(await store.saveEpisode({ ...episodes[0], id: 'ep-other-id' }, auditOf({ ...episodes[0], id: 'ep-other-id' })), false);
      assert.equal(await store.getEpisodeAudit('ep-other-id'), undefined);
      assert.deepEqual(await store.getEpisode(runId, episodes[0].id), episodes[0]);
      assert.equal(await store.countEpisodes(runId), 16);
    });

    test('filters, counts, offsets and keyset pages select what the records say', async () => {
      const { store, runId, tasks, episodes } = seeded;
      for (const filter of FILTERS) {
        const expected = expectedRows(episodes, tasks, audits, filter);
        const label = JSON.stringify(filter);
        assert.deepEqual(await store.listEpisodes(runId, filter), expected, label);
        assert.equal(await store.countEpisodes(runId, { ...filter, limit: 1, offset: 1 }), expected.length, label);
        assert.deepEqual(await store.listEpisodes(runId, { ...filter, limit: 2, offset: 1 }), expected.slice(1, 3), label);
        for (const limit of [1, 3, 16]) {
          const pages = await allPages(store, runId, filter, limit);
          assert.deepEqual(pages.flat(), expected, `${label} pages of ${limit}`);
          assert.equal(pages.length, Math.max(1, Math.ceil(expected.length / limit)), `${label} pages of ${limit}`);
        }
      }
      assert.ok(expectedRows(episodes, tasks, audits, { confidentFailure: true }).length > 0);
      assert.ok(expectedRows(episodes, tasks, audits, { tags: ['variant:approved'] }).length > 0);
    });

    test('episode audits: saved with the episode in one call, replaced, batched, streamed and totalled', async () => {
      const { store, runId, episodes } = seeded;
      assert.equal(await store.getEpisodeAudit(episodes[0].id), undefined);
      for (const audit of audits.slice(0, 3)) assert.deepEqual(await store.getEpisodeAudit(audit.episodeId), audit);
      assert.deepEqual(await collect(store.iterateEpisodeAudits(runId)), audits);
      const failed = audits.filter((a) => a.reward < 1);
      const causes: Record<string, number> = {};
      for (const a of failed) if (a.fault) causes[a.fault.cause] = (causes[a.fault.cause] ?? 0) + 1;
      assert.deepEqual(await store.auditTotals(runId), {
        audited: audits.length,
        confidentFailures: audits.filter((a) => a.confidentFailure).length,
        faultCauses: causes,
      });
      assert.deepEqual(await store.auditTotals('run-missing'), { audited: 0, confidentFailures: 0, faultCauses: {} });

      // A new run: an episode saved with its audit, then the audit replaced (one row, new verdict).
      const location = await backend.freshLocation();
      const fresh = await open(location);
      const { runId: newRun } = await createRun(fresh, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const episode = { ...episodes.find((e) => e.reward < 1)!, runId: newRun, id: 'ep-audited' };
      assert.equal(await fresh.saveEpisode(episode, auditOf(episode, { cause: 'user_simulator' })), true);
      assert.deepEqual(await fresh.getEpisodeAudit('ep-audited'), auditOf(episode, { cause: 'user_simulator' }));
      assert.deepEqual(await fresh.auditTotals(newRun), { audited: 1, confidentFailures: 0, faultCauses: { user_simulator: 1 } });
      const replaced = auditOf(episode, { confidentFailure: true, cause: 'agent' });
      await fresh.saveEpisodeAudit('ep-audited', newRun, replaced);
      assert.deepEqual(await fresh.getEpisodeAudit('ep-audited'), replaced);
      assert.deepEqual(await fresh.auditTotals(newRun), { audited: 1, confidentFailures: 1, faultCauses: { agent: 1 } });
      assert.deepEqual(await fresh.listEpisodes(newRun, { faultCause: 'agent' }), [await rowOf(fresh, newRun, 'ep-audited')]);
      assert.deepEqual(await fresh.listEpisodes(newRun, { faultCause: 'user_simulator' }), []);
      // A batch replaces too, the last audit of an episode winning; an empty batch is a no-op.
      await fresh.saveEpisodeAudits(newRun, [auditOf(episode, { cause: 'task' }), auditOf(episode)]);
      await fresh.saveEpisodeAudits(newRun, []);
      assert.deepEqual(await collect(fresh.iterateEpisodeAudits(newRun)), [auditOf(episode)]);
      assert.deepEqual(await fresh.auditTotals(newRun), { audited: 1, confidentFailures: 0, faultCauses: {} });
      assert.equal(await backend.countRows(location, 'episode_audits'), 1);
    });

    test('streams page through runs larger than one page, in saving order', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const template = seeded.episodes[0];
      const many = Array.from({ length: 450 }, (_, i) => ({ ...template, runId, id: `ep-${String(i).padStart(4, '0')}`, trial: i }));
      for (const episode of many) assert.equal(await store.saveEpisode(episode), true);
      await store.saveEpisodeAudits(
        runId,
        many.map((e) => auditOf(e, { cause: 'agent' })),
      );
      assert.deepEqual(await collect(store.iterateEpisodes(runId)), many);
      assert.deepEqual(
        (await collect(store.iterateEpisodeAudits(runId))).map((a) => a.episodeId),
        many.map((e) => e.id),
      );
      assert.deepEqual(
        (await allPages(store, runId, { faultCause: 'agent' }, 100)).map((p) => p.length),
        [100, 100, 100, 100, 50],
      );
      assert.deepEqual(await store.auditTotals(runId), { audited: 450, confidentFailures: 0, faultCauses: { agent: 450 } });
    });

    test('updateOutcome, listUsage and deleteInfraErrors', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const [passed, failed] = [seeded.episodes.find((e) => e.reward >= 1)!, seeded.episodes.find((e) => e.reward < 1)!];
      const mine = { ...passed, runId, id: 'ep-pass', trial: 0 };
      const infra = { ...failed, runId, id: 'ep-infra', trial: 1, termination: 'infra_error' as const, reward: 0 };
      await store.saveEpisode(mine);
      await store.saveEpisode(infra);
      const byAgent = <T extends { agent: string }>(rows: T[]) => rows.sort((x, y) => x.agent.localeCompare(y.agent));
      assert.deepEqual(
        byAgent(await store.listUsage(runId)),
        byAgent([
          { agent: mine.agent, usage: mine.trajectory.usage ?? {} },
          { agent: infra.agent, usage: infra.trajectory.usage ?? {} },
        ]),
      );
      const regraded = { ...mine.outcome, reward: 0 as const };
      await store.updateOutcome('ep-pass', regraded);
      const after = (await store.getEpisode(runId, 'ep-pass'))!;
      assert.deepEqual(after.outcome, regraded);
      assert.equal(after.reward, 0);
      const [listing] = await store.listRuns();
      assert.equal(listing.graded, 1);
      assert.deepEqual(listing.meanReward, { [mine.agent]: 0, [infra.agent]: null });
      assert.deepEqual(
        (await store.listEpisodes(runId, { termination: 'infra_error' })).map((r) => r.id),
        ['ep-infra'],
      );
      assert.equal(await store.deleteInfraErrors(runId), 1);
      assert.equal(await store.deleteInfraErrors(runId), 0);
      assert.deepEqual(await store.episodeKeys(runId), new Set([episodeKey(mine.agent, mine.taskId, 0)]));
      assert.equal(await backend.countRows(location, 'episodes'), 1);
      // The slot is free again.
      assert.equal(await store.saveEpisode(infra), true);
    });

    test('run audits, the audit cache, experience and learning sessions round-trip', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      assert.equal(await store.getRunAudit(runId), undefined);
      const runAudit = (createdAt: string): RunAudit => ({
        schemaVersion: AUDIT_SCHEMA_VERSION,
        runId,
        createdAt,
        auditorVersion: 'conformance/1',
        episodes: 0,
        agents: {},
        taskProblems: [],
        notes: ['caf\u00e9 \u{1f600} "quoted" \\ back'],
      });
      await store.saveRunAudit(runId, runAudit('2026-01-01T00:00:00.000Z'));
      await store.saveRunAudit(runId, runAudit('2026-01-02T00:00:00.000Z'));
      assert.deepEqual(await store.getRunAudit(runId), runAudit('2026-01-02T00:00:00.000Z'));

      assert.equal(await store.getAuditCache('k'), undefined);
      await store.putAuditCache('k', { a: [1, 2.5, null, 'x'], b: true });
      await store.putAuditCache('k', { a: [3], nested: { deep: 'caf\u00e9' } });
      assert.deepEqual(await store.getAuditCache('k'), { a: [3], nested: { deep: 'caf\u00e9' } });

      const experience = (id: string, setId: string, text: string): ExperienceRecord => ({
        schemaVersion: EXPERIENCE_SCHEMA_VERSION,
        id,
        setId,
        domain: 'helpdesk',
        family: 'erase',
        provenance: { runId, episodeIds: ['ep-1'], taskIds: ['hd-train-001'], split: 'train', producedBy: 'rule' },
        createdAt: '2026-01-01T00:00:00.000Z',
        kind: 'insight',
        text,
        count: 2,
        order: 0,
      });
      await store.saveExperience([experience('x1', 'set-a', 'one'), experience('x2', 'set-b', 'two'), experience('x3', 'set-a', 'three')]);
      await store.saveExperience([experience('x1', 'set-a', 'one, edited')]);
      await store.saveExperience([]);
      assert.deepEqual(await store.listExperience({ setId: 'set-a' }), [
        experience('x1', 'set-a', 'one, edited'),
        experience('x3', 'set-a', 'three'),
      ]);
      assert.deepEqual(
        (await store.listExperience()).map((r) => r.id),
        ['x1', 'x2', 'x3'],
      );
      assert.deepEqual(await store.listExperience({ kind: 'reflection' }), []);
      assert.equal((await store.listExperience({ domain: 'helpdesk', family: 'erase', kind: 'insight' })).length, 3);
      assert.equal(await store.deleteExperience(['x2', 'nope']), 1);
      assert.deepEqual(
        (await store.listExperience()).map((r) => r.id),
        ['x1', 'x3'],
      );
      await assert.rejects(store.saveExperience([{ ...experience('bad', 's', 't'), kind: 'nonsense' } as never]));

      const session = (id: string, createdAt: string, status: LearningSession['status']): LearningSession => ({
        schemaVersion: EXPERIENCE_SCHEMA_VERSION,
        id,
        createdAt,
        status,
        domain: 'helpdesk',
        agent: 'oracle',
        critic: 'rule',
        mechanisms: ['insight'],
        settings: { rounds: 2 },
        rounds: [],
        test: {},
        usage: {},
      });
      assert.equal(await store.getLearningSession('s1'), undefined);
      await store.saveLearningSession(session('s1', '2026-01-01T00:00:00.000Z', 'running'));
      await store.saveLearningSession(session('s2', '2026-01-02T00:00:00.000Z', 'running'));
      await store.saveLearningSession(session('s1', '2026-01-01T00:00:00.000Z', 'finished'));
      assert.deepEqual(await store.getLearningSession('s1'), session('s1', '2026-01-01T00:00:00.000Z', 'finished'));
      assert.deepEqual(
        (await store.listLearningSessions()).map((s) => [s.id, s.status]),
        [
          ['s2', 'running'],
          ['s1', 'finished'],
        ],
      );
    });

    test('attempts: recorded, replaced by attempt number, listed oldest first', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      assert.deepEqual(await store.listAttempts(runId), []);
      const first = {
        runId,
        episodeId: 'ep-a',
        attempt: 1,
        worker: '1@h#x',
        status: 'running' as const,
        startedAt: '2026-01-01T00:00:00.000Z',
      };
      const other = { ...first, episodeId: 'ep-b', startedAt: '2026-01-01T00:00:01.000Z' };
      const retry = { ...first, attempt: 2, worker: '2@h#y', startedAt: '2026-01-01T00:00:02.000Z' };
      await store.saveAttempt(first);
      await store.saveAttempt(other);
      await store.saveAttempt(retry);
      const abandoned = { ...first, status: 'abandoned' as const, endedAt: '2026-01-01T00:00:02.000Z', detail: 'worker 1@h#x stalled' };
      await store.saveAttempt(abandoned);
      const stored = { ...retry, status: 'stored' as const, endedAt: '2026-01-01T00:00:03.000Z' };
      await store.saveAttempt(stored);
      assert.deepEqual(await store.listAttempts(runId), [abandoned, other, stored]);
      assert.deepEqual(await store.listAttempts(runId, 'ep-a'), [abandoned, stored]);
      assert.deepEqual(await store.listAttempts(runId, 'ep-none'), []);
      assert.equal(await backend.countRows(location, 'episode_attempts'), 3);
    });

    test('attempts are listed in the order the store recorded them, not by the clocks of the workers that started them', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      // Attempt 1 on a machine whose clock is ahead; its retry on one whose clock is behind.
      const first = {
        runId,
        episodeId: 'ep-a',
        attempt: 1,
        worker: '1@fast#x',
        status: 'running' as const,
        startedAt: '2026-01-01T00:10:00.000Z',
      };
      const other = { ...first, episodeId: 'ep-b', attempt: 1, worker: '3@mid#z', startedAt: '2026-01-01T00:05:00.000Z' };
      const retry = { ...first, attempt: 2, worker: '2@slow#y', startedAt: '2026-01-01T00:00:00.000Z' };
      await store.saveAttempt(first);
      await store.saveAttempt(other);
      await store.saveAttempt(retry);
      // Updating an attempt keeps its place.
      const abandoned = { ...first, status: 'abandoned' as const, endedAt: '2026-01-01T00:00:01.000Z', detail: 'stalled' };
      await store.saveAttempt(abandoned);
      assert.deepEqual(await store.listAttempts(runId, 'ep-a'), [abandoned, retry]);
      assert.deepEqual(await store.listAttempts(runId), [abandoned, other, retry]);
    });

    test('leases: one live holder across two connections; an expired lease is taken over; release', async () => {
      const location = await backend.freshLocation();
      const a = await open(location);
      const b = await open(location);
      const host = hostname();
      const { runId } = await createRun(a, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['oracle'], trials: 1 });
      assert.equal((await b.getRun(runId))!.status, 'interrupted');
      const first = { owner: 'first', pid: process.pid, host };
      assert.deepEqual(await a.acquireLease(runId, first, 60_000), { acquired: true });
      assert.deepEqual(await a.acquireLease(runId, first, 60_000), { acquired: true }, 'ours again');
      const run = (await b.getRun(runId))!;
      assert.equal(run.status, 'running');
      assert.deepEqual({ ...run.lease, expiresAt: 0 }, { ...first, expiresAt: 0 });
      const refused = await b.acquireLease(runId, { owner: 'second', pid: process.pid, host }, 60_000);
      assert.equal(refused.acquired, false);
      assert.equal(!refused.acquired && refused.holder.owner, 'first');
      assert.equal(await a.renewLease(runId, 'first', 60_000), true);
      assert.equal(await b.renewLease(runId, 'second', 60_000), false);
      await b.releaseLease(runId, 'second');
      assert.equal((await a.getRun(runId))!.lease?.owner, 'first', 'release by a non-owner is a no-op');
      // Expired on another host (pids there cannot be checked): interrupted, and free to take.
      await a.acquireLease(runId, { owner: 'first', pid: 1, host: 'elsewhere' }, 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal((await b.getRun(runId))!.status, 'interrupted');
      assert.deepEqual(await b.acquireLease(runId, { owner: 'second', pid: process.pid, host }, 60_000), { acquired: true });
      assert.equal(await a.renewLease(runId, 'first', 60_000), false, 'the old owner learns it lost the lease');
      // Live on another host: refused (the pid cannot be checked there).
      await b.releaseLease(runId, 'second');
      assert.equal((await a.getRun(runId))!.lease, undefined);
      assert.deepEqual(await a.acquireLease(runId, { owner: 'remote', pid: 1, host: 'elsewhere' }, 60_000), { acquired: true });
      assert.equal((await b.acquireLease(runId, { owner: 'second', pid: process.pid, host }, 60_000)).acquired, false);
      await assert.rejects(a.acquireLease('run-missing', first, 1000), rejectsWith('UNKNOWN_RUN', /no run "run-missing"/));
      // Many takers at once: exactly one wins.
      await a.releaseLease(runId, 'remote');
      const takers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).acquireLease(runId, { owner: `t${i}`, pid: process.pid, host }, 60_000)),
      );
      assert.equal(takers.filter((t) => t.acquired).length, 1);
    });

    test('one slot saved at once from two connections is stored exactly once', async () => {
      const location = await backend.freshLocation();
      const a = await open(location);
      const b = await open(location);
      const { runId } = await createRun(a, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const template = { ...seeded.episodes[0], runId };
      // Same id and other ids for the same (agent, task, trial), with and without audits.
      const tries = Array.from({ length: 12 }, (_, i) => {
        const episode = { ...template, id: i % 3 === 0 ? 'ep-same' : `ep-${i}` };
        const store = i % 2 ? a : b;
        return i % 4 < 2 ? store.saveEpisode(episode, auditOf(episode, { cause: 'agent' })) : store.saveEpisode(episode);
      });
      const saved = await Promise.all(tries);
      assert.equal(saved.filter(Boolean).length, 1);
      assert.equal(await backend.countRows(location, 'episodes'), 1);
      assert.ok((await backend.countRows(location, 'episode_audits')) <= 1);
      const [row] = await a.listEpisodes(runId);
      const audit = await b.getEpisodeAudit(row.id);
      if (audit) assert.equal(audit.episodeId, row.id, 'an audit only for the stored episode');
    });

    test('a cursor at a deleted newest row still returns the rows saved after it (seq is never reused)', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const template = { ...seeded.episodes[0], runId };
      const episode = (i: number, termination = template.termination) => ({ ...template, id: `ep-${i}`, trial: i, termination });
      await store.saveEpisode(episode(1));
      await store.saveEpisode(episode(2, 'infra_error'));
      await store.saveEpisode(episode(3, 'infra_error'));
      // A viewer served the page [ep-1, ep-2]; `run --resume` then deletes the infra errors and
      // stores the re-run episode.
      const first = await store.listEpisodesPage(runId, { limit: 2 });
      assert.deepEqual(
        first.rows.map((row) => row.id),
        ['ep-1', 'ep-2'],
      );
      assert.equal(await store.deleteInfraErrors(runId), 2);
      await store.saveEpisode(episode(4));
      const next = await store.listEpisodesPage(runId, { limit: 10, after: first.next! });
      assert.deepEqual(
        next.rows.map((row) => row.id),
        ['ep-4'],
      );
    });

    test('listUsage answers by agent, then in saving order (sums of costs depend on the order)', async () => {
      const { store, runId, episodes } = seeded;
      const byAgent = [...episodes].sort((x, y) => (x.agent < y.agent ? -1 : x.agent > y.agent ? 1 : 0));
      assert.deepEqual(
        await store.listUsage(runId),
        byAgent.map((e) => ({ agent: e.agent, usage: e.trajectory.usage ?? {} })),
      );
    });

    test('an audit saved with an episode is filed under that episode, whatever its episodeId says', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const episode = { ...seeded.episodes[0], runId, id: 'ep-saved' };
      assert.equal(await store.saveEpisode(episode, auditOf({ ...episode, id: 'ep-elsewhere' }, { cause: 'agent' })), true);
      assert.equal(await store.getEpisodeAudit('ep-elsewhere'), undefined);
      assert.deepEqual(await store.getEpisodeAudit('ep-saved'), auditOf(episode, { cause: 'agent' }));
      assert.deepEqual(
        (await store.listEpisodes(runId, { faultCause: 'agent' })).map((row) => row.id),
        ['ep-saved'],
      );
    });

    test('goal items shared by audits are stored once per content and read back with every audit, from any connection', async () => {
      const location = await backend.freshLocation();
      const store = await open(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const item = (id: string, description: string) => ({ id, category: 'objectives' as const, description, cues: [id] });
      // Two goals of one task id (a judge's goal differs from the task's), each shared by several audits.
      const goals = [
        [item('objective:a', 'offboard Yusuf \u00e9')],
        [item('objective:a', 'offboard Yusuf \u00e9'), item('objective:b', 'revoke')],
      ];
      const withGoal = (audit: EpisodeAudit, g: number): EpisodeAudit => ({ ...audit, goal: { ...audit.goal, items: goals[g] } });
      const episodeAt = (i: number) => ({ ...seeded.episodes[0], runId, id: `ep-goal-${i}`, trial: i });
      const expected: EpisodeAudit[] = [];
      // Saved with their episodes, alternating goals; then replaced in a batch; then by a second connection.
      for (let i = 0; i < 6; i++) {
        const audit = withGoal(auditOf(episodeAt(i), { cause: 'agent' }), i % 2);
        assert.equal(await store.saveEpisode(episodeAt(i), audit), true);
        expected.push(audit);
      }
      const batch = [0, 1, 2].map((i) => withGoal(auditOf(episodeAt(i)), (i + 1) % 2));
      await store.saveEpisodeAudits(runId, batch);
      expected.splice(0, 3, ...batch);
      const other = await open(location);
      for (let i = 6; i < 9; i++) {
        const audit = withGoal(auditOf(episodeAt(i)), i % 2);
        assert.equal(await other.saveEpisode(episodeAt(i), audit), true);
        expected.push(audit);
      }
      await other.saveEpisodeAudit(episodeAt(3).id, runId, withGoal(auditOf(episodeAt(3)), 0));
      expected[3] = withGoal(auditOf(episodeAt(3)), 0);
      for (const reader of [store, other, await open(location, true)]) {
        assert.deepEqual(await collect(reader.iterateEpisodeAudits(runId)), expected);
        for (const audit of expected) assert.deepEqual(await reader.getEpisodeAudit(audit.episodeId), audit);
      }
      assert.equal(await backend.countRows(location, 'audit_goal_items'), goals.length);
    });

    test('a reader following the cursor while 16 writers on two connections save gets every row exactly once', async () => {
      const location = await backend.freshLocation();
      const [a, b, reader] = [await open(location), await open(location), await open(location)];
      const { runId } = await createRun(a, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['noop'], trials: 1 });
      const template = { ...seeded.episodes[0], runId };
      const total = 800;
      const ids = Array.from({ length: total }, (_, i) => `ep-${String(i).padStart(4, '0')}`);
      let next = 0;
      let writing = true;
      const writers = Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = next++; i < total; i = next++) {
            const episode = { ...template, id: ids[i], trial: i };
            await (w % 2 ? a : b).saveEpisode(episode, i % 3 ? undefined : auditOf(episode, { cause: 'agent' }));
          }
        }),
      ).finally(() => {
        writing = false;
      });
      // A tailing viewer, as close behind the writers as the API lets it: it looks at every row after
      // its cursor, then consumes all but the last (a page whose `next` is the cursor of the last row
      // it returns); once the writers are done it reads on to the end.
      const returned: string[] = [];
      let after: string | undefined;
      const page = (limit: number) => reader.listEpisodesPage(runId, { limit, ...(after === undefined ? {} : { after }) });
      for (;;) {
        const last = !writing;
        const seen = await page(total);
        if (last) {
          returned.push(...seen.rows.map((row) => row.id));
          break;
        }
        if (seen.rows.length >= 2) {
          const consumed = await page(seen.rows.length - 1);
          if (consumed.next !== null) returned.push(...consumed.rows.map((row) => row.id)), (after = consumed.next);
        }
        // Let the writers run (an in-process store answers without leaving the microtask queue).
        await new Promise((resolve) => setImmediate(resolve));
      }
      await writers;
      assert.equal(returned.length, total, 'no row returned twice or skipped');
      assert.deepEqual([...returned].sort(), ids);
    });

    test('a newer layout is refused, writable or read-only, with SCHEMA_VERSION, and left untouched', async () => {
      const location = await backend.freshLocation();
      const store = await openStore(location);
      const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 1 }, agents: ['oracle'], trials: 1 });
      await store.close();
      await backend.setLayoutVersion(location, 99);
      for (const readOnly of [false, true])
        await assert.rejects(
          openStore(location, { readOnly }),
          rejectsWith('SCHEMA_VERSION', /layout version 99, newer than this Groundwork/),
        );
      await backend.setLayoutVersion(location, await currentVersion());
      const reopened = await open(location, true);
      assert.ok(await reopened.getRun(runId));
    });

    test('read-only: nothing to read is NO_DATABASE; reads work; every write is refused', async () => {
      const empty = await backend.freshLocation();
      await assert.rejects(openStore(empty, { readOnly: true }), rejectsWith('NO_DATABASE', /no /));
      const { location, runId, episodes } = seeded;
      const store = await open(location, true);
      assert.deepEqual(await store.getEpisode(runId, episodes[3].id), episodes[3]);
      assert.equal(
        (await store.listRuns()).some((r) => r.id === runId),
        true,
      );
      assert.deepEqual(await collect(store.iterateEpisodeAudits(runId)), audits);
      const run = (await store.getRun(runId))!;
      const writes: [string, () => Promise<unknown>][] = [
        [
          'createRun',
          () => store.createRun({ id: 'run-x', config: run.config, tasks: [], planned: 0, createdAt: new Date().toISOString() }),
        ],
        ['setRunStatus', () => store.setRunStatus(runId, 'interrupted')],
        ['saveEpisode', () => store.saveEpisode({ ...episodes[0], id: 'ep-new', trial: 9 })],
        ['saveEpisodeAudit', () => store.saveEpisodeAudit(episodes[0].id, runId, auditOf(episodes[0]))],
        ['acquireLease', () => store.acquireLease(runId, { owner: 'ro', pid: process.pid, host: hostname() }, 1000)],
        ['putAuditCache', () => store.putAuditCache('k', 1)],
        ['saveAttempt', () => store.saveAttempt({ runId, episodeId: 'e', attempt: 1, worker: 'w', status: 'running', startedAt: 'now' })],
      ];
      for (const [what, write] of writes) await assert.rejects(write(), rejectsWith('STORE_FAILED', /readonly|read-only/i), what);
      assert.equal((await store.getRun(runId))!.status, 'finished');
      assert.equal(await store.countEpisodes(runId), 16);
    });
  });
}

/** The layout version both stores share (SQLite's is the reference). */
async function currentVersion(): Promise<number> {
  const { SQLITE_STORE_VERSION } = await import('../../src/store/sqlite-store.ts');
  return SQLITE_STORE_VERSION;
}

async function rowOf(store: Store, runId: string, id: string): Promise<EpisodeRow> {
  return (await store.listEpisodes(runId)).find((r) => r.id === id)!;
}
