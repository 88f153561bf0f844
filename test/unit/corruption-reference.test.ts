// The corruptions against the outputs of the original ImageNet-C / CIFAR-10-C code
// (/work/shared/reference/corruptions, see PARAMETERS.md there):
// - deterministic corruptions pixel for pixel: mean absolute difference <= 1 grey level per severity;
// - random corruptions by their change statistics averaged over 16 independent draws;
// - gaussian, shot and speckle noise also bit for bit when given numpy's random stream (the reference outputs were
//   made with np.random.seed(0) before each corruption and severity): with any RandomSource other than the seeded
//   generator they apply the reference formula draw by draw, which pins the formulas the fast samplers follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { parseNpy } from '../../src/server/engine/data/npy';
import { applyCorruption, CORRUPTION_NAMES, getCorruption } from '../../src/server/engine/perturb/image/registry';
import type { Image, ParameterPreset, RandomSource } from '../../src/server/engine/types';

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

const DETERMINISTIC = ['gaussian_blur', 'contrast', 'brightness', 'saturate', 'pixelate', 'defocus_blur'] as const;
const RANDOM = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'speckle_noise'] as const;

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
  assert.equal(array.shape.length, 5);
  assert.equal(array.shape[0], 19);
  assert.equal(array.shape[1], 5);
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

test('the reference files are present', () => {
  for (const c of CASES) {
    for (const file of [c.input, c.reference, c.stats]) assert.ok(existsSync(path.join(REFERENCE_DIR, file)), `missing ${file} in ${REFERENCE_DIR}`);
  }
});

for (const c of CASES) {
  for (const name of DETERMINISTIC) {
    test(`${name} (${c.preset} preset) matches the reference output within 1 grey level, severities 1-5`, async () => {
      const { image, reference } = await load(c);
      const n = image.pixels.length;
      const index = CORRUPTION_NAMES.indexOf(name);
      const differences: number[] = [];
      for (let severity = 1; severity <= 5; severity++) {
        const out = applyCorruption(image, name, severity, c.preset, 0, 0);
        assert.equal(out.pixels.length, n);
        const offset = (index * 5 + severity - 1) * n;
        let sum = 0;
        for (let i = 0; i < n; i++) sum += Math.abs(out.pixels[i] - reference[offset + i]);
        differences.push(sum / n);
      }
      for (let s = 0; s < 5; s++) assert.ok(differences[s] <= 1, `${name} severity ${s + 1}: mean absolute difference ${differences[s].toFixed(4)} > 1`);
    });
  }
}

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

// Tolerance floors, for cells where the reference sd over its 8 seeds is tiny and the value near 0 (e.g. the signed
// mean change of gaussian_noise on ImageNet, ~0.06 grey levels): a quarter of a grey level for the mean and std of
// the change (below one quantisation step, while a wrong parameter or a rounding-instead-of-truncation cast
// moves them by 0.5 grey levels or more) and half a percentage point for the share of changed values (the
// smallest step between two impulse_noise amounts is 1 percentage point).
const FLOOR = { mean: 0.25, std: 0.25, share: 0.005 };
const DRAWS = 16;

for (const c of CASES) {
  for (const name of RANDOM) {
    test(`${name} (${c.preset} preset) has the reference's change statistics over ${DRAWS} draws, severities 1-5`, async () => {
      const { image } = await load(c);
      const stats = JSON.parse(readFileSync(path.join(REFERENCE_DIR, c.stats), 'utf8')) as {
        cells: Record<string, { mean_change: [number, number]; std_change: [number, number]; share_changed: [number, number] }>;
      };
      const problems: string[] = [];
      for (let severity = 1; severity <= 5; severity++) {
        const average: ChangeStats = { mean: 0, std: 0, share: 0 };
        for (let sampleId = 0; sampleId < DRAWS; sampleId++) {
          const out = applyCorruption(image, name, severity, c.preset, 2024, sampleId);
          const s = changeStats(image.pixels, out.pixels);
          average.mean += s.mean / DRAWS;
          average.std += s.std / DRAWS;
          average.share += s.share / DRAWS;
        }
        const cell = stats.cells[`${name}_${severity}`];
        assert.ok(cell, `reference statistics for ${name}_${severity}`);
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
      assert.deepEqual(problems, [], `${name} (${c.preset}) differs from the reference`);
    });
  }
}

/**
 * numpy's legacy RandomState after np.random.seed(seed): MT19937 (init_genrand), random_sample from two outputs
 * (53 bits), and legacy_gauss (polar method, returns f * x2 first and caches f * x1).
 */
class NumpyLegacyRandom implements RandomSource {
  private readonly mt = new Uint32Array(624);
  private index = 624;
  private gauss = 0;
  private hasGauss = false;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
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

for (const c of CASES) {
  for (const name of ['gaussian_noise', 'shot_noise', 'speckle_noise'] as const) {
    test(`${name} (${c.preset} preset) replaying numpy's random stream gives the reference output bit for bit`, async () => {
      const { image, reference } = await load(c);
      const corruption = getCorruption(name);
      assert.ok(corruption);
      const n = image.pixels.length;
      const index = CORRUPTION_NAMES.indexOf(name);
      for (let severity = 1; severity <= 5; severity++) {
        const out = corruption.apply(image, severity, { preset: c.preset, random: new NumpyLegacyRandom(0) });
        const offset = (index * 5 + severity - 1) * n;
        let differing = 0;
        for (let i = 0; i < n; i++) if (out.pixels[i] !== reference[offset + i]) differing++;
        assert.equal(differing, 0, `${name} severity ${severity}: ${differing} values differ`);
      }
    });
  }
}
