// Model outputs to probability rows for the shift metrics. "auto" reads a data set's outputs as probabilities
// when every row lies in [0, 1] and sums to 1 within 0.01 (a softmax or sigmoid head, scikit-learn's
// predict_proba), and as logits otherwise (softmax per row). "probabilities" divides each row by its sum, so
// rows that do not quite sum to 1 (float32 rounding, unnormalised scores) still work; "logits" always applies
// the softmax. Non-finite outputs are an error naming the data set and the row.
import { InputError } from '../errors';

const SUM_TOLERANCE = 0.01;

export function toProbabilities(
  raw: Float32Array,
  n: number,
  K: number,
  mode: 'auto' | 'probabilities' | 'logits',
  where: { readonly name: string; readonly file: string },
): { probabilities: Float64Array; read: 'probabilities' | 'logits' } {
  let looksLikeProbabilities = true;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = raw[i * K + k];
      if (!Number.isFinite(v)) {
        throw new InputError(`the model gave ${v} for sample ${i} of "${where.name}" (class ${k})`, {
          kind: 'model',
          code: 'model-nan-output',
          file: where.file,
          place: `sample ${i}`,
          configPath: ['model'],
          fix: 'check the model on this input: NaN or infinite outputs usually come from an export or preprocessing problem',
        });
      }
      if (v < 0 || v > 1) looksLikeProbabilities = false;
      sum += v;
    }
    if (Math.abs(sum - 1) > SUM_TOLERANCE) looksLikeProbabilities = false;
  }
  const read = mode === 'auto' ? (looksLikeProbabilities ? 'probabilities' : 'logits') : mode;
  const probabilities = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const row = i * K;
    if (read === 'logits') {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, raw[row + k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += (probabilities[row + k] = Math.exp(raw[row + k] - max));
      for (let k = 0; k < K; k++) probabilities[row + k] /= sum;
    } else {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const v = raw[row + k];
        if (v < 0) {
          throw new InputError(`"shift.scores" is "probabilities" but the model gave ${v} for sample ${i} of "${where.name}"`, {
            kind: 'config',
            code: 'config-scores',
            file: where.file,
            place: `sample ${i}`,
            configPath: ['shift', 'scores'],
            fix: 'set "shift.scores" to "logits" (or "auto") if the model outputs logits',
          });
        }
        sum += v;
      }
      if (!(sum > 0)) {
        throw new InputError(`the model's scores for sample ${i} of "${where.name}" sum to 0 and cannot be read as probabilities`, {
          kind: 'config',
          code: 'config-scores',
          file: where.file,
          place: `sample ${i}`,
          configPath: ['shift', 'scores'],
          fix: 'set "shift.scores" to "logits" (or "auto")',
        });
      }
      for (let k = 0; k < K; k++) probabilities[row + k] = raw[row + k] / sum;
    }
  }
  return { probabilities, read };
}
