import type { CalibrationSummary, ReliabilityBin } from '../schema/audit.ts';

/** One (stated probability, grounded outcome) pair. */
export interface CalibrationPoint {
  /** The agent's probability of success, in [0, 1]. */
  q: number;
  /** The grounded outcome: 1 when the episode's reward is 1, else 0. */
  y: 0 | 1;
}

/** Number of equal-width bins of the ECE and the reliability diagram. */
export const CALIBRATION_BINS = 10;

const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

/** Brier score: mean((q − y)²). 0 for no points. */
export function brierScore(points: readonly CalibrationPoint[]): number {
  return mean(points.map((p) => (p.q - p.y) ** 2));
}

/** Bin of a probability: [0, 0.1), [0.1, 0.2), …, [0.9, 1.0] (1.0 falls in the last bin). */
export function binOf(q: number, bins = CALIBRATION_BINS): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(q * bins)));
}

/** Reliability-diagram data: per equal-width bin, count, mean q and mean y (null when empty). */
export function reliabilityBins(points: readonly CalibrationPoint[], bins = CALIBRATION_BINS): ReliabilityBin[] {
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const inBin = points.filter((p) => binOf(p.q, bins) === b);
    out.push({
      lower: b / bins,
      upper: (b + 1) / bins,
      count: inBin.length,
      meanConfidence: inBin.length ? mean(inBin.map((p) => p.q)) : null,
      meanOutcome: inBin.length ? mean(inBin.map((p) => p.y)) : null,
    });
  }
  return out;
}

/** Expected calibration error: Σ_b (n_b / N) · |mean q_b − mean y_b| over equal-width bins. */
export function expectedCalibrationError(points: readonly CalibrationPoint[], bins = CALIBRATION_BINS): number {
  if (points.length === 0) return 0;
  let sum = 0;
  for (const bin of reliabilityBins(points, bins)) {
    if (bin.count > 0) sum += (bin.count / points.length) * Math.abs(bin.meanConfidence! - bin.meanOutcome!);
  }
  return sum;
}

/**
 * Area under the ROC curve of q as a score for y: the probability that a random success has a
 * higher q than a random failure (ties count one half). Undefined (null) without both classes.
 */
export function auroc(points: readonly CalibrationPoint[]): number | null {
  const positives = points.filter((p) => p.y === 1).map((p) => p.q);
  const negatives = points.filter((p) => p.y === 0).map((p) => p.q);
  if (positives.length === 0 || negatives.length === 0) return null;
  let wins = 0;
  for (const pos of positives) for (const neg of negatives) wins += pos > neg ? 1 : pos === neg ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

/** RLCR-style reward of one episode: y − (q − y)². */
export function rlcrReward(point: CalibrationPoint): number {
  return point.y - (point.q - point.y) ** 2;
}

/** All calibration metrics of one agent. `missing`: graded episodes without a report. */
export function calibrationSummary(points: readonly CalibrationPoint[], missing = 0): CalibrationSummary {
  return {
    reports: points.length,
    missing,
    brier: brierScore(points),
    ece: expectedCalibrationError(points),
    auroc: auroc(points),
    meanConfidence: mean(points.map((p) => p.q)),
    successRate: mean(points.map((p) => p.y)),
    reliability: reliabilityBins(points),
    meanRlcrReward: mean(points.map(rlcrReward)),
  };
}
