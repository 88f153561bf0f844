// gaussian_blur: a Gaussian filter on x / 255 with scipy.ndimage.gaussian_filter semantics (as used through
// skimage.filters.gaussian by the reference): separable, per channel, mode 'nearest' (edge replicate), kernel
// truncated at 4 sigma (radius = int(4 * sigma + 0.5)), weights exp(-x^2 / (2 sigma^2)) normalised to sum 1,
// rows (axis 0) filtered first, then columns (axis 1), all in float64; then clip, * 255, truncate.
// Other image sizes: sigma is a length in pixels, so it is multiplied by spatialScale (min(H, W) / 32 for the
// cifar preset, / 224 for imagenet; exactly 1 at the nominal size, where the published sigma is used unchanged),
// and the kernel radius int(4 * sigma + 0.5) follows from the scaled sigma.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale, UNIT } from './common';

/** Standard deviation of the Gaussian, in pixels. */
export const GAUSSIAN_BLUR_SIGMA: PresetParameters<number> = {
  cifar: [0.4, 0.6, 0.7, 0.8, 1],
  imagenet: [1, 2, 3, 4, 6],
};

const kernelCache = new Map<string, Float64Array>();

/**
 * The 1-D Gaussian kernel of scipy.ndimage (`_gaussian_kernel1d`): length 2r + 1 with r = int(truncate * sigma + 0.5).
 * Cached per (sigma, truncate). The returned array must not be modified.
 */
export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  const key = `${sigma}/${truncate}`;
  let kernel = kernelCache.get(key);
  if (!kernel) {
    const radius = Math.trunc(truncate * sigma + 0.5);
    kernel = new Float64Array(2 * radius + 1);
    const factor = -0.5 / (sigma * sigma);
    for (let i = -radius; i <= radius; i++) kernel[i + radius] = Math.exp(factor * (i * i));
    const sum = numpySum(kernel);
    for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
    kernelCache.set(key, kernel);
  }
  return kernel;
}

/**
 * Sum with numpy's pairwise summation order (8 partial sums, blocks of 128), so that the normalised kernel is
 * bit-identical to scipy's for the usual sizes.
 */
export function numpySum(a: Float64Array, start = 0, n = a.length): number {
  if (n < 8) {
    let res = 0; // numpy starts from -0.0, which only differs for an all-negative-zero input
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let half = n >> 1;
  half -= half % 8;
  return numpySum(a, start, half) + numpySum(a, start + half, n - half);
}

/**
 * Reused work arrays (per thread, nothing asynchronous): fresh multi-megabyte arrays cost page faults. Arrays
 * above SCRATCH_LIMIT elements (8 MB) are not kept.
 */
const SCRATCH_LIMIT = 1 << 20;
const scratchArrays: Float64Array[] = [];

function scratch(slot: number, length: number): Float64Array {
  const kept = scratchArrays[slot];
  if (kept !== undefined && kept.length >= length) return kept.length === length ? kept : kept.subarray(0, length);
  const array = new Float64Array(length);
  if (length <= SCRATCH_LIMIT) scratchArrays[slot] = array;
  return array;
}

/**
 * Filters HWC float values with a symmetric 1-D kernel along both spatial axes,
 * edge-replicating ('nearest'). Returns a new array; `values` is left untouched.
 */
export function gaussianFilterHWC(values: Float64Array, height: number, width: number, channels: number, kernel: Float64Array): Float64Array {
  return filterInto(new Float64Array(values.length), values, height, width, channels, kernel);
}

/**
 * gaussianFilterHWC into `out`. Every output value is computed with the same operations in the same order as
 * scipy's symmetric correlate1d (centre tap first, then the pairs from the farthest in), so the result does not
 * depend on the loop structure; the loops keep four values' sums in registers at a time (four independent
 * dependency chains instead of one per value).
 */
function filterInto(out: Float64Array, values: Float64Array, height: number, width: number, channels: number, kernel: Float64Array): Float64Array {
  const radius = (kernel.length - 1) >> 1;
  const rowLength = width * channels;
  // Pass 1: along axis 0 (rows), edge rows replicated.
  const vertical = scratch(0, values.length);
  const before = new Int32Array(radius + 1);
  const after = new Int32Array(radius + 1);
  const last = height - 1;
  for (let y = 0; y < height; y++) {
    for (let k = 1; k <= radius; k++) {
      before[k] = (y - k < 0 ? 0 : y - k) * rowLength;
      after[k] = (y + k > last ? last : y + k) * rowLength;
    }
    symmetricRow(vertical, y * rowLength, values, y * rowLength, before, after, rowLength, kernel, radius);
  }
  // Pass 2: along axis 1 (columns), through an edge-replicated padded copy of each row.
  const padOffset = radius * channels;
  const padded = scratch(1, rowLength + 2 * padOffset);
  for (let k = 1; k <= radius; k++) {
    before[k] = padOffset - k * channels;
    after[k] = padOffset + k * channels;
  }
  for (let y = 0; y < height; y++) {
    const base = y * rowLength;
    padded.set(vertical.subarray(base, base + rowLength), padOffset);
    for (let p = 0; p < radius; p++) {
      for (let c = 0; c < channels; c++) {
        padded[p * channels + c] = vertical[base + c];
        padded[padOffset + rowLength + p * channels + c] = vertical[base + rowLength - channels + c];
      }
    }
    symmetricRow(out, base, padded, padOffset, before, after, rowLength, kernel, radius);
  }
  return out;
}

/**
 * out[o + i] = kernel[radius] * src[mid + i] + sum for k = radius .. 1 of (src[before[k] + i] + src[after[k] + i])
 * * kernel[radius + k], accumulated in exactly that order, for i < length.
 */
function symmetricRow(out: Float64Array, o: number, src: Float64Array, mid: number, before: Int32Array, after: Int32Array, length: number, kernel: Float64Array, radius: number): void {
  const centre = kernel[radius];
  let i = 0;
  for (; i + 3 < length; i += 4) {
    let a0 = centre * src[mid + i];
    let a1 = centre * src[mid + i + 1];
    let a2 = centre * src[mid + i + 2];
    let a3 = centre * src[mid + i + 3];
    for (let k = radius; k >= 1; k--) {
      const w = kernel[radius + k];
      const u = before[k] + i;
      const d = after[k] + i;
      a0 += (src[u] + src[d]) * w;
      a1 += (src[u + 1] + src[d + 1]) * w;
      a2 += (src[u + 2] + src[d + 2]) * w;
      a3 += (src[u + 3] + src[d + 3]) * w;
    }
    out[o + i] = a0;
    out[o + i + 1] = a1;
    out[o + i + 2] = a2;
    out[o + i + 3] = a3;
  }
  for (; i < length; i++) {
    let a = centre * src[mid + i];
    for (let k = radius; k >= 1; k--) a += (src[before[k] + i] + src[after[k] + i]) * kernel[radius + k];
    out[o + i] = a;
  }
}

export const gaussianBlur: Corruption = {
  name: 'gaussian_blur',
  benchmark: false,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const sigma = parameterFor(GAUSSIAN_BLUR_SIGMA, context.preset, severity, 'gaussian_blur') * spatialScale(image, context.preset);
    const { height, width, channels, pixels } = image;
    const values = scratch(2, pixels.length);
    const unit = UNIT; // imported binding read once (a getter call per read under a CommonJS transform)
    for (let i = 0; i < pixels.length; i++) values[i] = unit[pixels[i]];
    const blurred = filterInto(scratch(3, pixels.length), values, height, width, channels, gaussianKernel1d(sigma));
    const out = new Uint8Array(pixels.length);
    for (let i = 0; i < out.length; i++) {
      const x = blurred[i];
      out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
    return { height, width, channels, pixels: out };
  },
};
