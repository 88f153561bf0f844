// mCE and relative mCE against hand-worked values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALEXNET, BENCHMARK_15, normaliserFromResults, summariseCorruptions, type ConditionAccuracy } from '../../src/server/engine/metrics/corruption-metrics';

const close = (a: number | null, b: number, eps = 1e-12) => assert.ok(a !== null && Math.abs(a - b) < eps, `${a} != ${b}`);

/** Every benchmark corruption at severities 1..5 with accuracy = f(corruption index, severity). */
function fullRun(f: (index: number, severity: number) => number, names: readonly string[] = BENCHMARK_15): ConditionAccuracy[] {
  return names.flatMap((corruption, i) => [1, 2, 3, 4, 5].map((severity) => ({ corruption, severity, accuracy: f(i, severity) })));
}

test('a model exactly as good as AlexNet has mCE 1 and relative mCE 1', () => {
  const conditions = fullRun((i) => 1 - Object.values(ALEXNET.errorSums)[i] / 5);
  const summary = summariseCorruptions(1 - ALEXNET.cleanError, conditions, ALEXNET);
  close(summary.mCE, 1);
  close(summary.relativeMCE, 1);
});

test('CE worked by hand: gaussian_noise errors .1 .2 .3 .4 .5 against AlexNet', () => {
  const conditions = fullRun((i, s) => (i === 0 ? 1 - s / 10 : 0.5));
  const summary = summariseCorruptions(0.95, conditions, ALEXNET);
  const noise = summary.perCorruption.find((p) => p.corruption === 'gaussian_noise')!;
  // sum of errors 1.5; AlexNet's sum 5 x .886428 = 4.43214
  close(noise.ce, 1.5 / 4.43214);
  // relative: (1.5 - 5 x .05) / (4.43214 - 5 x .4348) = 1.25 / 2.25814
  close(noise.relativeCe, 1.25 / 2.25814);
  close(noise.meanAccuracy, 0.7);
  close(noise.meanError, 0.3);
});

test('mean accuracies over the 15 and the 19', () => {
  const extras = ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'];
  const conditions = [...fullRun(() => 0.6), ...fullRun(() => 0.8, extras)];
  const summary = summariseCorruptions(0.9, conditions, undefined);
  close(summary.meanBenchmarkAccuracy, 0.6);
  close(summary.meanAllAccuracy, (15 * 0.6 + 4 * 0.8) / 19);
  assert.equal(summary.mCE, null);
  assert.match(summary.normalisation, /^none/);
});

test('mCE is null with the reason when a benchmark corruption or a severity is missing', () => {
  const missingOne = fullRun(() => 0.5).filter((c) => c.corruption !== 'fog');
  const a = summariseCorruptions(0.9, missingOne, ALEXNET);
  assert.equal(a.mCE, null);
  assert.equal(a.meanBenchmarkAccuracy, null);
  assert.match(a.normalisation, /all 15 benchmark corruptions/);
  const oneSeverity = fullRun(() => 0.5).filter((c) => c.severity === 3);
  const b = summariseCorruptions(0.9, oneSeverity, ALEXNET);
  assert.equal(b.mCE, null);
  assert.match(b.normalisation, /severities 1-5/);
  close(b.meanBenchmarkAccuracy, 0.5);
});

test('a reference model normalises: the reference itself has mCE 1; a model with half its errors 0.5', () => {
  const reference = fullRun((i, s) => 1 - 0.04 * s - 0.01 * i);
  const normaliser = normaliserFromResults('reference.json', 0.9, reference);
  close(summariseCorruptions(0.9, reference, normaliser).mCE, 1);
  const better = fullRun((i, s) => 1 - (0.04 * s + 0.01 * i) / 2);
  const summary = summariseCorruptions(0.95, better, normaliser);
  close(summary.mCE, 0.5);
  // relative CE: (sumE/2 - 5 x .05) / (sumE - 5 x .1) per corruption; check the first one by hand
  const sumE = 0.04 * 15; // corruption index 0
  close(summary.perCorruption[0].relativeCe, (sumE / 2 - 0.25) / (sumE - 0.5));
});
