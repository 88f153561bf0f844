// Seeded bootstrap percentile intervals: determinism, coverage and width on a known binomial, null skipping,
// the empty case, and the difference of two independent data sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapDifference, bootstrapInterval, linearQuantile } from '../../src/server/engine/shift/bootstrap';
import { seedFor } from '../../src/server/engine/perturb/random';

/** n outcomes of 0/1 with exactly round(p n) ones, shuffled by a seeded generator. */
function outcomes(n: number, p: number, seed: number): Float64Array {
  const data = new Float64Array(n);
  const ones = Math.round(p * n);
  for (let i = 0; i < ones; i++) data[i] = 1;
  const random = seedFor(seed, 'test-data', 0, 0);
  for (let i = n - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const t = data[i];
    data[i] = data[j];
    data[j] = t;
  }
  return data;
}

const meanOf = (data: Float64Array) => (indices: Uint32Array): number => {
  let sum = 0;
  for (let i = 0; i < indices.length; i++) sum += data[indices[i]];
  return sum / indices.length;
};

test('linear quantile matches numpy "linear" on hand-worked values', () => {
  const x = new Float64Array([1, 2, 3, 4, 10]);
  assert.equal(linearQuantile(x, 5, 0), 1);
  assert.equal(linearQuantile(x, 5, 1), 10);
  assert.equal(linearQuantile(x, 5, 0.5), 3);
  assert.ok(Math.abs(linearQuantile(x, 5, 0.9) - 7.6) < 1e-12); // h = 3.6 -> 4 + 0.6 * 6
  assert.ok(Math.abs(linearQuantile(x, 5, 0.025) - 1.1) < 1e-12); // h = 0.1
  assert.equal(linearQuantile(new Float64Array([5]), 1, 0.975), 5);
});

test('same seed and stream gives identical intervals; a different stream or seed gives different ones', () => {
  // Continuous data, so distinct resample sets give distinct statistics (0/1 means are multiples of 1/n).
  const random = seedFor(1, 'test-data', 0, 1);
  const data = new Float64Array(300).map(() => random.normal());
  const stat = meanOf(data);
  const a = bootstrapInterval(data.length, stat, { seed: 42, stream: 'accuracy' });
  const b = bootstrapInterval(data.length, stat, { seed: 42, stream: 'accuracy' });
  assert.deepEqual(a, b);
  assert.ok(Object.is(a.low, b.low) && Object.is(a.high, b.high));
  const c = bootstrapInterval(data.length, stat, { seed: 42, stream: 'ece' });
  assert.equal(c.value, a.value);
  assert.ok(c.low !== a.low || c.high !== a.high, 'different stream, same interval');
  const d = bootstrapInterval(data.length, stat, { seed: 43, stream: 'accuracy' });
  assert.ok(d.low !== a.low || d.high !== a.high, 'different seed, same interval');
});

test('mean of 0/1 outcomes, p = 0.8, n = 400: interval contains 0.8 with the binomial width', () => {
  const n = 400;
  const data = outcomes(n, 0.8, 7);
  const result = bootstrapInterval(n, meanOf(data), { seed: 2024, stream: 'accuracy' });
  assert.equal(result.value, 0.8);
  assert.equal(result.resamples, 1000);
  assert.equal(result.valid, 1000);
  assert.ok(result.low !== null && result.high !== null);
  assert.ok(result.low < 0.8 && result.high > 0.8, `[${result.low}, ${result.high}]`);
  const expected = 2 * 1.96 * Math.sqrt((0.8 * 0.2) / n); // ~0.0784
  const width = result.high - result.low;
  assert.ok(Math.abs(width - expected) <= 0.2 * expected, `width ${width} vs ${expected}`);
  // The interval is roughly centred on the estimate.
  assert.ok(Math.abs((result.low + result.high) / 2 - 0.8) < 0.015);
});

test('level changes the width; resamples count honoured', () => {
  const data = outcomes(200, 0.5, 3);
  const stat = meanOf(data);
  const r95 = bootstrapInterval(200, stat, { seed: 5, resamples: 250 });
  const r50 = bootstrapInterval(200, stat, { seed: 5, resamples: 250, level: 0.5 });
  assert.equal(r95.resamples, 250);
  assert.equal(r95.valid, 250);
  assert.ok(r50.high! - r50.low! < r95.high! - r95.low!);
  let calls = 0;
  const counted = bootstrapInterval(50, (idx) => (calls++, idx.length), { seed: 1, resamples: 37 });
  assert.equal(calls, 38); // the point estimate + 37 resamples
  assert.equal(counted.resamples, 37);
  assert.equal(counted.value, 50);
  assert.equal(counted.low, 50);
  assert.equal(counted.high, 50);
  assert.throws(() => bootstrapInterval(10, stat, { seed: 1, resamples: 0 }), RangeError);
  assert.throws(() => bootstrapInterval(10, stat, { seed: 1, level: 1 }), RangeError);
  assert.throws(() => bootstrapInterval(-1, stat, { seed: 1 }), RangeError);
});

test('index draws are exact for large n too (the split 64-bit product path)', () => {
  // n above 2^21 takes the split path; check range and that both halves of the range are hit.
  const n = 3_000_000;
  let max = 0;
  let min = n;
  let upper = 0;
  bootstrapInterval(n, (idx) => {
    for (let i = 0; i < idx.length; i++) {
      const v = idx[i];
      if (v > max) max = v;
      if (v < min) min = v;
      if (v >= n / 2) upper++;
    }
    return 0;
  }, { seed: 4, resamples: 2 });
  assert.ok(max === n - 1 || max > n - 100, String(max)); // includes the identity pass (max = n - 1)
  assert.equal(min, 0);
  assert.ok(Math.abs(upper - 1.5 * n) < 0.01 * n, String(upper)); // identity n/2 + two resamples ~n/2 each
});

test('resampled indices are in range, of length n, and the buffer is reused', () => {
  const seen = new Set<Uint32Array>();
  const counts = new Uint32Array(10);
  bootstrapInterval(10, (idx) => {
    seen.add(idx);
    assert.equal(idx.length, 10);
    for (const i of idx) {
      assert.ok(i < 10);
      counts[i]++;
    }
    return 0;
  }, { seed: 9, resamples: 2000 });
  assert.equal(seen.size, 1);
  // Each index appears ~2000 times (+10 from the identity); all well within a loose band.
  for (const c of counts) assert.ok(c > 1700 && c < 2300, String(c));
});

test('null statistics are skipped and counted', () => {
  // Labels with a single positive: an "AUROC"-like statistic is undefined when the resample misses it.
  const n = 20;
  const labels = new Uint8Array(n);
  labels[0] = 1;
  const stat = (idx: Uint32Array): number | null => {
    let positives = 0;
    for (const i of idx) positives += labels[i];
    return positives === 0 || positives === idx.length ? null : positives / idx.length;
  };
  const result = bootstrapInterval(n, stat, { seed: 11, resamples: 1000, stream: 'auroc' });
  assert.equal(result.value, 1 / 20);
  assert.equal(result.resamples, 1000);
  // P(no positive in a resample) = (19/20)^20 ~ 0.358
  assert.ok(result.valid > 560 && result.valid < 720, String(result.valid));
  assert.ok(result.low !== null && result.low >= 1 / 20);
  // All undefined: no interval, valid 0; NaN counts as undefined too.
  const none = bootstrapInterval(5, () => null, { seed: 1, resamples: 10 });
  assert.deepEqual(none, { value: null, low: null, high: null, resamples: 10, valid: 0 });
  const nan = bootstrapInterval(5, () => NaN, { seed: 1, resamples: 10 });
  assert.deepEqual(nan, { value: null, low: null, high: null, resamples: 10, valid: 0 });
});

test('n = 0 gives all null without calling the statistic', () => {
  let called = false;
  const stat = () => ((called = true), 1);
  assert.deepEqual(bootstrapInterval(0, stat, { seed: 1, resamples: 100 }), { value: null, low: null, high: null, resamples: 100, valid: 0 });
  assert.deepEqual(bootstrapDifference(0, 5, stat, stat, { seed: 1 }), { value: null, low: null, high: null, resamples: 1000, valid: 0 });
  assert.deepEqual(bootstrapDifference(5, 0, stat, stat, { seed: 1 }), { value: null, low: null, high: null, resamples: 1000, valid: 0 });
  assert.equal(called, false);
});

test('difference of two independent data sets covers the true gap with the two-sample width', () => {
  const nA = 500;
  const nB = 400;
  const a = outcomes(nA, 0.9, 21); // clean accuracy 0.9
  const b = outcomes(nB, 0.75, 22); // shifted accuracy 0.75
  const opts = { seed: 99, stream: 'accuracy-gap' };
  const result = bootstrapDifference(nA, nB, meanOf(a), meanOf(b), opts);
  assert.ok(Math.abs(result.value! - -0.15) < 1e-12);
  assert.equal(result.valid, 1000);
  assert.ok(result.low! < -0.15 && result.high! > -0.15, `[${result.low}, ${result.high}]`);
  assert.ok(result.high! < 0, 'a gap of 0.15 at these sizes is clearly negative');
  const expected = 2 * 1.96 * Math.sqrt((0.9 * 0.1) / nA + (0.75 * 0.25) / nB); // ~0.0973
  const width = result.high! - result.low!;
  assert.ok(Math.abs(width - expected) <= 0.2 * expected, `width ${width} vs ${expected}`);
  // Deterministic, and stream-dependent.
  assert.deepEqual(bootstrapDifference(nA, nB, meanOf(a), meanOf(b), opts), result);
  const other = bootstrapDifference(nA, nB, meanOf(a), meanOf(b), { seed: 99, stream: 'other' });
  assert.ok(other.low !== result.low || other.high !== result.high);
  // A null on either side skips the resample.
  const half = bootstrapDifference(10, 10, () => 1, (idx) => (idx[0] % 2 === 0 ? null : 2), { seed: 3, resamples: 400 });
  assert.equal(half.resamples, 400);
  assert.ok(half.valid > 140 && half.valid < 260, String(half.valid));
  assert.equal(half.low, 1);
  assert.equal(half.high, 1);
});

test('performance sanity: 1000 resamples of a mean over n = 100000 (no timing assert)', () => {
  const n = 100000;
  const data = outcomes(n, 0.6, 5);
  const start = process.hrtime.bigint();
  const result = bootstrapInterval(n, meanOf(data), { seed: 1, stream: 'perf' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.equal(result.valid, 1000);
  assert.ok(result.low! < 0.6 && result.high! > 0.6);
  console.log(`# bootstrap 1000 x n=100000 mean: ${ms.toFixed(0)} ms`);
});
