// Model outputs to probability rows: auto-detection of probabilities against logits, rows that do not sum to 1,
// and clear errors for outputs that cannot be read as configured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toProbabilities } from '../../src/server/engine/shift/scores';
import { isInputError } from '../../src/server/engine/errors';

const where = { name: 'clinic-b', file: '/data/b.csv' };
const close = (a: ArrayLike<number>, b: readonly number[]) => b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-6, `${a[i]} vs ${v} at ${i}`));

test('auto: rows in [0, 1] summing to 1 are probabilities (divided by their sums)', () => {
  const { probabilities, read } = toProbabilities(new Float32Array([0.2, 0.8, 0.6, 0.405]), 2, 2, 'auto', where);
  assert.equal(read, 'probabilities');
  close(probabilities, [0.2, 0.8, 0.6 / 1.005, 0.405 / 1.005]);
});

test('auto: any value outside [0, 1] or a row sum far from 1 means logits, read through a softmax', () => {
  const { probabilities, read } = toProbabilities(new Float32Array([2, 0, 0.3, 0.3]), 2, 2, 'auto', where);
  assert.equal(read, 'logits');
  const e = Math.exp(2);
  close(probabilities, [e / (e + 1), 1 / (e + 1), 0.5, 0.5]);
});

test('"probabilities" divides unnormalised non-negative rows; a negative value or a zero row is an error naming the fix', () => {
  const { probabilities } = toProbabilities(new Float32Array([1, 3]), 1, 2, 'probabilities', where);
  close(probabilities, [0.25, 0.75]);
  for (const raw of [new Float32Array([-1, 2]), new Float32Array([0, 0])]) {
    assert.throws(() => toProbabilities(raw, 1, 2, 'probabilities', where), (error: unknown) => {
      assert.ok(isInputError(error));
      assert.equal(error.details.code, 'config-scores');
      assert.deepEqual(error.details.configPath, ['shift', 'scores']);
      assert.match(error.describe(), /"logits"/);
      return true;
    });
  }
});

test('a NaN output is an error naming the data set and the sample', () => {
  assert.throws(() => toProbabilities(new Float32Array([0.5, Number.NaN]), 1, 2, 'auto', where), /the model gave NaN for sample 0 of "clinic-b"/);
});
