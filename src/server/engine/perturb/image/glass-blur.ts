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
// The blurs use the house scipy gaussian_filter emulation (the kernel of gaussianKernel1d, the floating-point
// operations of gaussianFilterHWC in the same order), so given the reference's own random draws (numpy seed 0) the
// output is the reference's: 0 differing values on 7 of the 10 cells, and +1 grey level on 0.17-0.2% of the values
// of imagenet severities 2, 3, 5, the same few truncation-boundary values on which the house Gaussian filter and
// the reference's scipy differ (gaussian_blur shows the same).
//
// Speed: each blur goes from bytes to bytes (gaussianBlurBytes), the x / 255 conversion and the clip-and-truncate
// done inside its two passes; what depends on sigma alone (kernel, padded taps) is built once per sigma (blurPlan).
// Kernels of radius 1 and 2 (the cifar preset at 32x32 and below) have passes of their own: axis 0 walks down each
// column with the window values in locals (one new value per output), axis 1 along each row likewise (RGB rows
// of radius 2 all three channels per step). Radius 3 .. 4 is padded with zero taps to radius 4 (same walks, nine
// values; axis 1 two outputs per step), radius 5 .. 8 to 8, computing four outputs per sweep from the 20 values
// they read; longer kernels (only on images larger than the nominal size) go through gaussianFilterRows. The zero
// taps add +0 to non-negative sums, so all of these give gaussianFilterHWC's bits. The shuffle has a grey loop of
// its own and keeps each draw next to its copy (see glassShuffle).
//
// Other image sizes (spatialScale s = min(height, width) / nominal side): sigma -> sigma * s, delta (a shift in
// pixels) -> max(1, round(delta * s)); iterations are a count and stay. Images need at least 2 * delta + 1 rows
// and columns for any pixel to move, i.e. 3x3 (delta is 1 at small sizes); smaller ones get an InputError
// 'image-too-small' rather than a silent plain blur.
import { InputError } from '../../errors';
import type { Corruption, CorruptionContext, Image, RandomSource } from '../../types';
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
 * [-delta, delta) drawn from `random` (one `random.next()` u per pixel: k = floor(u * (2 delta)^2),
 * dx = k mod 2 delta - delta, dy = floor(k / 2 delta) - delta).
 */
export function glassShuffle(pixels: Uint8Array, height: number, width: number, channels: number, delta: number, iterations: number, random: RandomSource): void {
  const pairs = 4 * delta * delta;
  const offsets = shuffleOffsets(delta, width, channels);
  const rowLength = width * channels;
  for (let it = 0; it < iterations; it++) {
    for (let h = height - delta; h > delta; h--) {
      const rowEnd = h * rowLength + (width - delta) * channels; // pixel (h, width - delta)
      const rowStart = h * rowLength + delta * channels; // pixel (h, delta), not visited
      // The draws stay interleaved with the copies: the generator's steps are a chain of dependent operations,
      // and the copies run in their shadow (drawing a row's offsets first and copying after was slower).
      if (channels === 1) {
        for (let to = rowEnd; to > rowStart; to--) pixels[to] = pixels[to + offsets[(random.next() * pairs) | 0]]; // u * pairs is in [0, pairs): | 0 is floor
      } else if (channels === 3) {
        for (let to = rowEnd; to > rowStart; to -= 3) {
          const from = to + offsets[(random.next() * pairs) | 0];
          pixels[to] = pixels[from];
          pixels[to + 1] = pixels[from + 1];
          pixels[to + 2] = pixels[from + 2];
        }
      } else {
        for (let to = rowEnd; to > rowStart; to -= channels) {
          const from = to + offsets[(random.next() * pairs) | 0];
          for (let c = 0; c < channels; c++) pixels[to + c] = pixels[from + c];
        }
      }
    }
  }
}

/** Reused by shuffleOffsets up to delta 16 (images up to ~900 px with the imagenet preset). */
const offsetTable = new Int32Array(1024);

/**
 * Source offset (in values) of each of the (2 delta)^2 draws k: (dy * width + dx) * channels. Returns the
 * module-level offsetTable, refilled (valid until the next call), or a new array for larger deltas.
 */
function shuffleOffsets(delta: number, width: number, channels: number): Int32Array {
  const side = 2 * delta;
  const pairs = side * side;
  const offsets = pairs <= offsetTable.length ? offsetTable : new Int32Array(pairs);
  for (let k = 0; k < pairs; k++) {
    const dx = (k % side) - delta;
    const dy = Math.floor(k / side) - delta;
    offsets[k] = (dy * width + dx) * channels;
  }
  return offsets;
}

/**
 * The kernel's half padded with zero taps (reach = 4 or 8, at least the kernel's radius): taps[0] is the centre,
 * taps[k] the weight at distance k, k = 1 .. reach.
 */
function paddedTaps(kernel: Float64Array, reach: number): Float64Array {
  const radius = (kernel.length - 1) >> 1;
  const taps = new Float64Array(reach + 1);
  for (let k = 0; k <= radius; k++) taps[k] = kernel[radius + k];
  return taps;
}

/**
 * Row offsets (in values) of rows -reach .. height - 1 + reach, clamped to the image ('nearest'), so that
 * rowAt[y + reach + k] is the start of row y + k.
 */
function clampedRows(height: number, rowLength: number, reach: number): Int32Array {
  const rowAt = new Int32Array(height + 2 * reach);
  for (let j = 0; j < rowAt.length; j++) rowAt[j] = Math.min(Math.max(j - reach, 0), height - 1) * rowLength;
  return rowAt;
}

/**
 * Axis 0 of the filter for kernels of radius 1, from bytes (x / 255 through `unit`) into `plane`, whose rows are
 * rowLength + 2 * channels long (the values start 1 pixel in; the margins are filled by horizontalReach1). One
 * column at a time, down the rows, the three window values kept in locals: centre * x + (x[-1] + x[+1]) * w1.
 */
function verticalReach1(src: Uint8Array, plane: Float64Array, height: number, width: number, channels: number, taps: Float64Array, unit: Float64Array): void {
  const rowLength = width * channels;
  const planeRow = rowLength + 2 * channels;
  const c0 = taps[0];
  const w1 = taps[1];
  const lastRow = (height - 1) * rowLength;
  const secondRow = Math.min(1, height - 1) * rowLength;
  for (let i = 0; i < rowLength; i++) {
    let m1 = unit[src[i]]; // row -1 is row 0 ('nearest')
    let x0 = m1;
    // The next row to read (y + 1), which stops at the last row.
    let at = secondRow + i;
    const last = lastRow + i;
    for (let y = 0, to = channels + i; y < height; y++, to += planeRow) {
      const p1 = unit[src[at]];
      if (at < last) at += rowLength;
      plane[to] = c0 * x0 + (m1 + p1) * w1;
      m1 = x0;
      x0 = p1;
    }
  }
}

/**
 * Axis 1 of the filter for kernels of radius 1, from `plane` (see verticalReach1; its right margin is filled here
 * with the last pixel, 'nearest') to bytes: np.uint8(np.clip(x, 0, 1) * 255). One channel of one row at a time.
 */
function horizontalReach1(plane: Float64Array, dst: Uint8Array, height: number, width: number, channels: number, taps: Float64Array): void {
  const C = channels;
  const rowLength = width * C;
  const planeRow = rowLength + 2 * C;
  const c0 = taps[0];
  const w1 = taps[1];
  for (let y = 0; y < height; y++) {
    const b = y * planeRow;
    for (let c = 0; c < C; c++) {
      // The window starts on pixel 0 twice ('nearest'); the right margin holds the last pixel.
      let m1 = plane[b + C + c];
      let x0 = m1;
      plane[b + C + rowLength + c] = plane[b + rowLength + c];
      for (let at = b + 2 * C + c, to = y * rowLength + c, end = to + rowLength; to < end; at += C, to += C) {
        const p1 = plane[at];
        const v = c0 * x0 + (m1 + p1) * w1;
        dst[to] = (v > 1 ? 255 : v > 0 ? v * 255 : 0) | 0;
        m1 = x0;
        x0 = p1;
      }
    }
  }
}

/**
 * Axis 0 for kernels of radius 2 (see verticalReach1), the rows of `plane` rowLength + 2 * 2 * channels long:
 * centre * x + (x[-2] + x[+2]) * w2 + (x[-1] + x[+1]) * w1.
 */
function verticalReach2(src: Uint8Array, plane: Float64Array, height: number, width: number, channels: number, taps: Float64Array, unit: Float64Array): void {
  const rowLength = width * channels;
  const planeRow = rowLength + 4 * channels;
  const c0 = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  const lastRow = (height - 1) * rowLength;
  const secondRow = Math.min(1, height - 1) * rowLength;
  const thirdRow = Math.min(2, height - 1) * rowLength;
  for (let i = 0; i < rowLength; i++) {
    let m2 = unit[src[i]]; // rows -2 and -1 are row 0 ('nearest')
    let m1 = m2;
    let x0 = m2;
    let p1 = unit[src[secondRow + i]];
    // The next row to read (y + 2), which stops at the last row.
    let at = thirdRow + i;
    const last = lastRow + i;
    for (let y = 0, to = 2 * channels + i; y < height; y++, to += planeRow) {
      const p2 = unit[src[at]];
      if (at < last) at += rowLength;
      plane[to] = c0 * x0 + (m2 + p2) * w2 + (m1 + p1) * w1;
      m2 = m1;
      m1 = x0;
      x0 = p1;
      p1 = p2;
    }
  }
}

/** Axis 1 for kernels of radius 2 (see verticalReach2 and horizontalReach1), to bytes. */
function horizontalReach2(plane: Float64Array, dst: Uint8Array, height: number, width: number, channels: number, taps: Float64Array): void {
  const C = channels;
  const rowLength = width * C;
  const planeRow = rowLength + 4 * C;
  const c0 = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  for (let y = 0; y < height; y++) {
    const b = y * planeRow;
    if (C === 3) {
      horizontalReach2Rgb(plane, dst, b, y * rowLength, width, c0, w1, w2);
      continue;
    }
    for (let c = 0; c < C; c++) {
      // The window starts on pixel 0 three times ('nearest'); the right margin holds the last pixel twice.
      const first = plane[b + 2 * C + c];
      const final = plane[b + rowLength + C + c];
      plane[b + 2 * C + rowLength + c] = final;
      plane[b + 3 * C + rowLength + c] = final;
      let m2 = first;
      let m1 = first;
      let x0 = first;
      let p1 = plane[b + 3 * C + c];
      for (let at = b + 4 * C + c, to = y * rowLength + c, end = to + rowLength; to < end; at += C, to += C) {
        const p2 = plane[at];
        const v = c0 * x0 + (m2 + p2) * w2 + (m1 + p1) * w1;
        dst[to] = (v > 1 ? 255 : v > 0 ? v * 255 : 0) | 0;
        m2 = m1;
        m1 = x0;
        x0 = p1;
        p1 = p2;
      }
    }
  }
}

/**
 * One row of horizontalReach2 for RGB, the three channels in one loop (a third of the steps): the row's values
 * start at plane[b + 6], its outputs at dst[o].
 */
function horizontalReach2Rgb(plane: Float64Array, dst: Uint8Array, b: number, o: number, width: number, c0: number, w1: number, w2: number): void {
  const rowLength = 3 * width;
  // The window starts on pixel 0 three times ('nearest'); the right margin holds the last pixel twice.
  let r0 = plane[b + 6];
  let g0 = plane[b + 7];
  let b0 = plane[b + 8];
  for (let k = 0; k < 6; k++) plane[b + 6 + rowLength + k] = plane[b + 3 + rowLength + (k % 3)];
  let rm2 = r0;
  let gm2 = g0;
  let bm2 = b0;
  let rm1 = r0;
  let gm1 = g0;
  let bm1 = b0;
  let rp1 = plane[b + 9];
  let gp1 = plane[b + 10];
  let bp1 = plane[b + 11];
  for (let at = b + 12, to = o, end = o + rowLength; to < end; at += 3, to += 3) {
    const rp2 = plane[at];
    const gp2 = plane[at + 1];
    const bp2 = plane[at + 2];
    const vr = c0 * r0 + (rm2 + rp2) * w2 + (rm1 + rp1) * w1;
    const vg = c0 * g0 + (gm2 + gp2) * w2 + (gm1 + gp1) * w1;
    const vb = c0 * b0 + (bm2 + bp2) * w2 + (bm1 + bp1) * w1;
    dst[to] = (vr > 1 ? 255 : vr > 0 ? vr * 255 : 0) | 0;
    dst[to + 1] = (vg > 1 ? 255 : vg > 0 ? vg * 255 : 0) | 0;
    dst[to + 2] = (vb > 1 ? 255 : vb > 0 ? vb * 255 : 0) | 0;
    rm2 = rm1;
    gm2 = gm1;
    bm2 = bm1;
    rm1 = r0;
    gm1 = g0;
    bm1 = b0;
    r0 = rp1;
    g0 = gp1;
    b0 = bp1;
    rp1 = rp2;
    gp1 = gp2;
    bp1 = bp2;
  }
}

/**
 * Axis 0 of the filter for kernels of radius <= 4, from bytes (x / 255 through `unit`) into `plane`, whose rows
 * are rowLength + 2 * 4 * channels long (the values start 4 pixels in; the margins are filled by horizontalReach4).
 * One column at a time, down the rows, the nine window values kept in locals: scipy's sum
 * centre * x + (x[-4] + x[+4]) * w4 + ... + (x[-1] + x[+1]) * w1.
 */
function verticalReach4(src: Uint8Array, plane: Float64Array, height: number, width: number, channels: number, taps: Float64Array, unit: Float64Array): void {
  const rowLength = width * channels;
  const planeRow = rowLength + 8 * channels;
  const rowAt = clampedRows(height, rowLength, 4);
  const [c0, w1, w2, w3, w4] = taps;
  for (let i = 0; i < rowLength; i++) {
    let m4 = unit[src[rowAt[0] + i]];
    let m3 = unit[src[rowAt[1] + i]];
    let m2 = unit[src[rowAt[2] + i]];
    let m1 = unit[src[rowAt[3] + i]];
    let x0 = unit[src[rowAt[4] + i]];
    let p1 = unit[src[rowAt[5] + i]];
    let p2 = unit[src[rowAt[6] + i]];
    let p3 = unit[src[rowAt[7] + i]];
    // The next row to read (y + 4), which stops at the last row ('nearest').
    let at = rowAt[8] + i;
    const last = (height - 1) * rowLength + i;
    for (let y = 0, to = 4 * channels + i; y < height; y++, to += planeRow) {
      const p4 = unit[src[at]];
      if (at < last) at += rowLength;
      plane[to] = c0 * x0 + (m4 + p4) * w4 + (m3 + p3) * w3 + (m2 + p2) * w2 + (m1 + p1) * w1;
      m4 = m3;
      m3 = m2;
      m2 = m1;
      m1 = x0;
      x0 = p1;
      p1 = p2;
      p2 = p3;
      p3 = p4;
    }
  }
}

/**
 * Axis 1 of the filter for kernels of radius <= 4, from `plane` (see verticalReach4; its margins are filled here
 * with the edge pixels, 'nearest') to bytes: np.uint8(np.clip(x, 0, 1) * 255). One channel of one row at a time,
 * the same sums as verticalReach4.
 */
function horizontalReach4(plane: Float64Array, dst: Uint8Array, height: number, width: number, channels: number, taps: Float64Array): void {
  const C = channels;
  const rowLength = width * C;
  const margin = 4 * C;
  const planeRow = rowLength + 2 * margin;
  const [c0, w1, w2, w3, w4] = taps;
  for (let y = 0; y < height; y++) {
    const b = y * planeRow;
    for (let p = 0; p < margin; p++) {
      plane[b + p] = plane[b + margin + (p % C)];
      plane[b + margin + rowLength + p] = plane[b + margin + rowLength - C + (p % C)];
    }
    for (let c = 0; c < C; c++) {
      // Two outputs per step: the ten values they read in locals, the window sliding by two pixels.
      const q = b + c;
      let a0 = plane[q];
      let a1 = plane[q + C];
      let a2 = plane[q + 2 * C];
      let a3 = plane[q + 3 * C];
      let a4 = plane[q + 4 * C];
      let a5 = plane[q + 5 * C];
      let a6 = plane[q + 6 * C];
      let a7 = plane[q + 7 * C];
      let at = q + 8 * C;
      let to = y * rowLength + c;
      let x = 0;
      for (; x + 1 < width; x += 2, at += 2 * C, to += 2 * C) {
        const a8 = plane[at];
        const a9 = plane[at + C];
        const v0 = c0 * a4 + (a0 + a8) * w4 + (a1 + a7) * w3 + (a2 + a6) * w2 + (a3 + a5) * w1;
        const v1 = c0 * a5 + (a1 + a9) * w4 + (a2 + a8) * w3 + (a3 + a7) * w2 + (a4 + a6) * w1;
        dst[to] = (v0 > 1 ? 255 : v0 > 0 ? v0 * 255 : 0) | 0;
        dst[to + C] = (v1 > 1 ? 255 : v1 > 0 ? v1 * 255 : 0) | 0;
        a0 = a2;
        a1 = a3;
        a2 = a4;
        a3 = a5;
        a4 = a6;
        a5 = a7;
        a6 = a8;
        a7 = a9;
      }
      if (x < width) {
        const v0 = c0 * a4 + (a0 + plane[at]) * w4 + (a1 + a7) * w3 + (a2 + a6) * w2 + (a3 + a5) * w1;
        dst[to] = (v0 > 1 ? 255 : v0 > 0 ? v0 * 255 : 0) | 0;
      }
    }
  }
}

/**
 * Axis 0 for kernels of radius 5 .. 8, from `values` (x / 255) into `plane` (rows rowLength + 2 * 8 * channels
 * long, the values 8 pixels in): four output rows per sweep, the 20 rows y - 8 .. y + 11 read once for the outputs
 * y .. y + 3, each summed like verticalReach4 with 8 tap pairs: centre * x + (x[-8] + x[+8]) * w8 + ... + (x[-1] +
 * x[+1]) * w1. Remaining rows one by one.
 */
function verticalReach8(values: Float64Array, plane: Float64Array, height: number, width: number, channels: number, taps: Float64Array): void {
  const rowLength = width * channels;
  const planeRow = rowLength + 16 * channels;
  const rowAt = clampedRows(height, rowLength, 8);
  const [c0, w1, w2, w3, w4, w5, w6, w7, w8] = taps;
  let y = 0;
  for (; y + 3 < height; y += 4) {
    const r0 = rowAt[y];
    const r1 = rowAt[y + 1];
    const r2 = rowAt[y + 2];
    const r3 = rowAt[y + 3];
    const r4 = rowAt[y + 4];
    const r5 = rowAt[y + 5];
    const r6 = rowAt[y + 6];
    const r7 = rowAt[y + 7];
    const r8 = rowAt[y + 8];
    const r9 = rowAt[y + 9];
    const r10 = rowAt[y + 10];
    const r11 = rowAt[y + 11];
    const r12 = rowAt[y + 12];
    const r13 = rowAt[y + 13];
    const r14 = rowAt[y + 14];
    const r15 = rowAt[y + 15];
    const r16 = rowAt[y + 16];
    const r17 = rowAt[y + 17];
    const r18 = rowAt[y + 18];
    const r19 = rowAt[y + 19];
    const o0 = y * planeRow + 8 * channels;
    const o1 = o0 + planeRow;
    const o2 = o1 + planeRow;
    const o3 = o2 + planeRow;
    for (let i = 0; i < rowLength; i++) {
      const a0 = values[r0 + i];
      const a1 = values[r1 + i];
      const a2 = values[r2 + i];
      const a3 = values[r3 + i];
      const a4 = values[r4 + i];
      const a5 = values[r5 + i];
      const a6 = values[r6 + i];
      const a7 = values[r7 + i];
      const a8 = values[r8 + i];
      const a9 = values[r9 + i];
      const a10 = values[r10 + i];
      const a11 = values[r11 + i];
      const a12 = values[r12 + i];
      const a13 = values[r13 + i];
      const a14 = values[r14 + i];
      const a15 = values[r15 + i];
      const a16 = values[r16 + i];
      const a17 = values[r17 + i];
      const a18 = values[r18 + i];
      const a19 = values[r19 + i];
      plane[o0 + i] = c0 * a8 + (a0 + a16) * w8 + (a1 + a15) * w7 + (a2 + a14) * w6 + (a3 + a13) * w5 + (a4 + a12) * w4 + (a5 + a11) * w3 + (a6 + a10) * w2 + (a7 + a9) * w1;
      plane[o1 + i] = c0 * a9 + (a1 + a17) * w8 + (a2 + a16) * w7 + (a3 + a15) * w6 + (a4 + a14) * w5 + (a5 + a13) * w4 + (a6 + a12) * w3 + (a7 + a11) * w2 + (a8 + a10) * w1;
      plane[o2 + i] = c0 * a10 + (a2 + a18) * w8 + (a3 + a17) * w7 + (a4 + a16) * w6 + (a5 + a15) * w5 + (a6 + a14) * w4 + (a7 + a13) * w3 + (a8 + a12) * w2 + (a9 + a11) * w1;
      plane[o3 + i] = c0 * a11 + (a3 + a19) * w8 + (a4 + a18) * w7 + (a5 + a17) * w6 + (a6 + a16) * w5 + (a7 + a15) * w4 + (a8 + a14) * w3 + (a9 + a13) * w2 + (a10 + a12) * w1;
    }
  }
  for (; y < height; y++) {
    const o = y * planeRow + 8 * channels;
    const r = y + 8;
    for (let i = 0; i < rowLength; i++) {
      const at = (k: number): number => values[rowAt[r + k] + i];
      plane[o + i] =
        c0 * at(0) +
        (at(-8) + at(8)) * w8 +
        (at(-7) + at(7)) * w7 +
        (at(-6) + at(6)) * w6 +
        (at(-5) + at(5)) * w5 +
        (at(-4) + at(4)) * w4 +
        (at(-3) + at(3)) * w3 +
        (at(-2) + at(2)) * w2 +
        (at(-1) + at(1)) * w1;
    }
  }
}

/**
 * Axis 1 for kernels of radius 5 .. 8 (see verticalReach8 and horizontalReach4), to bytes: four outputs per step
 * from the 20 values they read.
 */
function horizontalReach8(plane: Float64Array, dst: Uint8Array, height: number, width: number, channels: number, taps: Float64Array): void {
  const C = channels;
  const rowLength = width * C;
  const margin = 8 * C;
  const planeRow = rowLength + 2 * margin;
  const [c0, w1, w2, w3, w4, w5, w6, w7, w8] = taps;
  for (let y = 0; y < height; y++) {
    const b = y * planeRow;
    for (let p = 0; p < margin; p++) {
      plane[b + p] = plane[b + margin + (p % C)];
      plane[b + margin + rowLength + p] = plane[b + margin + rowLength - C + (p % C)];
    }
    const o = y * rowLength;
    for (let c = 0; c < C; c++) {
      // Pixel x of channel c is plane[b + c + (x + 8) C]; a_k = the value at pixel x - 8 + k.
      let x = 0;
      for (; x + 3 < width; x += 4) {
        const q = b + c + x * C;
        const a0 = plane[q];
        const a1 = plane[q + C];
        const a2 = plane[q + 2 * C];
        const a3 = plane[q + 3 * C];
        const a4 = plane[q + 4 * C];
        const a5 = plane[q + 5 * C];
        const a6 = plane[q + 6 * C];
        const a7 = plane[q + 7 * C];
        const a8 = plane[q + 8 * C];
        const a9 = plane[q + 9 * C];
        const a10 = plane[q + 10 * C];
        const a11 = plane[q + 11 * C];
        const a12 = plane[q + 12 * C];
        const a13 = plane[q + 13 * C];
        const a14 = plane[q + 14 * C];
        const a15 = plane[q + 15 * C];
        const a16 = plane[q + 16 * C];
        const a17 = plane[q + 17 * C];
        const a18 = plane[q + 18 * C];
        const a19 = plane[q + 19 * C];
        const v0 = c0 * a8 + (a0 + a16) * w8 + (a1 + a15) * w7 + (a2 + a14) * w6 + (a3 + a13) * w5 + (a4 + a12) * w4 + (a5 + a11) * w3 + (a6 + a10) * w2 + (a7 + a9) * w1;
        const v1 = c0 * a9 + (a1 + a17) * w8 + (a2 + a16) * w7 + (a3 + a15) * w6 + (a4 + a14) * w5 + (a5 + a13) * w4 + (a6 + a12) * w3 + (a7 + a11) * w2 + (a8 + a10) * w1;
        const v2 = c0 * a10 + (a2 + a18) * w8 + (a3 + a17) * w7 + (a4 + a16) * w6 + (a5 + a15) * w5 + (a6 + a14) * w4 + (a7 + a13) * w3 + (a8 + a12) * w2 + (a9 + a11) * w1;
        const v3 = c0 * a11 + (a3 + a19) * w8 + (a4 + a18) * w7 + (a5 + a17) * w6 + (a6 + a16) * w5 + (a7 + a15) * w4 + (a8 + a14) * w3 + (a9 + a13) * w2 + (a10 + a12) * w1;
        const to = o + x * C + c;
        dst[to] = (v0 > 1 ? 255 : v0 > 0 ? v0 * 255 : 0) | 0;
        dst[to + C] = (v1 > 1 ? 255 : v1 > 0 ? v1 * 255 : 0) | 0;
        dst[to + 2 * C] = (v2 > 1 ? 255 : v2 > 0 ? v2 * 255 : 0) | 0;
        dst[to + 3 * C] = (v3 > 1 ? 255 : v3 > 0 ? v3 * 255 : 0) | 0;
      }
      for (; x < width; x++) {
        const q = b + c + x * C;
        const at = (k: number): number => plane[q + k * C];
        const v0 = c0 * at(8) + (at(0) + at(16)) * w8 + (at(1) + at(15)) * w7 + (at(2) + at(14)) * w6 + (at(3) + at(13)) * w5 + (at(4) + at(12)) * w4 + (at(5) + at(11)) * w3 + (at(6) + at(10)) * w2 + (at(7) + at(9)) * w1;
        dst[o + x * C + c] = (v0 > 1 ? 255 : v0 > 0 ? v0 * 255 : 0) | 0;
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
 * The values must be finite and non-negative (pixel values are). Used by glass_blur for kernels longer than 17
 * taps (radius > 8: sigma >= 2.0625 px, only on images larger than the preset's nominal size).
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

/** What a blur needs besides the image: the kernel, its radius and (radius 1 .. 8) its half padded to `reach`. */
interface BlurPlan {
  readonly kernel: Float64Array;
  readonly radius: number;
  /** 1, 2, 4 or 8: the passes used (0 for one tap, -1 for gaussianFilterRows). */
  readonly reach: number;
  /** paddedTaps(kernel, reach) (the kernel itself when reach <= 0, unused). */
  readonly taps: Float64Array;
}

/** Plans by sigma, built once (a few sigmas per preset and image size); cleared when it grows past MAX_PLANS. */
const plans = new Map<number, BlurPlan>();
const MAX_PLANS = 64;

function blurPlan(sigma: number): BlurPlan {
  let plan = plans.get(sigma);
  if (!plan) {
    const kernel = gaussianKernel1d(sigma);
    const radius = (kernel.length - 1) >> 1;
    const reach = radius === 0 ? 0 : radius <= 2 ? radius : radius <= 4 ? 4 : radius <= 8 ? 8 : -1;
    plan = { kernel, radius, reach, taps: reach > 0 ? paddedTaps(kernel, reach) : kernel };
    if (plans.size >= MAX_PLANS) plans.clear();
    plans.set(sigma, plan);
  }
  return plan;
}

/**
 * np.uint8(np.clip(gaussian(src / 255, sigma), 0, 1) * 255) (the gaussian of gaussianFilterRows, bit for bit) from
 * uint8 HWC `src` into `dst` (another array), `plan` = blurPlan(sigma). Kernels of radius 1 and 2 have passes of
 * their own, radius 3 .. 4 and 5 .. 8 go through the passes padded with zero taps to 4 and 8 (as in
 * gaussianFilterRows, adding +0 changes no sum), longer ones through gaussianFilterRows.
 */
export function gaussianBlurBytes(src: Uint8Array, dst: Uint8Array, height: number, width: number, channels: number, plan: BlurPlan): void {
  const { kernel, reach, taps } = plan;
  const unit = UNIT; // a local: an imported binding read in a hot loop can cost a getter call per read
  if (reach === 0) {
    // One tap (sigma < 0.125 px): both passes multiply by it.
    oneTap(src, dst, kernel[0], unit);
    return;
  }
  if (reach > 0) {
    const plane = scratchFloat64('glass_blur.plane', height * (width + 2 * reach) * channels);
    if (reach === 1) {
      verticalReach1(src, plane, height, width, channels, taps, unit);
      horizontalReach1(plane, dst, height, width, channels, taps);
    } else if (reach === 2) {
      verticalReach2(src, plane, height, width, channels, taps, unit);
      horizontalReach2(plane, dst, height, width, channels, taps);
    } else if (reach === 4) {
      verticalReach4(src, plane, height, width, channels, taps, unit);
      horizontalReach4(plane, dst, height, width, channels, taps);
    } else {
      const values = toUnit(src, unit, scratchFloat64('glass_blur.values', src.length));
      verticalReach8(values, plane, height, width, channels, taps);
      horizontalReach8(plane, dst, height, width, channels, taps);
    }
    return;
  }
  const values = toUnit(src, unit, scratchFloat64('glass_blur.values', src.length));
  toBytes(gaussianFilterRows(values, height, width, channels, kernel, scratchFloat64('glass_blur.blurred', src.length)), dst);
}

// The loops below are functions of their own: a hot loop followed by code that has not run yet gets compiled on its
// own (on-stack replacement), and V8 can then deoptimise the caller on every call.

/** dst[i] = np.uint8(np.clip(centre * (centre * src[i] / 255), 0, 1) * 255). */
function oneTap(src: Uint8Array, dst: Uint8Array, centre: number, unit: Float64Array): void {
  for (let i = 0; i < src.length; i++) {
    const x = centre * (centre * unit[src[i]]);
    dst[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  }
}

/** values[i] = src[i] / 255; returns values. */
function toUnit(src: Uint8Array, unit: Float64Array, values: Float64Array): Float64Array {
  for (let i = 0; i < src.length; i++) values[i] = unit[src[i]];
  return values;
}

/** dst[i] = np.uint8(np.clip(values[i], 0, 1) * 255). */
function toBytes(values: Float64Array, dst: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) {
    const x = values[i];
    dst[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  }
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
    const plan = blurPlan(sigma);
    // np.uint8(x * 255) of the first blur: x is in [0, 1] (up to rounding), so clipping changes nothing.
    const shuffled = scratchUint8('glass_blur.shuffled', pixels.length);
    gaussianBlurBytes(pixels, shuffled, height, width, channels, plan);
    glassShuffle(shuffled, height, width, channels, delta, iterations, context.random);
    const out = new Uint8Array(pixels.length);
    gaussianBlurBytes(shuffled, out, height, width, channels, plan);
    return { height, width, channels, pixels: out };
  },
};
