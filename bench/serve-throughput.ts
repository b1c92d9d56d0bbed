/**
 * `groundwork serve` over WebSocket: steps per second and episode latency with 1, 16 and 64
 * concurrent sessions (each a client playing the oracle's actions on helpdesk with the scripted
 * user; every finished episode graded, audited and committed to SQLite on disk, fsynced), and
 * memory per open session (sessions reset and left waiting for their next action).
 * Server and clients share this process: the numbers include the clients' cost. Printed, not asserted.
 * Run: node --expose-gc --import tsx bench/serve-throughput.ts [episodes per client] [sessions for memory]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOracleAgent } from '../src/agents/oracle.ts';
import { startEnvServer } from '../src/serve/server.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';
import { play, WsClient } from '../test/e2e/serve-client.ts';

const episodesPerClient = Number(process.argv[2] ?? 6);
const memorySessions = Number(process.argv[3] ?? 64);
const LEASE = { ttlMs: 600_000, heartbeatMs: 200_000 };

const dir = mkdtempSync(join(tmpdir(), 'gw-bench-serve-'));
const store = SqliteStore.open(join(dir, 'bench.db'));
const server = await startEnvServer({ store, domain: 'helpdesk', port: 0, clientName: 'bench', lease: LEASE, maxSessions: 256 });
const domain = server.run.domain;
const tasks = server.run.tasks;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/** One client: `count` oracle episodes on one connection, round-robin over the tasks. */
async function client(index: number, count: number): Promise<{ steps: number; latencies: number[]; rewards: number[] }> {
  const ws = await WsClient.open(server.wsUrl);
  let steps = 0;
  const latencies: number[] = [];
  const rewards: number[] = [];
  for (let i = 0; i < count; i++) {
    const task = tasks[(index * count + i) % tasks.length];
    const started = performance.now();
    const first = await ws.observation({ type: 'reset', data: { task_id: task.id } });
    const agent = createOracleAgent().start(
      { policy: first.observation.policy ?? '', tools: first.observation.tools ?? [], seed: 0, trial: 0 },
      { task, domain },
    );
    const { last } = await play(agent, first, async (action) => {
      steps++;
      return ws.observation({ type: 'step', data: action });
    });
    latencies.push(performance.now() - started);
    rewards.push(last.reward ?? -1);
  }
  ws.close();
  await ws.closed;
  return { steps, latencies, rewards };
}

// Warm-up: load the domain, JIT the paths.
await client(0, 2);

console.log(`groundwork serve over WebSocket, helpdesk (${tasks.length} tasks), oracle clients, scripted user, SQLite on disk`);
console.log('sessions  episodes  steps   seconds  steps/s  episodes/s  episode latency p50 / p95 / max (ms)  mean reward');
for (const concurrency of [1, 16, 64]) {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: concurrency }, (_, i) => client(i, episodesPerClient)));
  const seconds = (performance.now() - started) / 1000;
  const steps = results.reduce((sum, r) => sum + r.steps, 0);
  const latencies = results.flatMap((r) => r.latencies);
  const rewards = results.flatMap((r) => r.rewards);
  const meanReward = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  console.log(
    `${String(concurrency).padStart(8)}  ${String(latencies.length).padStart(8)}  ${String(steps).padStart(5)}  ${seconds.toFixed(2).padStart(7)}  ${(steps / seconds).toFixed(0).padStart(7)}  ${(latencies.length / seconds).toFixed(1).padStart(10)}  ${percentile(latencies, 50).toFixed(1).padStart(10)} / ${percentile(latencies, 95).toFixed(1)} / ${Math.max(...latencies).toFixed(1)}${' '.repeat(14)}${meanReward.toFixed(3)}`,
  );
}

// Memory per open session: reset sessions and leave them waiting for their next action.
const gc = (globalThis as { gc?: () => void }).gc;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
await settle();
const before = process.memoryUsage();
const open: WsClient[] = [];
for (let i = 0; i < memorySessions; i++) {
  const ws = await WsClient.open(server.wsUrl);
  await ws.observation({ type: 'reset', data: { task_id: tasks[i % tasks.length].id } });
  open.push(ws);
}
await settle();
const afterOpen = process.memoryUsage();
const perHeap = (afterOpen.heapUsed - before.heapUsed) / memorySessions / 1024;
const perRss = (afterOpen.rss - before.rss) / memorySessions / 1024;
console.log(
  `memory per open session (${memorySessions} sessions, episode started, waiting for an action${gc ? '' : '; run with --expose-gc for steadier numbers'}): heap ${perHeap.toFixed(1)} KiB, rss ${perRss.toFixed(1)} KiB (server and client sides together)`,
);
for (const ws of open) ws.close();
await Promise.all(open.map((ws) => ws.closed));
await server.close();
const episodes = await store.listEpisodes(server.runId);
console.log(`stored episodes in the served run: ${episodes.length}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
