// fog, frost, spatter and elastic_transform against the outputs of the original ImageNet-C / CIFAR-10-C code
// (/work/shared/reference/corruptions, see PARAMETERS.md there):
// - change statistics over 16 draws with our own seeded stream vs the reference's [mean, sd] over 8 seeds
//   (frost: a loose bound, its texture is procedural);
// - pixel for pixel with numpy's random stream replayed (MT19937 seeded with 0 before every severity, the way the
//   reference arrays were made), which checks every deterministic step of fog, spatter and elastic_transform;
// - determinism, grey and non-square images, tiny images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { parseNpy } from '../../src/server/engine/data/npy';
import { InputError } from '../../src/server/engine/errors';
import { ELASTIC_TRANSFORM_MIN_SIDE, elasticTransform } from '../../src/server/engine/perturb/image/elastic-transform';
import { fog, fogMapSize } from '../../src/server/engine/perturb/image/fog';
import { FROST_TEXTURE_COUNT, frost, frostTexture } from '../../src/server/engine/perturb/image/frost';
import { generateFrostTexture } from '../../src/server/engine/perturb/image/frost-texture';
import { plasmaFractal } from '../../src/server/engine/perturb/image/plasma-fractal';
import { spatter } from '../../src/server/engine/perturb/image/spatter';
import { seedFor } from '../../src/server/engine/perturb/random';
import type { Corruption, Image, ParameterPreset, RandomSource } from '../../src/server/engine/types';

const REFERENCE_DIR = process.env.ROBUSTNESS_REFERENCE_DIR ?? '/work/shared/reference/corruptions';

interface Case {
  readonly preset: ParameterPreset;
  readonly input: string;
  readonly reference: string;
  readonly stats: string;
}

const CASES: readonly Case[] = [
  { preset: 'cifar', input: 'synth_32.png', reference: 'cifar_32_synth_32.npy', stats: 'stats_cifar_32_synth.json' },
  { preset: 'imagenet', input: 'synth_224.png', reference: 'imagenet_224_synth_224.npy.gz', stats: 'stats_imagenet_224_synth.json' },
];

const CORRUPTIONS: readonly Corruption[] = [fog, frost, spatter, elasticTransform];
/** Index of each corruption in the reference arrays (the table order of PARAMETERS.md). */
const TABLE_INDEX: Readonly<Record<string, number>> = { frost: 8, fog: 9, elastic_transform: 12, spatter: 17 };

async function readPng(file: string): Promise<Image> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3, `${file} decodes to 3 channels`);
  return { height: info.height, width: info.width, channels: 3, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** The reference outputs, shape (19, 5, H, W, 3) uint8. */
function readReference(file: string): Uint8Array {
  let bytes: Uint8Array = readFileSync(file);
  if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
  const array = parseNpy(bytes);
  assert.equal(array.dtype, 'u1');
  assert.deepEqual(array.shape.slice(0, 2), [19, 5]);
  return array.data as Uint8Array;
}

const loaded = new Map<string, Promise<{ image: Image; reference: Uint8Array }>>();
function load(c: Case): Promise<{ image: Image; reference: Uint8Array }> {
  let promise = loaded.get(c.preset);
  if (!promise) {
    promise = (async () => ({
      image: await readPng(path.join(REFERENCE_DIR, c.input)),
      reference: readReference(path.join(REFERENCE_DIR, c.reference)),
    }))();
    loaded.set(c.preset, promise);
  }
  return promise;
}

interface StatsFile {
  cells: Record<string, { mean_change: [number, number]; std_change: [number, number]; share_changed: [number, number] }>;
}
function readStats(c: Case): StatsFile {
  return JSON.parse(readFileSync(path.join(REFERENCE_DIR, c.stats), 'utf8')) as StatsFile;
}

/**
 * numpy's legacy RandomState after np.random.seed(seed): MT19937 seeded with init_genrand, random_sample with 53
 * bits from two outputs, and the polar-method gauss that returns f * x2 first and caches f * x1. Used to replay the
 * reference's random draws; the corruptions take uniforms as next() and normals as normal().
 */
class NumpyLegacyRandom implements RandomSource {
  private readonly mt = new Uint32Array(624);
  private index = 624;
  private gauss = 0;
  private hasGauss = false;

  constructor(seed: number) {
    let s = seed >>> 0;
    for (let i = 0; i < 624; i++) {
      this.mt[i] = s;
      const x = s ^ (s >>> 30);
      s = (((((x & 0xffff0000) >>> 16) * 1812433253) << 16) + (x & 0x0000ffff) * 1812433253 + i + 1) >>> 0;
    }
  }

  private nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  next(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  normal(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      return this.gauss;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.next() - 1;
      x2 = 2 * this.next() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }
}

test('the numpy stream replay reproduces np.random.seed(0) (random_sample, normal)', () => {
  const r = new NumpyLegacyRandom(0);
  // np.random.seed(0); np.random.random_sample(3); np.random.normal(size=3)
  const expected = [0.5488135039273248, 0.7151893663724195, 0.6027633760716439, -2.268328201180374, 1.3335453816218967, -0.8427240538292873];
  const got = [r.next(), r.next(), r.next(), r.normal(), r.normal(), r.normal()];
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-15, `value ${i}: ${got[i]} vs ${expected[i]}`);
});

test('the reference files are present', () => {
  for (const c of CASES) {
    for (const file of [c.input, c.reference, c.stats]) assert.ok(existsSync(path.join(REFERENCE_DIR, file)), `missing ${file} in ${REFERENCE_DIR}`);
  }
});

interface ChangeStats {
  mean: number;
  std: number;
  share: number;
}

/** Statistics of the change out - in (grey levels): signed mean, standard deviation (ddof 0), share changed. */
function changeStats(input: Uint8Array, output: Uint8Array): ChangeStats {
  let sum = 0;
  let sumSq = 0;
  let changed = 0;
  for (let i = 0; i < input.length; i++) {
    const d = output[i] - input[i];
    sum += d;
    sumSq += d * d;
    if (d !== 0) changed++;
  }
  const n = input.length;
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), share: changed / n };
}

const DRAWS = 16;
const RUN_SEED = 2024;

function averageStats(corruption: Corruption, image: Image, severity: number, preset: ParameterPreset): ChangeStats {
  const average: ChangeStats = { mean: 0, std: 0, share: 0 };
  for (let sampleId = 0; sampleId < DRAWS; sampleId++) {
    const out = corruption.apply(image, severity, { preset, random: seedFor(RUN_SEED, corruption.name, severity, sampleId) });
    const s = changeStats(image.pixels, out.pixels);
    average.mean += s.mean / DRAWS;
    average.std += s.std / DRAWS;
    average.share += s.share / DRAWS;
  }
  return average;
}

// Tolerance floors, as in corruption-reference.test.ts: for cells where the reference sd over its 8 seeds is tiny
// and the value near 0, a quarter of a grey level for the mean and std of the change (below one quantisation step,
// while a wrong parameter or a rounding-instead-of-truncation cast moves them by 0.5 grey levels or more) and half
// a percentage point for the share of changed values. In practice the 3-sd and 10% terms decide every cell here
// (e.g. spatter's smallest share, cifar severity 1: 0.025 +- 0.020).
const FLOOR = { mean: 0.25, std: 0.25, share: 0.005 };

for (const c of CASES) {
  for (const corruption of [fog, spatter, elasticTransform]) {
    test(`${corruption.name} (${c.preset} preset) has the reference's change statistics over ${DRAWS} draws, severities 1-5`, async () => {
      const { image } = await load(c);
      const stats = readStats(c);
      const problems: string[] = [];
      for (let severity = 1; severity <= 5; severity++) {
        const average = averageStats(corruption, image, severity, c.preset);
        const cell = stats.cells[`${corruption.name}_${severity}`];
        assert.ok(cell, `reference statistics for ${corruption.name}_${severity}`);
        const checks: [keyof ChangeStats, [number, number]][] = [
          ['mean', cell.mean_change],
          ['std', cell.std_change],
          ['share', cell.share_changed],
        ];
        for (const [key, [refMean, refSd]] of checks) {
          const tolerance = Math.max(3 * refSd, 0.1 * Math.abs(refMean), FLOOR[key]);
          const ours = average[key];
          if (!(Math.abs(ours - refMean) <= tolerance)) {
            problems.push(`severity ${severity} ${key}: ${ours.toFixed(4)} vs reference ${refMean.toFixed(4)} +- ${tolerance.toFixed(4)}`);
          }
        }
      }
      assert.deepEqual(problems, [], `${corruption.name} (${c.preset}) differs from the reference`);
    });
  }

  test(`frost (${c.preset} preset, procedural texture) changes images by the same order as the reference, severities 1-5`, async () => {
    const { image } = await load(c);
    const stats = readStats(c);
    const problems: string[] = [];
    for (let severity = 1; severity <= 5; severity++) {
      const average = averageStats(frost, image, severity, c.preset);
      const cell = stats.cells[`frost_${severity}`];
      for (const [key, ref] of [
        ['mean', cell.mean_change[0]],
        ['std', cell.std_change[0]],
      ] as const) {
        const ratio = average[key] / ref;
        if (!(ratio >= 0.5 && ratio <= 2)) problems.push(`severity ${severity} ${key}: ${average[key].toFixed(2)} vs reference ${ref.toFixed(2)} (ratio ${ratio.toFixed(2)})`);
      }
      // Frost brightens almost every value, like the reference (~98% of the values change).
      if (!(Math.abs(average.share - cell.share_changed[0]) <= 0.05)) problems.push(`severity ${severity} share ${average.share.toFixed(3)} vs ${cell.share_changed[0].toFixed(3)}`);
    }
    assert.deepEqual(problems, [], `frost (${c.preset}) is not of the reference's order`);
  });
}

// Pixel-exact checks with numpy's stream. elastic_transform at ImageNet severities 1 and 2 (sigma 170.8 and 19.52 px,
// 1025- and 119-tap kernels) filters its displacement fields in a truncated cosine basis (see its header); there a few
// values differ by some grey levels where the image has edges.
const REPLAY_TOLERANCE: Readonly<Record<string, { maxMad: number; minExact: number }>> = {
  'elastic_transform/imagenet/1': { maxMad: 0.02, minExact: 0.99 },
  'elastic_transform/imagenet/2': { maxMad: 0.08, minExact: 0.96 },
};

for (const c of CASES) {
  for (const corruption of [fog, spatter, elasticTransform]) {
    test(`${corruption.name} (${c.preset} preset) equals the reference output pixel for pixel given numpy's random stream`, async () => {
      const { image, reference } = await load(c);
      const n = image.pixels.length;
      const problems: string[] = [];
      for (let severity = 1; severity <= 5; severity++) {
        const out = corruption.apply(image, severity, { preset: c.preset, random: new NumpyLegacyRandom(0) });
        const offset = (TABLE_INDEX[corruption.name] * 5 + severity - 1) * n;
        let sum = 0;
        let exact = 0;
        for (let i = 0; i < n; i++) {
          const d = Math.abs(out.pixels[i] - reference[offset + i]);
          sum += d;
          if (d === 0) exact++;
        }
        const { maxMad, minExact } = REPLAY_TOLERANCE[`${corruption.name}/${c.preset}/${severity}`] ?? { maxMad: 0, minExact: 1 };
        if (!(sum / n <= maxMad && exact / n >= minExact)) {
          problems.push(`severity ${severity}: mean absolute difference ${(sum / n).toFixed(4)}, ${((100 * exact) / n).toFixed(2)}% identical`);
        }
      }
      assert.deepEqual(problems, [], `${corruption.name} (${c.preset}) differs from the reference output`);
    });
  }
}

/** A deterministic test image with gradients, edges and some texture (no random numbers needed). */
function makeImage(height: number, width: number, channels: number): Image {
  const pixels = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const gradient = ((x + y) * 255) / Math.max(1, height + width - 2);
        const block = ((x >> 2) + (y >> 2) + c) % 2 === 0 ? 60 : -60;
        const v = 0.5 * gradient + 64 + block + ((x * 7 + y * 13 + c * 29) % 23);
        pixels[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { height, width, channels, pixels };
}

const PRESETS: readonly ParameterPreset[] = ['cifar', 'imagenet'];

for (const corruption of CORRUPTIONS) {
  test(`${corruption.name}: the same seed and sample give identical bytes, another sample differs`, () => {
    for (const preset of PRESETS) {
      const image = makeImage(preset === 'cifar' ? 32 : 64, preset === 'cifar' ? 32 : 64, 3);
      for (let severity = 1; severity <= 5; severity++) {
        const a = corruption.apply(image, severity, { preset, random: seedFor(7, corruption.name, severity, 3) });
        const b = corruption.apply(image, severity, { preset, random: seedFor(7, corruption.name, severity, 3) });
        const other = corruption.apply(image, severity, { preset, random: seedFor(7, corruption.name, severity, 4) });
        assert.deepEqual(a.pixels, b.pixels, `${preset} severity ${severity}: same seed, different bytes`);
        assert.notDeepEqual(a.pixels, other.pixels, `${preset} severity ${severity}: another sample id gave the same bytes`);
        assert.deepEqual(image.pixels, makeImage(image.height, image.width, 3).pixels, 'the input image was modified');
      }
    }
  });

  test(`${corruption.name}: grey 28x28x1 and non-square 40x24x3 images keep their shape and change at severity 5`, () => {
    for (const preset of PRESETS) {
      for (const [h, w, ch] of [
        [28, 28, 1],
        [40, 24, 3],
        [24, 40, 3],
      ] as const) {
        const image = makeImage(h, w, ch);
        const out = corruption.apply(image, 5, { preset, random: seedFor(1, corruption.name, 5, 0) });
        assert.equal(out.height, h);
        assert.equal(out.width, w);
        assert.equal(out.channels, ch);
        assert.equal(out.pixels.length, h * w * ch);
        assert.ok(out.pixels instanceof Uint8Array);
        const { share } = changeStats(image.pixels, out.pixels);
        assert.ok(share > 0.01, `${preset} ${h}x${w}x${ch}: only ${(share * 100).toFixed(2)}% of the values changed`);
      }
    }
  });
}

test('fog, frost and spatter work on tiny images (1x1, 1x7, 2x2, 3x2 grey and RGB) at every severity', () => {
  for (const corruption of [fog, frost, spatter]) {
    for (const preset of PRESETS) {
      for (const [h, w] of [
        [1, 1],
        [1, 7],
        [2, 2],
        [3, 2],
      ] as const) {
        for (const ch of [1, 3]) {
          const image = makeImage(h, w, ch);
          for (let severity = 1; severity <= 5; severity++) {
            const out = corruption.apply(image, severity, { preset, random: seedFor(3, corruption.name, severity, h * 10 + w) });
            assert.equal(out.pixels.length, h * w * ch, `${corruption.name} ${preset} ${h}x${w}x${ch} severity ${severity}`);
          }
        }
      }
    }
  }
});

test(`elastic_transform rejects images below ${ELASTIC_TRANSFORM_MIN_SIDE}x${ELASTIC_TRANSFORM_MIN_SIDE} with an InputError and works from there on`, () => {
  for (const preset of PRESETS) {
    for (const [h, w] of [
      [1, 1],
      [2, 2],
      [2, 50],
      [50, 1],
    ] as const) {
      assert.throws(
        () => elasticTransform.apply(makeImage(h, w, 3), 3, { preset, random: seedFor(1, 'elastic_transform', 3, 0) }),
        (error: unknown) => {
          assert.ok(error instanceof InputError, 'an InputError');
          assert.equal(error.details.code, 'image-too-small');
          assert.match(error.message, /at least 3x3/);
          return true;
        },
      );
    }
    for (const [h, w, ch] of [
      [3, 3, 3],
      [3, 5, 1],
      [4, 3, 3],
    ] as const) {
      for (let severity = 1; severity <= 5; severity++) {
        const out = elasticTransform.apply(makeImage(h, w, ch), severity, { preset, random: seedFor(1, 'elastic_transform', severity, 0) });
        assert.equal(out.pixels.length, h * w * ch);
      }
    }
  }
});

test('the plasma fractal spans [0, 1], is deterministic, and the fog map covers the image', () => {
  const a = plasmaFractal(32, 2, seedFor(1, 'fog', 1, 0));
  const b = plasmaFractal(32, 2, seedFor(1, 'fog', 1, 0));
  assert.deepEqual(a, b);
  assert.equal(Math.min(...a), 0);
  assert.equal(Math.max(...a), 1);
  assert.deepEqual(plasmaFractal(1, 2, seedFor(1, 'fog', 1, 0)), Float64Array.of(0));
  assert.throws(() => plasmaFractal(24, 2, seedFor(1, 'fog', 1, 0)), RangeError);
  assert.equal(fogMapSize(32, 32), 32); // CIFAR-10-C: map 32
  assert.equal(fogMapSize(224, 224), 256); // ImageNet-C: map 256 cropped to 224
  assert.equal(fogMapSize(40, 24), 64);
  assert.equal(fogMapSize(1, 1), 2);
});

test('frost textures are deterministic, frost-coloured (blue-white, B > G > R) and cached', () => {
  const a = generateFrostTexture(64, 5);
  const b = generateFrostTexture(64, 5);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, generateFrostTexture(64, 6));
  for (const preset of PRESETS) {
    for (let k = 0; k < FROST_TEXTURE_COUNT; k++) {
      const texture = frostTexture(preset, k);
      assert.equal(frostTexture(preset, k), texture, 'cached');
      assert.equal(texture.rgb.length, texture.size * texture.size * 3);
      assert.ok(texture.size >= (preset === 'cifar' ? 64 : 320), `${preset} texture ${k} is ${texture.size} px`);
      const mean = [0, 0, 0];
      for (let i = 0; i < texture.rgb.length; i++) mean[i % 3] += texture.rgb[i] / (texture.rgb.length / 3);
      assert.ok(mean[2] > mean[1] && mean[1] > mean[0], `${preset} texture ${k} channel means ${mean.map((m) => m.toFixed(1)).join(', ')}`);
      const grey = (mean[0] + mean[1] + mean[2]) / 3;
      assert.ok(grey > 100 && grey < 200, `${preset} texture ${k} mean ${grey.toFixed(1)}`);
    }
  }
});
