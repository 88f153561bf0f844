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
// - The output is made one row at a time, by the plan's per-row schedule. Per step, the column passes of the two
//   source rows the output row needs are kept in a two-row ring (source row r in slot r & 1; rows are needed in
//   increasing order, so each source row is interpolated once per step). Then one sweep over the output row per four
//   steps does their row passes and float32 additions, sum = f(f(f(f(sum + v1) + v2) + v3) + v4) in the reference's
//   order (kernels with repeat counts for the rows whose steps serve several factors, the plain ones otherwise),
//   starting from x itself for the leading identity factor (float32(0 + x) = x), and the row is finished at once. A
//   row whose coordinate lies past the input adds 0 and is skipped. Finishing (finishRow): the division by the factor
//   count + 1 is a product with its inverse, and the clip is left out, both without changing a value (see there).
// - Column pass: for a zoom factor >= 1 the left source pixel advances by 0 or 1 pixel per output column, so the
//   left / right source pixels are carried in locals from one output column to the next and only a new right pixel
//   is read. Where the second weight is 0 (the last source column, scipy's mirrored neighbour; or an output past the
//   input) the right pixel read is simply the next one in memory (each row has one pixel of zero padding): it is
//   multiplied by 0, and adding +0 to the non-negative first term changes nothing.
// - All intermediate values live in plain JavaScript arrays of doubles, not typed arrays: once any ArrayBuffer in the
//   process has been detached (the corruption workers transfer their result buffers, and loading TypeScript through
//   tsx does it as well), V8 adds a detached-buffer check to every typed-array access in optimised code, which made
//   the typed-array version about twice as slow. The column passes of all steps share one array (a sweep reads it at
//   eight offsets rather than eight arrays, which keeps its loop variables in registers). The image rows, that array
//   and the sum row are kept for the next call (apply is synchronous, and a realm runs one call at a time). The input
//   and output bytes are read and written four at a time through a DataView, for the same reason.
//
// Other image sizes: the zoom factors are ratios, not lengths, so they stay as published at every size (the
// spatialScale rule has nothing to scale here). Any size works, including 1x1 (every zoom is then the identity);
// grey images are zoomed the same way.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters } from './common';
import { doubles, scratchDoubles, scratchFloat64 } from './scratch';

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

/** One distinct zoom geometry of a plan: where its output rows and columns read. */
interface ZoomStep {
  readonly identity: boolean;
  /** Per output row: source row lo (lo + 1 is read when rowWHi > 0) and the weights; both 0 past the input. */
  readonly rowLo: number[];
  readonly rowWLo: number[];
  readonly rowWHi: number[];
  /** Value offset (column * channels) of output column 0's left source pixel. */
  readonly columnStart: number;
  /** Per output column: 1 when its left source pixel is the next pixel after the previous column's, else 0. */
  readonly columnAdvance: number[];
  readonly columnWLo: number[];
  readonly columnWHi: number[];
}

/**
 * The zoomed values one output row adds, in factor order: value k = f(r[a[k] + i] * wa[k] + r[b[k] + i] * wb[k]) with r
 * the ring of column passes, added repeat[k] times (consecutive factors that share a step give the same value).
 */
interface RowTerms {
  readonly count: number;
  readonly a: number[];
  readonly b: number[];
  readonly wa: number[];
  readonly wb: number[];
  readonly repeat: number[];
  /** True when some term is added more than once. */
  readonly repeated: boolean;
}

/** The work of one output row: the column passes to make (source row `jobRows[j]` of step `jobSteps[j]`), then its terms. */
interface RowSchedule {
  readonly jobSteps: number[];
  readonly jobRows: number[];
  readonly terms: RowTerms;
}

/** Everything about one (image size, channels, factor list) that does not depend on the pixels. */
interface ZoomPlan {
  readonly steps: readonly ZoomStep[];
  /** True when the first factor is the identity: the sum then starts from x (float32(0 + x) = x). */
  readonly startsWithIdentity: boolean;
  readonly rows: readonly RowSchedule[];
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
  const columnAdvance: number[] = [];
  const columnWLo = doubles(width);
  const columnWHi = doubles(width);
  let previous = columns.lo[0];
  for (let c = 0; c < width; c++) {
    const wLo = columns.wLo[c];
    const wHi = columns.wHi[c];
    if (wHi !== 0 && columns.hi[c] !== columns.lo[c] + 1) throw new Error('zoom_blur: a column reads a source column other than lo + 1');
    // An output past the input (both weights 0) reads any pixel: keep the previous one.
    const lo = wLo === 0 && wHi === 0 ? previous : columns.lo[c];
    const advance = lo - previous;
    if (advance !== 0 && advance !== 1) throw new Error('zoom_blur: a column plan for a zoom >= 1 advances by more than a pixel');
    columnAdvance.push(advance);
    columnWLo[c] = wLo;
    columnWHi[c] = wHi;
    previous = lo;
  }
  const columnStart = columns.lo[0] * channels;
  return { identity: geometry.identity, rowLo, rowWLo, rowWHi, columnStart, columnAdvance, columnWLo, columnWHi };
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

/**
 * Per output row, its column passes and terms. Step s keeps the column passes of its last two source rows in ring slots
 * 2 s and 2 s + 1 (source row r in slot 2 s + (r & 1)); a pass is scheduled when its slot does not hold it yet. Source
 * rows are read in increasing order, so each is interpolated once per step and call.
 */
function rowSchedules(steps: readonly ZoomStep[], runs: readonly [number, number][], height: number, rowLength: number): RowSchedule[] {
  const slotRow: number[] = steps.flatMap(() => [-1, -1]);
  const schedules: RowSchedule[] = [];
  for (let y = 0; y < height; y++) {
    const jobSteps: number[] = [];
    const jobRows: number[] = [];
    const passAt = (s: number, row: number): number => {
      const slot = 2 * s + (row & 1);
      if (slotRow[slot] !== row) {
        jobSteps.push(s);
        jobRows.push(row);
        slotRow[slot] = row;
      }
      return slot * rowLength;
    };
    schedules.push({ jobSteps, jobRows, terms: rowTerms(steps, runs, y, passAt) });
  }
  return schedules;
}

/** The terms of output row y, one per run of factors; `passAt(step, source row)` gives a column pass's ring offset. */
function rowTerms(steps: readonly ZoomStep[], runs: readonly [number, number][], y: number, passAt: (s: number, row: number) => number): RowTerms {
  const terms = { count: 0, a: [] as number[], b: [] as number[], wa: doubles(runs.length), wb: doubles(runs.length), repeat: [] as number[] };
  let repeated = false;
  runs.forEach(([s, length], index) => {
    const step = steps[s];
    // The leading identity factor is the starting value of the sum.
    const repeat = index === 0 && step.identity ? length - 1 : length;
    if (repeat === 0) return;
    let a: number;
    let wa = 1;
    let wb = 0;
    if (step.identity) {
      a = passAt(s, y); // x itself: x * 1 + x * 0
    } else {
      wa = step.rowWLo[y];
      wb = step.rowWHi[y];
      if (wa === 0 && wb === 0) return; // past the input: scipy's constant 0 is added
      a = passAt(s, step.rowLo[y]);
    }
    terms.a.push(a);
    terms.b.push(wb === 0 ? a : passAt(s, step.rowLo[y] + 1));
    terms.wa[terms.count] = wa;
    terms.wb[terms.count] = wb;
    terms.repeat.push(repeat);
    repeated ||= repeat > 1;
    terms.count++;
  });
  return { ...terms, repeated };
}

function zoomPlan(height: number, width: number, channels: number, zooms: readonly number[]): ZoomPlan {
  const { steps, runs } = zoomSteps(height, width, channels, zooms);
  return {
    steps,
    startsWithIdentity: steps[runs[0][0]].identity,
    rows: rowSchedules(steps, runs, height, width * channels),
    divisor: zooms.length + 1,
  };
}

const planCache = new Map<string, ZoomPlan>();

/** The plan of an image size, channel count and (start, stop, step) factor range, cached (at most 64 entries; the cache is cleared when full). */
function cachedZoomPlan(height: number, width: number, channels: number, range: readonly [number, number, number]): ZoomPlan {
  const key = `${height}x${width}x${channels}@${range.join(',')}`;
  let plan = planCache.get(key);
  if (!plan) {
    if (planCache.size >= 64) planCache.clear();
    plan = zoomPlan(height, width, channels, numpyArange(range[0], range[1], range[2]));
    planCache.set(key, plan);
  }
  return plan;
}

/** Above this many values (scratch.ts's limit), the image rows are not kept between calls. */
const MAX_KEPT = 1 << 22;
let keptRows: number[][] = [];

/**
 * The image as float32(v / 255) values, one array per row of width * channels values plus one pixel of zero padding.
 * The arrays are reused by the next call (apply is synchronous, and a realm runs one call at a time).
 */
function imageRows(pixels: Uint8Array, height: number, rowLength: number, channels: number): number[][] {
  let rows = keptRows;
  if (rows.length !== height || rows[0].length !== rowLength + channels) {
    rows = [];
    for (let y = 0; y < height; y++) rows.push(doubles(rowLength + channels));
    keptRows = height * rowLength <= MAX_KEPT ? rows : [];
  }
  // Four bytes per read (a DataView, little-endian whatever the platform): a quarter of the typed-array accesses.
  const bytes = new DataView(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const unit = UNIT32;
  const whole = rowLength & ~3;
  for (let y = 0; y < height; y++) {
    const row = rows[y];
    const start = y * rowLength;
    for (let i = 0; i < whole; i += 4) {
      const word = bytes.getUint32(start + i, true);
      row[i] = unit[word & 255];
      row[i + 1] = unit[(word >>> 8) & 255];
      row[i + 2] = unit[(word >>> 16) & 255];
      row[i + 3] = unit[word >>> 24];
    }
    for (let i = whole; i < rowLength; i++) row[i] = unit[pixels[start + i]];
  }
  return rows;
}

/**
 * The column pass of one source row `x` for one step, in float64: out[at + c * channels + k] = left * wLo + right * wHi
 * with left / right the step's source pixels of output column c (channel k).
 */
function interpolateRow(x: number[], channels: number, step: ZoomStep, out: number[], at: number): void {
  const advance = step.columnAdvance;
  const wLo = step.columnWLo;
  const wHi = step.columnWHi;
  const count = advance.length;
  let p = step.columnStart;
  if (channels === 3) {
    let l0 = x[p];
    let l1 = x[p + 1];
    let l2 = x[p + 2];
    let r0 = x[p + 3];
    let r1 = x[p + 4];
    let r2 = x[p + 5];
    for (let c = 0; c < count; c++, at += 3) {
      if (advance[c] !== 0) {
        p += 3;
        l0 = r0;
        l1 = r1;
        l2 = r2;
        r0 = x[p + 3];
        r1 = x[p + 4];
        r2 = x[p + 5];
      }
      const wp = wLo[c];
      const wq = wHi[c];
      out[at] = l0 * wp + r0 * wq;
      out[at + 1] = l1 * wp + r1 * wq;
      out[at + 2] = l2 * wp + r2 * wq;
    }
  } else {
    let l = x[p];
    let r = x[p + 1];
    for (let c = 0; c < count; c++, at++) {
      if (advance[c] !== 0) {
        p++;
        l = r;
        r = x[p + 1];
      }
      out[at] = l * wLo[c] + r * wHi[c];
    }
  }
}

// The row pass plus float32 accumulation of one to four terms per sweep:
//   to[i] = f(...f(from[i] + v1) ... + v4), with vk = f(r[ak + i] * wak + r[bk + i] * wbk)
// where r holds the column passes and a / b are where those of source rows lo and lo + 1 start (b = a when wb = 0:
// the value is then r[a + i] * wa + 0). add1 .. add4 add each value once; addRepeated1 .. addRepeated4 add value k
// nk times, f(...f(s + vk) ... + vk), for rows where consecutive factors share a step (the small images: at 32 px most
// steps serve two factors). Two families, because the repeat counts slow down the rows that do not need them.

function add1(to: number[], from: number[], r: number[], a1: number, b1: number, wa1: number, wb1: number): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) to[i] = f(from[i] + f(r[a1 + i] * wa1 + r[b1 + i] * wb1));
}

function add2(
  to: number[],
  from: number[],
  r: number[],
  a1: number,
  b1: number,
  wa1: number,
  wb1: number,
  a2: number,
  b2: number,
  wa2: number,
  wb2: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) to[i] = f(f(from[i] + f(r[a1 + i] * wa1 + r[b1 + i] * wb1)) + f(r[a2 + i] * wa2 + r[b2 + i] * wb2));
}

function add3(
  to: number[],
  from: number[],
  r: number[],
  a1: number,
  b1: number,
  wa1: number,
  wb1: number,
  a2: number,
  b2: number,
  wa2: number,
  wb2: number,
  a3: number,
  b3: number,
  wa3: number,
  wb3: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) {
    const s = f(f(from[i] + f(r[a1 + i] * wa1 + r[b1 + i] * wb1)) + f(r[a2 + i] * wa2 + r[b2 + i] * wb2));
    to[i] = f(s + f(r[a3 + i] * wa3 + r[b3 + i] * wb3));
  }
}

function add4(
  to: number[],
  from: number[],
  r: number[],
  a1: number,
  b1: number,
  wa1: number,
  wb1: number,
  a2: number,
  b2: number,
  wa2: number,
  wb2: number,
  a3: number,
  b3: number,
  wa3: number,
  wb3: number,
  a4: number,
  b4: number,
  wa4: number,
  wb4: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) {
    const s = f(f(from[i] + f(r[a1 + i] * wa1 + r[b1 + i] * wb1)) + f(r[a2 + i] * wa2 + r[b2 + i] * wb2));
    to[i] = f(f(s + f(r[a3 + i] * wa3 + r[b3 + i] * wb3)) + f(r[a4 + i] * wa4 + r[b4 + i] * wb4));
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

function addRepeated1(to: number[], from: number[], r: number[], a1: number, b1: number, wa1: number, wb1: number, n1: number): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) to[i] = addTimes(from[i], f(r[a1 + i] * wa1 + r[b1 + i] * wb1), n1);
}

function addRepeated2(
  to: number[],
  from: number[],
  r: number[],
  a1: number,
  b1: number,
  wa1: number,
  wb1: number,
  n1: number,
  a2: number,
  b2: number,
  wa2: number,
  wb2: number,
  n2: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) {
    const s = addTimes(from[i], f(r[a1 + i] * wa1 + r[b1 + i] * wb1), n1);
    to[i] = addTimes(s, f(r[a2 + i] * wa2 + r[b2 + i] * wb2), n2);
  }
}

function addRepeated3(
  to: number[],
  from: number[],
  r: number[],
  a1: number,
  b1: number,
  wa1: number,
  wb1: number,
  n1: number,
  a2: number,
  b2: number,
  wa2: number,
  wb2: number,
  n2: number,
  a3: number,
  b3: number,
  wa3: number,
  wb3: number,
  n3: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) {
    let s = addTimes(from[i], f(r[a1 + i] * wa1 + r[b1 + i] * wb1), n1);
    s = addTimes(s, f(r[a2 + i] * wa2 + r[b2 + i] * wb2), n2);
    to[i] = addTimes(s, f(r[a3 + i] * wa3 + r[b3 + i] * wb3), n3);
  }
}

function addRepeated4(
  to: number[],
  from: number[],
  r: number[],
  a1: number,
  b1: number,
  wa1: number,
  wb1: number,
  n1: number,
  a2: number,
  b2: number,
  wa2: number,
  wb2: number,
  n2: number,
  a3: number,
  b3: number,
  wa3: number,
  wb3: number,
  n3: number,
  a4: number,
  b4: number,
  wa4: number,
  wb4: number,
  n4: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < to.length; i++) {
    let s = addTimes(from[i], f(r[a1 + i] * wa1 + r[b1 + i] * wb1), n1);
    s = addTimes(s, f(r[a2 + i] * wa2 + r[b2 + i] * wb2), n2);
    s = addTimes(s, f(r[a3 + i] * wa3 + r[b3 + i] * wb3), n3);
    to[i] = addTimes(s, f(r[a4 + i] * wa4 + r[b4 + i] * wb4), n4);
  }
}

/** sum = from plus every term of the row (float32 additions in order), up to four terms per sweep. */
function accumulate(sum: number[], from: number[], r: number[], terms: RowTerms): void {
  if (terms.count === 0) {
    for (let i = 0; i < sum.length; i++) sum[i] = from[i];
    return;
  }
  for (let t = 0; t < terms.count; from = sum) t = terms.repeated ? sweepRepeated(sum, from, r, terms, t) : sweep(sum, from, r, terms, t);
}

/** sum = from plus terms t, t + 1, ... (up to four), each added once. Returns the next term. */
function sweep(sum: number[], from: number[], r: number[], terms: RowTerms, t: number): number {
  const { count, a, b, wa, wb } = terms;
  const [u, v, w] = [t + 1, t + 2, t + 3];
  const left = count - t;
  if (left >= 4) add4(sum, from, r, a[t], b[t], wa[t], wb[t], a[u], b[u], wa[u], wb[u], a[v], b[v], wa[v], wb[v], a[w], b[w], wa[w], wb[w]);
  else if (left === 3) add3(sum, from, r, a[t], b[t], wa[t], wb[t], a[u], b[u], wa[u], wb[u], a[v], b[v], wa[v], wb[v]);
  else if (left === 2) add2(sum, from, r, a[t], b[t], wa[t], wb[t], a[u], b[u], wa[u], wb[u]);
  else add1(sum, from, r, a[t], b[t], wa[t], wb[t]);
  return t + Math.min(left, 4);
}

/** sum = from plus terms t, t + 1, ... (up to four), each added its repeat count of times. Returns the next term. */
function sweepRepeated(sum: number[], from: number[], r: number[], terms: RowTerms, t: number): number {
  const { count, a, b, wa, wb, repeat: n } = terms;
  const [u, v, w] = [t + 1, t + 2, t + 3];
  const left = count - t;
  if (left >= 4) {
    addRepeated4(sum, from, r, a[t], b[t], wa[t], wb[t], n[t], a[u], b[u], wa[u], wb[u], n[u], a[v], b[v], wa[v], wb[v], n[v], a[w], b[w], wa[w], wb[w], n[w]);
  } else if (left === 3) {
    addRepeated3(sum, from, r, a[t], b[t], wa[t], wb[t], n[t], a[u], b[u], wa[u], wb[u], n[u], a[v], b[v], wa[v], wb[v], n[v]);
  } else if (left === 2) {
    addRepeated2(sum, from, r, a[t], b[t], wa[t], wb[t], n[t], a[u], b[u], wa[u], wb[u], n[u]);
  } else {
    addRepeated1(sum, from, r, a[t], b[t], wa[t], wb[t], n[t]);
  }
  return t + Math.min(left, 4);
}

/**
 * out[o + i] = np.uint8(clip(float32(float32(x + sum) / divisor), 0, 1) * 255) (float32 product, truncated) for one
 * row, written four bytes at a time. The division is a product with 1 / divisor: float32(s * (1 / d)) =
 * float32(s / d) for every float32 s in [0, d] and every d from 2 to 32 (checked exhaustively; d is 7 to 27 here).
 * The clip is left out: x and every zoomed value are in [0, 1], so their mean is too.
 */
function finishRow(x: number[], sum: number[], divisor: number, out: DataView, o: number): void {
  const f = Math.fround;
  const n = sum.length;
  const whole = divisor <= 32 ? n & ~3 : 0;
  const inverse = 1 / divisor;
  for (let i = 0; i < whole; i += 4) {
    const b0 = f(f(f(x[i] + sum[i]) * inverse) * 255) | 0;
    const b1 = f(f(f(x[i + 1] + sum[i + 1]) * inverse) * 255) | 0;
    const b2 = f(f(f(x[i + 2] + sum[i + 2]) * inverse) * 255) | 0;
    const b3 = f(f(f(x[i + 3] + sum[i + 3]) * inverse) * 255) | 0;
    out.setUint32(o + i, b0 | (b1 << 8) | (b2 << 16) | (b3 << 24), true);
  }
  for (let i = whole; i < n; i++) out.setUint8(o + i, f(f(f(x[i] + sum[i]) / divisor) * 255) | 0);
}

/** The column pass of source row `row` of a step into ring slot 2 * stepIndex + (row & 1) (the identity copies x). */
function columnPass(x: number[][], channels: number, step: ZoomStep, stepIndex: number, row: number, ring: number[], rowLength: number): void {
  const at = (2 * stepIndex + (row & 1)) * rowLength;
  const source = x[row];
  if (step.identity) for (let i = 0; i < rowLength; i++) ring[at + i] = source[i];
  else interpolateRow(source, channels, step, ring, at);
}

let keptZero: number[] = [];
let keptSum: number[] = [];

/** A kept all-zero row and a kept sum row of `rowLength` values (see imageRows). */
function rowBuffers(rowLength: number): { zero: number[]; sum: number[] } {
  if (keptZero.length !== rowLength) {
    keptZero = doubles(rowLength);
    keptSum = doubles(rowLength);
  }
  return { zero: keptZero, sum: keptSum };
}

export const zoomBlur: Corruption = {
  name: 'zoom_blur',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const range = parameterFor(ZOOM_BLUR_FACTORS, context.preset, severity, 'zoom_blur');
    const { height, width, channels, pixels } = image;
    const rowLength = width * channels;
    const x = imageRows(pixels, height, rowLength, channels);
    const { steps, startsWithIdentity, rows, divisor } = cachedZoomPlan(height, width, channels, range);
    const ring = scratchDoubles('zoom.ring', 2 * steps.length * rowLength);
    const { zero, sum } = rowBuffers(rowLength);
    const out = new Uint8Array(pixels.length);
    const outBytes = new DataView(out.buffer);
    for (let y = 0; y < height; y++) {
      const { jobSteps, jobRows, terms } = rows[y];
      for (let j = 0; j < jobSteps.length; j++) columnPass(x, channels, steps[jobSteps[j]], jobSteps[j], jobRows[j], ring, rowLength);
      accumulate(sum, startsWithIdentity ? x[y] : zero, ring, terms);
      finishRow(x[y], sum, divisor, outBytes, y * rowLength);
    }
    return { height, width, channels, pixels: out };
  },
};
