// Calibration of the top-class confidence: 15 equal-width bins over [0, 1] (the common choice of Guo et al.,
// 2017), each counting samples, summing their confidence and their correctness; the expected calibration error
// ECE = sum over bins of (count / n) * |accuracy - mean confidence|. Bins accumulate batch by batch, so memory
// does not grow with the number of samples.

export const CALIBRATION_BINS = 15;

export interface CalibrationBins {
  readonly count: number[];
  readonly confidenceSum: number[];
  readonly correct: number[];
}

export function emptyBins(binCount = CALIBRATION_BINS): CalibrationBins {
  if (!Number.isInteger(binCount) || binCount < 1) throw new RangeError(`bins must be a positive integer, got ${binCount}`);
  return { count: new Array(binCount).fill(0), confidenceSum: new Array(binCount).fill(0), correct: new Array(binCount).fill(0) };
}

/** The bin of a confidence among `binCount` equal-width bins: [0, 1/B), ..., [(B-1)/B, 1]. */
export function binOf(confidence: number, binCount = CALIBRATION_BINS): number {
  return Math.min(binCount - 1, Math.max(0, Math.floor(confidence * binCount)));
}

export function addToBins(bins: CalibrationBins, confidence: number, correct: boolean): void {
  const b = binOf(confidence, bins.count.length);
  bins.count[b] += 1;
  bins.confidenceSum[b] += confidence;
  bins.correct[b] += correct ? 1 : 0;
}

export function mergeBins(into: CalibrationBins, other: CalibrationBins): CalibrationBins {
  for (let b = 0; b < into.count.length; b++) {
    into.count[b] += other.count[b];
    into.confidenceSum[b] += other.confidenceSum[b];
    into.correct[b] += other.correct[b];
  }
  return into;
}

export function expectedCalibrationError(bins: CalibrationBins): number {
  const n = bins.count.reduce((a, b) => a + b, 0);
  if (n === 0) return 0;
  let ece = 0;
  for (let b = 0; b < bins.count.length; b++) {
    const c = bins.count[b];
    if (c > 0) ece += (c / n) * Math.abs(bins.correct[b] / c - bins.confidenceSum[b] / c);
  }
  return ece;
}

/**
 * The top-class probability of one row of scores: the scores themselves when they already are probabilities
 * (non-negative, summing to 1 within 1e-3), their softmax otherwise (logits).
 */
export function topProbability(scores: Float32Array, offset: number, classes: number): number {
  let max = -Infinity;
  let sum = 0;
  let probabilities = true;
  for (let c = 0; c < classes; c++) {
    const s = scores[offset + c];
    if (s > max) max = s;
    if (s < 0 || s > 1) probabilities = false;
    sum += s;
  }
  if (probabilities && Math.abs(sum - 1) <= 1e-3) return max;
  let denominator = 0;
  for (let c = 0; c < classes; c++) denominator += Math.exp(scores[offset + c] - max);
  return 1 / denominator;
}
