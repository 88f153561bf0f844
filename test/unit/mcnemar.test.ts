// The exact McNemar test against values worked out by hand and from the binomial distribution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialUpperTailHalf, formatP, mcnemarWorse } from '../../src/server/engine/stats/mcnemar';

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test('binomial tails of Binomial(n, 1/2) by hand', () => {
  close(binomialUpperTailHalf(0, 5), 1);
  close(binomialUpperTailHalf(5, 5), 1 / 32);
  close(binomialUpperTailHalf(4, 5), 6 / 32); // C(5,4) + C(5,5) = 6
  close(binomialUpperTailHalf(3, 5), 16 / 32);
  close(binomialUpperTailHalf(8, 10), 56 / 1024); // 45 + 10 + 1
  assert.equal(binomialUpperTailHalf(6, 5), 0);
});

test('large n: the tail at the mean is about one half, far tails are tiny, values stay in [0, 1]', () => {
  const n = 20000;
  const atMean = binomialUpperTailHalf(n / 2, n);
  assert.ok(atMean > 0.5 && atMean < 0.51, String(atMean));
  // 3 standard deviations above the mean: about 0.00135 (normal approximation)
  const sd = Math.sqrt(n) / 2;
  const tail = binomialUpperTailHalf(Math.ceil(n / 2 + 3 * sd), n);
  assert.ok(tail > 0.001 && tail < 0.0017, String(tail));
  assert.equal(binomialUpperTailHalf(n, n), 0, "2^-20000 underflows to 0, never to NaN");
});

test('McNemar counts only the discordant pairs, one-sided towards "worse"', () => {
  const before = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0];
  const after = [0, 0, 0, 0, 1, 1, 0, 1, 1, 0];
  const r = mcnemarWorse(before, after);
  assert.equal(r.worse, 4);
  assert.equal(r.better, 1);
  close(r.p, 6 / 32);
  // Improvements are never significant as regressions.
  assert.equal(mcnemarWorse(after, before).p > 0.9, true);
});

test('a tiny drop on few samples is not significant; a clear drop on many is', () => {
  const few = mcnemarWorse([1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 0]);
  close(few.p, 0.5);
  const n = 500;
  const before = Array.from({ length: n }, () => 1);
  const after = before.map((_, i) => (i < 60 ? 0 : 1));
  assert.ok(mcnemarWorse(before, after).p < 1e-15);
});

test('formatP', () => {
  assert.equal(formatP(0.0004), 'p < 0.001');
  assert.equal(formatP(0.0123), 'p = 0.012');
  assert.equal(formatP(0.25), 'p = 0.25');
});
