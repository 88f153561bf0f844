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
 * Filters HWC float values with a symmetric 1-D kernel along both spatial axes,
 * edge-replicating ('nearest'). Returns a new array; `values` is left untouched.
 */
export function gaussianFilterHWC(values: Float64Array, height: number, width: number, channels: number, kernel: Float64Array): Float64Array {
  const radius = (kernel.length - 1) >> 1;
  const rowLength = width * channels;
  // Pass 1: along axis 0 (rows), whole rows at a time for cache-friendly access.
  const vertical = new Float64Array(values.length);
  const centre = kernel[radius];
  const last = height - 1;
  for (let y = 0; y < height; y++) {
    const outBase = y * rowLength;
    const inBase = y * rowLength;
    for (let i = 0; i < rowLength; i++) vertical[outBase + i] = centre * values[inBase + i];
    for (let k = radius; k >= 1; k--) {
      // far taps first, like scipy's symmetric correlate1d
      const w = kernel[radius + k];
      const up = y - k < 0 ? 0 : y - k;
      const down = y + k > last ? last : y + k;
      const upBase = up * rowLength;
      const downBase = down * rowLength;
      for (let i = 0; i < rowLength; i++) vertical[outBase + i] += (values[upBase + i] + values[downBase + i]) * w;
    }
  }
  // Pass 2: along axis 1 (columns), through an edge-replicated padded copy of each row.
  const out = new Float64Array(values.length);
  const padded = new Float64Array((width + 2 * radius) * channels);
  const padOffset = radius * channels;
  for (let y = 0; y < height; y++) {
    const base = y * rowLength;
    for (let i = 0; i < rowLength; i++) padded[padOffset + i] = vertical[base + i];
    for (let p = 0; p < radius; p++) {
      for (let c = 0; c < channels; c++) {
        padded[p * channels + c] = vertical[base + c];
        padded[padOffset + rowLength + p * channels + c] = vertical[base + rowLength - channels + c];
      }
    }
    for (let i = 0; i < rowLength; i++) {
      const at = padOffset + i;
      let acc = centre * padded[at];
      for (let k = radius, step = radius * channels; k >= 1; k--, step -= channels) {
        acc += (padded[at - step] + padded[at + step]) * kernel[radius + k];
      }
      out[base + i] = acc;
    }
  }
  return out;
}

export const gaussianBlur: Corruption = {
  name: 'gaussian_blur',
  benchmark: false,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const sigma = parameterFor(GAUSSIAN_BLUR_SIGMA, context.preset, severity, 'gaussian_blur') * spatialScale(image, context.preset);
    const { height, width, channels, pixels } = image;
    const values = new Float64Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) values[i] = UNIT[pixels[i]];
    const blurred = gaussianFilterHWC(values, height, width, channels, gaussianKernel1d(sigma));
    const out = new Uint8Array(pixels.length);
    for (let i = 0; i < out.length; i++) {
      const x = blurred[i];
      out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
    return { height, width, channels, pixels: out };
  },
};
