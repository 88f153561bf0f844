// AUROC as the Mann-Whitney U statistic: ranks of all scores, tied scores sharing their mid-rank, so a tie
// between a positive and a negative counts one half. AUROC = (R+ - n+(n+ + 1)/2) / (n+ n-), where R+ is the
// rank sum of the positives. Undefined (null, never NaN) when only one class is present. The one-vs-rest
// macro average scores each class's normalised probability against "this class or not", over the classes
// that have both positives and negatives, and is null when no class has both.
import { normalisedRows } from './validate';

export function aurocBinary(scores: ArrayLike<number>, positives: ArrayLike<boolean | number>): number | null {
  const n = scores.length;
  if (positives.length !== n) throw new RangeError(`${n} scores but ${positives.length} positive flags`);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`score at sample ${i} is NaN`);
  }
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positives[i]) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const midRank = (start + 1 + end) / 2; // mean of the 1-based ranks start+1..end
    for (let j = start; j < end; j++) if (positives[order[j]]) rankSumPos += midRank;
    start = end;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function aurocOvrMacro(probabilities: Float32Array, labels: Int32Array, K: number): number | null {
  const rows = normalisedRows(probabilities, labels, K);
  const n = labels.length;
  const column = new Float64Array(n);
  const isClass = new Uint8Array(n);
  let sum = 0;
  let classes = 0;
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) {
      column[i] = rows[i * K + k];
      isClass[i] = labels[i] === k ? 1 : 0;
    }
    const auc = aurocBinary(column, isClass);
    if (auc === null) continue;
    sum += auc;
    classes++;
  }
  return classes === 0 ? null : sum / classes;
}
