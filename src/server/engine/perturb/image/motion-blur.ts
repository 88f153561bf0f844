// motion_blur: a one-sided Gaussian line kernel at a random angle. ImageNet-C / CIFAR-10-C ran ImageMagick's
// MotionBlurImage (through Wand); the `imagecorruptions` package re-implemented it in numpy (`_motion_blur`) with
// the same kernel and offsets. This file implements that re-implementation, plus ImageMagick's output quantisation,
// which is what makes it agree with the reference outputs bit for bit (see below).
//
// Kernel: width = 2 * radius + 1 taps, tap i (i = 0 .. width - 1) weighs exp(-i^2 / (2 sigma^2)) / (sqrt(2 pi) sigma),
// normalised to sum 1 (numpy's pairwise sum). The ray: point = (width * sin(angle), width * cos(angle)), and tap i
// samples the pixel at (y + ceil(i * point.y / hypot - 0.5), x + ceil(i * point.x / hypot - 0.5)), i.e. i * sin(angle)
// rows down and i * cos(angle) columns right, each rounded with ImageMagick's `ceil(v - 0.5)`: round half DOWN
// (2.5 -> 2, -2.5 -> -3), which is neither Python's round (half to even) nor Math.round (half up); the package uses
// exactly this expression (dy = -ceil(i * point[0] / hypot - 0.5) as a roll of the image by -dy). Each tap is a
// shifted copy of the image with edge replication (np.roll, then the vacated rows / columns are filled with the
// edge row / column); the copies are summed as kernel[i] * shifted in float64 in tap order, in 0..255 units.
//
// Output quantisation: the package clips to [0, 255] and truncates. The reference outputs in
// /work/shared/reference/corruptions were made by ImageMagick (Q16): the blurred value v (0..255 units) becomes a
// 16-bit quantum q = floor(257 v + 0.5), written to 8 bits as floor(q / 257). At the reference's own angle (numpy seed
// 0: uniform(-45, 45) = 4.3932...) that reproduces all 10 reference cells (both presets, severities 1-5) with 0
// differing values, whereas plain truncation differs by 1 on up to 25% of the values: a flat region whose
// normalised-kernel sum lands 1e-13 below its grey level is truncated one level down, which inflates the share of
// changed values by ~0.1 over the reference's statistics. So the ImageMagick quantisation is used.
//
// The angle is uniform in [-45, 45) degrees: one `context.random.next()` per image, the only draw.
//
// Two deliberate differences from the package, neither of which changes an output at the nominal image sizes:
// - taps whose rounded shifts coincide (near-diagonal angles) are merged into one tap with the summed weight: the
//   same value up to the float summation order (~1e-13 grey levels, invisible after the Q16 rounding), and up to
//   30% fewer passes;
// - the package stops adding taps once a shift reaches the image side (a guard for np.roll), which leaves a kernel
//   that no longer sums to 1 (the image darkens). That can only happen when 2 * radius >= the side, never at 32x32
//   (cifar, radius <= 9) or 224x224 (imagenet, radius <= 20), nor at other sizes with scaled parameters unless the
//   image is a few pixels wide. We keep every tap: with edge replication a shift past the border is well defined
//   (ImageMagick does the same with its edge virtual pixels).
//
// Other image sizes (spatialScale s = min(height, width) / nominal side): sigma -> sigma * s, radius -> max(1,
// round(radius * s)) (an integer number of taps; at least one pixel of motion). At the nominal size s = 1 and the
// published parameters are used unchanged. Any size works, 1x1 included; grey images are blurred the same way.
//
// Speed: rows are edge-padded once, then each output row is one contiguous multiply-add sweep per four (merged)
// taps; ~35 taps x 150k values at 224 px.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { numpySum } from './gaussian-blur';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { scratchFloat64 } from './scratch';

/** (radius, sigma) of the kernel, in pixels at the nominal size. */
export const MOTION_BLUR_PARAMETERS: PresetParameters<readonly [number, number]> = {
  cifar: [
    [6, 1],
    [6, 1.5],
    [6, 2],
    [8, 2],
    [9, 2.5],
  ],
  imagenet: [
    [10, 3],
    [15, 5],
    [15, 8],
    [15, 12],
    [20, 15],
  ],
};

/** The motion-blur angle range of the corruption, degrees. */
export const MOTION_BLUR_ANGLE: readonly [number, number] = [-45, 45];

/** A motion-blur kernel as taps: pixel shifts (rows, columns) and weights (summing to 1). */
export interface MotionBlurTaps {
  readonly dy: Int32Array;
  readonly dx: Int32Array;
  readonly weights: Float64Array;
}

/**
 * The package's getMotionBlurKernel(width, sigma): gauss(i; 0, sigma) for i = 0 .. width - 1, divided by its
 * (numpy pairwise) sum.
 */
export function motionBlurKernel(width: number, sigma: number): Float64Array {
  const kernel = new Float64Array(width);
  const norm = Math.sqrt(2 * Math.PI) * sigma;
  const twoSigma2 = 2 * (sigma * sigma);
  for (let i = 0; i < width; i++) kernel[i] = Math.exp(-(i * i) / twoSigma2) / norm;
  const sum = numpySum(kernel);
  for (let i = 0; i < width; i++) kernel[i] /= sum;
  return kernel;
}

/** ImageMagick's rounding of a tap offset: ceil(v - 0.5) (half down). */
function roundHalfDown(v: number): number {
  return Math.ceil(v - 0.5);
}

/**
 * The taps of a motion blur with this radius (width 2r + 1), sigma and angle (degrees), with the package's rounded
 * shifts; taps that land on the same pixel are merged (weights added, first occurrence's position in the order).
 */
export function motionBlurTaps(radius: number, sigma: number, angleDegrees: number): MotionBlurTaps {
  const width = 2 * radius + 1;
  const kernel = motionBlurKernel(width, sigma);
  const angle = (angleDegrees * Math.PI) / 180; // np.deg2rad
  const pointY = width * Math.sin(angle);
  const pointX = width * Math.cos(angle);
  const hypot = Math.hypot(pointY, pointX);
  const dy: number[] = [];
  const dx: number[] = [];
  const weights: number[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < width; i++) {
    const sy = roundHalfDown((i * pointY) / hypot);
    const sx = roundHalfDown((i * pointX) / hypot);
    const key = `${sy},${sx}`;
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, weights.length);
      dy.push(sy);
      dx.push(sx);
      weights.push(kernel[i]);
    } else {
      weights[at] += kernel[i];
    }
  }
  return { dy: Int32Array.from(dy), dx: Int32Array.from(dx), weights: Float64Array.from(weights) };
}

/**
 * out(y, x, c) = sum over taps of weight * in(clamp(y + dy), clamp(x + dx), c) on HWC float values (edge
 * replication), accumulated in float64 in tap order, into `out` (a new array by default), which is returned.
 *
 * Implementation: every row is copied once into an edge-padded row (so a column shift is a plain offset), and the
 * taps are applied four at a time as out += w0 a + w1 b + w2 c + w3 d, which JavaScript evaluates left to right:
 * exactly the same additions, in the same order, as one tap at a time, with a quarter of the loads and stores
 * of the accumulator.
 */
export function motionBlurHWC(
  values: Float64Array | Uint8Array,
  height: number,
  width: number,
  channels: number,
  taps: MotionBlurTaps,
  out: Float64Array = new Float64Array(values.length),
): Float64Array {
  const count = taps.weights.length;
  let pad = 0;
  for (let t = 0; t < count; t++) pad = Math.max(pad, Math.abs(taps.dx[t]));
  const rowLength = width * channels;
  const paddedLength = (width + 2 * pad) * channels;
  // Edge-padded copy of the image: row y at y * paddedLength, its column x at (x + pad) * channels.
  const padded = scratchFloat64('motion_blur.padded', height * paddedLength);
  for (let y = 0; y < height; y++) {
    const src = y * rowLength;
    const dst = y * paddedLength;
    for (let p = 0; p < pad; p++) {
      for (let c = 0; c < channels; c++) {
        padded[dst + p * channels + c] = values[src + c];
        padded[dst + (pad + width + p) * channels + c] = values[src + rowLength - channels + c];
      }
    }
    const start = dst + pad * channels;
    for (let i = 0; i < rowLength; i++) padded[start + i] = values[src + i];
  }
  // Per tap: the start of its source in the padded row (column shift), and its row shift.
  const columnStart = new Int32Array(count);
  for (let t = 0; t < count; t++) columnStart[t] = (pad + taps.dx[t]) * channels;
  const w = taps.weights;
  const lastRow = height - 1;
  const rowOf = (y: number): number => (y < 0 ? 0 : y > lastRow ? lastRow : y) * paddedLength;
  for (let y = 0; y < height; y++) {
    const o = y * rowLength;
    // The first group stores instead of adding to a zeroed row: 0 + w * a is exactly w * a.
    let t = 0;
    if (count >= 4) {
      const a = rowOf(y + taps.dy[0]) + columnStart[0];
      const b = rowOf(y + taps.dy[1]) + columnStart[1];
      const c = rowOf(y + taps.dy[2]) + columnStart[2];
      const d = rowOf(y + taps.dy[3]) + columnStart[3];
      const wa = w[0];
      const wb = w[1];
      const wc = w[2];
      const wd = w[3];
      for (let i = 0; i < rowLength; i++) out[o + i] = wa * padded[a + i] + wb * padded[b + i] + wc * padded[c + i] + wd * padded[d + i];
      t = 4;
    } else {
      out.fill(0, o, o + rowLength);
    }
    for (; t + 4 <= count; t += 4) {
      const a = rowOf(y + taps.dy[t]) + columnStart[t];
      const b = rowOf(y + taps.dy[t + 1]) + columnStart[t + 1];
      const c = rowOf(y + taps.dy[t + 2]) + columnStart[t + 2];
      const d = rowOf(y + taps.dy[t + 3]) + columnStart[t + 3];
      const wa = w[t];
      const wb = w[t + 1];
      const wc = w[t + 2];
      const wd = w[t + 3];
      for (let i = 0; i < rowLength; i++) {
        out[o + i] = out[o + i] + wa * padded[a + i] + wb * padded[b + i] + wc * padded[c + i] + wd * padded[d + i];
      }
    }
    for (; t < count; t++) {
      const a = rowOf(y + taps.dy[t]) + columnStart[t];
      const wa = w[t];
      for (let i = 0; i < rowLength; i++) out[o + i] += wa * padded[a + i];
    }
  }
  return out;
}

/**
 * ImageMagick's (Q16) conversion of blurred values in 0..255 units to bytes: q = floor(257 v + 0.5) clamped to
 * [0, 65535], byte = floor(q / 257). Written to `out` (a new array by default), which is returned.
 */
export function quantizeQ16(values: Float64Array, out: Uint8Array = new Uint8Array(values.length)): Uint8Array {
  for (let i = 0; i < values.length; i++) {
    const q = Math.floor(values[i] * 257 + 0.5);
    out[i] = q >= 65535 ? 255 : q > 0 ? Math.floor(q / 257) : 0;
  }
  return out;
}

/** The radius and sigma for an image: sigma * s and max(1, round(radius * s)) with s = spatialScale. */
export function scaledMotionParameters(radius: number, sigma: number, scale: number): { radius: number; sigma: number } {
  return { radius: Math.max(1, Math.round(radius * scale)), sigma: sigma * scale };
}

export const motionBlur: Corruption = {
  name: 'motion_blur',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [radius0, sigma0] = parameterFor(MOTION_BLUR_PARAMETERS, context.preset, severity, 'motion_blur');
    const { radius, sigma } = scaledMotionParameters(radius0, sigma0, spatialScale(image, context.preset));
    const angle = MOTION_BLUR_ANGLE[0] + (MOTION_BLUR_ANGLE[1] - MOTION_BLUR_ANGLE[0]) * context.random.next();
    const { height, width, channels, pixels } = image;
    const taps = motionBlurTaps(radius, sigma, angle);
    const blurred = motionBlurHWC(pixels, height, width, channels, taps, scratchFloat64('motion_blur.out', pixels.length));
    return { height, width, channels, pixels: quantizeQ16(blurred) };
  },
};
