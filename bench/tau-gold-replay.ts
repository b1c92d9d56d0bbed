/**
 * Gold-replay throughput of the τ-bench domains: replays and grades every gold task (final state of
 * a second replay equals the gold state), once on the shared frozen base with copy-on-write views
 * and once reloading the JSON data for every task, as τ-bench does.
 *
 *   node --import tsx bench/tau-gold-replay.ts
 */
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
