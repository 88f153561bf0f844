// Test helper for the corruption tests that compare against the outputs of the original ImageNet-C / CIFAR-10-C code
// (/work/shared/reference/corruptions, see PARAMETERS.md there): the reference inputs and arrays, the reference's
// change statistics and how ours are compared with them, numpy's legacy random stream, and a deterministic test image.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { parseNpy } from '../../src/server/engine/data/npy';
import type { Image, ParameterPreset, RandomSource } from '../../src/server/engine/types';

export const REFERENCE_DIR = process.env.ROBUSTNESS_REFERENCE_DIR ?? '/work/shared/reference/corruptions';

export interface Case {
  readonly preset: ParameterPreset;
  readonly input: string;
  readonly reference: string;
  readonly stats: string;
}

export const CASES: readonly Case[] = [
  { preset: 'cifar', input: 'synth_32.png', reference: 'cifar_32_synth_32.npy', stats: 'stats_cifar_32_synth.json' },
  { preset: 'imagenet', input: 'synth_224.png', reference: 'imagenet_224_synth_224.npy.gz', stats: 'stats_imagenet_224_synth.json' },
];

/** Decodes a reference input PNG (synth_32.png, synth_224.png) to an RGB image. */
export async function readPng(file: string): Promise<Image> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3, `${file} decodes to 3 channels`);
  return { height: info.height, width: info.width, channels: 3, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** The reference outputs, shape (19, 5, H, W, 3) uint8. */
export function readReference(file: string): Uint8Array {
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

/** The input image and the reference outputs of a case, read once per process. */
export function load(c: Case): Promise<{ image: Image; reference: Uint8Array }> {
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

/** Asserts that the input, reference and statistics files of every case exist. */
export function assertReferenceFilesPresent(): void {
  for (const c of CASES) {
    for (const file of [c.input, c.reference, c.stats]) assert.ok(existsSync(path.join(REFERENCE_DIR, file)), `missing ${file} in ${REFERENCE_DIR}`);
  }
}

/** The reference's change statistics: [mean, sd] over its 8 seeds for each `${corruption}_${severity}` cell. */
export interface StatsFile {
  cells: Record<string, { mean_change: [number, number]; std_change: [number, number]; share_changed: [number, number] }>;
}

export function readStats(c: Case): StatsFile {
  return JSON.parse(readFileSync(path.join(REFERENCE_DIR, c.stats), 'utf8')) as StatsFile;
}

export interface ChangeStats {
  mean: number;
  std: number;
  share: number;
}

/** Statistics of the change out - in (grey levels): signed mean, standard deviation (ddof 0), share changed. */
export function changeStats(input: Uint8Array, output: Uint8Array): ChangeStats {
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

/** The number of independent draws our change statistics are averaged over. */
export const DRAWS = 16;

/** The change statistics of `draw(sampleId)` against `image`, averaged over sample ids 0 .. DRAWS - 1. */
export function averageChangeStats(image: Image, draw: (sampleId: number) => Image): ChangeStats {
  const average: ChangeStats = { mean: 0, std: 0, share: 0 };
  for (let sampleId = 0; sampleId < DRAWS; sampleId++) {
    const out = draw(sampleId);
    const s = changeStats(image.pixels, out.pixels);
    average.mean += s.mean / DRAWS;
    average.std += s.std / DRAWS;
    average.share += s.share / DRAWS;
  }
  return average;
}

// Tolerance: max(3 x the reference's sd over its 8 seeds, 10% of the reference value, a floor). The floors are for
// cells where the reference sd is tiny and the value near 0 (e.g. the signed mean change of gaussian_noise on
// ImageNet, ~0.06 grey levels): a quarter of a grey level for the mean and std of the change (below one quantisation
// step, while a wrong parameter or a rounding-instead-of-truncation cast moves them by 0.5 grey levels or more) and
// half a percentage point for the share of changed values (the smallest step between two impulse_noise amounts is
// 1 percentage point).
export const FLOOR = { mean: 0.25, std: 0.25, share: 0.005 };

/**
 * Compares our change statistics, averaged over DRAWS draws (`draw(severity, sampleId)`), with the reference's
 * statistics for `name`, severities 1-5; asserts that every cell exists and returns the cells out of tolerance.
 */
export function changeStatisticsProblems(stats: StatsFile, name: string, image: Image, draw: (severity: number, sampleId: number) => Image): string[] {
  const problems: string[] = [];
  for (let severity = 1; severity <= 5; severity++) {
    const average = averageChangeStats(image, (sampleId) => draw(severity, sampleId));
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
  return problems;
}

/**
 * numpy's legacy RandomState after np.random.seed(seed) (np.random.random_sample / normal / randint): MT19937
 * seeded with init_genrand, random_sample with 53 bits from two 32-bit outputs (a >> 5, b >> 6), normals by the
 * polar method (legacy_gauss: returns f * x2 first and caches f * x1), bounded integers by masked rejection on
 * 32-bit outputs. Used to replay the random numbers the reference outputs were made with (seed 0 before each
 * corruption and severity); the corruptions take uniforms as next() and normals as normal().
 */
export class NumpyLegacyRandom implements RandomSource {
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

  uint32(): number {
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

  /** random_sample(): uniform in [0, 1). */
  next(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** standard_normal() (legacy_gauss). */
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

  /** randint(low, high): uniform in [low, high). */
  randint(low: number, high: number): number {
    const range = high - low - 1;
    let mask = range;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    for (;;) {
      const value = this.uint32() & mask;
      if (value <= range) return low + value;
    }
  }
}

/** A deterministic test image with gradients, edges and some texture (no random numbers needed). */
export function makeImage(height: number, width: number, channels: number): Image {
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

/** A deterministic test image with gradients, edges and texture, exact at every size (no random numbers). */
export function makePatternImage(height: number, width: number, channels: number): Image {
  const pixels = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const gradient = ((x + y) * 255) / (height + width - 2);
        const block = ((x >> 2) + (y >> 2) + c) % 2 === 0 ? 60 : -60;
        const v = 0.5 * gradient + 64 + block + ((x * 7 + y * 13 + c * 29) % 23);
        pixels[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { height, width, channels, pixels };
}
