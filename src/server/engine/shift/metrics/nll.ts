// Negative log-likelihood (log loss): mean over samples of -ln p_true on normalised rows, with p_true
// clipped to [1e-15, 1] so a confident miss costs at most -ln(1e-15) ~ 34.54 instead of infinity.
import { normalisedRows } from './validate';

export const NLL_EPSILON = 1e-15;

export function negativeLogLikelihood(probabilities: Float32Array, labels: Int32Array, K: number): number {
  const rows = normalisedRows(probabilities, labels, K);
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1, Math.max(NLL_EPSILON, rows[i * K + labels[i]]));
    total -= Math.log(p);
  }
  return total / n;
}
