import { SeededRandom } from '../util/seeded-random.ts';

/** The facts of a graded episode that a paired comparison needs. */
export interface PairedEpisodeFacts {
  agent: string;
  taskId: string;
  /**
   * What pairs the episode with the other side: its task's content (`taskPairKeys`), never the
   * task id alone, which names different tasks in worlds of different seeds.
   */
  taskKey: string;
  trial: number;
  reward: number;
  termination: string;
}

/** A task whose success count differs between the two sides. */
export interface TaskFlip {
  /** The task's id in run A (and in B unless `taskIdB` says otherwise). */
  taskId: string;
  /** The same task's id in run B, when it differs. */
  taskIdB?: string;
  /** Successes / paired trials on side A and B. */
  a: string;
  b: string;
  direction: 'a_better' | 'b_better';
}

/** The paired comparison of one agent of run A with one agent of run B. */
export interface PairedComparison {
  agentA: string;
  agentB: string;
  /** Episode pairs (same task content and trial, both graded). */
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

/** How the tasks of two runs match by content. */
export interface TaskMatch {
  /** Tasks of each run. */
  tasksA: number;
  tasksB: number;
  /** Tasks of A whose content (hash) B has too: the only ones compared. */
  shared: number;
  /** Task ids present in both runs whose content differs (e.g. worlds of different --domain-seed). */
  differ: number;
  /** Tasks of one run whose id and content the other run lacks. */
  onlyA: number;
  onlyB: number;
  /** One line when not every task is shared, e.g. "comparing 12 of 21 tasks: 9 differ in content". */
  note?: string;
}

/**
 * Pair keys of a run's tasks: the content hash, with an occurrence suffix when a run holds two
 * tasks of identical content under different ids (so neither side pairs one episode twice).
 */
export function taskPairKeys(hashes: ReadonlyMap<string, string>): Map<string, string> {
  const seen = new Map<string, number>();
  const keys = new Map<string, string>();
  for (const [taskId, hash] of hashes) {
    const n = seen.get(hash) ?? 0;
    seen.set(hash, n + 1);
    keys.set(taskId, n === 0 ? hash : `${hash}#${n}`);
  }
  return keys;
}

/** Which tasks two runs share by content (`Store.runTaskHashes` of each), and a line saying so. */
export function matchTasks(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): TaskMatch {
  const keysA = taskPairKeys(a);
  const keysB = taskPairKeys(b);
  const inB = new Set(keysB.values());
  const inA = new Set(keysA.values());
  const shared = [...keysA.values()].filter((key) => inB.has(key)).length;
  const differ = [...keysA].filter(([id, key]) => keysB.has(id) && keysB.get(id) !== key).length;
  const onlyA = [...keysA].filter(([id, key]) => !inB.has(key) && !keysB.has(id)).length;
  const onlyB = [...keysB].filter(([id, key]) => !inA.has(key) && !keysA.has(id)).length;
  const match: TaskMatch = { tasksA: a.size, tasksB: b.size, shared, differ, onlyA, onlyB };
  if (shared < a.size || shared < b.size) {
    const why = [differ ? `${differ} differ in content` : '', onlyA ? `${onlyA} only in A` : '', onlyB ? `${onlyB} only in B` : ''].filter(
      Boolean,
    );
    match.note = `comparing ${shared} of ${a.size} tasks${b.size !== a.size ? ` (B has ${b.size})` : ''}${why.length ? `: ${why.join(', ')}` : ''}`;
  }
  return match;
}

/** Episode rows with the pair key of their task (rows of tasks not in `keys` are dropped). */
export function withTaskKeys<T extends Omit<PairedEpisodeFacts, 'taskKey'>>(
  rows: readonly T[],
  keys: ReadonlyMap<string, string>,
): PairedEpisodeFacts[] {
  return rows.flatMap((row) => {
    const taskKey = keys.get(row.taskId);
    return taskKey === undefined
      ? []
      : [{ agent: row.agent, taskId: row.taskId, taskKey, trial: row.trial, reward: row.reward, termination: row.termination }];
  });
}

/**
 * Pairs the episodes of two sides on (task content, trial), leaving out infra errors, and
 * compares their pass^1: difference with a task-level bootstrap CI, McNemar's exact test,
 * per-task flips and a plain sentence. Pure: same inputs and seed, same numbers.
 */
export function comparePaired(
  a: readonly PairedEpisodeFacts[],
  b: readonly PairedEpisodeFacts[],
  options: CompareOptions = {},
): PairedComparison {
  const key = (e: PairedEpisodeFacts) => `${e.taskKey}\u0000${e.trial}`;
  const graded = (list: readonly PairedEpisodeFacts[]) => list.filter((e) => e.termination !== 'infra_error');
  const bByKey = new Map(graded(b).map((e) => [key(e), e]));
  const pairs = graded(a)
    .filter((e) => bByKey.has(key(e)))
    .map((e) => ({
      taskKey: e.taskKey,
      taskId: e.taskId,
      taskIdB: bByKey.get(key(e))!.taskId,
      a: e.reward >= 1 ? 1 : 0,
      b: bByKey.get(key(e))!.reward >= 1 ? 1 : 0,
    }));
  const byTask = new Map<string, { taskId: string; taskIdB: string; a: number; b: number; n: number }>();
  for (const pair of pairs) {
    const tally = byTask.get(pair.taskKey) ?? { taskId: pair.taskId, taskIdB: pair.taskIdB, a: 0, b: 0, n: 0 };
    tally.a += pair.a;
    tally.b += pair.b;
    tally.n++;
    byTask.set(pair.taskKey, tally);
  }
  // Ordered by A's task id, so flips read in the run's order whatever the hashes are.
  const tasks = [...byTask.entries()].sort(([, x], [, y]) => (x.taskId < y.taskId ? -1 : x.taskId > y.taskId ? 1 : 0));
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
    .map(([, t]) => ({
      taskId: t.taskId,
      ...(t.taskIdB !== t.taskId ? { taskIdB: t.taskIdB } : {}),
      a: `${t.a}/${t.n}`,
      b: `${t.b}/${t.n}`,
      direction: t.a > t.b ? 'a_better' : 'b_better',
    }));

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
