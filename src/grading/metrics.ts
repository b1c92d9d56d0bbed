import type { TerminationReason } from '../schema/trajectory.ts';
import { TERMINATION_REASONS } from '../schema/trajectory.ts';
import { SeededRandom } from '../util/seeded-random.ts';
import { passAtK, passHatK, type TaskTally } from './pass-k.ts';

/** The facts of one graded episode that metrics need. */
export interface EpisodeFacts {
  agent: string;
  taskId: string;
  family: string;
  trial: number;
  reward: number;
  termination: TerminationReason;
}

/** Summary metrics of one agent over a run. */
export interface AgentMetrics {
  /** All episodes, infra errors included. */
  episodes: number;
  /** Episodes that ran (not infra_error): the denominator of every rate below. */
  graded: number;
  infraErrors: number;
  /** Mean reward over graded episodes; null when nothing was graded (no reward, not 0). */
  meanReward: number | null;
  /** pass^k for k = 1..max trials, keyed by k. */
  passHatK: Record<string, number>;
  passAtK: Record<string, number>;
  /**
   * Tasks each pass^k / pass@k averages over (tasks with at least k graded trials), keyed by k.
   * They differ between columns when a run is partial, e.g. interrupted or with infra errors.
   */
  passKTasks: Record<string, number>;
  /** Bootstrap 95% CI of pass^1 (resampling tasks); null when nothing was graded. */
  ci95: [number, number] | null;
  /** Share of tasks (with >= 2 graded trials) whose trials disagree; null when no task has 2. */
  flipRate: number | null;
  /** Tasks with at least one graded episode. */
  tasks: number;
  terminations: Record<TerminationReason, number>;
  families: Record<string, { episodes: number; meanReward: number }>;
}

/** Options of `summarise`. */
export interface SummaryOptions {
  /** Bootstrap resamples. @default 2000 */
  resamples?: number;
  /** Seed of the bootstrap. @default 0 */
  seed?: number;
}

const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

/** Percentile bootstrap CI of the mean of per-task values. */
export function bootstrapMeanCi(values: readonly number[], resamples: number, seed: number): [number, number] {
  if (values.length === 0) return [0, 0];
  const random = new SeededRandom(seed);
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random.next() * values.length)];
    means.push(sum / values.length);
  }
  means.sort((a, b) => a - b);
  const at = (q: number) => means[Math.min(means.length - 1, Math.max(0, Math.floor(q * means.length)))];
  return [at(0.025), at(0.975)];
}

/** Per-task tallies from graded episodes (infra errors left out: they are not a verdict). */
export function tallyTasks(episodes: readonly EpisodeFacts[]): Map<string, TaskTally> {
  const tallies = new Map<string, TaskTally>();
  for (const episode of episodes) {
    if (episode.termination === 'infra_error') continue;
    const tally = tallies.get(episode.taskId) ?? { successes: 0, trials: 0 };
    tally.trials++;
    if (episode.reward >= 1) tally.successes++;
    tallies.set(episode.taskId, tally);
  }
  return tallies;
}

/** Metrics per agent. Pure: same episodes, same numbers. */
export function summarise(episodes: readonly EpisodeFacts[], options: SummaryOptions = {}): Record<string, AgentMetrics> {
  const byAgent = new Map<string, EpisodeFacts[]>();
  for (const episode of episodes) {
    const list = byAgent.get(episode.agent) ?? [];
    list.push(episode);
    byAgent.set(episode.agent, list);
  }
  const out: Record<string, AgentMetrics> = {};
  for (const [agent, list] of byAgent) {
    const graded = list.filter((e) => e.termination !== 'infra_error');
    const tallies = [...tallyTasks(list).values()];
    const maxTrials = Math.max(0, ...tallies.map((t) => t.trials));
    const hat: Record<string, number> = {};
    const at: Record<string, number> = {};
    const covered: Record<string, number> = {};
    for (let k = 1; k <= maxTrials; k++) {
      const h = passHatK(tallies, k);
      const a = passAtK(tallies, k);
      if (h !== undefined) hat[String(k)] = h;
      if (a !== undefined) at[String(k)] = a;
      covered[String(k)] = tallies.filter((t) => t.trials >= k).length;
    }
    const multi = tallies.filter((t) => t.trials >= 2);
    const flips = multi.filter((t) => t.successes > 0 && t.successes < t.trials).length;
    const terminations = Object.fromEntries(TERMINATION_REASONS.map((r) => [r, 0])) as Record<TerminationReason, number>;
    for (const e of list) terminations[e.termination]++;
    const families: Record<string, { episodes: number; meanReward: number }> = {};
    for (const family of [...new Set(graded.map((e) => e.family))].sort()) {
      const inFamily = graded.filter((e) => e.family === family);
      families[family] = { episodes: inFamily.length, meanReward: mean(inFamily.map((e) => e.reward)) };
    }
    out[agent] = {
      episodes: list.length,
      graded: graded.length,
      infraErrors: list.length - graded.length,
      meanReward: graded.length === 0 ? null : mean(graded.map((e) => e.reward)),
      passHatK: hat,
      passAtK: at,
      passKTasks: covered,
      ci95:
        tallies.length === 0
          ? null
          : bootstrapMeanCi(
              tallies.map((t) => t.successes / t.trials),
              options.resamples ?? 2000,
              options.seed ?? 0,
            ),
      flipRate: multi.length === 0 ? null : flips / multi.length,
      tasks: tallies.length,
      terminations,
      families,
    };
  }
  return out;
}

/**
 * A note when an agent's pass^k columns average different task sets (a partial run: interrupted,
 * or trials lost to infra errors), e.g. "pass^3 over 12 tasks, pass^1 over 21": such columns
 * are not comparable, and pass^3 may even exceed pass^1. Undefined when every column covers the
 * same tasks.
 */
export function passKCoverageNote(metrics: Pick<AgentMetrics, 'passKTasks'>): string | undefined {
  const ks = Object.keys(metrics.passKTasks)
    .map(Number)
    .sort((a, b) => a - b);
  if (ks.length < 2 || ks.every((k) => metrics.passKTasks[k] === metrics.passKTasks[ks[0]])) return undefined;
  // Consecutive k with the same coverage form one group ("pass^1–2 over 21 tasks"); largest k first.
  const groups: { lo: number; hi: number; n: number }[] = [];
  for (const k of ks) {
    const n = metrics.passKTasks[k];
    const last = groups[groups.length - 1];
    if (last && last.n === n && last.hi === k - 1) last.hi = k;
    else groups.push({ lo: k, hi: k, n });
  }
  return groups
    .reverse()
    .map((g) => `pass^${g.lo === g.hi ? g.lo : `${g.lo}–${g.hi}`} over ${g.n} task${g.n === 1 ? '' : 's'}`)
    .join(', ');
}
