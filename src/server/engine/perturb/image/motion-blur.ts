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
// Speed (~30 merged taps x 150k values at 224 px): the image is copied once into one plain JavaScript array of
// doubles with each row edge-padded on the left and right (a column shift is then a plain offset; a row shift is
// clamped to the image per output row), and each output row is accumulated in sweeps of eight taps,
// acc = acc + w0 a + w1 b + ... + w7 h, which JavaScript evaluates left to right: exactly the additions, in the same
// order, of one tap at a time, with an eighth of the accumulator loads and stores. A row is one first sweep (of eight
// taps, or four, or one for fewer than four), whole sweeps of eight, at most one of four and one of the last one to
// three taps. motion_blur quantises each row straight into bytes. The plan, the tap list and the kernels (per width
// and sigma) are reused or cached across calls. Why plain arrays,
// and one array: once any ArrayBuffer in the process has been detached (the corruption workers transfer their result
// buffers, and loading TypeScript through tsx does it as well), V8 adds a detached-buffer check to every typed-array
// access in optimised code, which made the typed-array version about twice as slow; and one array read at eight
// offsets keeps a sweep's loop variables in registers, where eight separate row arrays do not.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { numpySum } from './gaussian-blur';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { doubles, scratchDoubles } from './scratch';

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

const kernelCache = new Map<string, Float64Array>();

/** motionBlurKernel(width, sigma), cached (read-only; at most 16 entries: a preset has 5 per image size). */
function cachedKernel(width: number, sigma: number): Float64Array {
  const key = `${width}/${sigma}`;
  let kernel = kernelCache.get(key);
  if (!kernel) {
    kernel = motionBlurKernel(width, sigma);
    if (kernelCache.size >= 16) kernelCache.clear();
    kernelCache.set(key, kernel);
  }
  return kernel;
}

/**
 * ImageMagick's rounding of a tap offset: ceil(v - 0.5) (half down), as an int32 (| 0 turns ceil's -0 into 0, which
 * keeps the shift arrays small-integer arrays: one -0 would make them, and every index computed from them, doubles).
 */
function roundHalfDown(v: number): number {
  return Math.ceil(v - 0.5) | 0;
}

/**
 * A reusable list of taps in plain arrays (see the header: no typed arrays in the hot loops); the first `count`
 * entries are valid, the arrays may be longer.
 */
export interface TapList {
  count: number;
  readonly dy: number[];
  readonly dx: number[];
  readonly weights: number[];
}

export function newTapList(): TapList {
  return { count: 0, dy: [], dx: [], weights: doubles(0) };
}

/**
 * The taps of a motion blur with this radius (width 2r + 1), sigma and angle (degrees), with the package's rounded
 * shifts, written to `into` (which is returned); taps that land on the same pixel are merged (weights added in
 * order into the first occurrence). Both rounded shifts are monotone in the tap index (i * point / hypot and the
 * rounding are monotone, in floating point too), so equal shifts are always consecutive taps: comparing with the
 * previous tap finds every duplicate.
 */
export function motionBlurTapsInto(radius: number, sigma: number, angleDegrees: number, into: TapList): TapList {
  const width = 2 * radius + 1;
  const kernel = cachedKernel(width, sigma);
  const angle = (angleDegrees * Math.PI) / 180; // np.deg2rad
  const pointY = width * Math.sin(angle);
  const pointX = width * Math.cos(angle);
  const hypot = Math.hypot(pointY, pointX);
  const { dy, dx, weights } = into;
  let count = 0;
  for (let i = 0; i < width; i++) {
    const sy = roundHalfDown((i * pointY) / hypot);
    const sx = roundHalfDown((i * pointX) / hypot);
    if (count > 0 && sy === dy[count - 1] && sx === dx[count - 1]) {
      weights[count - 1] += kernel[i];
      continue;
    }
    if (count < dy.length) {
      dy[count] = sy;
      dx[count] = sx;
      weights[count] = kernel[i];
    } else {
      dy.push(sy);
      dx.push(sx);
      weights.push(kernel[i]);
    }
    count++;
  }
  into.count = count;
  return into;
}

/** motionBlurTapsInto as typed arrays of exactly the taps. */
export function motionBlurTaps(radius: number, sigma: number, angleDegrees: number): MotionBlurTaps {
  const { count, dy, dx, weights } = motionBlurTapsInto(radius, sigma, angleDegrees, newTapList());
  return { dy: Int32Array.from(dy.slice(0, count)), dx: Int32Array.from(dx.slice(0, count)), weights: Float64Array.from(weights.slice(0, count)) };
}

/**
 * A motion blur of one image, ready to run row by row: the edge-padded image and, per tap, its row shift, its column
 * offset in the padded row and its weight. One plan object
 * is reused by every call (apply is synchronous and a realm runs one call at a time); its arrays only grow, and the
 * first `count` taps and `rowLength` row values are the valid ones.
 */
interface MotionBlurPlan {
  padded: number[];
  /** Values per padded row. */
  stride: number;
  height: number;
  rowLength: number;
  /** Taps in use. */
  count: number;
  readonly dy: number[];
  readonly columnOffset: number[];
  readonly weights: number[];
  /** Per tap, where the current output row reads in `padded` (filled by blurRow). */
  readonly offset: number[];
  /** The current output row, rowLength values (filled by blurRow). */
  row: number[];
}

const plan: MotionBlurPlan = { padded: [], stride: 0, height: 0, rowLength: 0, count: 0, dy: [], columnOffset: [], weights: doubles(0), offset: [], row: doubles(0) };

/** The tap list of the motion_blur corruption (reused). */
const ownTaps = newTapList();

/**
 * The plan for HWC `values` (height x width x channels): the image is copied into a plain array (reused by the next
 * call), each row with as many edge pixels on the left and right as the taps shift columns.
 */
function motionBlurPlan(values: ArrayLike<number>, height: number, width: number, channels: number, taps: TapList): MotionBlurPlan {
  const count = taps.count;
  let left = 0;
  let right = 0;
  for (let t = 0; t < count; t++) {
    left = Math.max(left, -taps.dx[t]);
    right = Math.max(right, taps.dx[t]);
  }
  const stride = (width + left + right) * channels;
  const rowLength = width * channels;
  const padded = scratchDoubles('motion.padded', height * stride);
  // Bytes are read four at a time (a DataView, little-endian whatever the platform): a quarter of the typed-array
  // accesses.
  const bytes = values instanceof Uint8Array ? new DataView(values.buffer, values.byteOffset, values.byteLength) : undefined;
  const whole = bytes ? rowLength & ~3 : 0;
  for (let y = 0; y < height; y++) {
    const src = y * rowLength;
    const base = y * stride;
    const start = base + left * channels;
    const end = start + rowLength;
    for (let i = 0; i < whole; i += 4) {
      const word = (bytes as DataView).getUint32(src + i, true);
      padded[start + i] = word & 255;
      padded[start + i + 1] = (word >>> 8) & 255;
      padded[start + i + 2] = (word >>> 16) & 255;
      padded[start + i + 3] = word >>> 24;
    }
    for (let i = whole; i < rowLength; i++) padded[start + i] = values[src + i];
    for (let p = base; p < start; p += channels) for (let c = 0; c < channels; c++) padded[p + c] = padded[start + c];
    for (let p = end; p < base + stride; p += channels) for (let c = 0; c < channels; c++) padded[p + c] = padded[end - channels + c];
  }
  const { dy, columnOffset, offset, weights } = plan;
  while (dy.length < count) {
    dy.push(0);
    columnOffset.push(0);
    offset.push(0);
    weights.push(0.5);
  }
  for (let t = 0; t < count; t++) {
    dy[t] = taps.dy[t];
    columnOffset[t] = (left + taps.dx[t]) * channels;
    weights[t] = taps.weights[t];
  }
  if (plan.row.length < rowLength) plan.row = doubles(rowLength);
  plan.padded = padded;
  plan.stride = stride;
  plan.height = height;
  plan.rowLength = rowLength;
  plan.count = count;
  return plan;
}

// acc[i] = (acc[i] +) w0 * P[o0 + i] + w1 * P[o1 + i] + ..., added left to right for i < n, for taps t, t .. t + 1,
// ..., t .. t + 7 of the offsets o and weights w (copied to locals first, so the loop reads nothing else).

function set1(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const o0 = o[t];
  const w0 = w[t];
  for (let i = 0; i < n; i++) acc[i] = w0 * P[o0 + i];
}

function add1(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const o0 = o[t];
  const w0 = w[t];
  for (let i = 0; i < n; i++) acc[i] = acc[i] + w0 * P[o0 + i];
}

function add2(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const [o0, o1] = [o[t], o[t + 1]];
  const [w0, w1] = [w[t], w[t + 1]];
  for (let i = 0; i < n; i++) acc[i] = acc[i] + w0 * P[o0 + i] + w1 * P[o1 + i];
}

function add3(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const [o0, o1, o2] = [o[t], o[t + 1], o[t + 2]];
  const [w0, w1, w2] = [w[t], w[t + 1], w[t + 2]];
  for (let i = 0; i < n; i++) acc[i] = acc[i] + w0 * P[o0 + i] + w1 * P[o1 + i] + w2 * P[o2 + i];
}

function set4(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const [o0, o1, o2, o3] = [o[t], o[t + 1], o[t + 2], o[t + 3]];
  const [w0, w1, w2, w3] = [w[t], w[t + 1], w[t + 2], w[t + 3]];
  for (let i = 0; i < n; i++) acc[i] = w0 * P[o0 + i] + w1 * P[o1 + i] + w2 * P[o2 + i] + w3 * P[o3 + i];
}

function add4(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const [o0, o1, o2, o3] = [o[t], o[t + 1], o[t + 2], o[t + 3]];
  const [w0, w1, w2, w3] = [w[t], w[t + 1], w[t + 2], w[t + 3]];
  for (let i = 0; i < n; i++) acc[i] = acc[i] + w0 * P[o0 + i] + w1 * P[o1 + i] + w2 * P[o2 + i] + w3 * P[o3 + i];
}

function set8(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const [o0, o1, o2, o3, o4, o5, o6, o7] = [o[t], o[t + 1], o[t + 2], o[t + 3], o[t + 4], o[t + 5], o[t + 6], o[t + 7]];
  const [w0, w1, w2, w3, w4, w5, w6, w7] = [w[t], w[t + 1], w[t + 2], w[t + 3], w[t + 4], w[t + 5], w[t + 6], w[t + 7]];
  for (let i = 0; i < n; i++) {
    const first4 = w0 * P[o0 + i] + w1 * P[o1 + i] + w2 * P[o2 + i] + w3 * P[o3 + i];
    acc[i] = first4 + w4 * P[o4 + i] + w5 * P[o5 + i] + w6 * P[o6 + i] + w7 * P[o7 + i];
  }
}

function add8(acc: number[], n: number, P: number[], o: number[], w: number[], t: number): void {
  const [o0, o1, o2, o3, o4, o5, o6, o7] = [o[t], o[t + 1], o[t + 2], o[t + 3], o[t + 4], o[t + 5], o[t + 6], o[t + 7]];
  const [w0, w1, w2, w3, w4, w5, w6, w7] = [w[t], w[t + 1], w[t + 2], w[t + 3], w[t + 4], w[t + 5], w[t + 6], w[t + 7]];
  for (let i = 0; i < n; i++) {
    const first4 = acc[i] + w0 * P[o0 + i] + w1 * P[o1 + i] + w2 * P[o2 + i] + w3 * P[o3 + i];
    acc[i] = first4 + w4 * P[o4 + i] + w5 * P[o5 + i] + w6 * P[o6 + i] + w7 * P[o7 + i];
  }
}

/** Output row y of the blur into plan.row (float64, tap order; the first rowLength values), which is returned. */
function blurRow(plan: MotionBlurPlan, y: number): number[] {
  const { padded, stride, dy, columnOffset, weights, offset, row, count, rowLength: n } = plan;
  const lastRow = plan.height - 1;
  for (let t = 0; t < count; t++) {
    const r = y + dy[t];
    offset[t] = (r < 0 ? 0 : r > lastRow ? lastRow : r) * stride + columnOffset[t];
  }
  let t: number;
  if (count >= 8) {
    set8(row, n, padded, offset, weights, 0);
    t = 8;
  } else if (count >= 4) {
    set4(row, n, padded, offset, weights, 0);
    t = 4;
  } else {
    set1(row, n, padded, offset, weights, 0);
    t = 1;
  }
  for (; t + 8 <= count; t += 8) add8(row, n, padded, offset, weights, t);
  if (t + 4 <= count) {
    add4(row, n, padded, offset, weights, t);
    t += 4;
  }
  const rest = count - t;
  if (rest === 3) add3(row, n, padded, offset, weights, t);
  else if (rest === 2) add2(row, n, padded, offset, weights, t);
  else if (rest === 1) add1(row, n, padded, offset, weights, t);
  return row;
}

/**
 * out(y, x, c) = sum over taps of weight * in(clamp(y + dy), clamp(x + dx), c) on HWC float values (edge
 * replication), accumulated in float64 in tap order, into `out` (a new array by default), which is returned.
 */
export function motionBlurHWC(
  values: Float64Array | Uint8Array,
  height: number,
  width: number,
  channels: number,
  taps: MotionBlurTaps,
  out: Float64Array = new Float64Array(values.length),
): Float64Array {
  const list: TapList = { count: taps.weights.length, dy: Array.from(taps.dy), dx: Array.from(taps.dx), weights: Array.from(taps.weights) };
  const plan = motionBlurPlan(values, height, width, channels, list);
  const rowLength = width * channels;
  for (let y = 0; y < height; y++) {
    const row = blurRow(plan, y);
    const o = y * rowLength;
    for (let i = 0; i < rowLength; i++) out[o + i] = row[i];
  }
  return out;
}

/**
 * ImageMagick's (Q16) conversion of blurred values in 0..255 units to bytes: q = floor(257 v + 0.5) clamped to
 * [0, 65535], byte = floor(q / 257). Written to `out` (a new array by default), which is returned.
 */
export function quantizeQ16(values: Float64Array, out: Uint8Array = new Uint8Array(values.length)): Uint8Array {
  for (let i = 0; i < values.length; i++) out[i] = q16Byte(values[i]);
  return out;
}

/**
 * One value of quantizeQ16. floor(q / 257) is computed as (q * 65281) >>> 24 (exact for every q in 0..65535, checked
 * exhaustively; the product stays below 2^32, and Math.imul's low 32 bits are then the product itself).
 */
function q16Byte(v: number): number {
  const q = Math.floor(v * 257 + 0.5);
  return q >= 65535 ? 255 : q > 0 ? Math.imul(q, 65281) >>> 24 : 0;
}

/**
 * q16Byte of a blurred value 0 <= v <= 255 * (the sum of the weights: 1 up to rounding), as every motion-blur sum of
 * bytes is: q = floor(257 v + 0.5) is then 0 .. 65535, where (q * 65281) >>> 24 needs neither of q16Byte's clamps.
 */
export function blurredByte(v: number): number {
  return Math.imul(Math.floor(v * 257 + 0.5), 65281) >>> 24;
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
    const plan = motionBlurPlan(pixels, height, width, channels, motionBlurTapsInto(radius, sigma, angle, ownTaps));
    const rowLength = width * channels;
    const out = new Uint8Array(pixels.length);
    // Bytes are written four at a time (as the padded copy reads them).
    const outBytes = new DataView(out.buffer);
    const whole = rowLength & ~3;
    for (let y = 0; y < height; y++) {
      const row = blurRow(plan, y);
      const o = y * rowLength;
      for (let i = 0; i < whole; i += 4) {
        const word = blurredByte(row[i]) | (blurredByte(row[i + 1]) << 8) | (blurredByte(row[i + 2]) << 16) | (blurredByte(row[i + 3]) << 24);
        outBytes.setUint32(o + i, word, true);
      }
      for (let i = whole; i < rowLength; i++) out[o + i] = blurredByte(row[i]);
    }
    return { height, width, channels, pixels: out };
  },
};
