// glass_blur: Gaussian blur, local pixel shuffling, Gaussian blur again (ImageNet-C / CIFAR-10-C definition).
//
// The reference, reproduced operation by operation:
//   x = np.uint8(gaussian(x / 255, sigma) * 255)            (skimage gaussian = scipy gaussian_filter, mode
//                                                            'nearest', truncate 4, spatial axes only; truncated)
//   for i in range(iterations):
//     for h in range(H - delta, delta, -1):                  (rows H - delta down to delta + 1)
//       for w in range(W - delta, delta, -1):
//         dx, dy = np.random.randint(-delta, delta, size=2)  (uniform integers in [-delta, delta): note the
//                                                            asymmetry, delta itself is never drawn)
//         x[h, w], x[h + dy, w + dx] = x[h + dy, w + dx], x[h, w]
//   out = np.uint8(np.clip(gaussian(x / 255, sigma), 0, 1) * 255)
// The "swap" line acts on numpy views of whole pixels: x[h, w] is overwritten with x[h + dy, w + dx] first, and the
// second assignment then copies that same value back, so it is a COPY x[h, w] <- x[h + dy, w + dx] in iteration
// order, later reads seeing earlier writes. That is what is done here, for RGB and for grey images alike (on a
// 2-D grey array numpy would swap scalars for real; we keep the copy so that grey and RGB images get the same
// corruption; the benchmark data sets are RGB).
//
// Random draws: per visited pixel, in the loop order above, one `context.random.next()` u gives the pair:
// k = floor(u * (2 delta)^2), dx = k mod 2 delta - delta, dy = floor(k / 2 delta) - delta (uniform over the
// (2 delta)^2 pairs, like two independent randint draws).
//
// The blurs use the house scipy gaussian_filter emulation (the kernel of gaussianKernel1d; gaussianFilterRows below
// does the operations of gaussianFilterHWC in the same order, faster), so given the reference's own random draws
// (numpy seed 0) the output is the reference's: 0 differing values on 7 of the 10 cells, and +1 grey level on
// 0.17-0.2% of the values of imagenet severities 2, 3, 5, the same few truncation-boundary values on which the
// house Gaussian filter and the reference's scipy differ (gaussian_blur shows the same).
//
// Other image sizes (spatialScale s = min(height, width) / nominal side): sigma -> sigma * s, delta (a shift in
// pixels) -> max(1, round(delta * s)); iterations are a count and stay. Images need at least 2 * delta + 1 rows
// and columns for any pixel to move, i.e. 3x3 (delta is 1 at small sizes); smaller ones get an InputError
// 'image-too-small' rather than a silent plain blur.
import { InputError } from '../../errors';
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale, UNIT } from './common';
import { gaussianKernel1d } from './gaussian-blur';
import { scratchFloat64, scratchUint8 } from './scratch';

/** (sigma, max delta, iterations). */
export const GLASS_BLUR_PARAMETERS: PresetParameters<readonly [number, number, number]> = {
  cifar: [
    [0.05, 1, 1],
    [0.25, 1, 1],
    [0.4, 1, 1],
    [0.25, 1, 2],
    [0.4, 1, 2],
  ],
  imagenet: [
    [0.7, 1, 2],
    [0.9, 2, 1],
    [1, 2, 3],
    [1.1, 3, 2],
    [1.5, 4, 2],
  ],
};

/** The smallest side (rows and columns) glass_blur accepts. */
export const GLASS_BLUR_MIN_SIDE = 3;

/**
 * The reference's shuffle loop on HWC uint8 pixels, in place: for each iteration, rows height - delta down to
 * delta + 1, columns width - delta down to delta + 1, pixel (h, w) <- pixel (h + dy, w + dx) with dx, dy uniform in
 * [-delta, delta) drawn from `next` (one uniform per pixel: k = floor(u * (2 delta)^2), dx = k mod 2 delta - delta,
 * dy = floor(k / 2 delta) - delta).
 */
export function glassShuffle(pixels: Uint8Array, height: number, width: number, channels: number, delta: number, iterations: number, next: () => number): void {
  const side = 2 * delta;
  const pairs = side * side;
  // Source offset (in values) of each of the (2 delta)^2 draws.
  const offsets = new Int32Array(pairs);
  for (let k = 0; k < pairs; k++) {
    const dx = (k % side) - delta;
    const dy = Math.floor(k / side) - delta;
    offsets[k] = (dy * width + dx) * channels;
  }
  for (let it = 0; it < iterations; it++) {
    for (let h = height - delta; h > delta; h--) {
      for (let w = width - delta; w > delta; w--) {
        const to = (h * width + w) * channels;
        const from = to + offsets[Math.floor(next() * pairs)];
        if (channels === 3) {
          pixels[to] = pixels[from];
          pixels[to + 1] = pixels[from + 1];
          pixels[to + 2] = pixels[from + 2];
        } else {
          for (let c = 0; c < channels; c++) pixels[to + c] = pixels[from + c];
        }
      }
    }
  }
}

/**
 * gaussianFilterHWC of gaussian_blur (scipy.ndimage.gaussian_filter, mode 'nearest', rows then columns), with the
 * same floating-point operations in the same order and so bit-identical results, arranged for speed. scipy computes
 * acc = centre * x, then acc += (x[-k] + x[+k]) * w[k] for k = radius down to 1. Here the taps are padded with
 * zero-weight taps to a multiple of four (adding (a + b) * 0 = +0 to a non-negative sum changes nothing) and each
 * pass sweeps whole rows once per four taps, the first sweep also taking the centre:
 * acc = centre * x + (a1 + b1) * w1 + ... + (a4 + b4) * w4, which JavaScript evaluates left to right, exactly like
 * scipy's loop. The result goes to `out` (a new array by default; it must not be `values`), which is returned.
 * The values must be finite and non-negative (pixel values are).
 */
export function gaussianFilterRows(
  values: Float64Array,
  height: number,
  width: number,
  channels: number,
  kernel: Float64Array,
  out: Float64Array = new Float64Array(values.length),
): Float64Array {
  const radius = (kernel.length - 1) >> 1;
  const centre = kernel[radius];
  if (radius === 0) {
    // One tap: both passes multiply by it.
    for (let i = 0; i < values.length; i++) out[i] = centre * (centre * values[i]);
    return out;
  }
  const padded = Math.ceil(radius / 4) * 4;
  // weights[k] for k = 1 .. padded (0 beyond the radius)
  const weights = new Float64Array(padded + 1);
  for (let k = 1; k <= radius; k++) weights[k] = kernel[radius + k];
  const rowLength = width * channels;
  const last = height - 1;
  // Pass 1: along the rows (axis 0).
  const vertical = scratchFloat64('glass_blur.vertical', values.length);
  for (let y = 0; y < height; y++) {
    const o = y * rowLength;
    for (let k = padded; k >= 4; k -= 4) {
      const u1 = Math.max(y - k, 0) * rowLength;
      const d1 = Math.min(y + k, last) * rowLength;
      const u2 = Math.max(y - k + 1, 0) * rowLength;
      const d2 = Math.min(y + k - 1, last) * rowLength;
      const u3 = Math.max(y - k + 2, 0) * rowLength;
      const d3 = Math.min(y + k - 2, last) * rowLength;
      const u4 = Math.max(y - k + 3, 0) * rowLength;
      const d4 = Math.min(y + k - 3, last) * rowLength;
      const w1 = weights[k];
      const w2 = weights[k - 1];
      const w3 = weights[k - 2];
      const w4 = weights[k - 3];
      if (k === padded) {
        for (let i = 0; i < rowLength; i++) {
          vertical[o + i] =
            centre * values[o + i] +
            (values[u1 + i] + values[d1 + i]) * w1 +
            (values[u2 + i] + values[d2 + i]) * w2 +
            (values[u3 + i] + values[d3 + i]) * w3 +
            (values[u4 + i] + values[d4 + i]) * w4;
        }
      } else {
        for (let i = 0; i < rowLength; i++) {
          vertical[o + i] =
            vertical[o + i] +
            (values[u1 + i] + values[d1 + i]) * w1 +
            (values[u2 + i] + values[d2 + i]) * w2 +
            (values[u3 + i] + values[d3 + i]) * w3 +
            (values[u4 + i] + values[d4 + i]) * w4;
        }
      }
    }
  }
  // Pass 2: along the columns (axis 1), through an edge-replicated padded copy of each row.
  const pad = padded * channels;
  const row = scratchFloat64('glass_blur.row', rowLength + 2 * pad);
  for (let y = 0; y < height; y++) {
    const o = y * rowLength;
    for (let i = 0; i < rowLength; i++) row[pad + i] = vertical[o + i];
    for (let p = 0; p < padded; p++) {
      for (let c = 0; c < channels; c++) {
        row[p * channels + c] = vertical[o + c];
        row[pad + rowLength + p * channels + c] = vertical[o + rowLength - channels + c];
      }
    }
    for (let k = padded; k >= 4; k -= 4) {
      const s1 = k * channels;
      const s2 = s1 - channels;
      const s3 = s2 - channels;
      const s4 = s3 - channels;
      const w1 = weights[k];
      const w2 = weights[k - 1];
      const w3 = weights[k - 2];
      const w4 = weights[k - 3];
      if (k === padded) {
        for (let i = 0, at = pad; i < rowLength; i++, at++) {
          out[o + i] =
            centre * row[at] +
            (row[at - s1] + row[at + s1]) * w1 +
            (row[at - s2] + row[at + s2]) * w2 +
            (row[at - s3] + row[at + s3]) * w3 +
            (row[at - s4] + row[at + s4]) * w4;
        }
      } else {
        for (let i = 0, at = pad; i < rowLength; i++, at++) {
          out[o + i] =
            out[o + i] +
            (row[at - s1] + row[at + s1]) * w1 +
            (row[at - s2] + row[at + s2]) * w2 +
            (row[at - s3] + row[at + s3]) * w3 +
            (row[at - s4] + row[at + s4]) * w4;
        }
      }
    }
  }
  return out;
}

export const glassBlur: Corruption = {
  name: 'glass_blur',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [sigma0, delta0, iterations] = parameterFor(GLASS_BLUR_PARAMETERS, context.preset, severity, 'glass_blur');
    const { height, width, channels, pixels } = image;
    if (Math.min(height, width) < GLASS_BLUR_MIN_SIDE) {
      throw new InputError(`glass_blur needs images of at least ${GLASS_BLUR_MIN_SIDE}x${GLASS_BLUR_MIN_SIDE} pixels, got ${height}x${width}`, {
        kind: 'data',
        code: 'image-too-small',
        fix: `use images of at least ${GLASS_BLUR_MIN_SIDE}x${GLASS_BLUR_MIN_SIDE} pixels, or leave glass_blur out of the corruption list`,
      });
    }
    const scale = spatialScale(image, context.preset);
    const sigma = sigma0 * scale;
    const delta = Math.max(1, Math.round(delta0 * scale));
    const kernel = gaussianKernel1d(sigma);
    const n = pixels.length;
    const unit = UNIT; // a local: an imported binding read in a hot loop can cost a getter call per read
    const values = scratchFloat64('glass_blur.values', n);
    const blurred = scratchFloat64('glass_blur.blurred', n);
    for (let i = 0; i < n; i++) values[i] = unit[pixels[i]];
    const first = gaussianFilterRows(values, height, width, channels, kernel, blurred);
    const shuffled = scratchUint8('glass_blur.shuffled', n);
    for (let i = 0; i < n; i++) shuffled[i] = (first[i] * 255) | 0; // np.uint8(x * 255), x in [0, 1]
    const random = context.random;
    glassShuffle(shuffled, height, width, channels, delta, iterations, () => random.next());
    for (let i = 0; i < n; i++) values[i] = unit[shuffled[i]];
    const second = gaussianFilterRows(values, height, width, channels, kernel, blurred);
    const out = new Uint8Array(pixels.length);
    for (let i = 0; i < out.length; i++) {
      const x = second[i];
      out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
    return { height, width, channels, pixels: out };
  },
};
