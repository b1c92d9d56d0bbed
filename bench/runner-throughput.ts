/**
 * Runner throughput on the helpdesk domain with built-in agents and the scripted user:
 * episodes per second for the orchestrator alone, and for the full runner with SQLite commits.
 * Run: node --import tsx bench/runner-throughput.ts [tasks] [trials]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltInAgent } from '../src/agents/registry.ts';
import { createHelpdeskDomain } from '../src/domains/helpdesk/index.ts';
import { runEpisode } from '../src/episode/orchestrator.ts';
import { gradeEpisode } from '../src/grading/grade.ts';
import { createRun, executeRun } from '../src/runner/local-runner.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import { createScriptedUser } from '../src/users/scripted.ts';

const tasksCount = Number(process.argv[2] ?? 300);
const trials = Number(process.argv[3] ?? 3);
const agents = ['oracle', 'naive', 'noop'];

const domain = createHelpdeskDomain();
const tasks = domain.tasks({ split: 'test', count: tasksCount });
const user = createScriptedUser();
let started = performance.now();
let episodes = 0;
for (let trial = 0; trial < trials; trial++) {
  for (const task of tasks) {
    for (const name of agents) {
      const r = await runEpisode({ domain, task, agent: createBuiltInAgent(name, domain), user, episodeId: 'b', trial, seed: trial });
      gradeEpisode({ domain, task, initialState: r.initialState, finalState: r.finalState, trajectory: r.trajectory });
      episodes++;
    }
  }
}
let seconds = (performance.now() - started) / 1000;
console.log(`orchestrator + grader: ${episodes} episodes in ${seconds.toFixed(2)} s = ${(episodes / seconds).toFixed(0)} episodes/s`);

const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'gw-bench-')), 'bench.db'));
const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: tasksCount }, agents, trials, concurrency: 4 });
started = performance.now();
const result = await executeRun(runId, { store });
seconds = (performance.now() - started) / 1000;
console.log(
  `runner with SQLite commits: ${result.ran} episodes in ${seconds.toFixed(2)} s = ${(result.ran / seconds).toFixed(0)} episodes/s`,
);
await store.close();
