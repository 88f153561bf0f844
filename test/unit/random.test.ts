import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildByteAliasTable, createRandom, fillNext, fillNormal, fnv1a32, normalProbability, poisson, seedFor, Xoshiro128 } from '../../src/server/engine/perturb/random';
import type { RandomSource } from '../../src/server/engine/types';

// The first outputs of seedFor(0, 'gaussian_noise', 1, 0) and the name hash, pinned.
const PINNED_INTS = [1687152122, 4106724806, 2693864616, 3659722506];
const PINNED_FNV = 2604551111;

function draws(random: RandomSource, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(random.next());
  return out;
}

test('the same seed gives the same sequence', () => {
  assert.deepEqual(draws(seedFor(42, 'gaussian_noise', 3, 7), 1000), draws(seedFor(42, 'gaussian_noise', 3, 7), 1000));
  const a = seedFor(1, 'shot_noise', 1, 0);
  const b = seedFor(1, 'shot_noise', 1, 0);
  for (let i = 0; i < 1000; i++) assert.equal(a.normal(), b.normal());
  assert.deepEqual(draws(createRandom(123), 100), draws(createRandom(123), 100));
});

test('xoshiro128** matches the reference C implementation (state 1, 2, 3, 4)', () => {
  const random = Xoshiro128.fromState(1, 2, 3, 4);
  const outputs = Array.from({ length: 6 }, () => random.nextUint32());
  assert.deepEqual(outputs, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('the stream is pinned: same bytes on every machine and every version', () => {
  // Changing these values changes every corrupted data set: only do it on purpose.
  const random = seedFor(0, 'gaussian_noise', 1, 0);
  const ints = [random.nextUint32(), random.nextUint32(), random.nextUint32(), random.nextUint32()];
  assert.deepEqual(ints, PINNED_INTS);
  assert.equal(fnv1a32('gaussian_noise'), PINNED_FNV);
});

test('changing any of run seed, corruption, severity or sample id gives a different stream', () => {
  const base = draws(seedFor(7, 'gaussian_noise', 2, 10), 8);
  const variants = [
    seedFor(8, 'gaussian_noise', 2, 10),
    seedFor(7, 'speckle_noise', 2, 10),
    seedFor(7, 'gaussian_noise', 3, 10),
    seedFor(7, 'gaussian_noise', 2, 11),
    seedFor(-7, 'gaussian_noise', 2, 10),
    seedFor(7 + 2 ** 32, 'gaussian_noise', 2, 10),
    seedFor(7, 'gaussian_noise', 2, 10 + 2 ** 32),
  ];
  const seen = new Set([base.join(',')]);
  for (const variant of variants) {
    const values = draws(variant, 8);
    assert.notDeepEqual(values, base);
    seen.add(values.join(','));
  }
  assert.equal(seen.size, variants.length + 1, 'all streams differ from each other');
  // Neighbouring sample ids are not correlated: the first draws of 2000 consecutive ids look uniform.
  let sum = 0;
  for (let id = 0; id < 2000; id++) sum += seedFor(1, 'gaussian_noise', 1, id).next();
  assert.ok(Math.abs(sum / 2000 - 0.5) < 0.03, `mean of first draws ${sum / 2000}`);
});

test('seeds must be safe integers', () => {
  assert.throws(() => seedFor(1.5, 'gaussian_noise', 1, 0), RangeError);
  assert.throws(() => seedFor(1, 'gaussian_noise', 1, Number.NaN), RangeError);
  assert.throws(() => createRandom(2 ** 60), RangeError);
});

test('uniform draws: range, mean 1/2 and variance 1/12 on 100k draws', () => {
  const random = seedFor(3, 'uniform-test', 1, 0);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  let min = 1;
  let max = 0;
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const u = random.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sumSq += u * u;
    if (u < min) min = u;
    if (u > max) max = u;
    buckets[Math.floor(u * 10)]++;
  }
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  // sd of the mean = sqrt(1/12 / n) = 0.0009: 0.005 is more than 5 sd.
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
  assert.ok(min < 0.001 && max > 0.999);
  for (const count of buckets) assert.ok(Math.abs(count - n / 10) < 600, `bucket count ${count}`); // sd ~95
});

test('uniform draws have more than 32 bits', () => {
  const random = createRandom(5);
  let fine = false;
  for (let i = 0; i < 100 && !fine; i++) {
    const u = random.next();
    if (u * 2 ** 32 !== Math.floor(u * 2 ** 32)) fine = true;
  }
  assert.ok(fine, 'values have bits beyond 2^-32');
});

test('normal draws: mean 0, sd 1, symmetric tails on 100k draws', () => {
  const random = seedFor(11, 'normal-test', 4, 2);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  let beyond2 = 0;
  for (let i = 0; i < n; i++) {
    const z = random.normal();
    sum += z;
    sumSq += z * z;
    if (Math.abs(z) > 2) beyond2++;
  }
  const mean = sum / n;
  const sd = Math.sqrt(sumSq / n - mean * mean);
  assert.ok(Math.abs(mean) < 0.015, `mean ${mean}`); // sd of the mean 0.0032
  assert.ok(Math.abs(sd - 1) < 0.015, `sd ${sd}`); // sd of the sd ~0.0022
  assert.ok(Math.abs(beyond2 / n - 0.0455) < 0.004, `share beyond 2 sd ${beyond2 / n}`);
});

test('poisson draws have mean and variance lambda, for small and large lambda', () => {
  const random = new Xoshiro128(1, 2, 3, 4);
  for (const lambda of [0, 0.3, 3, 9.5, 10, 25, 60, 500]) {
    const n = 40_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const k = poisson(random, lambda);
      assert.ok(Number.isInteger(k) && k >= 0);
      sum += k;
      sumSq += k * k;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    const sdOfMean = Math.sqrt(lambda / n);
    assert.ok(Math.abs(mean - lambda) <= 6 * sdOfMean + 1e-12, `lambda ${lambda}: mean ${mean}`);
    assert.ok(Math.abs(variance - lambda) <= 0.05 * lambda + 1e-12, `lambda ${lambda}: variance ${variance}`);
  }
  assert.equal(random.poisson(0), 0);
});

test('normal draws follow N(0, 1): Kolmogorov-Smirnov on 200k draws, and the ziggurat tail beyond 3.654', () => {
  const random = seedFor(12, 'normal-ks', 1, 0);
  const n = 200_000;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = random.normal();
  z.sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const cdf = normalProbability(-Infinity, z[i]);
    d = Math.max(d, (i + 1) / n - cdf, cdf - i / n);
  }
  // The 1% critical value of the KS statistic is 1.63 / sqrt(n) = 0.0036.
  assert.ok(d < 1.63 / Math.sqrt(n), `KS statistic ${d}`);
  // The tail (sampled separately): expected share 2 * 1.29e-4 = 2.58e-4, i.e. ~52 of 200k (sd ~7).
  let tail = 0;
  for (let i = 0; i < n; i++) if (Math.abs(z[i]) > 3.6541528853610088) tail++;
  assert.ok(tail > 52 - 25 && tail < 52 + 25, `values beyond the ziggurat base: ${tail}`);
});

test('normalProbability: standard normal interval probabilities to ~1e-15', () => {
  const close = (a: number, b: number, rel: number) => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${a} vs ${b}`);
  close(normalProbability(-Infinity, 0), 0.5, 1e-14);
  close(normalProbability(-1, 1), 0.6826894921370859, 1e-14);
  close(normalProbability(-Infinity, -3), 0.0013498980316300933, 1e-12);
  close(normalProbability(5, Infinity), 2.866515718791933e-7, 1e-12);
  close(normalProbability(0.1, 0.2), 0.039431872162074, 1e-12); // reference values: scipy.stats.norm
  assert.equal(normalProbability(1, 1), 0);
  assert.equal(normalProbability(2, 1), 0);
});

test('byte alias tables represent the probabilities to within 2^-32 and sample them', () => {
  const weights = new Float64Array(256);
  weights[0] = 0.5;
  weights[3] = 1e-9;
  weights[100] = 0.25;
  for (let b = 200; b < 256; b++) weights[b] = (b - 199) / 1000;
  const sum = weights.reduce((a, b) => a + b, 0);
  const threshold = new Uint32Array(512);
  const alias = new Uint8Array(512);
  buildByteAliasTable(weights, threshold, alias, 256);
  // Probability of each byte as the table gives it: column j keeps j below its threshold, else gives alias[j].
  const probability = new Float64Array(256);
  for (let j = 0; j < 256; j++) {
    probability[j] += threshold[256 + j] / 2 ** 32;
    probability[alias[256 + j]] += (2 ** 24 - threshold[256 + j]) / 2 ** 32;
  }
  for (let b = 0; b < 256; b++) assert.ok(Math.abs(probability[b] - weights[b] / sum) <= 2 ** -32, `byte ${b}: ${probability[b]} vs ${weights[b] / sum}`);
  // Sampling with one 32-bit draw per value.
  const random = new Xoshiro128(5, 6, 7, 8);
  const counts = new Float64Array(256);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const u = random.nextUint32();
    const j = u >>> 24;
    counts[(u & 0xffffff) < threshold[256 + j] ? j : alias[256 + j]]++;
  }
  for (const b of [0, 100, 255]) {
    const p = weights[b] / sum;
    assert.ok(Math.abs(counts[b] / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `byte ${b}: ${counts[b] / n} vs ${p}`);
  }
  assert.equal(counts[1] + counts[2] + counts[150], 0);
  assert.throws(() => buildByteAliasTable(new Float64Array(256), threshold, alias), RangeError);
  assert.throws(() => buildByteAliasTable(new Float64Array(10), threshold, alias), RangeError);
});

test('bulk draws (fillNext, fillNormal) give the per-draw values in order and leave the same state, slow paths included', () => {
  for (let seed = 0; seed < 40; seed++) {
    const bulk = seedFor(seed, 'bulk', 1, 0);
    const single = seedFor(seed, 'bulk', 1, 0);
    // 60,000 normals reach the ziggurat's wedges and tail (~1.5% of draws) hundreds of times per seed.
    for (const [kind, count, offset] of [['normal', 60000, 0], ['next', 3001, 5], ['normal', 7, 3], ['next', 1, 0]] as const) {
      const out = new Float64Array(offset + count).fill(-9);
      if (kind === 'normal') bulk.fillNormal(out, count, offset);
      else bulk.fillNext(out, count, offset);
      for (let k = 0; k < offset; k++) assert.equal(out[k], -9, 'nothing before the offset is written');
      for (let k = 0; k < count; k++) {
        const expected = kind === 'normal' ? single.normal() : single.next();
        if (!Object.is(out[offset + k], expected)) assert.fail(`seed ${seed}, ${kind} ${k}: ${out[offset + k]} != ${expected}`);
      }
    }
    // The same state afterwards.
    assert.deepEqual([bulk.nextUint32(), bulk.nextUint32()], [single.nextUint32(), single.nextUint32()]);
  }
  // The functions fall back to one call per value for other sources.
  let i = 0;
  const counter: RandomSource = { next: () => ++i / 10, normal: () => -(++i), nextInt: () => 0, poisson: () => 0 } as unknown as RandomSource;
  const out = new Float64Array(4);
  fillNext(counter, out, 2, 1);
  fillNormal(counter, out, 1, 3);
  assert.deepEqual(Array.from(out), [0, 0.1, 0.2, -3]);
});
