// Accuracy: the fraction of samples whose arg-max class (ties to the lowest index) equals the true label.
import { argmaxRows, checkLabelPair, normalisedRows } from './validate';

export function accuracyFromPredictions(yTrue: Int32Array, yPred: Int32Array): number {
  checkLabelPair(yTrue, yPred);
  let right = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) right++;
  return right / yTrue.length;
}

export function accuracy(probabilities: Float32Array, labels: Int32Array, K: number): number {
  const rows = normalisedRows(probabilities, labels, K);
  return accuracyFromPredictions(labels, argmaxRows(rows, labels.length, K));
}
