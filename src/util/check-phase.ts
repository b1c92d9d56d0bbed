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
  let queue: { args: Args; resolve: (value: Result) => void; reject: (error: unknown) => void }[] = [];
  const runQueued = () => {
    const calls = queue;
    queue = [];
    for (const call of calls) {
      try {
        call.resolve(fn(...call.args));
      } catch (error) {
        call.reject(error);
      }
    }
  };
  return (...args) =>
    new Promise<Awaited<Result>>((resolve, reject) => {
      queue.push({ args, resolve: resolve as (value: Result) => void, reject });
      if (queue.length === 1) setImmediate(runQueued);
    });
}
