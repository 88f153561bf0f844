// Expected calibration error of the top-class confidence. Each sample's confidence is its largest normalised
// probability and it is correct when that arg-max class (ties to the lowest index) is its label. Confidences
// go into `bins` equal-width bins [0, 1/B), [1/B, 2/B), ..., [(B-1)/B, 1] (1.0 in the last bin), and
// ECE = sum over non-empty bins of (count / n) * |accuracy - mean confidence|. Default B = 15.
import { addToBins, emptyBins, expectedCalibrationError as eceOfBins } from '../../metrics/calibration';
import { argmaxRows, normalisedRows } from './validate';

export function expectedCalibrationError(probabilities: Float32Array, labels: Int32Array, K: number, bins = 15): number {
  const histogram = emptyBins(bins);
  const rows = normalisedRows(probabilities, labels, K);
  const n = labels.length;
  const pred = argmaxRows(rows, n, K);
  for (let i = 0; i < n; i++) addToBins(histogram, rows[i * K + pred[i]], pred[i] === labels[i]);
  return eceOfBins(histogram);
}
