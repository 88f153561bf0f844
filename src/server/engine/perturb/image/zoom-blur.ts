// zoom_blur: the mean of the image and centre crops of it zoomed back to full size (ImageNet-C / CIFAR-10-C
// definition; the crop of non-square images as in the `imagecorruptions` package, identical for square ones).
//
// The reference, reproduced here operation by operation:
//   x = float32(uint8 / 255); out = zeros (float32)
//   for each zoom factor z (np.arange(start, stop, step): length ceil((stop - start) / step), values
//   start + i * ((start + step) - start), like numpy):
//     ch = ceil(h / z), cw = ceil(w / z); top = (h - ch) // 2, left = (w - cw) // 2
//     zoomed = scipy.ndimage.zoom(x[top:top+ch, left:left+cw], (z, z, 1), order=1)
//       output size round(ch * z) (round half to even), per axis coordinate o -> o * (in - 1) / (out - 1)
//       (grid_mode False), linear weights w0 = 1 - t, w1 = 1 - w0, mode 'constant': a coordinate that lands past
//       in - 1 by a rounding error gives 0 (scipy does exactly that); computed in float64, stored as float32
//     out += zoomed[trim_top : trim_top + h, trim_left : trim_left + w], trim = (zoomed size - size) // 2 (float32)
//   x = (x + out) / (len(zooms) + 1) (float32); np.uint8(np.clip(x, 0, 1) * 255) (float32 product, truncated).
// Float32 is emulated with Float32Array stores / Math.fround, so the output is bit-identical to the reference
// except where the separable evaluation here (columns interpolated first, then rows) rounds a float64 value
// differently from scipy's 2x2 sum and that lands on a float32 and then a truncation boundary (not seen: 0
// differing values on the 10 reference cells, and on 70 random grey / RGB / non-square / tiny images checked against
// scipy 1.17 with the `imagecorruptions` crop). The factor 1.00 (and any factor whose crop and output equal the image)
// is the identity and costs one add.
//
// Other image sizes: the zoom factors are ratios, not lengths, so they stay as published at every size (the
// spatialScale rule has nothing to scale here). Any size works, including 1x1 (every zoom is then the identity);
// grey images are zoomed the same way.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters } from './common';
import { scratchFloat32, scratchFloat64 } from './scratch';

/** np.arange(start, stop, step) of the zoom factors. */
export const ZOOM_BLUR_FACTORS: PresetParameters<readonly [number, number, number]> = {
  cifar: [
    [1, 1.06, 0.01],
    [1, 1.11, 0.01],
    [1, 1.16, 0.01],
    [1, 1.21, 0.01],
    [1, 1.26, 0.01],
  ],
  imagenet: [
    [1, 1.11, 0.01],
    [1, 1.16, 0.01],
    [1, 1.21, 0.02],
    [1, 1.26, 0.02],
    [1, 1.31, 0.03],
  ],
};

/** np.arange(start, stop, step) for floats: ceil((stop - start) / step) values start + i * ((start + step) - start). */
export function numpyArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start;
  const values: number[] = [];
  for (let i = 0; i < length; i++) values.push(i === 0 ? start : i === 1 ? start + step : start + i * delta);
  return values;
}

/** Python's round() of a float to an integer: half to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Where scipy.ndimage.zoom(order=1, mode='constant', grid_mode=False) reads along one axis, for the output
 * indices first .. first + count - 1: source indices (already offset by `offset`) and weights. Output indices
 * whose coordinate falls past the last input index get weights 0 (scipy's constant mode gives cval 0 there).
 */
export interface AxisPlan {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly wLo: Float64Array;
  readonly wHi: Float64Array;
}

export function zoomAxisPlan(inLength: number, outLength: number, first: number, count: number, offset: number): AxisPlan {
  const zoom = outLength > 1 ? (inLength - 1) / (outLength - 1) : 1;
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const wLo = new Float64Array(count);
  const wHi = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const cc = (first + k) * zoom;
    if (cc > inLength - 1) {
      lo[k] = offset;
      hi[k] = offset;
      continue; // weights stay 0
    }
    const start = Math.floor(cc);
    const t = cc - start;
    const w0 = 1 - t;
    let next = start + 1;
    if (next >= inLength) {
      // scipy's mirror of the out-of-range neighbour (its weight is 0 here since t = 0)
      if (inLength <= 1) next = 0;
      else {
        const s2 = 2 * inLength - 2;
        next -= s2 * Math.trunc(next / s2);
        if (next >= inLength) next = s2 - next;
      }
    }
    lo[k] = offset + start;
    hi[k] = offset + next;
    wLo[k] = w0;
    wHi[k] = 1 - w0;
  }
  return { lo, hi, wLo, wHi };
}

/** The geometry of the reference's clipped_zoom for one size and factor. */
export interface ClippedZoom {
  /** The centre crop (rows top .. top + cropHeight - 1, columns left .. left + cropWidth - 1). */
  readonly cropHeight: number;
  readonly cropWidth: number;
  readonly top: number;
  readonly left: number;
  /** The zoomed crop's size, round(crop * z). */
  readonly zoomedHeight: number;
  readonly zoomedWidth: number;
  /** True when the result is the input itself (crop = image, zoom 1 on both axes). */
  readonly identity: boolean;
  readonly rows: AxisPlan;
  readonly columns: AxisPlan;
}

/**
 * clipped_zoom(img of height x width, z): crop ceil(size / z) at (size - crop) // 2, zoom to round(crop * z), keep the
 * centre height x width (trim (zoomed - size) // 2). For z >= 1 the crop lies inside the image; for other callers
 * whose crop is a separate array, `cropOffset` false gives plans with indices relative to the crop.
 */
export function clippedZoom(height: number, width: number, zoom: number, cropOffset = true): ClippedZoom {
  const cropHeight = Math.ceil(height / zoom);
  const cropWidth = Math.ceil(width / zoom);
  const top = Math.floor((height - cropHeight) / 2);
  const left = Math.floor((width - cropWidth) / 2);
  const zoomedHeight = roundHalfEven(cropHeight * zoom);
  const zoomedWidth = roundHalfEven(cropWidth * zoom);
  const trimTop = Math.floor((zoomedHeight - height) / 2);
  const trimLeft = Math.floor((zoomedWidth - width) / 2);
  const identity = cropHeight === height && cropWidth === width && zoomedHeight === height && zoomedWidth === width;
  return {
    cropHeight,
    cropWidth,
    top,
    left,
    zoomedHeight,
    zoomedWidth,
    identity,
    rows: zoomAxisPlan(cropHeight, zoomedHeight, trimTop, height, cropOffset ? top : 0),
    columns: zoomAxisPlan(cropWidth, zoomedWidth, trimLeft, width, cropOffset ? left : 0),
  };
}

/** The first and last source rows a row plan reads (last < 0 when every output row is outside the input). */
function rowSpan(rows: AxisPlan): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = -1;
  for (let r = 0; r < rows.lo.length; r++) {
    if (rows.wLo[r] === 0 && rows.wHi[r] === 0) continue;
    first = Math.min(first, rows.lo[r], rows.hi[r]);
    last = Math.max(last, rows.lo[r], rows.hi[r]);
  }
  return { first, last };
}

/**
 * The column pass of a bilinear resampling: source rows first .. last of HWC values (`srcWidth` columns)
 * interpolated at the plan's columns, src[lo] * wLo + src[hi] * wHi in float64, into a scratch buffer
 * ((last - first + 1) x columns.length x channels), which is returned.
 */
function interpolateColumns(src: Float64Array, srcWidth: number, channels: number, columns: AxisPlan, first: number, last: number): Float64Array {
  const { wLo, wHi } = columns;
  const outWidth = wLo.length;
  const into = scratchFloat64('zoom.columns', (last - first + 1) * outWidth * channels);
  // Source offsets of each output column's two neighbours, in values.
  const lo = new Int32Array(outWidth);
  const hi = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    lo[x] = columns.lo[x] * channels;
    hi[x] = columns.hi[x] * channels;
  }
  const srcRowLength = srcWidth * channels;
  let at = 0;
  for (let row = first; row <= last; row++) {
    const base = row * srcRowLength;
    if (channels === 3) {
      for (let x = 0; x < outWidth; x++, at += 3) {
        const p = base + lo[x];
        const q = base + hi[x];
        const wp = wLo[x];
        const wq = wHi[x];
        into[at] = src[p] * wp + src[q] * wq;
        into[at + 1] = src[p + 1] * wp + src[q + 1] * wq;
        into[at + 2] = src[p + 2] * wp + src[q + 2] * wq;
      }
    } else {
      for (let x = 0; x < outWidth; x++) {
        const p = base + lo[x];
        const q = base + hi[x];
        for (let c = 0; c < channels; c++, at++) into[at] = src[p + c] * wLo[x] + src[q + c] * wHi[x];
      }
    }
  }
  return into;
}

/**
 * Bilinear resampling (scipy.ndimage.zoom order 1 by the plans) of HWC float64 values (`srcWidth` columns per row)
 * into `out` (rows.length x columns.length x channels), in float64: all source rows the plan reads are first
 * interpolated along the columns, then output row r = (row lo_r) * wLo_r + (row hi_r) * wHi_r: the separable
 * evaluation of scipy's 2x2 sum (the same value up to float64 rounding). Rows past the last input row are 0
 * (scipy's constant mode).
 */
export function resampleBilinear(src: Float64Array, srcWidth: number, channels: number, rows: AxisPlan, columns: AxisPlan, out: Float64Array): void {
  const n = columns.lo.length * channels;
  const { first, last } = rowSpan(rows);
  const horizontal = last < 0 ? new Float64Array(0) : interpolateColumns(src, srcWidth, channels, columns, first, last);
  for (let r = 0; r < rows.lo.length; r++) {
    const wa = rows.wLo[r];
    const wb = rows.wHi[r];
    const o = r * n;
    if (wa === 0 && wb === 0) {
      out.fill(0, o, o + n);
      continue;
    }
    const a = (rows.lo[r] - first) * n;
    const b = (rows.hi[r] - first) * n;
    if (wb === 0) for (let i = 0; i < n; i++) out[o + i] = horizontal[a + i] * wa;
    else for (let i = 0; i < n; i++) out[o + i] = horizontal[a + i] * wa + horizontal[b + i] * wb;
  }
}

/**
 * The same resampling, each value rounded to float32 (scipy's float32 output) and added to the float32 `sum`
 * (numpy's float32 `out +=`); rows past the last input row add 0. With `keep`, the float32 values are also stored
 * there (0 for rows past the input), for a following zoom factor with the same geometry.
 */
export function accumulateBilinearFloat32(
  src: Float64Array,
  srcWidth: number,
  channels: number,
  rows: AxisPlan,
  columns: AxisPlan,
  sum: Float32Array,
  keep?: Float32Array,
): void {
  const n = columns.lo.length * channels;
  const { first, last } = rowSpan(rows);
  if (last < 0) {
    keep?.fill(0);
    return;
  }
  const horizontal = interpolateColumns(src, srcWidth, channels, columns, first, last);
  const f = Math.fround;
  const { lo, hi, wLo, wHi } = rows;
  for (let r = 0; r < lo.length; r++) {
    const wa = wLo[r];
    const wb = wHi[r];
    const o = r * n;
    const end = o + n;
    if (wa === 0 && wb === 0) {
      keep?.fill(0, o, end);
      continue;
    }
    let a = (lo[r] - first) * n;
    let b = (hi[r] - first) * n;
    if (keep) {
      for (let i = o; i < end; i++, a++, b++) keep[i] = horizontal[a] * wa + horizontal[b] * wb;
      for (let i = o; i < end; i++) sum[i] += keep[i];
    } else {
      // wb may be 0 (the last input row): adding horizontal[b] * 0 = +0 to a non-negative value changes nothing.
      for (let i = o; i < end; i++, a++, b++) sum[i] += f(horizontal[a] * wa + horizontal[b] * wb);
    }
  }
}

/** True when two clipped zooms of the same image size read and write exactly the same way. */
function sameGeometry(a: ClippedZoom, b: ClippedZoom): boolean {
  return (
    a.cropHeight === b.cropHeight &&
    a.cropWidth === b.cropWidth &&
    a.top === b.top &&
    a.left === b.left &&
    a.zoomedHeight === b.zoomedHeight &&
    a.zoomedWidth === b.zoomedWidth
  );
}

const geometryCache = new Map<string, ClippedZoom>();

/** clippedZoom(height, width, zoom), cached (at most 512 entries; the cache is cleared when full). */
function cachedClippedZoom(height: number, width: number, zoom: number): ClippedZoom {
  const key = `${height}x${width}@${zoom}`;
  let geometry = geometryCache.get(key);
  if (!geometry) {
    if (geometryCache.size >= 512) geometryCache.clear();
    geometry = clippedZoom(height, width, zoom);
    geometryCache.set(key, geometry);
  }
  return geometry;
}

export const zoomBlur: Corruption = {
  name: 'zoom_blur',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [start, stop, step] = parameterFor(ZOOM_BLUR_FACTORS, context.preset, severity, 'zoom_blur');
    const zooms = numpyArange(start, stop, step);
    const { height, width, channels, pixels } = image;
    const n = pixels.length;
    const f = Math.fround;
    const x = scratchFloat64('zoom_blur.x', n); // float32 values, held in float64 (exact)
    for (let i = 0; i < n; i++) x[i] = f(pixels[i] / 255);
    const sum = scratchFloat32('zoom_blur.sum', n); // every store rounds to float32, like numpy's float32 `out +=`
    sum.fill(0);
    // Neighbouring factors often give the same integer geometry on small images (at 32 px, 1.05 and 1.06 both crop
    // 31 rows and zoom them to 33): their zoomed crops are then identical, computed once and added again.
    const geometries = zooms.map((zoom) => cachedClippedZoom(height, width, zoom));
    const kept = scratchFloat32('zoom_blur.kept', n);
    for (let k = 0; k < geometries.length; k++) {
      const geometry = geometries[k];
      if (geometry.identity) {
        for (let i = 0; i < n; i++) sum[i] += x[i];
        continue;
      }
      if (k > 0 && sameGeometry(geometries[k - 1], geometry)) {
        for (let i = 0; i < n; i++) sum[i] += kept[i];
        continue;
      }
      // scipy stores the zoomed crop as float32 (fround), then it is added in float32.
      const keep = k + 1 < geometries.length && sameGeometry(geometry, geometries[k + 1]) ? kept : undefined;
      accumulateBilinearFloat32(x, width, channels, geometry.rows, geometry.columns, sum, keep);
    }
    const divisor = zooms.length + 1;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = f(f(x[i] + sum[i]) / divisor);
      out[i] = (v > 1 ? 255 : v > 0 ? f(v * 255) : 0) | 0;
    }
    return { height, width, channels, pixels: out };
  },
};
