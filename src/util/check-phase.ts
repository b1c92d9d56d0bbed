/**
 * `fn`, called later: at the event loop's next check phase (`setImmediate`), where every call made
 * until then runs back to back, in call order. Each call's promise settles with its own result
 * (a promise result is adopted) or its own error; one call that throws does not affect the others.
 *
 * Why: work done at the end of each episode (grading, the audit) inside the microtask that ended
 * it runs among the model I/O of every other episode in flight, and costs several times what it
 * costs done together. Against a 100 ms model at 256 episodes in flight, audits made this way cost
 * about a third of the CPU (about 0.03 against 0.08 ms per model call; `bench/model-latency.ts
 * --audit`, docs/scale.md); each in a `setImmediate` of its own, about half.
 */
export function deferredToCheckPhase<Args extends unknown[], Result>(
  fn: (...args: Args) => Result,
): (...args: Args) => Promise<Awaited<Result>> {
  const call = batchedAtCheckPhase<{ args: Args; resolve: (value: Result) => void; reject: (error: unknown) => void }>((calls) => {
    for (const { args, resolve, reject } of calls) {
      try {
        resolve(fn(...args));
      } catch (error) {
        reject(error);
      }
    }
  });
  return (...args) =>
    new Promise<Awaited<Result>>((resolve, reject) => call({ args, resolve: resolve as (value: Result) => void, reject }));
}

/**
 * Collects items until the event loop's next check phase (`setImmediate`), then hands them to
 * `flush` as one array, in the order they came; an item added while `flush` runs goes to the next
 * batch. The episode threads post their messages with it (one message event per turn, not one per
 * episode), and `deferredToCheckPhase` runs its calls with it.
 */
export function batchedAtCheckPhase<T>(flush: (batch: T[]) => void): (item: T) => void {
  let pending: T[] = [];
  const flushPending = () => {
    const batch = pending;
    pending = [];
    flush(batch);
  };
  return (item) => {
    if (pending.push(item) === 1) setImmediate(flushPending);
  };
}
