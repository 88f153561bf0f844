// Sensitivity and specificity of one class read as "positive": a sample is predicted positive when its
// normalised probability of that class is >= threshold. Sensitivity = TP / (TP + FN), null with no true
// positives in the labels; specificity = TN / (TN + FP), null with no negatives.
import { normalisedRows } from './validate';

export interface SensitivitySpecificity {
  readonly sensitivity: number | null;
  readonly specificity: number | null;
}

export function sensitivitySpecificity(
  probabilities: Float32Array,
  labels: Int32Array,
  K: number,
  positiveClass: number,
  threshold: number,
): SensitivitySpecificity {
  const rows = normalisedRows(probabilities, labels, K);
  if (!Number.isInteger(positiveClass) || positiveClass < 0 || positiveClass >= K) {
    throw new RangeError(`positive class ${positiveClass} is outside 0..${K - 1}`);
  }
  if (Number.isNaN(threshold)) throw new RangeError('threshold is NaN');
  let tp = 0, fn = 0, tn = 0, fp = 0;
  for (let i = 0; i < labels.length; i++) {
    const predictedPositive = rows[i * K + positiveClass] >= threshold;
    if (labels[i] === positiveClass) {
      if (predictedPositive) tp++;
      else fn++;
    } else if (predictedPositive) fp++;
    else tn++;
  }
  return {
    sensitivity: tp + fn > 0 ? tp / (tp + fn) : null,
    specificity: tn + fp > 0 ? tn / (tn + fp) : null,
  };
}
