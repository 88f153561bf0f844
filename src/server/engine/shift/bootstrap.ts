// Seeded nonparametric bootstrap: percentile confidence intervals for a metric, and for the gap between a metric
// on two independent data sets.
//
// Resampling: each resample draws n indices uniformly with replacement from 0..n-1 into one reused Uint32Array
// and hands it to the statistic (which must not keep a reference to it: the next resample overwrites it). The
// point estimate `value` is the statistic on the identity indices 0..n-1.
//
// Randomness: every draw comes from the project's seeded generator (perturb/random.ts, xoshiro128**), never from
// Math.random. The stream is `seedFor(seed, 'bootstrap/' + stream, 0, part)`, so a different `stream` name (one
// per metric / data set) gives an unrelated stream, and the same (seed, stream, n, resamples) gives the same
// bytes on every machine. An index is one 32-bit output x mapped to floor(x n / 2^32) with Lemire's rejection
// ("Fast random integer generation in an interval", 2019): x is redrawn while (x n) mod 2^32 < 2^32 mod n, which
// makes every index exactly equally likely (no modulo bias) and needs no division on the accepted path; the
// 64-bit product is formed exactly in doubles (directly for n <= 2^21, in 16-bit halves above).
// bootstrapInterval uses part 0; bootstrapDifference uses part 0 for data
// set A and part 1 for data set B, each resampled independently (so A's resamples are exactly those
// bootstrapInterval would draw for A with the same seed and stream).
//
// Skipped resamples: a statistic may return null when it is undefined on a resample (e.g. AUROC of a
// single-class resample); NaN is treated the same way. Such resamples are left out of the interval and the
// number that remain is reported as `valid` (`resamples` is the number drawn). With no valid resample the
// interval is null. n = 0 (either side for a difference) gives value, low and high all null without calling
// the statistic.
//
// Interval: the percentile interval at `level` (default 0.95): the (1 - level) / 2 and (1 + level) / 2
// quantiles of the valid resampled statistics, with linear interpolation between order statistics -- numpy's
// default quantile method 'linear' (Hyndman & Fan type 7): for m sorted values x[0..m-1] and probability q,
// h = (m - 1) q, quantile = x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)]).
import { seedFor } from '../perturb/random';
import type { Xoshiro128 } from '../perturb/random';

export interface BootstrapOptions {
  /** Number of resamples drawn (default 1000). */
  resamples?: number;
  /** Run seed (a safe integer). */
  seed: number;
  /** Confidence level in (0, 1) (default 0.95). */
  level?: number;
  /** A name mixed into the seed, so different metrics / data sets get independent streams (default ''). */
  stream?: string;
}

export interface BootstrapInterval {
  /** The statistic on the full data (identity indices); null when n = 0 or the statistic is undefined there. */
  value: number | null;
  /** Lower percentile bound; null when no resample gave a value. */
  low: number | null;
  /** Upper percentile bound; null when no resample gave a value. */
  high: number | null;
  /** Number of resamples drawn. */
  resamples: number;
  /** Number of resamples whose statistic was defined (not null / NaN) and so entered the interval. */
  valid: number;
}

/** A statistic over a set of indices into the data (with repeats); null when undefined for those indices. */
export type IndexStatistic = (indices: Uint32Array) => number | null;

const TWO_POW_32 = 4294967296;
const MAX_N = 4294967295; // indices must fit a Uint32Array element
const SMALL_N = 2097152; // 2^21: up to here x n (x < 2^32) is exact in a double

function checkOptions(options: BootstrapOptions): { resamples: number; level: number; stream: string } {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const stream = options.stream ?? '';
  if (!Number.isSafeInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`);
  if (!Number.isSafeInteger(options.seed)) throw new RangeError(`bootstrap: seed must be a safe integer, got ${options.seed}`);
  return { resamples, level, stream };
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_N) throw new RangeError(`bootstrap: ${what} must be an integer in [0, 2^32 - 1], got ${n}`);
}

/** The generator for one part of a stream. */
function streamFor(seed: number, stream: string, part: number): Xoshiro128 {
  return seedFor(seed, `bootstrap/${stream}`, 0, part);
}

/** Fills `indices` with n = indices.length uniform draws from 0..n-1 (with replacement, no bias; Lemire). */
function drawIndices(random: Xoshiro128, indices: Uint32Array): void {
  const n = indices.length;
  const threshold = (TWO_POW_32 - n) % n; // = 2^32 mod n: products whose low word is below it are rejected
  if (n <= SMALL_N) {
    // x n < 2^53: the product is exact in a double.
    for (let i = 0; i < n; i++) {
      let m = random.nextUint32() * n;
      let hi = Math.floor(m / TWO_POW_32);
      while (m - hi * TWO_POW_32 < threshold) {
        m = random.nextUint32() * n;
        hi = Math.floor(m / TWO_POW_32);
      }
      indices[i] = hi;
    }
    return;
  }
  // x n up to 2^64: x = xh 2^16 + xl, x n = (xh n) 2^16 + xl n, with both partial products exact (< 2^48).
  for (let i = 0; i < n; i++) {
    let hi: number;
    let lo: number;
    do {
      const x = random.nextUint32();
      const p1 = (x >>> 16) * n;
      const p0 = (x & 0xffff) * n;
      const p1hi = Math.floor(p1 / 65536);
      const t = (p1 - p1hi * 65536) * 65536 + p0; // < 2^49, exact
      const carry = Math.floor(t / TWO_POW_32);
      hi = p1hi + carry;
      lo = t - carry * TWO_POW_32;
    } while (lo < threshold);
    indices[i] = hi;
  }
}

function identity(n: number): Uint32Array {
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return indices;
}

/** A defined statistic value, or null (null and NaN are undefined). */
function defined(value: number | null): number | null {
  return value === null || Number.isNaN(value) ? null : value;
}

/** Quantile q of sorted values x[0..m-1] (m >= 1), numpy 'linear' (Hyndman & Fan type 7). */
export function linearQuantile(sorted: Float64Array, m: number, q: number): number {
  const h = (m - 1) * q;
  const lo = Math.floor(h);
  if (lo >= m - 1) return sorted[m - 1];
  const frac = h - lo;
  const a = sorted[lo];
  return frac === 0 ? a : a + frac * (sorted[lo + 1] - a);
}

function interval(values: Float64Array, valid: number, level: number): { low: number | null; high: number | null } {
  if (valid === 0) return { low: null, high: null };
  const sorted = values.subarray(0, valid).sort(); // typed-array sort is numeric
  const alpha = (1 - level) / 2;
  return { low: linearQuantile(sorted, valid, alpha), high: linearQuantile(sorted, valid, 1 - alpha) };
}

/**
 * Seeded bootstrap percentile interval of `statistic` over n items. `statistic` receives a Uint32Array of n
 * indices into the data (the identity for the point estimate, then each resample in a reused buffer).
 */
export function bootstrapInterval(n: number, statistic: IndexStatistic, options: BootstrapOptions): BootstrapInterval {
  const { resamples, level, stream } = checkOptions(options);
  checkSize(n, 'n');
  if (n === 0) return { value: null, low: null, high: null, resamples, valid: 0 };
  const indices = identity(n);
  const value = defined(statistic(indices));
  const random = streamFor(options.seed, stream, 0);
  const values = new Float64Array(resamples);
  let valid = 0;
  for (let r = 0; r < resamples; r++) {
    drawIndices(random, indices);
    const v = defined(statistic(indices));
    if (v !== null) values[valid++] = v;
  }
  return { value, ...interval(values, valid, level), resamples, valid };
}

/**
 * Seeded bootstrap percentile interval of statB - statA for two independent data sets of nA and nB items: each
 * resample draws nA indices for A and nB indices for B independently (separate streams); a resample where
 * either statistic is undefined is skipped. `value` is statB - statA on the full data.
 */
export function bootstrapDifference(
  nA: number,
  nB: number,
  statA: IndexStatistic,
  statB: IndexStatistic,
  options: BootstrapOptions,
): BootstrapInterval {
  const { resamples, level, stream } = checkOptions(options);
  checkSize(nA, 'nA');
  checkSize(nB, 'nB');
  if (nA === 0 || nB === 0) return { value: null, low: null, high: null, resamples, valid: 0 };
  const indicesA = identity(nA);
  const indicesB = identity(nB);
  const fullA = defined(statA(indicesA));
  const fullB = defined(statB(indicesB));
  const value = fullA === null || fullB === null ? null : defined(fullB - fullA);
  const randomA = streamFor(options.seed, stream, 0);
  const randomB = streamFor(options.seed, stream, 1);
  const values = new Float64Array(resamples);
  let valid = 0;
  for (let r = 0; r < resamples; r++) {
    // Both sides are always drawn, so each stream advances the same way whether or not a resample is skipped.
    drawIndices(randomA, indicesA);
    drawIndices(randomB, indicesB);
    const a = defined(statA(indicesA));
    if (a === null) continue;
    const b = defined(statB(indicesB));
    if (b === null) continue;
    const d = b - a;
    if (!Number.isNaN(d)) values[valid++] = d; // Infinity - Infinity
  }
  return { value, ...interval(values, valid, level), resamples, valid };
}

/**
 * The resamples of bootstrapInterval as multiplicity counts: for each of `resamples` resamples of n items,
 * `visit(counts, r)` gets counts[i] = how often item i was drawn (the counts sum to n). The draws are exactly
 * bootstrapInterval's for the same (seed, stream), so a statistic computed from the counts is the statistic on
 * the drawn indices. Many statistics can then share one pass over each resample (the shift check computes all
 * its metrics this way). `counts` is reused between calls: copy what you keep.
 */
export function resampleCounts(n: number, options: BootstrapOptions, visit: (counts: Uint32Array, r: number) => void): void {
  const { resamples, stream } = checkOptions(options);
  checkSize(n, 'n');
  if (n === 0) return;
  const random = streamFor(options.seed, stream, 0);
  const indices = new Uint32Array(n);
  const counts = new Uint32Array(n);
  for (let r = 0; r < resamples; r++) {
    drawIndices(random, indices);
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[indices[i]]++;
    visit(counts, r);
  }
}

/** The percentile interval (numpy 'linear' quantiles) of the defined values (null / NaN are left out). */
export function percentileInterval(values: ArrayLike<number | null>, level = 0.95): { low: number | null; high: number | null; valid: number } {
  const kept = new Float64Array(values.length);
  let valid = 0;
  for (let i = 0; i < values.length; i++) {
    const v = defined(values[i]);
    if (v !== null) kept[valid++] = v;
  }
  return { ...interval(kept, valid, level), valid };
}
