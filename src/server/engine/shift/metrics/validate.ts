// Input checks and row normalisation shared by the distribution-shift metrics. Labels are an Int32Array of
// class indices 0..K-1; probabilities are a row-major Float32Array of n*K. Rows need not sum exactly to 1
// (float32 rounding, un-normalised scores): each row with a positive, finite sum is divided by that sum.
// A row holding a negative, NaN or infinite entry, or summing to 0, cannot be read as a distribution and
// is rejected with a RangeError naming the row. Empty inputs (n = 0) are rejected too.

export function checkClassCount(K: number): void {
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`class count K must be a positive integer, got ${K}`);
}

export function checkLabels(labels: Int32Array, K: number): void {
  checkClassCount(K);
  if (labels.length === 0) throw new RangeError('labels are empty: metrics need at least one sample');
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y < 0 || y >= K) throw new RangeError(`label ${y} at sample ${i} is outside 0..${K - 1}`);
  }
}

/** Checks shapes and values, then returns the rows divided by their sums (float64, n*K). */
export function normalisedRows(probabilities: Float32Array, labels: Int32Array, K: number): Float64Array {
  checkLabels(labels, K);
  const n = labels.length;
  if (probabilities.length !== n * K) {
    throw new RangeError(`probabilities hold ${probabilities.length} values; expected n*K = ${n}*${K} = ${n * K}`);
  }
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const p = probabilities[i * K + k];
      if (Number.isNaN(p)) throw new RangeError(`probability at sample ${i}, class ${k} is NaN`);
      if (!Number.isFinite(p)) throw new RangeError(`probability at sample ${i}, class ${k} is infinite`);
      if (p < 0) throw new RangeError(`probability at sample ${i}, class ${k} is negative (${p})`);
      sum += p;
    }
    if (!(sum > 0)) throw new RangeError(`probabilities of sample ${i} sum to 0 and cannot be normalised`);
    for (let k = 0; k < K; k++) out[i * K + k] = probabilities[i * K + k] / sum;
  }
  return out;
}

/** Predicted class of each row: the arg-max, ties going to the lowest class index. */
export function argmaxRows(rows: Float64Array, n: number, K: number): Int32Array {
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (rows[i * K + k] > rows[i * K + best]) best = k;
    pred[i] = best;
  }
  return pred;
}

/** Checks a pair of label vectors (true, predicted) of equal, non-zero length with non-negative integers. */
export function checkLabelPair(yTrue: Int32Array, yPred: Int32Array): void {
  if (yTrue.length !== yPred.length) throw new RangeError(`y_true has ${yTrue.length} samples, y_pred ${yPred.length}`);
  if (yTrue.length === 0) throw new RangeError('labels are empty: metrics need at least one sample');
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] < 0 || yPred[i] < 0) throw new RangeError(`negative label at sample ${i}`);
  }
}

/** Largest label in either vector, plus one: the size of per-class tallies. */
export function labelSpan(yTrue: Int32Array, yPred: Int32Array): number {
  let m = 0;
  for (let i = 0; i < yTrue.length; i++) m = Math.max(m, yTrue[i], yPred[i]);
  return m + 1;
}
