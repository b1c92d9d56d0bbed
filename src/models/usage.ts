import type { Usage } from '../schema/trajectory.ts';
import type { ModelPrice } from './model-config.ts';

/** Usage with every count at zero. */
export function emptyUsage(): Usage {
  return { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0 };
}

/** Sum of usages (a new object). */
export function addUsage(...usages: (Usage | undefined)[]): Usage {
  const sum = emptyUsage();
  for (const usage of usages) {
    if (!usage) continue;
    sum.calls += usage.calls;
    sum.inputTokens += usage.inputTokens;
    sum.outputTokens += usage.outputTokens;
    sum.costUsd += usage.costUsd;
    sum.latencyMs += usage.latencyMs;
  }
  return sum;
}

/** Cost in US dollars of a call from a price per million tokens (0 when unpriced). */
export function costUsd(price: ModelPrice | undefined, inputTokens: number, outputTokens: number): number {
  if (!price) return 0;
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
}
