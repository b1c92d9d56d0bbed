import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  auroc,
  binOf,
  brierScore,
  calibrationSummary,
  expectedCalibrationError,
  reliabilityBins,
  rlcrReward,
  type CalibrationPoint,
} from './calibration.ts';

// Six fixed reports; every expected number below is computed by hand in the comments.
const points: CalibrationPoint[] = [
  { q: 0.9, y: 1 },
  { q: 0.8, y: 0 },
  { q: 0.3, y: 0 },
  { q: 0.6, y: 1 },
  { q: 0.1, y: 0 },
  { q: 0.85, y: 1 },
];
const close = (actual: number | null, expected: number) =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

describe('calibration metrics on fixed inputs', () => {
  it('Brier = mean (q − y)²', () => {
    // 0.01 + 0.64 + 0.09 + 0.16 + 0.01 + 0.0225 = 0.9325; / 6
    close(brierScore(points), 0.9325 / 6);
  });

  it('ECE over 10 equal-width bins', () => {
    // bins: 9 {0.9|1} → 0.1; 8 {0.8|0, 0.85|1} → |0.825 − 0.5| = 0.325 (n 2); 6 → 0.4; 3 → 0.3; 1 → 0.1
    close(expectedCalibrationError(points), (0.1 + 2 * 0.325 + 0.4 + 0.3 + 0.1) / 6);
    assert.equal(binOf(1), 9);
    assert.equal(binOf(0), 0);
    assert.equal(binOf(0.1), 1);
  });

  it('AUROC: share of (success, failure) pairs ranked right, ties one half', () => {
    // successes 0.9, 0.6, 0.85 vs failures 0.8, 0.3, 0.1: 3 + 2 + 3 = 8 of 9
    close(auroc(points), 8 / 9);
    close(
      auroc([
        { q: 0.5, y: 1 },
        { q: 0.5, y: 0 },
      ]),
      0.5,
    );
    assert.equal(auroc([{ q: 0.5, y: 1 }]), null);
  });

  it('reliability bins, RLCR reward and the summary agree', () => {
    const bins = reliabilityBins(points);
    assert.equal(bins.length, 10);
    assert.deepEqual(bins[8], { lower: 0.8, upper: 0.9, count: 2, meanConfidence: 0.825, meanOutcome: 0.5 });
    assert.equal(bins[0].count, 0);
    assert.equal(bins[0].meanConfidence, null);
    close(rlcrReward({ q: 0.9, y: 1 }), 0.99);
    close(rlcrReward({ q: 0.8, y: 0 }), -0.64);
    const summary = calibrationSummary(points, 2);
    assert.equal(summary.reports, 6);
    assert.equal(summary.missing, 2);
    close(summary.meanConfidence, 3.55 / 6);
    close(summary.successRate, 0.5);
    close(summary.meanRlcrReward, (0.99 - 0.64 - 0.09 + 0.84 - 0.01 + 0.9775) / 6);
  });
});
