// The one-pass weighted metric kernel against the single-shot metric functions (themselves tested against
// scikit-learn's documented examples): on the full data, and on bootstrap resamples, where the kernel's
// multiplicity weights must give exactly what the functions give on the drawn indices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricKernel, SHIFT_METRICS, metricRecord, type ShiftMetric } from '../../src/server/engine/shift/metric-kernel';
import { bootstrapInterval, resampleCounts } from '../../src/server/engine/shift/bootstrap';
import * as oracle from '../../src/server/engine/shift/metrics';
import { seedFor } from '../../src/server/engine/perturb/random';

interface Case {
  readonly probabilities: Float32Array;
  readonly labels: Int32Array;
  readonly K: number;
}

/** n seeded rows over K classes, scores quantised to steps of 0.05 so that AUROC meets many ties. */
function makeCase(n: number, K: number, seed: number): Case {
  const random = seedFor(seed, 'kernel-test', K, n);
  const probabilities = new Float32Array(n * K);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = random.nextInt(K);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const v = Math.round((random.next() + (k === labels[i] ? 0.6 : 0)) * 20) / 20 + 0.05;
      probabilities[i * K + k] = v;
      sum += v;
    }
    for (let k = 0; k < K; k++) probabilities[i * K + k] /= sum;
  }
  return { probabilities, labels, K };
}

function oracleMetrics(c: Case, positive: number | undefined, threshold: number): Record<ShiftMetric, number | null> {
  const { probabilities, labels, K } = c;
  let auroc: number | null;
  if (K === 2) {
    const rows = oracle.normalisedRows(probabilities, labels, K);
    const p = positive ?? 1;
    auroc = oracle.aurocBinary(Array.from({ length: labels.length }, (_, i) => rows[i * 2 + p]), Array.from(labels, (y) => y === p));
  } else auroc = oracle.aurocOvrMacro(probabilities, labels, K);
  const ss = positive === undefined ? { sensitivity: null, specificity: null } : oracle.sensitivitySpecificity(probabilities, labels, K, positive, threshold);
  return {
    accuracy: oracle.accuracy(probabilities, labels, K),
    balancedAccuracy: oracle.balancedAccuracy(probabilities, labels, K),
    macroF1: oracle.macroF1(probabilities, labels, K),
    auroc,
    sensitivity: ss.sensitivity,
    specificity: ss.specificity,
    ece: oracle.expectedCalibrationError(probabilities, labels, K),
    brier: oracle.brierScore(probabilities, labels, K),
    nll: oracle.negativeLogLikelihood(probabilities, labels, K),
  };
}

function kernelFor(c: Case, positive: number | undefined, threshold: number | undefined): MetricKernel {
  return new MetricKernel(oracle.normalisedRows(c.probabilities, c.labels, c.K), c.labels, c.K, { positiveClass: positive, threshold });
}

function assertClose(actual: Record<ShiftMetric, number | null>, expected: Record<ShiftMetric, number | null>, what: string): void {
  for (const name of SHIFT_METRICS) {
    const a = actual[name];
    const e = expected[name];
    if (e === null) assert.equal(a, null, `${what}: ${name}`);
    else {
      assert.notEqual(a, null, `${what}: ${name} is null, expected ${e}`);
      assert.ok(Math.abs((a as number) - e) < 1e-9, `${what}: ${name} = ${a}, expected ${e}`);
    }
  }
}

/** Gathers rows by indices: the resample as the single-shot functions see it. */
function gather(c: Case, indices: Uint32Array): Case {
  const probabilities = new Float32Array(indices.length * c.K);
  const labels = new Int32Array(indices.length);
  indices.forEach((idx, j) => {
    labels[j] = c.labels[idx];
    for (let k = 0; k < c.K; k++) probabilities[j * c.K + k] = c.probabilities[idx * c.K + k];
  });
  return { probabilities, labels, K: c.K };
}

test('full-data metrics equal the single-shot functions: binary with a threshold, and three classes', () => {
  const binary = makeCase(300, 2, 1);
  assertClose(kernelFor(binary, 1, 0.5).metrics(), oracleMetrics(binary, 1, 0.5), 'binary, threshold 0.5');
  assertClose(kernelFor(binary, 0, 0.3).metrics(), oracleMetrics(binary, 0, 0.3), 'binary, positive 0, threshold 0.3');
  const three = makeCase(250, 3, 2);
  assertClose(kernelFor(three, undefined, undefined).metrics(), oracleMetrics(three, undefined, 0), 'three classes, no positive class');
  assertClose(kernelFor(three, 2, 0.4).metrics(), oracleMetrics(three, 2, 0.4), 'three classes, positive 2');
});

test('without a threshold a sample is predicted positive when the positive class is its arg-max', () => {
  // Binary: arg-max positive (class 1) means p1 > p0, i.e. p1 > 0.5 (a tie goes to class 0).
  const probabilities = new Float32Array([0.5, 0.5, 0.4, 0.6, 0.7, 0.3, 0.2, 0.8]);
  const labels = new Int32Array([1, 1, 0, 0]);
  const m = new MetricKernel(Float64Array.from(probabilities), labels, 2, { positiveClass: 1, threshold: undefined }).metrics();
  assert.equal(m.sensitivity, 0.5); // sample 0 (tie) is predicted 0, sample 1 predicted 1
  assert.equal(m.specificity, 0.5); // sample 2 predicted 0, sample 3 predicted 1
});

test('each bootstrap resample, as weights, equals the functions on the drawn indices', () => {
  for (const [c, positive, threshold] of [
    [makeCase(120, 2, 3), 1, 0.5],
    [makeCase(90, 4, 4), 3, 0.25],
  ] as const) {
    const kernel = kernelFor(c, positive, threshold);
    const out = new Float64Array(SHIFT_METRICS.length);
    // The drawn indices of the same stream, recorded through bootstrapInterval's statistic callback.
    const drawn: Uint32Array[] = [];
    bootstrapInterval(c.labels.length, (indices) => (drawn.push(indices.slice()), 0), { seed: 7, resamples: 12, stream: 'x' });
    const resampled = drawn.slice(1); // the first call is the identity (point estimate)
    resampleCounts(c.labels.length, { seed: 7, resamples: 12, stream: 'x' }, (counts, r) => {
      const expectedCounts = new Uint32Array(c.labels.length);
      for (const i of resampled[r]) expectedCounts[i]++;
      assert.deepEqual(counts, expectedCounts, `resample ${r}: counts of the drawn indices`);
      kernel.compute(counts, out);
      assertClose(metricRecord(out), oracleMetrics(gather(c, resampled[r]), positive, threshold), `K=${c.K} resample ${r}`);
    });
  }
});

test('undefined metrics are null: one class only, and no positive class with three classes', () => {
  const probabilities = Float64Array.from([0.9, 0.1, 0.6, 0.4, 0.2, 0.8]);
  const labels = new Int32Array([0, 0, 0]);
  const m = new MetricKernel(probabilities, labels, 2, { positiveClass: 1, threshold: 0.5 }).metrics();
  assert.equal(m.auroc, null);
  assert.equal(m.sensitivity, null); // no positives
  assert.equal(m.specificity, 2 / 3);
  assert.ok(Math.abs((m.accuracy as number) - 2 / 3) < 1e-12);
  const three = makeCase(30, 3, 9);
  const m3 = kernelFor(three, undefined, undefined).metrics();
  assert.equal(m3.sensitivity, null);
  assert.equal(m3.specificity, null);
  assert.notEqual(m3.auroc, null);
});

test('AUROC with ties counts a tied positive-negative pair as one half (hand-worked)', () => {
  // Positive-class scores 0.8 (pos), 0.5 (pos), 0.5 (neg), 0.2 (neg): pairs (pos, neg): (0.8, 0.5) 1,
  // (0.8, 0.2) 1, (0.5, 0.5) 0.5, (0.5, 0.2) 1 -> 3.5 / 4.
  const probabilities = Float64Array.from([0.2, 0.8, 0.5, 0.5, 0.5, 0.5, 0.8, 0.2]);
  const labels = new Int32Array([1, 1, 0, 0]);
  const m = new MetricKernel(probabilities, labels, 2, { positiveClass: 1, threshold: undefined }).metrics();
  assert.equal(m.auroc, 0.875);
});
