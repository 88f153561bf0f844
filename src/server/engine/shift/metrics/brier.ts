// Brier score. Multiclass: mean over samples of sum_k (p_k - onehot_k)^2 on normalised rows (range 0..2;
// for K = 2 this is twice the binary score). Binary: scikit-learn's brier_score_loss, the mean of
// (p_positive - y)^2 with y in {0, 1} (range 0..1); p_positive must lie in [0, 1].
import { normalisedRows } from './validate';

export function brierScore(probabilities: Float32Array, labels: Int32Array, K: number): number {
  const rows = normalisedRows(probabilities, labels, K);
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const d = rows[i * K + k] - (labels[i] === k ? 1 : 0);
      total += d * d;
    }
  }
  return total / n;
}

export function brierScoreBinary(pPositive: ArrayLike<number>, positives: ArrayLike<boolean | number>): number {
  const n = pPositive.length;
  if (positives.length !== n) throw new RangeError(`${n} probabilities but ${positives.length} positive flags`);
  if (n === 0) throw new RangeError('inputs are empty: the Brier score needs at least one sample');
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = pPositive[i];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability at sample ${i} is ${p}, not in [0, 1]`);
    const d = p - (positives[i] ? 1 : 0);
    total += d * d;
  }
  return total / n;
}
