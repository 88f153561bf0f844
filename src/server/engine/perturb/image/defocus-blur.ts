// defocus_blur: convolution with an anti-aliased disk (ImageNet-C / CIFAR-10-C definition). The kernel is built
// like the reference's `disk(radius, alias_blur)`: a binary disk X^2 + Y^2 <= r^2 on a 17x17 grid (radius <= 8) or
// a (2r+1)^2 grid, normalised to sum 1, then cv2.GaussianBlur with a 3x3 (radius <= 8) or 5x5 Gaussian of sigma
// alias_blur, whose border (on the kernel grid) is reflect-101. The image (x / 255) is then filtered per channel
// like cv2.filter2D: correlation, anchor at the centre, border reflect-101, in float64. The kernel is computed in
// float32 exactly like the reference (Math.fround after every operation): its sum differs from 1 by ~1e-7, and
// flat image regions land just below or above an integer grey level depending on that sum, so emulating it
// makes the truncating cast agree with the reference.
//
// Other image sizes (the documented rule of common.ts): with s = spatialScale(image, preset) = min(H, W) / nominal
// side (32 cifar, 224 imagenet), every length in pixels of the kernel is multiplied by s, so the kernel is the
// published one drawn s times larger:
//  - the disk radius r and the anti-aliasing sigma are multiplied by s;
//  - the grid: the reference draws radii <= 8 on a 17x17 grid (half-size 8) and larger radii on (2r+1)^2; scaled,
//    the half-size is max(1, round(8 s), trunc(r s)) when the published r <= 8, else trunc(r s), so the grid
//    always holds the scaled disk and keeps the same margin around it;
//  - the anti-aliasing Gaussian's kernel, 3x3 (half-size 1, published r <= 8) or 5x5 (half-size 2), gets the
//    half-size max(1, round(half-size * s)).
// At the nominal size s is exactly 1 and every one of these is the reference's value, so the output is unchanged.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale, UNIT } from './common';

/** (radius, alias_blur sigma). */
export const DEFOCUS_BLUR_PARAMETERS: PresetParameters<readonly [number, number]> = {
  cifar: [
    [0.3, 0.4],
    [0.4, 0.5],
    [0.5, 0.6],
    [1, 0.2],
    [1.5, 0.1],
  ],
  imagenet: [
    [3, 0.1],
    [4, 0.5],
    [6, 0.5],
    [8, 0.5],
    [10, 0.5],
  ],
};

/** Index into [0, n) with OpenCV's BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba), repeated for far indices. */
export function reflect101(p: number, n: number): number {
  if (n === 1) return 0;
  while (p < 0 || p >= n) {
    if (p < 0) p = -p;
    if (p >= n) p = 2 * (n - 1) - p;
  }
  return p;
}

/** cv2.getGaussianKernel(n, sigma, CV_32F) for sigma > 0: float32 taps normalised with a double sum. */
function gaussianTaps(n: number, sigma: number): Float64Array {
  const taps = new Float64Array(n);
  const scale2 = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = i - (n - 1) * 0.5;
    taps[i] = Math.fround(Math.exp(scale2 * x * x));
    sum += taps[i];
  }
  const inverse = 1 / sum;
  for (let i = 0; i < n; i++) taps[i] = Math.fround(taps[i] * inverse);
  return taps;
}

/** The anti-aliased disk kernel (size x size, row-major). */
export interface DiskKernel {
  readonly size: number;
  readonly values: Float64Array;
}

const diskCache = new Map<string, DiskKernel>();

/** Grid and anti-aliasing kernel sizes of the disk kernel for a published radius drawn `scale` times larger. */
export function diskGeometry(publishedRadius: number, scale = 1): { radius: number; half: number; blurSize: number } {
  const radius = publishedRadius * scale;
  const small = publishedRadius <= 8;
  const half = small ? Math.max(1, Math.round(8 * scale), Math.trunc(radius)) : Math.max(1, Math.trunc(radius));
  const blurHalf = Math.max(1, Math.round((small ? 1 : 2) * scale));
  return { radius, half, blurSize: 2 * blurHalf + 1 };
}

/**
 * The reference's disk(radius, alias_blur) kernel, or with `scale` != 1 the same kernel drawn `scale` times
 * larger (radius, alias sigma, grid and anti-aliasing kernel scaled, see the header). Cached; must not be modified.
 */
export function diskKernel(publishedRadius: number, publishedAliasBlur: number, scale = 1): DiskKernel {
  const key = `${publishedRadius}/${publishedAliasBlur}/${scale}`;
  const cached = diskCache.get(key);
  if (cached) return cached;
  const { radius, half, blurSize } = diskGeometry(publishedRadius, scale);
  const aliasBlur = publishedAliasBlur * scale;
  const size = 2 * half + 1;
  const disk = new Float64Array(size * size);
  let count = 0;
  for (let y = -half; y <= half; y++) {
    for (let x = -half; x <= half; x++) {
      if (x * x + y * y <= radius * radius) {
        disk[(y + half) * size + (x + half)] = 1;
        count++;
      }
    }
  }
  const f = Math.fround;
  // float32 array divided by its float32 sum (the count, exact), rounded to float32 like numpy.
  for (let i = 0; i < disk.length; i++) if (disk[i] !== 0) disk[i] = f(disk[i] / count);
  // Separable Gaussian on the kernel grid in float32 like cv2.GaussianBlur (symmetric small row / column
  // filters: centre * k0 + (left + right) * k1 [+ (left2 + right2) * k2]), border reflect-101.
  const taps = gaussianTaps(blurSize, aliasBlur);
  const r = (blurSize - 1) >> 1;
  const tmp = new Float64Array(disk.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let acc = f(disk[y * size + x] * taps[r]);
      for (let k = 1; k <= r; k++) {
        acc = f(acc + f(f(disk[y * size + reflect101(x - k, size)] + disk[y * size + reflect101(x + k, size)]) * taps[r + k]));
      }
      tmp[y * size + x] = acc;
    }
  }
  const values = new Float64Array(disk.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let acc = f(tmp[y * size + x] * taps[r]);
      for (let k = 1; k <= r; k++) {
        acc = f(acc + f(f(tmp[reflect101(y - k, size) * size + x] + tmp[reflect101(y + k, size) * size + x]) * taps[r + k]));
      }
      values[y * size + x] = acc;
    }
  }
  const kernel = { size, values };
  diskCache.set(key, kernel);
  return kernel;
}

/**
 * cv2.filter2D with a square kernel on HWC float values, per channel, border reflect-101. Taps below 1e-12
 * (the far tails of the anti-aliasing Gaussian, contributing < 1e-9 grey levels in total) are skipped.
 */
export function filter2dReflect101(values: Float64Array, height: number, width: number, channels: number, kernel: DiskKernel): Float64Array {
  const { size } = kernel;
  const half = (size - 1) >> 1;
  const paddedWidth = width + 2 * half;
  const paddedHeight = height + 2 * half;
  // Non-negligible taps as (offset in the padded plane, weight).
  const offsets: number[] = [];
  const weights: number[] = [];
  for (let ky = 0; ky < size; ky++) {
    for (let kx = 0; kx < size; kx++) {
      const w = kernel.values[ky * size + kx];
      if (w > 1e-12) {
        offsets.push(ky * paddedWidth + kx);
        weights.push(w);
      }
    }
  }
  const tapOffsets = Int32Array.from(offsets);
  const tapWeights = Float64Array.from(weights);
  const taps = tapOffsets.length;
  // Reflect-101 index maps for the padded plane.
  const rowMap = new Int32Array(paddedHeight);
  for (let y = 0; y < paddedHeight; y++) rowMap[y] = reflect101(y - half, height);
  const colMap = new Int32Array(paddedWidth);
  for (let x = 0; x < paddedWidth; x++) colMap[x] = reflect101(x - half, width);
  const padded = new Float64Array(paddedHeight * paddedWidth);
  const out = new Float64Array(values.length);
  const row = new Float64Array(width);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < paddedHeight; y++) {
      const srcRow = rowMap[y] * width;
      const dstRow = y * paddedWidth;
      for (let x = 0; x < paddedWidth; x++) padded[dstRow + x] = values[(srcRow + colMap[x]) * channels + c];
    }
    for (let y = 0; y < height; y++) {
      // Tap-outer, pixel-inner: one contiguous multiply-add sweep per tap over the output row.
      const rowBase = y * paddedWidth;
      row.fill(0);
      for (let t = 0; t < taps; t++) {
        const w = tapWeights[t];
        const start = rowBase + tapOffsets[t];
        for (let x = 0; x < width; x++) row[x] += w * padded[start + x];
      }
      const outRow = y * width;
      for (let x = 0; x < width; x++) out[(outRow + x) * channels + c] = row[x];
    }
  }
  return out;
}

export const defocusBlur: Corruption = {
  name: 'defocus_blur',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [radius, aliasBlur] = parameterFor(DEFOCUS_BLUR_PARAMETERS, context.preset, severity, 'defocus_blur');
    const { height, width, channels, pixels } = image;
    const values = new Float64Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) values[i] = UNIT[pixels[i]];
    const kernel = diskKernel(radius, aliasBlur, spatialScale(image, context.preset));
    const blurred = filter2dReflect101(values, height, width, channels, kernel);
    const out = new Uint8Array(pixels.length);
    for (let i = 0; i < out.length; i++) {
      const x = blurred[i];
      out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
    return { height, width, channels, pixels: out };
  },
};
