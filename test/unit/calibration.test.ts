// Calibration bins and ECE against hand-worked values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addToBins, binOf, emptyBins, expectedCalibrationError, mergeBins, topProbability } from '../../src/server/engine/metrics/calibration';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`);

test('15 equal-width bins; 1.0 falls in the last', () => {
  assert.equal(binOf(0), 0);
  assert.equal(binOf(1 / 15 - 1e-12), 0);
  assert.equal(binOf(1 / 15), 1);
  assert.equal(binOf(1), 14);
});

test('ECE by hand: two bins, one over-confident, one calibrated', () => {
  const bins = emptyBins();
  // bin of 0.95: four samples at 0.95, two right -> |0.5 - 0.95| = 0.45
  for (const correct of [true, true, false, false]) addToBins(bins, 0.95, correct);
  // bin of 0.5: four samples at 0.5, two right -> 0
  for (const correct of [true, false, true, false]) addToBins(bins, 0.5, correct);
  close(expectedCalibrationError(bins), 0.5 * 0.45);
  close(expectedCalibrationError(emptyBins()), 0);
  const merged = mergeBins(emptyBins(), bins);
  close(expectedCalibrationError(merged), 0.225);
});

test('top probability: softmax of logits, probabilities as they are', () => {
  close(topProbability(Float32Array.from([0, 0]), 0, 2), 0.5);
  close(topProbability(Float32Array.from([Math.log(3), 0]), 0, 2), 0.75);
  close(topProbability(Float32Array.from([9, 0.2, 0.7, 0.1]), 1, 3), 0.7);
  // Large logits do not overflow.
  close(topProbability(Float32Array.from([1000, 0]), 0, 2), 1);
});
