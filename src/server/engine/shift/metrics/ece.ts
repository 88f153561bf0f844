// Expected calibration error of the top-class confidence. Each sample's confidence is its largest normalised
// probability and it is correct when that arg-max class (ties to the lowest index) is its label. Confidences
// go into `bins` equal-width bins [0, 1/B), [1/B, 2/B), ..., [(B-1)/B, 1] (1.0 in the last bin), and
// ECE = sum over non-empty bins of (count / n) * |accuracy - mean confidence|. Default B = 15.
import { argmaxRows, normalisedRows } from './validate';

export function expectedCalibrationError(probabilities: Float32Array, labels: Int32Array, K: number, bins = 15): number {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const rows = normalisedRows(probabilities, labels, K);
  const n = labels.length;
  const pred = argmaxRows(rows, n, K);
  const count = new Float64Array(bins);
  const confidenceSum = new Float64Array(bins);
  const correct = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const confidence = rows[i * K + pred[i]];
    const b = Math.min(bins - 1, Math.floor(confidence * bins));
    count[b]++;
    confidenceSum[b] += confidence;
    if (pred[i] === labels[i]) correct[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    ece += (count[b] / n) * Math.abs(correct[b] / count[b] - confidenceSum[b] / count[b]);
  }
  return ece;
}
