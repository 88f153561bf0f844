// pixelate: box-resize down to int(size * c), box-resize back up (ImageNet-C / CIFAR-10-C definition, done there
// with PIL's Image.resize(..., BOX) on uint8 images). This reproduces Pillow's resampling exactly: coefficients
// from precompute_coeffs with the box filter (support 0.5), normalised, turned into 22-bit fixed point, rounding
// accumulator, horizontal pass first with a uint8 intermediate, then the vertical pass.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters } from './common';

/** Size factor of the intermediate (smaller is stronger). */
export const PIXELATE_FACTOR: PresetParameters<number> = {
  cifar: [0.95, 0.9, 0.85, 0.75, 0.65],
  imagenet: [0.6, 0.5, 0.4, 0.3, 0.25],
};

const PRECISION_BITS = 32 - 8 - 2;

interface Coefficients {
  /** Kernel width per output pixel. */
  readonly ksize: number;
  /** First input index and tap count per output pixel. */
  readonly bounds: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  readonly weights: Int32Array;
}

function boxFilter(x: number): number {
  return x > -0.5 && x <= 0.5 ? 1 : 0;
}

const coefficientCache = new Map<string, Coefficients>();

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the BOX filter, resizing inSize -> outSize. */
function boxCoefficients(inSize: number, outSize: number): Coefficients {
  const key = `${inSize}>${outSize}`;
  const cached = coefficientCache.get(key);
  if (cached) return cached;
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
  const result = { ksize, bounds, weights };
  coefficientCache.set(key, result);
  return result;
}

function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Pillow's Image.resize(size, Image.BOX) for a uint8 HWC image with any number of channels. */
export function resizeBox(src: Uint8Array, height: number, width: number, channels: number, outHeight: number, outWidth: number): Uint8Array {
  // Horizontal pass (skipped when the width does not change, like Pillow).
  let horizontal = src;
  if (outWidth !== width) {
    horizontal = new Uint8Array(height * outWidth * channels);
    resizeRows(src, horizontal, height, width, channels, outWidth);
  }
  if (outHeight === height) return horizontal === src ? new Uint8Array(src) : horizontal;
  const out = new Uint8Array(outHeight * outWidth * channels);
  resizeColumns(horizontal, out, height, outWidth * channels, outHeight);
  return out;
}

/** The horizontal pass: every row resized from width to outWidth (integer arithmetic, exact in any order). */
function resizeRows(src: Uint8Array, out: Uint8Array, height: number, width: number, channels: number, outWidth: number): void {
  const { ksize, bounds, weights } = boxCoefficients(width, outWidth);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < height; y++) {
    const inRow = y * width * channels;
    const outRow = y * outWidth * channels;
    for (let xx = 0; xx < outWidth; xx++) {
      const first = inRow + bounds[xx * 2] * channels;
      const taps = bounds[xx * 2 + 1];
      const kBase = xx * ksize;
      const o = outRow + xx * channels;
      if (channels === 3) {
        let a0 = half;
        let a1 = half;
        let a2 = half;
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
          let acc = half;
          for (let x = 0; x < taps; x++) acc += src[first + x * channels + c] * weights[kBase + x];
          out[o + c] = clip8(acc);
        }
      }
    }
  }
}

/** The vertical pass: rows of `rowLength` values resized from height to outHeight, whole rows at a time. */
function resizeColumns(src: Uint8Array, out: Uint8Array, height: number, rowLength: number, outHeight: number): void {
  const { ksize, bounds, weights } = boxCoefficients(height, outHeight);
  const half = 1 << (PRECISION_BITS - 1);
  const acc = new Int32Array(rowLength);
  for (let yy = 0; yy < outHeight; yy++) {
    const first = bounds[yy * 2] * rowLength;
    const taps = bounds[yy * 2 + 1];
    const kBase = yy * ksize;
    const o = yy * rowLength;
    if (taps === 1) {
      const w0 = weights[kBase];
      for (let i = 0; i < rowLength; i++) out[o + i] = clip8(half + src[first + i] * w0);
    } else if (taps === 2) {
      const w0 = weights[kBase];
      const w1 = weights[kBase + 1];
      const r1 = first + rowLength;
      for (let i = 0; i < rowLength; i++) out[o + i] = clip8(half + src[first + i] * w0 + src[r1 + i] * w1);
    } else {
      acc.fill(half);
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
    const small = resizeBox(pixels, height, width, channels, smallHeight, smallWidth);
    return { height, width, channels, pixels: resizeBox(small, smallHeight, smallWidth, channels, height, width) };
  },
};
