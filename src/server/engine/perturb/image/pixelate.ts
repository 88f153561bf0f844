// pixelate: box-resize down to int(size * c), box-resize back up (ImageNet-C / CIFAR-10-C definition, done there
// with PIL's Image.resize(..., BOX) on uint8 images). This reproduces Pillow's resampling exactly: coefficients
// from precompute_coeffs with the box filter (support 0.5), normalised, turned into 22-bit fixed point, rounding
// accumulator, horizontal pass first with a uint8 intermediate, then the vertical pass.
// A pass whose every output has one tap of weight 1 (always the case for the upscale back, where the box is
// narrower than an input pixel) yields exactly its input value ((half + v * 2^22) >> 22 = v), so it is done as a
// gather, and two such passes as one nearest-neighbour copy: the same bytes without the arithmetic.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters } from './common';
import { scratchFloat64, scratchUint8 } from './scratch';

/** Size factor of the intermediate (smaller is stronger). */
export const PIXELATE_FACTOR: PresetParameters<number> = {
  cifar: [0.95, 0.9, 0.85, 0.75, 0.65],
  imagenet: [0.6, 0.5, 0.4, 0.3, 0.25],
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  readonly inSize: number;
  readonly outSize: number;
  /** Kernel width per output pixel. */
  readonly ksize: number;
  /** First input index and tap count per output pixel. */
  readonly bounds: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  readonly weights: Int32Array;
  /** When every output pixel has a single tap of weight ONE: the input index per output pixel (else undefined). */
  readonly gather: Int32Array | undefined;
}

function boxFilter(x: number): number {
  return x > -0.5 && x <= 0.5 ? 1 : 0;
}

/** The coefficient tables depend only on (inSize, outSize): the most recent few are kept (oldest dropped first). */
const CACHE_LIMIT = 16;
const coefficientCache: Coefficients[] = [];

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the BOX filter, resizing inSize -> outSize. */
function boxCoefficients(inSize: number, outSize: number): Coefficients {
  for (let i = coefficientCache.length - 1; i >= 0; i--) {
    const cached = coefficientCache[i];
    if (cached.inSize === inSize && cached.outSize === outSize) return cached;
  }
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 0.5 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = boxFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  let gather: Int32Array | undefined = new Int32Array(outSize);
  for (let xx = 0; xx < outSize; xx++) {
    if (bounds[xx * 2 + 1] !== 1 || weights[xx * ksize] !== ONE) {
      gather = undefined;
      break;
    }
    gather[xx] = bounds[xx * 2];
  }
  const result: Coefficients = { inSize, outSize, ksize, bounds, weights, gather };
  if (coefficientCache.length >= CACHE_LIMIT) coefficientCache.shift();
  coefficientCache.push(result);
  return result;
}

function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Pillow's Image.resize(size, Image.BOX) for a uint8 HWC image with any number of channels. */
export function resizeBox(src: Uint8Array, height: number, width: number, channels: number, outHeight: number, outWidth: number): Uint8Array {
  return resizeBoxInto(new Uint8Array(outHeight * outWidth * channels), src, height, width, channels, outHeight, outWidth);
}

/** resizeBox into `out` (outHeight * outWidth * channels values, not overlapping `src`); returns `out`. */
function resizeBoxInto(out: Uint8Array, src: Uint8Array, height: number, width: number, channels: number, outHeight: number, outWidth: number): Uint8Array {
  const columns = boxCoefficients(width, outWidth);
  const rows = boxCoefficients(height, outHeight);
  // Both passes single-tap (a pass Pillow skips, same size, is single-tap too): one nearest-neighbour copy.
  if (columns.gather !== undefined && rows.gather !== undefined) {
    gatherResize(out, src, width, channels, rows.gather, columns.gather);
    return out;
  }
  // Horizontal pass (skipped when the width does not change, like Pillow).
  let horizontal = src;
  if (outWidth !== width) {
    horizontal = scratchUint8('pixelate.horizontal', height * outWidth * channels);
    resizeRows(src, horizontal, height, width, channels, outWidth, columns);
  }
  if (outHeight === height) out.set(horizontal);
  else resizeColumns(horizontal, out, height, outWidth * channels, outHeight, rows);
  return out;
}

/** out[yy][xx] = src[rowIndex[yy]][columnIndex[xx]] (all channels). */
function gatherResize(out: Uint8Array, src: Uint8Array, width: number, channels: number, rowIndex: Int32Array, columnIndex: Int32Array): void {
  const outHeight = rowIndex.length;
  const outWidth = columnIndex.length;
  let o = 0;
  if (channels === 1) {
    for (let yy = 0; yy < outHeight; yy++) {
      const row = rowIndex[yy] * width;
      for (let xx = 0; xx < outWidth; xx++) out[o++] = src[row + columnIndex[xx]];
    }
    return;
  }
  if (channels === 3) {
    for (let yy = 0; yy < outHeight; yy++) {
      const row = rowIndex[yy] * width;
      for (let xx = 0; xx < outWidth; xx++, o += 3) {
        const p = (row + columnIndex[xx]) * 3;
        out[o] = src[p];
        out[o + 1] = src[p + 1];
        out[o + 2] = src[p + 2];
      }
    }
    return;
  }
  for (let yy = 0; yy < outHeight; yy++) {
    const row = rowIndex[yy] * width;
    for (let xx = 0; xx < outWidth; xx++) {
      const p = (row + columnIndex[xx]) * channels;
      for (let c = 0; c < channels; c++) out[o++] = src[p + c];
    }
  }
}

/** The horizontal pass: every row resized from width to outWidth (integer arithmetic, exact in any order). */
function resizeRows(src: Uint8Array, out: Uint8Array, height: number, width: number, channels: number, outWidth: number, coefficients: Coefficients): void {
  const { ksize, bounds, weights } = coefficients;
  if (channels === 1) {
    // Grey: one output column at a time down all rows, so the tap count and weights are loop constants.
    for (let xx = 0; xx < outWidth; xx++) {
      const first = bounds[xx * 2];
      const taps = bounds[xx * 2 + 1];
      const kBase = xx * ksize;
      const w0 = weights[kBase];
      if (taps === 2) {
        const w1 = weights[kBase + 1];
        for (let y = 0, p = first, o = xx; y < height; y++, p += width, o += outWidth) out[o] = clip8(HALF + src[p] * w0 + src[p + 1] * w1);
      } else if (taps === 1) {
        for (let y = 0, p = first, o = xx; y < height; y++, p += width, o += outWidth) out[o] = clip8(HALF + src[p] * w0);
      } else {
        for (let y = 0, p = first, o = xx; y < height; y++, p += width, o += outWidth) {
          let acc = HALF;
          for (let x = 0; x < taps; x++) acc += src[p + x] * weights[kBase + x];
          out[o] = clip8(acc);
        }
      }
    }
    return;
  }
  if (channels === 3) {
    // RGB, likewise, for the usual one or two taps.
    const inStride = width * 3;
    const outStride = outWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const taps = bounds[xx * 2 + 1];
      if (taps > 2) continue; // done by the general loop below
      const first = bounds[xx * 2] * 3;
      const w0 = weights[xx * ksize];
      const w1 = taps === 2 ? weights[xx * ksize + 1] : 0; // one tap: the second term adds exactly 0
      const q = taps === 2 ? first + 3 : first;
      for (let y = 0, p = first, r = q, o = xx * 3; y < height; y++, p += inStride, r += inStride, o += outStride) {
        out[o] = clip8(HALF + src[p] * w0 + src[r] * w1);
        out[o + 1] = clip8(HALF + src[p + 1] * w0 + src[r + 1] * w1);
        out[o + 2] = clip8(HALF + src[p + 2] * w0 + src[r + 2] * w1);
      }
    }
  }
  for (let y = 0; y < height; y++) {
    const inRow = y * width * channels;
    const outRow = y * outWidth * channels;
    for (let xx = 0; xx < outWidth; xx++) {
      const first = inRow + bounds[xx * 2] * channels;
      const taps = bounds[xx * 2 + 1];
      const kBase = xx * ksize;
      const o = outRow + xx * channels;
      if (channels === 3) {
        if (taps <= 2) continue; // done above
        let a0 = HALF;
        let a1 = HALF;
        let a2 = HALF;
        for (let x = 0, p = first; x < taps; x++, p += 3) {
          const w = weights[kBase + x];
          a0 += src[p] * w;
          a1 += src[p + 1] * w;
          a2 += src[p + 2] * w;
        }
        out[o] = clip8(a0);
        out[o + 1] = clip8(a1);
        out[o + 2] = clip8(a2);
      } else {
        for (let c = 0; c < channels; c++) {
          let acc = HALF;
          for (let x = 0; x < taps; x++) acc += src[first + x * channels + c] * weights[kBase + x];
          out[o + c] = clip8(acc);
        }
      }
    }
  }
}

/** The vertical pass: rows of `rowLength` values resized from height to outHeight, whole rows at a time. */
function resizeColumns(src: Uint8Array, out: Uint8Array, height: number, rowLength: number, outHeight: number, coefficients: Coefficients): void {
  const { ksize, bounds, weights } = coefficients;
  for (let yy = 0; yy < outHeight; yy++) {
    const first = bounds[yy * 2] * rowLength;
    const taps = bounds[yy * 2 + 1];
    const kBase = yy * ksize;
    const o = yy * rowLength;
    if (taps === 1) {
      const w0 = weights[kBase];
      for (let i = 0; i < rowLength; i++) out[o + i] = clip8(HALF + src[first + i] * w0);
    } else if (taps === 2) {
      const w0 = weights[kBase];
      const w1 = weights[kBase + 1];
      const r1 = first + rowLength;
      for (let i = 0; i < rowLength; i++) out[o + i] = clip8(HALF + src[first + i] * w0 + src[r1 + i] * w1);
    } else {
      // Integer sums below 2^31: exact in float64.
      const acc = scratchFloat64('pixelate.acc', rowLength);
      acc.fill(HALF);
      for (let y = 0; y < taps; y++) {
        const w = weights[kBase + y];
        const r = first + y * rowLength;
        for (let i = 0; i < rowLength; i++) acc[i] += src[r + i] * w;
      }
      for (let i = 0; i < rowLength; i++) out[o + i] = clip8(acc[i]);
    }
  }
}

export const pixelate: Corruption = {
  name: 'pixelate',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const c = parameterFor(PIXELATE_FACTOR, context.preset, severity, 'pixelate');
    const { height, width, channels, pixels } = image;
    // int(size * c) like the reference, at least one pixel.
    const smallHeight = Math.max(1, Math.trunc(height * c));
    const smallWidth = Math.max(1, Math.trunc(width * c));
    const small = resizeBoxInto(scratchUint8('pixelate.small', smallHeight * smallWidth * channels), pixels, height, width, channels, smallHeight, smallWidth);
    return { height, width, channels, pixels: resizeBox(small, smallHeight, smallWidth, channels, height, width) };
  },
};
