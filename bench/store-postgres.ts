/**
 * The PostgreSQL store against the SQLite store on the same data: episode commits (each with its
 * audit, one transaction) one at a time and from concurrent writers, viewer queries (filtered keyset
 * pages and counts) on a large run, streaming a whole run, and audit totals.
 * PostgreSQL is the local throw-away server of the tests (src/testing/local-servers.ts), which runs
 * with fsync=off: commit numbers are an upper bound for a durable server; query numbers are not
 * affected. SQLite runs with its real settings (synchronous = FULL).
 * Run: node --import tsx bench/store-postgres.ts [episodes=50000] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createRun, executeRun } from '../src/runner/local-runner.ts';
import { AUDIT_SCHEMA_VERSION, type EpisodeAudit, type FaultCause } from '../src/schema/audit.ts';
import { openStore } from '../src/store/open-store.ts';
import type { EpisodeFilter, EpisodeRecord, Store } from '../src/store/store.ts';
import { startPostgresServer } from '../src/testing/local-servers.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const large = Number(args.find((a) => /^\d+$/.test(a)) ?? 50_000);
const CAUSES: FaultCause[] = ['agent', 'user_simulator', 'task', 'infrastructure'];

function auditOf(episode: EpisodeRecord, i: number): EpisodeAudit {
  const failed = episode.reward < 1;
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
    successClaimed: failed && i % 7 === 0,
    confidentFailure: failed && i % 7 === 0,
    goal: { items: [], source: 'task', timeline: [], final: {}, tracker: 'rules' },
    simulatorFaults: [],
    ...(failed ? { fault: { cause: CAUSES[i % CAUSES.length], evidence: 'bench' } } : {}),
    auditorVersion: 'bench/1',
  };
}

/** Real episode records (helpdesk, three agents) to copy under new ids. */
async function templates(dir: string) {
  const store = await openStore(join(dir, 'seed.db'));
  const { runId, tasks, config } = await createRun(store, {
    domain: 'helpdesk',
    tasks: { count: 40 },
    agents: ['oracle', 'naive', 'noop'],
    trials: 1,
  });
  await executeRun(runId, { store });
  const records: EpisodeRecord[] = [];
  for await (const record of store.iterateEpisodes(runId)) records.push(record);
  await store.close();
  return { records, tasks, config };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeMs(fn: () => Promise<unknown>, reps = 15): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Saves `count` episodes (cycling through the templates, one slot each) from `writers` concurrent callers. */
async function fill(store: Store, runId: string, records: EpisodeRecord[], count: number, writers: number, from = 0): Promise<number> {
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < from + count) {
        const i = next++;
        const template = records[i % records.length];
        const episode = { ...template, runId, id: `ep-${i}`, trial: Math.floor(i / records.length) };
        await store.saveEpisode(episode, auditOf(episode, i));
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const FILTERS: [string, EpisodeFilter][] = [
  ['all', {}],
  ['agent=noop result=fail', { agent: 'noop', result: 'fail' }],
  ['family=erase', { family: 'erase' }],
  ['faultCause=task', { faultCause: 'task' }],
  ['confidentFailure', { confidentFailure: true }],
  ['tag variant:approved', { tags: ['variant:approved'] }],
];

/** Viewer queries and streams on the large run. */
async function queries(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [label, filter] of FILTERS) {
    out[`page of 50: ${label} (ms)`] = await timeMs(() => store.listEpisodesPage('large', { ...filter, limit: 50 }));
    out[`count: ${label} (ms)`] = await timeMs(() => store.countEpisodes('large', filter));
  }
  // Page 100 of the unfiltered listing, reached by its cursor (keyset: as fast as page 1).
  let after: string | undefined;
  for (let page = 0; page < 99; page++) after = (await store.listEpisodesPage('large', { limit: 50, after })).next ?? undefined;
  out['page 100 by cursor (ms)'] = await timeMs(() => store.listEpisodesPage('large', { limit: 50, after }));
  out['auditTotals (ms)'] = await timeMs(() => store.auditTotals('large'), 5);
  out['listRuns (ms)'] = await timeMs(() => store.listRuns(), 5);
  let streamed = performance.now();
  let n = 0;
  for await (const _ of store.iterateEpisodes('large')) n++;
  out['iterateEpisodes episodes/s'] = n / ((performance.now() - streamed) / 1000);
  streamed = performance.now();
  n = 0;
  for await (const _ of store.iterateEpisodeAudits('large')) n++;
  out['iterateEpisodeAudits audits/s'] = n / ((performance.now() - streamed) / 1000);
  return out;
}

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text);
  await client.end();
}

const dir = mkdtempSync(join(tmpdir(), 'gw-bench-pg-'));
const server = await startPostgresServer();
const results: Record<string, Record<string, number>> = {};
try {
  const { records, tasks, config } = await templates(dir);
  const locations = { sqlite: join(dir, 'bench.db'), postgres: server.url };
  for (const [name, location] of Object.entries(locations)) {
    const store = await openStore(location);
    const row: Record<string, number> = {};
    results[name] = row;
    const create = (id: string) => store.createRun({ id, config, tasks, planned: large, createdAt: new Date().toISOString() });
    // 1. Commit latency: one writer, one episode (with its audit) at a time.
    await create('commits');
    row['commit ms (1 writer)'] = 1000 / (await fill(store, 'commits', records, 500, 1));
    // 2. Commit throughput from 16 concurrent writers (a worker's in-flight episodes).
    await create('concurrent');
    row['commits/s (16 writers)'] = await fill(store, 'concurrent', records, 2000, 16);
    // 3. A large run: viewer queries.
    await create('large');
    const t = performance.now();
    row['fill episodes/s (32 writers)'] = await fill(store, 'large', records, large, 32);
    const fillSeconds = (performance.now() - t) / 1000;
    // As the runner does when the last episode is stored (PostgreSQL refreshes planner statistics then).
    await store.setRunStatus('large', 'finished');
    Object.assign(row, await queries(store));
    if (name === 'postgres') {
      // What the viewer sees once autovacuum has visited the table (it does within about a minute
      // of a large insert): planner statistics and the visibility map for index-only counts.
      await sql(server.url, 'VACUUM ANALYZE');
      results['postgres (vacuumed)'] = await queries(store);
    }
    row['fill seconds'] = fillSeconds;
    await store.close();
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

if (json) console.log(JSON.stringify({ episodes: large, results }, null, 2));
else {
  const names = Object.keys(results);
  const measures = Object.keys(results[names[0]]);
  console.log(`store bench: ${large} episodes in the large run (PostgreSQL fsync=off: commit numbers are an upper bound)`);
  console.log(['measure'.padEnd(40), ...names.map((n) => n.padStart(22))].join(''));
  for (const measure of measures)
    console.log(
      [
        measure.padEnd(40),
        ...names.map((n) =>
          (results[n][measure] === undefined ? '-' : results[n][measure].toFixed(results[n][measure] >= 100 ? 0 : 2)).padStart(22),
        ),
      ].join(''),
    );
}
