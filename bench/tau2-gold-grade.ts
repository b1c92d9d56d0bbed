/**
 * Gold replay and τ² grading of every τ²-bench task: for each task, the initial state (shared
 * frozen base, copy-on-write view, initialisation actions), the gold actions played by their sides
 * as an episode would play them, then `gradeEpisode` by τ²'s rules (which replays the gold actions
 * once more for the DB check). Prints ms per task per domain beside the τ-bench v1 figure.
 *
 *   node --import tsx bench/tau2-gold-grade.ts [domain ...]
 */
import { readFileSync } from 'node:fs';
import { initialStateFor } from '../src/domains/initial-state.ts';
import { builtInDomains } from '../src/domains/registry.ts';
import { executeSideToolCall } from '../src/domains/tools.ts';
import { gradeEpisode } from '../src/grading/grade.ts';
import type { Task } from '../src/schema/task.ts';
import type { TrajectoryEvent } from '../src/schema/trajectory.ts';
import type { Domain } from '../src/domains/domain.ts';

/** Every task of each τ² domain (telecom's generated set holds all 3,405), then τ-bench v1 measured the same way. */
const SETS: [string, string][] = [
  ['tau2-bench/retail', 'base'],
  ['tau2-bench/telecom', 'generated'],
  ['tau2-bench/mock', 'base'],
  ['tau2-bench/banking_knowledge', 'base'],
  ['tau-bench/retail', 'test'],
  ['tau-bench/airline', 'test'],
];

function episode(domain: Domain, task: Task) {
  const state = initialStateFor(domain, task);
  const initial = state.fork();
  const events: TrajectoryEvent[] = [];
  if (task.expected.kind === 'declared') throw new Error(`${task.id} has no gold actions`);
  const actions =
    task.expected.kind === 'tau2' ? task.expected.actions : task.expected.actions.map((a) => ({ ...a, side: 'agent' as const }));
  actions.forEach((action, index) => {
    const id = `call-${index}`;
    const actor = action.side === 'user' ? { actor: 'user' as const } : {};
    events.push({ type: 'tool_call', id, name: action.name, arguments: action.arguments, ...actor });
    const result = executeSideToolCall(domain, state, action.side, action.name, action.arguments);
    events.push({ type: 'tool_result', callId: id, name: action.name, content: result.content, isError: result.isError, ...actor });
  });
  const say = task.oracle.find((step) => step.kind === 'say');
  events.push({ type: 'message', role: 'agent', content: say?.kind === 'say' ? say.text : 'Done.' });
  return gradeEpisode({
    domain,
    task,
    initialState: initial,
    finalState: state,
    trajectory: { events, termination: { reason: 'user_stop' } },
  });
}

const wanted = process.argv.slice(2);
let total = 0;
let totalMs = 0;
const tau2Started = new Set(SETS.filter(([name]) => name.startsWith('tau2-bench/')).map(([name]) => name));
for (const [name, split] of SETS) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  if (!builtInDomains.has(name)) {
    console.log(`${name}: not registered, skipped`);
    continue;
  }
  const loadStarted = performance.now();
  const domain = builtInDomains.create(name);
  const tasks = domain.tasks({ split });
  domain.base();
  const loadMs = performance.now() - loadStarted;
  const started = performance.now();
  const rewards = { pass: 0, fail: 0, pending: 0 };
  for (const task of tasks) {
    const outcome = episode(domain, task);
    if (outcome.tau2?.reward === null) rewards.pending++;
    else if (outcome.reward === 1) rewards.pass++;
    else rewards.fail++;
  }
  const ms = performance.now() - started;
  if (tau2Started.has(name)) {
    total += tasks.length;
    totalMs += ms;
  }
  console.log(
    `${name.padEnd(30)} ${String(tasks.length).padStart(5)} tasks in ${ms.toFixed(0).padStart(6)} ms = ${(ms / tasks.length).toFixed(3)} ms/task ` +
      `(data load ${loadMs.toFixed(0)} ms); oracle rewards: ${rewards.pass} pass, ${rewards.fail} fail, ${rewards.pending} pending a judge`,
  );
}
console.log(`all τ² tasks: ${total} in ${totalMs.toFixed(0)} ms = ${(totalMs / Math.max(1, total)).toFixed(3)} ms/task`);
try {
  const timing = JSON.parse(readFileSync(new URL('../test/fixtures/tau2-parity/timing.json', import.meta.url), 'utf8')) as {
    domains: Record<string, { tasks: number; mode: string; replayPlusGradeMsPerTask: number }[]>;
  };
  // Measured once on a loaded machine when the parity fixtures were made (see the file's `how`).
  for (const [domain, rows] of Object.entries(timing.domains))
    for (const row of rows)
      console.log(`τ²'s own Python, ${domain} (${row.tasks} tasks, ${row.mode}): ${row.replayPlusGradeMsPerTask} ms/task`);
} catch {
  // The reference timing is optional.
}
