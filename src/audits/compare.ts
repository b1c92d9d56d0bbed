import { SeededRandom } from '../util/seeded-random.ts';

/** The facts of a graded episode that a paired comparison needs. */
export interface PairedEpisodeFacts {
  agent: string;
  taskId: string;
  trial: number;
  reward: number;
  termination: string;
}

/** A task whose success count differs between the two sides. */
export interface TaskFlip {
  taskId: string;
  /** Successes / paired trials on side A and B. */
  a: string;
  b: string;
  direction: 'a_better' | 'b_better';
}

/** The paired comparison of one agent of run A with one agent of run B. */
export interface PairedComparison {
  agentA: string;
  agentB: string;
  /** Episode pairs (same task and trial, both graded). */
  pairs: number;
  tasks: number;
  /** pass^1 over the paired episodes. */
  passA: number;
  passB: number;
  /** passB − passA. */
  difference: number;
  /** Percentile bootstrap 95% CI of the difference, resampling tasks. */
  ci95: [number, number];
  /** McNemar's exact test on discordant pairs. */
  mcnemar: { aOnly: number; bOnly: number; pValue: number };
  flips: TaskFlip[];
  /** One plain sentence for humans. */
  verdict: string;
  withinNoise: boolean;
}

/** Options of `comparePaired`. */
export interface CompareOptions {
  /** Bootstrap resamples. @default 2000 */
  resamples?: number;
  /** Seed of the bootstrap. @default 0 */
  seed?: number;
  /** Significance level of the plain verdict. @default 0.05 */
  alpha?: number;
}

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}

/**
 * McNemar's exact test: two-sided binomial test of the discordant counts b and c against
 * p = 1/2, p = min(1, 2 · P(X ≤ min(b, c))) with X ~ Binomial(b + c, 1/2). 1 when b + c = 0.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/**
 * Pairs the episodes of two sides on (task, trial), leaving out infra errors, and compares their
 * pass^1: difference with a task-level bootstrap CI, McNemar's exact test, per-task flips and a
 * plain sentence. Pure: same inputs and seed, same numbers.
 */
export function comparePaired(a: readonly PairedEpisodeFacts[], b: readonly PairedEpisodeFacts[], options: CompareOptions = {}): PairedComparison {
  const key = (e: PairedEpisodeFacts) => `${e.taskId}\u0000${e.trial}`;
  const graded = (list: readonly PairedEpisodeFacts[]) => list.filter((e) => e.termination !== 'infra_error');
  const bByKey = new Map(graded(b).map((e) => [key(e), e]));
  const pairs = graded(a)
    .filter((e) => bByKey.has(key(e)))
    .map((e) => ({ taskId: e.taskId, a: e.reward >= 1 ? 1 : 0, b: bByKey.get(key(e))!.reward >= 1 ? 1 : 0 }));
  const byTask = new Map<string, { a: number; b: number; n: number }>();
  for (const pair of pairs) {
    const tally = byTask.get(pair.taskId) ?? { a: 0, b: 0, n: 0 };
    tally.a += pair.a;
    tally.b += pair.b;
    tally.n++;
    byTask.set(pair.taskId, tally);
  }
  const tasks = [...byTask.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const passA = pairs.length ? pairs.reduce((s, p) => s + p.a, 0) / pairs.length : 0;
  const passB = pairs.length ? pairs.reduce((s, p) => s + p.b, 0) / pairs.length : 0;
  const difference = passB - passA;

  // Bootstrap over tasks: trials of a task are not independent, tasks are.
  const resamples = options.resamples ?? 2000;
  const random = new SeededRandom(options.seed ?? 0);
  const diffs: number[] = [];
  if (tasks.length > 0) {
    for (let r = 0; r < resamples; r++) {
      let sa = 0;
      let sb = 0;
      let n = 0;
      for (let i = 0; i < tasks.length; i++) {
        const [, t] = tasks[Math.floor(random.next() * tasks.length)];
        sa += t.a;
        sb += t.b;
        n += t.n;
      }
      diffs.push((sb - sa) / n);
    }
    diffs.sort((x, y) => x - y);
  }
  const at = (q: number) => (diffs.length ? diffs[Math.min(diffs.length - 1, Math.max(0, Math.floor(q * diffs.length)))] : 0);
  const ci95: [number, number] = [round(at(0.025)), round(at(0.975))];

  const aOnly = pairs.filter((p) => p.a === 1 && p.b === 0).length;
  const bOnly = pairs.filter((p) => p.a === 0 && p.b === 1).length;
  const pValue = mcnemarExact(aOnly, bOnly);
  const flips: TaskFlip[] = tasks
    .filter(([, t]) => t.a !== t.b)
    .map(([taskId, t]) => ({ taskId, a: `${t.a}/${t.n}`, b: `${t.b}/${t.n}`, direction: t.a > t.b ? 'a_better' : 'b_better' }));

  const alpha = options.alpha ?? 0.05;
  const ciHasZero = ci95[0] <= 0 && ci95[1] >= 0;
  const withinNoise = pairs.length === 0 || ciHasZero || pValue >= alpha;
  const verdict =
    pairs.length === 0
      ? 'No shared (task, trial) pairs: the runs cannot be compared.'
      : withinNoise
        ? `The difference in pass^1 (${signed(difference)}) is within noise: the 95% CI [${ci95[0].toFixed(3)}, ${ci95[1].toFixed(3)}] ${ciHasZero ? 'contains 0' : 'excludes 0'} and McNemar's exact test gives p = ${pValue.toFixed(3)} on ${aOnly + bOnly} discordant pair(s).`
        : `${difference > 0 ? 'B' : 'A'} is better: pass^1 ${passA.toFixed(3)} → ${passB.toFixed(3)} (${signed(difference)}, 95% CI [${ci95[0].toFixed(3)}, ${ci95[1].toFixed(3)}], McNemar p = ${pValue.toFixed(3)}).`;
  return {
    agentA: a[0]?.agent ?? '',
    agentB: b[0]?.agent ?? '',
    pairs: pairs.length,
    tasks: tasks.length,
    passA: round(passA),
    passB: round(passB),
    difference: round(difference),
    ci95,
    mcnemar: { aOnly, bOnly, pValue },
    flips,
    verdict,
    withinNoise,
  };
}
