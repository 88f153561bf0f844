// Distribution-shift metrics against hand-worked values and the published examples of scikit-learn's docs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy,
  accuracyFromPredictions,
  aurocBinary,
  aurocOvrMacro,
  balancedAccuracy,
  balancedAccuracyFromPredictions,
  brierScore,
  brierScoreBinary,
  expectedCalibrationError,
  macroF1,
  macroF1FromPredictions,
  negativeLogLikelihood,
  sensitivitySpecificity,
} from '../../src/server/engine/shift/metrics';

const close = (a: number | null, b: number, tol = 1e-6) => {
  assert.ok(a !== null, `expected ${b}, got null`);
  assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);
};
const i32 = (xs: number[]) => Int32Array.from(xs);
const f32 = (rows: number[][]) => Float32Array.from(rows.flat());
/** One-hot rows for predicted labels, so the probability entry points see exactly these predictions. */
const oneHot = (pred: number[], K: number) => f32(pred.map((c) => Array.from({ length: K }, (_, k) => (k === c ? 1 : 0))));

test('accuracy: arg-max against labels', () => {
  close(accuracyFromPredictions(i32([0, 1, 2, 3]), i32([0, 2, 1, 3])), 0.5); // sklearn accuracy_score example
  close(accuracy(f32([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]), i32([0, 0, 0]), 2), 2 / 3);
});

test('balanced accuracy: scikit-learn example is 0.625', () => {
  const yTrue = [0, 1, 0, 0, 1, 0];
  const yPred = [0, 1, 0, 0, 0, 1];
  close(balancedAccuracyFromPredictions(i32(yTrue), i32(yPred)), 0.625);
  close(balancedAccuracy(oneHot(yPred, 2), i32(yTrue), 2), 0.625);
});

test('balanced accuracy: classes missing from predictions count 0, classes only predicted are skipped', () => {
  // recalls 1, 1, 0
  close(balancedAccuracyFromPredictions(i32([0, 1, 2, 2]), i32([0, 1, 1, 1])), 2 / 3);
  // class 2 appears only in predictions: recalls 1/2 and 1
  close(balancedAccuracyFromPredictions(i32([0, 0, 1]), i32([0, 2, 1])), 0.75);
});

test('macro F1: scikit-learn example is 0.2666...', () => {
  const yTrue = [0, 1, 2, 0, 1, 2];
  const yPred = [0, 2, 1, 0, 0, 1];
  close(macroF1FromPredictions(i32(yTrue), i32(yPred)), 0.8 / 3);
  close(macroF1(oneHot(yPred, 3), i32(yTrue), 3), 0.8 / 3);
});

test('macro F1: a class never predicted scores 0; a class in neither vector is left out', () => {
  // F1 per class: 1, 2*(1/3*1)/(4/3) = 0.5, 0 (never predicted)
  close(macroF1FromPredictions(i32([0, 1, 2, 2]), i32([0, 1, 1, 1])), 0.5);
  // class 2 only predicted: F1 2/3, 1, 0 -> 5/9; with K = 4, class 3 is in neither and does not dilute
  close(macroF1FromPredictions(i32([0, 0, 1]), i32([0, 2, 1])), 5 / 9);
  close(macroF1(oneHot([0, 2, 1], 4), i32([0, 0, 1]), 4), 5 / 9);
});

test('AUROC: scikit-learn roc_auc_score example is 0.75', () => {
  close(aurocBinary([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  close(aurocBinary([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
});

test('AUROC: ties count one half (mid-ranks)', () => {
  close(aurocBinary([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]), 0.5);
  // pairs (pos, neg): (0.5, 0.5) 1/2, (0.5, 0.2) 1, (0.8, 0.5) 1, (0.8, 0.2) 1 -> 3.5 / 4
  close(aurocBinary([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1]), 0.875);
  close(aurocBinary([0.9, 0.1], [0, 1]), 0);
});

test('AUROC: one class only gives null, not NaN; NaN scores are rejected', () => {
  assert.equal(aurocBinary([0.1, 0.9], [1, 1]), null);
  assert.equal(aurocBinary([0.1, 0.9], [0, 0]), null);
  assert.throws(() => aurocBinary([0.1, NaN], [0, 1]), RangeError);
});

test('AUROC one-vs-rest macro over classes with positives and negatives', () => {
  const probs = f32([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.6, 0.1]]);
  // class 0: 1; class 1: positive 0.5 beats 0.2 and 0.3, loses to 0.6 -> 2/3; class 2: 1
  close(aurocOvrMacro(probs, i32([0, 1, 2, 0]), 3), 8 / 9);
  // class 2 absent from the labels: mean over classes 0 and 1 only
  const two = f32([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.6, 0.3]]);
  // class 0: positives 0.7, 0.6 vs negatives 0.2, 0.1 -> 1; class 1: positives 0.5, 0.6 vs 0.2, 0.3 -> 1
  close(aurocOvrMacro(two, i32([0, 1, 0, 1]), 3), 1);
  assert.equal(aurocOvrMacro(f32([[0.5, 0.5], [0.2, 0.8]]), i32([1, 1]), 2), null);
});

test('sensitivity and specificity at a threshold (>= counts positive)', () => {
  const probs = f32([[0.1, 0.9], [0.6, 0.4], [0.4, 0.6], [0.8, 0.2], [0.5, 0.5]]);
  const r = sensitivitySpecificity(probs, i32([1, 1, 0, 0, 1]), 2, 1, 0.5);
  close(r.sensitivity, 2 / 3);
  close(r.specificity, 0.5);
  const noPositives = sensitivitySpecificity(probs, i32([0, 0, 0, 0, 0]), 2, 1, 0.5);
  assert.equal(noPositives.sensitivity, null);
  close(noPositives.specificity, 0.4); // all five negative; 0.9, 0.6, 0.5 are >= 0.5 -> 2/5
  const noNegatives = sensitivitySpecificity(probs, i32([1, 1, 1, 1, 1]), 2, 1, 0.5);
  close(noNegatives.sensitivity, 0.6);
  assert.equal(noNegatives.specificity, null);
  assert.throws(() => sensitivitySpecificity(probs, i32([1, 1, 0, 0, 1]), 2, 2, 0.5), RangeError);
});

test('Brier: scikit-learn brier_score_loss example is 0.0375; multiclass is twice it for K = 2', () => {
  close(brierScoreBinary([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0]), 0.0375);
  const probs = f32([[0.9, 0.1], [0.1, 0.9], [0.2, 0.8], [0.7, 0.3]]);
  close(brierScore(probs, i32([0, 1, 1, 0]), 2), 0.075);
  // K = 3: (0.09 + 0.04 + 0.01 + 0.04 + 0.25 + 0.49) / 2
  close(brierScore(f32([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]]), i32([0, 2]), 3), 0.46);
  assert.throws(() => brierScoreBinary([1.2], [1]), RangeError);
});

test('negative log-likelihood, with clipping at 1e-15', () => {
  close(negativeLogLikelihood(f32([[0.5, 0.5], [0.25, 0.75]]), i32([0, 1]), 2), (Math.LN2 + Math.log(4 / 3)) / 2);
  close(negativeLogLikelihood(f32([[1, 0]]), i32([1]), 2), -Math.log(1e-15));
  close(negativeLogLikelihood(f32([[1, 0]]), i32([0]), 2), 0);
});

test('rows not summing to 1 are normalised', () => {
  const raw = f32([[2, 2], [1, 3]]);
  const unit = f32([[0.5, 0.5], [0.25, 0.75]]);
  const labels = i32([0, 1]);
  close(negativeLogLikelihood(raw, labels, 2), negativeLogLikelihood(unit, labels, 2));
  close(brierScore(raw, labels, 2), brierScore(unit, labels, 2));
  close(expectedCalibrationError(raw, labels, 2), expectedCalibrationError(unit, labels, 2));
  close(aurocOvrMacro(raw, labels, 2), 1);
});

test('NaN, negative, infinite and all-zero rows, bad shapes and bad labels are rejected', () => {
  const labels = i32([0, 1]);
  assert.throws(() => negativeLogLikelihood(f32([[0.5, NaN], [0.5, 0.5]]), labels, 2), { name: 'RangeError', message: /NaN/ });
  assert.throws(() => brierScore(f32([[0.5, -0.1], [0.5, 0.5]]), labels, 2), { name: 'RangeError', message: /negative/ });
  assert.throws(() => accuracy(f32([[Infinity, 0], [0.5, 0.5]]), labels, 2), { name: 'RangeError', message: /infinite/ });
  assert.throws(() => macroF1(f32([[0, 0], [0.5, 0.5]]), labels, 2), { name: 'RangeError', message: /sum to 0/ });
  assert.throws(() => balancedAccuracy(f32([[0.5, 0.5]]), labels, 2), { name: 'RangeError', message: /n\*K/ });
  assert.throws(() => aurocOvrMacro(f32([[0.5, 0.5], [0.5, 0.5]]), i32([0, 2]), 2), { name: 'RangeError', message: /outside/ });
  assert.throws(() => accuracy(new Float32Array(0), new Int32Array(0), 2), RangeError);
});

test('ECE: top-class confidence in equal-width bins', () => {
  // confidences 0.875, 0.875, 0.75, 0.5625 (exact in float32); correct, wrong, correct, correct
  const probs = f32([[0.875, 0.125], [0.875, 0.125], [0.25, 0.75], [0.5625, 0.4375]]);
  const labels = i32([0, 1, 1, 0]);
  // 15 bins -> bins 13, 11, 8: 0.5 * |0.5 - 0.875| + 0.25 * |1 - 0.75| + 0.25 * |1 - 0.5625|
  close(expectedCalibrationError(probs, labels, 2), 0.359375);
  // 2 bins -> all in [0.5, 1]: |3/4 - 3.0625/4|
  close(expectedCalibrationError(probs, labels, 2, 2), 0.015625);
  // confidence 1.0 lands in the last bin; perfectly calibrated -> 0
  close(expectedCalibrationError(f32([[1, 0], [0, 1]]), i32([0, 1]), 2), 0);
  assert.throws(() => expectedCalibrationError(probs, labels, 2, 0), RangeError);
});
