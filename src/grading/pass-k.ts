/** Binomial coefficient C(n, k) as a float (exact for the sizes used here). */
export function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/**
 * pass^k for one task (τ-bench): the chance that k trials drawn without replacement from n all
 * succeed, C(c, k) / C(n, k). Undefined when n < k.
 */
export function taskPassHatK(successes: number, trials: number, k: number): number | undefined {
  if (trials < k || k < 1) return undefined;
  return choose(successes, k) / choose(trials, k);
}

/** pass@k for one task: the chance that at least one of k drawn trials succeeds. */
export function taskPassAtK(successes: number, trials: number, k: number): number | undefined {
  if (trials < k || k < 1) return undefined;
  return 1 - choose(trials - successes, k) / choose(trials, k);
}

/** Successes and trials of one task. */
export interface TaskTally {
  successes: number;
  trials: number;
}

/** Mean of per-task pass^k over the tasks with at least k trials (undefined when none). */
export function passHatK(tasks: readonly TaskTally[], k: number): number | undefined {
  const values = tasks.map((t) => taskPassHatK(t.successes, t.trials, k)).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Mean of per-task pass@k over the tasks with at least k trials. */
export function passAtK(tasks: readonly TaskTally[], k: number): number | undefined {
  const values = tasks.map((t) => taskPassAtK(t.successes, t.trials, k)).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}
