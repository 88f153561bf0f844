// Balanced accuracy (scikit-learn's balanced_accuracy_score, adjusted=False): the mean per-class recall,
// averaged over the classes present in y_true only; a class that is only predicted does not count.
import { argmaxRows, checkLabelPair, labelSpan, normalisedRows } from './validate';

export function balancedAccuracyFromPredictions(yTrue: Int32Array, yPred: Int32Array): number {
  checkLabelPair(yTrue, yPred);
  const span = labelSpan(yTrue, yPred);
  const support = new Float64Array(span);
  const hits = new Float64Array(span);
  for (let i = 0; i < yTrue.length; i++) {
    support[yTrue[i]]++;
    if (yTrue[i] === yPred[i]) hits[yTrue[i]]++;
  }
  let sum = 0;
  let classes = 0;
  for (let c = 0; c < span; c++) {
    if (support[c] === 0) continue;
    sum += hits[c] / support[c];
    classes++;
  }
  return sum / classes;
}

export function balancedAccuracy(probabilities: Float32Array, labels: Int32Array, K: number): number {
  const rows = normalisedRows(probabilities, labels, K);
  return balancedAccuracyFromPredictions(labels, argmaxRows(rows, labels.length, K));
}
