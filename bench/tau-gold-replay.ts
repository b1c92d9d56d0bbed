/**
 * Gold-replay throughput of the τ-bench domains: replays and grades every gold task (final state of
 * a second replay equals the gold state), once on the shared frozen base with copy-on-write views
 * and once reloading the JSON data for every task, as τ-bench does.
 *
 * Then the anchor against τ-bench's own Python: the 165 τ-bench test tasks (retail 115, airline 50),
 * each replayed as an agent would (its gold actions from the task's initial state) and graded by the
 * real grader (`gradeEpisode`), ms per task; with a τ-bench checkout given, the same work done by
 * τ-bench's own code (`bench/tau_bench_reference.py`: reset, step each gold action,
 * calculate_reward) is timed beside it and the pass counts are compared.
 *
 *   node --import tsx bench/tau-gold-replay.ts [--tau-bench DIR]   (or TAU_BENCH_DIR=DIR)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDomain } from '../src/domains/registry.ts';
import { initialStateFor } from '../src/domains/initial-state.ts';
import { gradeEpisode } from '../src/grading/grade.ts';
import { canonicalJson } from '../src/schema/json.ts';
import { TableState } from '../src/state/table-state.ts';
import { openTauBench, replayActions, type TauDomainName } from '../src/domains/tau-bench/index.ts';

const SETS: [TauDomainName, string[]][] = [
  ['tau-bench/retail', ['test', 'train', 'dev']],
  ['tau-bench/airline', ['test']],
  ['tau2-bench/retail', ['base']],
];

function run(reloadPerTask: boolean): { tasks: number; passed: number; loadMs: number; ms: number } {
  let tasks = 0;
  let passed = 0;
  let loadMs = 0;
  const started = performance.now();
  for (const [name, splits] of SETS) {
    const t0 = performance.now();
    let bench = openTauBench(name);
    bench.world();
    loadMs += performance.now() - t0;
    for (const split of splits) {
      for (const source of bench.sources(split)) {
        if (reloadPerTask) {
          bench = openTauBench(name);
          bench.world();
        }
        const world = bench.world();
        const gold = TableState.over(world.base, 'base');
        replayActions(bench.domain.tools, gold, source.actions);
        // Stand-in for an agent's episode: the same actions on another fresh view, graded by state.
        const episode = TableState.over(world.base, 'base');
        replayActions(bench.domain.tools, episode, source.actions);
        tasks++;
        if (canonicalJson(gold.changesFromBase()) === canonicalJson(episode.changesFromBase())) passed++;
      }
    }
  }
  return { tasks, passed, loadMs, ms: performance.now() - started };
}

const shared = run(false);
console.log(
  `shared base:      ${shared.tasks} tasks (${shared.passed} graded equal) in ${shared.ms.toFixed(0)} ms ` +
    `= ${((shared.tasks / shared.ms) * 1000).toFixed(0)} tasks/s; data load ${shared.loadMs.toFixed(0)} ms for 3 domains`,
);
const reload = run(true);
console.log(
  `reload per task:  ${reload.tasks} tasks (${reload.passed} graded equal) in ${reload.ms.toFixed(0)} ms ` +
    `= ${((reload.tasks / reload.ms) * 1000).toFixed(1)} tasks/s`,
);
console.log(`speed-up of the shared copy-on-write base: ${(reload.ms / shared.ms).toFixed(1)}x`);

/** Gold replay + grading through the real grader, per τ-bench v1 test task. */
function anchor(name: 'tau-bench/retail' | 'tau-bench/airline'): { tasks: number; passed: number; msPerTask: number } {
  const domain = createDomain(name);
  const tasks = domain.tasks({ split: 'test' });
  let passed = 0;
  const started = performance.now();
  for (const task of tasks) {
    if (task.expected.kind !== 'gold-replay') throw new Error(`${task.id}: not a gold-replay task`);
    const initialState = initialStateFor(domain, task);
    const finalState = initialState.fork();
    replayActions(domain.tools, finalState, task.expected.actions);
    const outcome = gradeEpisode({
      domain,
      task,
      initialState,
      finalState,
      trajectory: { events: [], termination: { reason: 'user_stop' } },
    });
    if (outcome.reward === 1) passed++;
  }
  return { tasks: tasks.length, passed, msPerTask: (performance.now() - started) / tasks.length };
}

const flag = process.argv.indexOf('--tau-bench');
const tauBenchDir = flag >= 0 ? process.argv[flag + 1] : process.env.TAU_BENCH_DIR;
const python = new Map<string, { tasks: number; passed: number; msPerTask: number }>();
if (tauBenchDir) {
  const script = fileURLToPath(new URL('./tau_bench_reference.py', import.meta.url));
  const out = execFileSync(process.env.PYTHON ?? 'python3', [script, tauBenchDir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  for (const line of out.trim().split('\n')) {
    const row = JSON.parse(line) as { domain: string; tasks: number; passed: number; msPerTask: number };
    python.set(row.domain, row);
  }
}
console.log("\nτ-bench test tasks, gold replay + grading per task (Groundwork: median of 5 passes; τ-bench's own Python):");
for (const name of ['tau-bench/retail', 'tau-bench/airline'] as const) {
  anchor(name); // warm-up: data load and JIT
  // Median of five passes: one pass is a few hundred ms, easily disturbed by other work on the machine.
  const passes = Array.from({ length: 5 }, () => anchor(name)).sort((a, b) => a.msPerTask - b.msPerTask);
  const ours = passes[2];
  const theirs = python.get(name);
  console.log(
    `  ${name.padEnd(18)} ${ours.tasks} tasks, ${ours.passed} pass: ${ours.msPerTask.toFixed(2)} ms/task` +
      (theirs
        ? ` | Python ${theirs.tasks} tasks, ${theirs.passed} pass: ${theirs.msPerTask.toFixed(1)} ms/task | ${(theirs.msPerTask / ours.msPerTask).toFixed(0)}x faster`
        : ' | Python reference: pass --tau-bench DIR (a checkout of sierra-research/tau-bench) to time it'),
  );
}
