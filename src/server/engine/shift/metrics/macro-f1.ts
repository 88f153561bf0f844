// Macro F1 with scikit-learn's semantics (f1_score average='macro', zero_division=0): per-class
// F1 = 2PR/(P+R), taken as 0 when P+R = 0 (a precision or recall of 0/0 counts as 0), averaged over the
// union of the labels present in y_true and y_pred. Classes in neither vector are left out.
import { argmaxRows, checkLabelPair, labelSpan, normalisedRows } from './validate';

export function macroF1FromPredictions(yTrue: Int32Array, yPred: Int32Array): number {
  checkLabelPair(yTrue, yPred);
  const span = labelSpan(yTrue, yPred);
  const tp = new Float64Array(span);
  const trueCount = new Float64Array(span);
  const predCount = new Float64Array(span);
  for (let i = 0; i < yTrue.length; i++) {
    trueCount[yTrue[i]]++;
    predCount[yPred[i]]++;
    if (yTrue[i] === yPred[i]) tp[yTrue[i]]++;
  }
  let sum = 0;
  let classes = 0;
  for (let c = 0; c < span; c++) {
    if (trueCount[c] === 0 && predCount[c] === 0) continue;
    classes++;
    const precision = predCount[c] > 0 ? tp[c] / predCount[c] : 0;
    const recall = trueCount[c] > 0 ? tp[c] / trueCount[c] : 0;
    sum += precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  }
  return sum / classes;
}

export function macroF1(probabilities: Float32Array, labels: Int32Array, K: number): number {
  const rows = normalisedRows(probabilities, labels, K);
  return macroF1FromPredictions(labels, argmaxRows(rows, labels.length, K));
}
