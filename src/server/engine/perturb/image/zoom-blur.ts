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
// Float32 is emulated with Math.fround after every float32 operation, so the output is bit-identical to the
// reference except where the separable evaluation here (columns interpolated first, then rows) rounds a float64
// value differently from scipy's 2x2 sum and that lands on a float32 and then a truncation boundary (not seen: 0
// differing values on the 10 reference cells, and on 70 random grey / RGB / non-square / tiny images checked against
// scipy 1.17 with the `imagecorruptions` crop).
//
// How it is computed (the same float operations in the same order as a zoom-at-a-time loop, so the same bytes):
// - Per (image size, channels, factor list), a cached plan: per distinct zoom geometry (a "step"), where each output
//   row and column reads (source row / column lo, and lo + 1 with the second weight). Consecutive factors with the
//   same integer geometry (at 32 px, 1.05 and 1.06 both crop 31 rows and zoom them to 33) share a step: its zoomed
//   crop is computed once, and each of its values once, then added once per factor (f(f(sum + v) + v)). The factor 1
//   (and any factor whose crop and output equal the image) is the identity.
// - The output is made in bands of rows (a small image is one band: 28 or 32 px are), by the plan's schedule, in three
//   kinds of pass, each over all the rows of the band in one call (at 28 px, per-row calls cost as much as the
//   arithmetic). Everything lives in one plain array of doubles, the "values": the image rows x, a zero row, the sums
//   of the band's rows and each step's column passes, so that a loop checks one array (see the last point).
//   1. Column passes: per step, the source rows the band reads that no earlier band has made, interpolated along the
//      columns into the step's slots (source row r in slot r % slots; a band never needs more rows than there are
//      slots, so no row it reads is overwritten). Column by column, down the rows: a column's weights and source are
//      loaded once for all the rows. Where the second weight is 0 (the last source column, scipy's mirrored neighbour;
//      or an output past the input) the right value read is simply the next pixel in memory (each image row has one
//      pixel of zero padding): it is multiplied by 0, and adding +0 to the non-negative first term changes nothing.
//   2. Accumulation: one sweep per four terms (a term is a run of factors that share a step; every row has the same
//      terms) does their row passes and float32 additions, sum = f(f(f(f(sum + v1) + v2) + v3) + v4) in the
//      reference's order (kernels with repeat counts when some step serves several factors, the plain ones otherwise),
//      starting from x itself for the leading identity factor (float32(0 + x) = x). A row whose coordinate lies past a
//      step's input reads the zero row with weights 0: it adds +0, which leaves every sum as it is, as scipy's
//      constant 0 does.
//   3. Finishing (finishRows): the division by the factor count + 1 is a product with its inverse, and the clip is
//      left out, both without changing a value (see there).
// - All intermediate values live in plain JavaScript arrays of doubles, not typed arrays: once any ArrayBuffer in the
//   process has been detached (the corruption workers transfer their result buffers, and loading TypeScript through
//   tsx does it as well), V8 adds a detached-buffer check to every typed-array access in optimised code, which made
//   the typed-array version about twice as slow. Even a plain array's map and length are checked again in every loop
//   iteration, hence the single values array. The kernels copy a term's offsets and weights into locals before each
//   row's loop (as arguments they would be unboxed again at every pixel). The values array is kept for the next call
//   (apply is synchronous, and a realm runs one call at a time). The input and output bytes are read and written four
//   at a time through a DataView, for the same reason.
//
// Other image sizes: the zoom factors are ratios, not lengths, so they stay as published at every size (the
// spatialScale rule has nothing to scale here). Any size works, including 1x1 (every zoom is then the identity);
// grey images are zoomed the same way.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters } from './common';
import { doubles, scratchFloat64 } from './scratch';

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

/** float32(v / 255) for every byte value. */
const UNIT32: number[] = (() => {
  const table = doubles(256);
  for (let v = 0; v < 256; v++) table[v] = Math.fround(v / 255);
  return table;
})();

/** One distinct zoom geometry of a plan (a "step"): where its output rows and values read, and where its column passes are kept. */
interface ZoomStep {
  readonly identity: boolean;
  /** Per output row: source row lo (lo + 1 is read when rowWHi > 0) and the weights; both 0 past the input. */
  readonly rowLo: number[];
  readonly rowWLo: number[];
  readonly rowWHi: number[];
  /**
   * Per value of an output row (column * channels + channel): the offset of its left source value in a source row (the
   * right one is `channels` further on) and the two weights; both weights 0 for a column past the input.
   */
  readonly columnSource: number[];
  readonly columnWLo: number[];
  readonly columnWHi: number[];
  /** The column passes live in `slots` rows of the values array from `buffer` on: source row r in slot r % slots. */
  buffer: number;
  slots: number;
}

/** The output rows first .. end - 1 of a band, and the column passes to make before them (see ZoomPlan.bands). */
interface Band {
  readonly first: number;
  readonly end: number;
  /** Per pass: its step, first source row, row count and where its first row goes, flattened (4 numbers a pass). */
  readonly passes: number[];
}

/**
 * Everything about one (image size, channels, factor list) that does not depend on the pixels. All the float values
 * of a call live in one plain array (the "values"; see the header): the image rows (stride `stride`, the last pixel of
 * each row zero padding) at 0, a row of zeros at `zeroRow`, the sums of a band (bandHeight rows of rowLength) at
 * `sumStart`, then each step's column passes.
 */
interface ZoomPlan {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly range: readonly [number, number, number];
  readonly rowLength: number;
  readonly stride: number;
  readonly steps: readonly ZoomStep[];
  readonly bands: readonly Band[];
  readonly zeroRow: number;
  readonly sumStart: number;
  /** The size of the values array. */
  readonly length: number;
  /** True when the first factor is the identity: the sum then starts from x (float32(0 + x) = x). */
  readonly startsWithIdentity: boolean;
  /**
   * The terms every output row adds, in factor order (one per run of factors that share a step; the same list for
   * every row): term k of row y is v = f(values[a + i] * wa + values[b + i] * wb), added repeat[k] times, with a, b, wa,
   * wb at index y * termCount + k of termA, termB, termWA, termWB. A row past the step's input reads the zero row with
   * weights 0: it adds +0, which changes no sum (the sums are non-negative float32 values), as scipy's constant 0.
   */
  readonly termCount: number;
  readonly termA: number[];
  readonly termB: number[];
  readonly termWA: number[];
  readonly termWB: number[];
  readonly repeat: number[];
  /** True when some term is added more than once. */
  readonly repeated: boolean;
  /** The number of factors + 1. */
  readonly divisor: number;
}

function zoomStep(geometry: ClippedZoom, width: number, height: number, channels: number): ZoomStep {
  const { rows, columns } = geometry;
  const rowLo: number[] = [];
  const rowWLo = doubles(height);
  const rowWHi = doubles(height);
  for (let r = 0; r < height; r++) {
    if (rows.wHi[r] !== 0 && rows.hi[r] !== rows.lo[r] + 1) throw new Error('zoom_blur: a row reads a source row other than lo + 1');
    rowLo.push(rows.lo[r]);
    rowWLo[r] = rows.wLo[r];
    rowWHi[r] = rows.wHi[r];
  }
  const columnSource: number[] = [];
  const columnWLo = doubles(width * channels);
  const columnWHi = doubles(width * channels);
  let previous = columns.lo[0];
  for (let c = 0; c < width; c++) {
    const wLo = columns.wLo[c];
    const wHi = columns.wHi[c];
    if (wHi !== 0 && columns.hi[c] !== columns.lo[c] + 1) throw new Error('zoom_blur: a column reads a source column other than lo + 1');
    // An output past the input (both weights 0) may read any pixel of the row: keep the previous one.
    const lo = wLo === 0 && wHi === 0 ? previous : columns.lo[c];
    for (let k = 0; k < channels; k++) {
      columnSource.push(lo * channels + k);
      columnWLo[c * channels + k] = wLo;
      columnWHi[c * channels + k] = wHi;
    }
    previous = lo;
  }
  return { identity: geometry.identity, rowLo, rowWLo, rowWHi, columnSource, columnWLo, columnWHi, buffer: 0, slots: 0 };
}

/** The factors' steps, and the factors as runs of consecutive factors with the same step (step index, length). */
function zoomSteps(height: number, width: number, channels: number, zooms: readonly number[]): { steps: ZoomStep[]; runs: [number, number][] } {
  const steps: ZoomStep[] = [];
  const runs: [number, number][] = [];
  let previous: ClippedZoom | undefined;
  for (const zoom of zooms) {
    const geometry = clippedZoom(height, width, zoom);
    if (!previous || !sameGeometry(previous, geometry)) {
      steps.push(zoomStep(geometry, width, height, channels));
      runs.push([steps.length - 1, 0]);
    }
    runs[runs.length - 1][1]++;
    previous = geometry;
  }
  return { steps, runs };
}

/** The first and last source rows a step's output rows first .. end - 1 read (last < first when none). */
function neededRows(step: ZoomStep, first: number, end: number): { low: number; high: number } {
  let low = Number.POSITIVE_INFINITY;
  let high = -1;
  for (let y = first; y < end; y++) {
    if (step.rowWLo[y] === 0 && step.rowWHi[y] === 0) continue;
    low = Math.min(low, step.rowLo[y]);
    high = Math.max(high, step.rowWHi[y] === 0 ? step.rowLo[y] : step.rowLo[y] + 1);
  }
  return { low, high };
}

/**
 * Values kept per band at most (column passes and sums): small images are one band (every pass runs over all the
 * rows it needs at once); large ones are cut into bands whose passes stay in the processor's second-level cache.
 */
const BAND_VALUES = 1 << 17;

function zoomPlan(height: number, width: number, channels: number, range: readonly [number, number, number]): ZoomPlan {
  const zooms = numpyArange(range[0], range[1], range[2]);
  const { steps, runs } = zoomSteps(height, width, channels, zooms);
  const rowLength = width * channels;
  const stride = rowLength + channels;
  const zooming = steps.filter((step) => !step.identity);
  const bandHeight = Math.min(height, Math.max(8, Math.floor(BAND_VALUES / ((zooming.length + 1) * rowLength)) - 1));
  const bandStarts: number[] = [];
  for (let y = 0; y < height; y += bandHeight) bandStarts.push(y);

  // Slots per step: the most source rows one band reads (so a band's passes never overwrite a row it still needs).
  for (const step of zooming) {
    for (const first of bandStarts) {
      const { low, high } = neededRows(step, first, Math.min(height, first + bandHeight));
      step.slots = Math.max(step.slots, high - low + 1);
    }
  }
  const zeroRow = height * stride;
  const sumStart = zeroRow + rowLength;
  let length = sumStart + bandHeight * rowLength;
  for (const step of zooming) {
    step.buffer = length;
    length += step.slots * rowLength;
  }
  const slotOffset = (step: ZoomStep, row: number): number => step.buffer + (row % step.slots) * rowLength;

  // Per band, the source rows not made yet, in contiguous runs of slots.
  const made = steps.map(() => -1);
  const bands: Band[] = bandStarts.map((first) => {
    const end = Math.min(height, first + bandHeight);
    const passes: number[] = [];
    steps.forEach((step, s) => {
      if (step.identity) return;
      const { low, high } = neededRows(step, first, end);
      for (let row = Math.max(low, made[s] + 1); row <= high; ) {
        const count = Math.min(high - row + 1, step.slots - (row % step.slots));
        passes.push(s, row, count, slotOffset(step, row));
        row += count;
      }
      made[s] = Math.max(made[s], high);
    });
    return { first, end, passes };
  });

  // The terms: one per run (the leading identity run starts the sum with x, and adds x length - 1 times).
  const termRuns = runs
    .map(([s, length], index) => ({ step: steps[s], repeat: index === 0 && steps[s].identity ? length - 1 : length }))
    .filter((run) => run.repeat > 0);
  const termCount = termRuns.length;
  const termA: number[] = [];
  const termB: number[] = [];
  const termWA = doubles(height * termCount);
  const termWB = doubles(height * termCount);
  for (let y = 0; y < height; y++) {
    termRuns.forEach(({ step }, k) => {
      let a = zeroRow;
      let b = zeroRow;
      let wa = 0;
      let wb = 0;
      if (step.identity) {
        a = b = y * stride; // x itself: x * 1 + x * 0
        wa = 1;
      } else if (step.rowWLo[y] !== 0 || step.rowWHi[y] !== 0) {
        wa = step.rowWLo[y];
        wb = step.rowWHi[y];
        a = slotOffset(step, step.rowLo[y]);
        b = wb === 0 ? a : slotOffset(step, step.rowLo[y] + 1);
      }
      termA.push(a);
      termB.push(b);
      termWA[y * termCount + k] = wa;
      termWB[y * termCount + k] = wb;
    });
  }
  const repeat = termRuns.map((run) => run.repeat);
  return {
    height,
    width,
    channels,
    range,
    rowLength,
    stride,
    steps,
    bands,
    zeroRow,
    sumStart,
    length,
    startsWithIdentity: steps[runs[0][0]].identity,
    termCount,
    termA,
    termB,
    termWA,
    termWB,
    repeat,
    repeated: repeat.some((n) => n > 1),
    divisor: zooms.length + 1,
  };
}

const planCache = new Map<string, ZoomPlan>();
let lastPlan: ZoomPlan | undefined;

/** The plan of an image size, channel count and (start, stop, step) factor range, cached (at most 64 entries; the cache is cleared when full). */
function cachedZoomPlan(height: number, width: number, channels: number, range: readonly [number, number, number]): ZoomPlan {
  const last = lastPlan;
  if (last && last.range === range && last.height === height && last.width === width && last.channels === channels) return last;
  const key = `${height}x${width}x${channels}@${range.join(',')}`;
  let plan = planCache.get(key);
  if (!plan) {
    if (planCache.size >= 64) planCache.clear();
    plan = zoomPlan(height, width, channels, range);
    planCache.set(key, plan);
  }
  lastPlan = plan;
  return plan;
}

/** Above this many values (scratch.ts's limit), the values array is not kept between calls. */
const MAX_KEPT = 1 << 22;
let keptValues: number[] = [];

/**
 * The values array of a plan, with the image as float32(v / 255) values in its rows, their padding and the zero row
 * set to 0. The array is reused by the next call (apply is synchronous, and a realm runs one call at a time).
 */
function valuesWithImage(pixels: Uint8Array, plan: ZoomPlan): number[] {
  let values = keptValues;
  if (values.length < plan.length) {
    values = doubles(plan.length);
    keptValues = plan.length <= MAX_KEPT ? values : [];
  }
  const { height, rowLength, stride, zeroRow } = plan;
  // Four bytes per read (a DataView, little-endian whatever the platform): a quarter of the typed-array accesses.
  const bytes = new DataView(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const unit = UNIT32;
  const whole = rowLength & ~3;
  for (let y = 0; y < height; y++) {
    const start = y * rowLength;
    const row = y * stride;
    for (let i = 0; i < whole; i += 4) {
      const word = bytes.getUint32(start + i, true);
      values[row + i] = unit[word & 255];
      values[row + i + 1] = unit[(word >>> 8) & 255];
      values[row + i + 2] = unit[(word >>> 16) & 255];
      values[row + i + 3] = unit[word >>> 24];
    }
    for (let i = whole; i < rowLength; i++) values[row + i] = unit[pixels[start + i]];
    for (let i = rowLength; i < stride; i++) values[row + i] = 0;
  }
  for (let i = 0; i < rowLength; i++) values[zeroRow + i] = 0;
  return values;
}

/**
 * The column passes of `count` consecutive source rows from `firstRow` for one step, in float64, into consecutive rows
 * from `out`: value q of a row = left * wLo[q] + right * wHi[q], with left / right the step's source values of q. Column
 * by column, so that a column's weights are loaded once for all the rows; grey images do two rows per iteration, RGB
 * ones the three channels of a pixel (fewer loop iterations, each with the same per-iteration checks).
 */
function columnPasses(values: number[], plan: ZoomPlan, step: ZoomStep, firstRow: number, count: number, out: number): void {
  const { rowLength, stride, channels } = plan;
  const source = step.columnSource;
  const wLo = step.columnWLo;
  const wHi = step.columnWHi;
  const start = firstRow * stride;
  if (channels === 3) {
    for (let q = 0; q < rowLength; q += 3) {
      const wl = wLo[q];
      const wh = wHi[q];
      let a = start + source[q];
      let o = out + q;
      for (let j = 0; j < count; j++, a += stride, o += rowLength) {
        values[o] = values[a] * wl + values[a + 3] * wh;
        values[o + 1] = values[a + 1] * wl + values[a + 4] * wh;
        values[o + 2] = values[a + 2] * wl + values[a + 5] * wh;
      }
    }
    return;
  }
  for (let q = 0; q < rowLength; q++) {
    const wl = wLo[q];
    const wh = wHi[q];
    let a = start + source[q];
    let o = out + q;
    let j = 0;
    for (; j + 1 < count; j += 2, a += 2 * stride, o += 2 * rowLength) {
      values[o] = values[a] * wl + values[a + channels] * wh;
      values[o + rowLength] = values[a + stride] * wl + values[a + stride + channels] * wh;
    }
    if (j < count) values[o] = values[a] * wl + values[a + channels] * wh;
  }
}

// The row pass plus float32 accumulation of one to four terms per sweep, over the rows first .. end - 1 of a band:
//   sum[i] = f(...f(from[i] + v1) ... + v4), with vk = f(values[ak + i] * wak + values[bk + i] * wbk)
// where from is the row's sum, or for the first sweep x or the zero row (row y's `from` starts at from + (y - first) *
// fromStride). a / b are where the column passes of source rows lo and lo + 1 start (b = a when wb = 0: the value is
// then values[a + i] * wa + 0). add1 .. add4 add each value once; addRepeated1 .. addRepeated4 add value k nk times,
// f(...f(s + vk) ... + vk), for plans where consecutive factors share a step (the small images: at 32 px most steps
// serve two factors). Two families, because the repeat counts slow down the plans that do not need them. The kernels
// read the term offsets and weights into locals before each row's loop, so they stay untagged in registers.

function add1(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart } = plan;
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) values[to + i] = f(values[fr + i] + f(values[a1 + i] * wa1 + values[b1 + i] * wb1));
  }
}

function add2(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart } = plan;
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const a2 = termA[k + 1], b2 = termB[k + 1], wa2 = termWA[k + 1], wb2 = termWB[k + 1];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) {
      const s = f(values[fr + i] + f(values[a1 + i] * wa1 + values[b1 + i] * wb1));
      values[to + i] = f(s + f(values[a2 + i] * wa2 + values[b2 + i] * wb2));
    }
  }
}

function add3(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart } = plan;
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const a2 = termA[k + 1], b2 = termB[k + 1], wa2 = termWA[k + 1], wb2 = termWB[k + 1];
    const a3 = termA[k + 2], b3 = termB[k + 2], wa3 = termWA[k + 2], wb3 = termWB[k + 2];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) {
      let s = f(values[fr + i] + f(values[a1 + i] * wa1 + values[b1 + i] * wb1));
      s = f(s + f(values[a2 + i] * wa2 + values[b2 + i] * wb2));
      values[to + i] = f(s + f(values[a3 + i] * wa3 + values[b3 + i] * wb3));
    }
  }
}

function add4(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart } = plan;
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const a2 = termA[k + 1], b2 = termB[k + 1], wa2 = termWA[k + 1], wb2 = termWB[k + 1];
    const a3 = termA[k + 2], b3 = termB[k + 2], wa3 = termWA[k + 2], wb3 = termWB[k + 2];
    const a4 = termA[k + 3], b4 = termB[k + 3], wa4 = termWA[k + 3], wb4 = termWB[k + 3];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) {
      let s = f(values[fr + i] + f(values[a1 + i] * wa1 + values[b1 + i] * wb1));
      s = f(s + f(values[a2 + i] * wa2 + values[b2 + i] * wb2));
      s = f(s + f(values[a3 + i] * wa3 + values[b3 + i] * wb3));
      values[to + i] = f(s + f(values[a4 + i] * wa4 + values[b4 + i] * wb4));
    }
  }
}

/** f(...f(s + v) ... + v) with n >= 1 additions of v (float32, in order; no loop for the usual n = 1 or 2). */
function addTimes(s: number, v: number, n: number): number {
  const f = Math.fround;
  s = f(s + v);
  if (n === 1) return s;
  s = f(s + v);
  for (let k = 2; k < n; k++) s = f(s + v);
  return s;
}

function addRepeated1(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart, repeat } = plan;
  const n1 = repeat[t];
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) values[to + i] = addTimes(values[fr + i], f(values[a1 + i] * wa1 + values[b1 + i] * wb1), n1);
  }
}

function addRepeated2(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart, repeat } = plan;
  const n1 = repeat[t], n2 = repeat[t + 1];
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const a2 = termA[k + 1], b2 = termB[k + 1], wa2 = termWA[k + 1], wb2 = termWB[k + 1];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) {
      const s = addTimes(values[fr + i], f(values[a1 + i] * wa1 + values[b1 + i] * wb1), n1);
      values[to + i] = addTimes(s, f(values[a2 + i] * wa2 + values[b2 + i] * wb2), n2);
    }
  }
}

function addRepeated3(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart, repeat } = plan;
  const n1 = repeat[t], n2 = repeat[t + 1], n3 = repeat[t + 2];
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const a2 = termA[k + 1], b2 = termB[k + 1], wa2 = termWA[k + 1], wb2 = termWB[k + 1];
    const a3 = termA[k + 2], b3 = termB[k + 2], wa3 = termWA[k + 2], wb3 = termWB[k + 2];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) {
      let s = addTimes(values[fr + i], f(values[a1 + i] * wa1 + values[b1 + i] * wb1), n1);
      s = addTimes(s, f(values[a2 + i] * wa2 + values[b2 + i] * wb2), n2);
      values[to + i] = addTimes(s, f(values[a3 + i] * wa3 + values[b3 + i] * wb3), n3);
    }
  }
}

function addRepeated4(values: number[], plan: ZoomPlan, t: number, first: number, end: number, from: number, fromStride: number): void {
  const f = Math.fround;
  const { termA, termB, termWA, termWB, termCount, rowLength: n, sumStart, repeat } = plan;
  const n1 = repeat[t], n2 = repeat[t + 1], n3 = repeat[t + 2], n4 = repeat[t + 3];
  for (let y = first; y < end; y++) {
    const k = y * termCount + t;
    const a1 = termA[k], b1 = termB[k], wa1 = termWA[k], wb1 = termWB[k];
    const a2 = termA[k + 1], b2 = termB[k + 1], wa2 = termWA[k + 1], wb2 = termWB[k + 1];
    const a3 = termA[k + 2], b3 = termB[k + 2], wa3 = termWA[k + 2], wb3 = termWB[k + 2];
    const a4 = termA[k + 3], b4 = termB[k + 3], wa4 = termWA[k + 3], wb4 = termWB[k + 3];
    const to = sumStart + (y - first) * n;
    const fr = from + (y - first) * fromStride;
    for (let i = 0; i < n; i++) {
      let s = addTimes(values[fr + i], f(values[a1 + i] * wa1 + values[b1 + i] * wb1), n1);
      s = addTimes(s, f(values[a2 + i] * wa2 + values[b2 + i] * wb2), n2);
      s = addTimes(s, f(values[a3 + i] * wa3 + values[b3 + i] * wb3), n3);
      values[to + i] = addTimes(s, f(values[a4 + i] * wa4 + values[b4 + i] * wb4), n4);
    }
  }
}

/** The sums of the band's rows: `from` (x or the zero row, see the kernels) plus every term, up to four terms per sweep. */
function accumulate(values: number[], plan: ZoomPlan, first: number, end: number): void {
  const { termCount, repeated, sumStart, rowLength } = plan;
  let from = plan.startsWithIdentity ? first * plan.stride : plan.zeroRow;
  let fromStride = plan.startsWithIdentity ? plan.stride : 0;
  if (termCount === 0) {
    for (let y = first; y < end; y++) {
      const to = sumStart + (y - first) * rowLength;
      const fr = from + (y - first) * fromStride;
      for (let i = 0; i < rowLength; i++) values[to + i] = values[fr + i];
    }
    return;
  }
  for (let t = 0; t < termCount; t += 4) {
    const left = termCount - t;
    if (repeated) {
      if (left >= 4) addRepeated4(values, plan, t, first, end, from, fromStride);
      else if (left === 3) addRepeated3(values, plan, t, first, end, from, fromStride);
      else if (left === 2) addRepeated2(values, plan, t, first, end, from, fromStride);
      else addRepeated1(values, plan, t, first, end, from, fromStride);
    } else {
      if (left >= 4) add4(values, plan, t, first, end, from, fromStride);
      else if (left === 3) add3(values, plan, t, first, end, from, fromStride);
      else if (left === 2) add2(values, plan, t, first, end, from, fromStride);
      else add1(values, plan, t, first, end, from, fromStride);
    }
    from = sumStart;
    fromStride = rowLength;
  }
}

/**
 * out[y * rowLength + i] = np.uint8(clip(float32(float32(x + sum) / divisor), 0, 1) * 255) (float32 product,
 * truncated) for the band's rows, written four bytes at a time. The division is a product with 1 / divisor:
 * float32(s * (1 / d)) = float32(s / d) for every float32 s in [0, d] and every d from 2 to 32 (checked exhaustively;
 * d is 7 to 27 here). The clip is left out: x and every zoomed value are in [0, 1], so their mean is too.
 */
function finishRows(values: number[], plan: ZoomPlan, first: number, end: number, out: DataView): void {
  const f = Math.fround;
  const { rowLength: n, stride, sumStart, divisor } = plan;
  const whole = divisor <= 32 ? n & ~3 : 0;
  const inverse = 1 / divisor;
  for (let y = first; y < end; y++) {
    const x = y * stride;
    const sum = sumStart + (y - first) * n;
    const o = y * n;
    for (let i = 0; i < whole; i += 4) {
      const b0 = f(f(f(values[x + i] + values[sum + i]) * inverse) * 255) | 0;
      const b1 = f(f(f(values[x + i + 1] + values[sum + i + 1]) * inverse) * 255) | 0;
      const b2 = f(f(f(values[x + i + 2] + values[sum + i + 2]) * inverse) * 255) | 0;
      const b3 = f(f(f(values[x + i + 3] + values[sum + i + 3]) * inverse) * 255) | 0;
      out.setUint32(o + i, b0 | (b1 << 8) | (b2 << 16) | (b3 << 24), true);
    }
    for (let i = whole; i < n; i++) out.setUint8(o + i, f(f(f(values[x + i] + values[sum + i]) / divisor) * 255) | 0);
  }
}

export const zoomBlur: Corruption = {
  name: 'zoom_blur',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const range = parameterFor(ZOOM_BLUR_FACTORS, context.preset, severity, 'zoom_blur');
    const { height, width, channels, pixels } = image;
    const plan = cachedZoomPlan(height, width, channels, range);
    const values = valuesWithImage(pixels, plan);
    const out = new Uint8Array(pixels.length);
    const outBytes = new DataView(out.buffer);
    const { steps } = plan;
    for (const { first, end, passes } of plan.bands) {
      for (let p = 0; p < passes.length; p += 4) columnPasses(values, plan, steps[passes[p]], passes[p + 1], passes[p + 2], passes[p + 3]);
      accumulate(values, plan, first, end);
      finishRows(values, plan, first, end, outBytes);
    }
    return { height, width, channels, pixels: out };
  },
};
