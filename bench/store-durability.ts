/**
 * What durability costs: episodes committed per second with SQLite `synchronous = NORMAL` (the old
 * setting: WAL synced only at checkpoints, commits lost on an I/O error or power loss) against
 * `FULL` (the store's setting: the WAL is fsynced at every commit), side by side on the same disk.
 * Two measures: bare `saveEpisode` commits of real episode records, and the whole runner.
 * Run: node --import tsx bench/store-durability.ts [episodes] [dir]
 * (`dir` picks the file system to measure; default the OS temp dir. To see a slower disk than this
 * machine's, load bench/slow-fsync.c with LD_PRELOAD: its header says how. With 1 ms per sync here:
 * FULL commits at 12% of NORMAL's rate, against 47% without it.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createRun, executeRun } from '../src/runner/local-runner.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import type { EpisodeRecord } from '../src/store/store.ts';

const count = Number(process.argv[2] ?? 900);
const base = process.argv[3] ?? tmpdir();
const agents = ['oracle', 'naive', 'noop'];
const tasks = Math.ceil(count / agents.length / 3);
const modes = ['NORMAL', 'FULL'] as const;

/** The store with its connection's `synchronous` set (a private field: bench only, to compare). */
function openWith(path: string, mode: (typeof modes)[number]): SqliteStore {
  const store = SqliteStore.open(path);
  (store as unknown as { db: Database.Database }).db.pragma(`synchronous = ${mode}`);
  return store;
}

// Real episode records to commit, from one run.
const seedDir = mkdtempSync(join(base, 'gw-bench-durable-'));
const seedStore = SqliteStore.open(join(seedDir, 'seed.db'));
const seeded = await createRun(seedStore, { domain: 'helpdesk', tasks: { count: tasks }, agents, trials: 3 });
await executeRun(seeded.runId, { store: seedStore });
const records: EpisodeRecord[] = [];
for await (const record of seedStore.iterateEpisodes(seeded.runId)) records.push(record);
const tasksOfRun = await seedStore.runTasks(seeded.runId);
const config = (await seedStore.getRun(seeded.runId))!.config;
await seedStore.close();

const rows: string[][] = [];
for (const mode of modes) {
  const dir = mkdtempSync(join(base, `gw-bench-${mode}-`));
  // 1. Bare commits, one transaction per episode as the runner does.
  const store = openWith(join(dir, 'commits.db'), mode);
  await store.createRun({ id: 'bench', config, tasks: tasksOfRun, planned: records.length, createdAt: new Date().toISOString() });
  let started = performance.now();
  for (const record of records) await store.saveEpisode({ ...record, runId: 'bench', id: `${record.id}-b` });
  const commits = records.length / ((performance.now() - started) / 1000);
  await store.close();
  // 2. The whole runner (episodes run, graded and committed at concurrency 4).
  const runner = openWith(join(dir, 'runner.db'), mode);
  const { runId } = await createRun(runner, { domain: 'helpdesk', tasks: { count: tasks }, agents, trials: 3, concurrency: 4 });
  started = performance.now();
  const result = await executeRun(runId, { store: runner });
  const run = result.ran / ((performance.now() - started) / 1000);
  await runner.close();
  rows.push([mode, commits.toFixed(0), run.toFixed(0)]);
  rmSync(dir, { recursive: true, force: true });
}
rmSync(seedDir, { recursive: true, force: true });

console.log(`${records.length} episodes committed one transaction each, on ${base}`);
console.log('synchronous   saveEpisode commits/s   runner episodes/s');
for (const [mode, commits, run] of rows) console.log(`${mode.padEnd(13)} ${commits.padStart(21)}   ${run.padStart(17)}`);
const [normal, full] = rows.map((r) => Number(r[1]));
console.log(`FULL commits at ${((full / normal) * 100).toFixed(0)}% of NORMAL's rate`);
