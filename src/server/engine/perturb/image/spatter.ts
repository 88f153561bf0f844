// spatter (ImageNet-C / CIFAR-10-C "extra" corruption): a liquid layer of thresholded blurred noise, drawn as water
// drops (mode 0) or mud (mode 1). Published parameters per severity: (loc, scale, sigma, threshold, intensity, mode).
//
// Reference (both scripts, only the parameters differ), on x = float32(image) / 255:
//   liquid = N(loc, scale) of H x W                                   (float64, one normal per pixel, row-major)
//   liquid = gaussian_filter(liquid, sigma, mode 'nearest', truncate 4); liquid[liquid < threshold] = 0
// Water (mode 0):
//   L = uint8(liquid * 255)                                           (truncating cast; wraps above 255 like numpy)
//   edges = cv2.Canny(L, 50, 150); d = cv2.distanceTransform(255 - edges, DIST_L2, 5)
//   d = min(d, 20); d = uint8(cv2.blur(d, 3x3)); d = cv2.equalizeHist(d)
//   d = cv2.filter2D(d, CV_8U, [[-2,-1,0],[-1,1,1],[0,1,2]]); d = float32(cv2.blur(d, 3x3))
//   m = L * d; m /= max(m); m *= intensity
//   out = clip(x + m * (175, 238, 238) / 255, 0, 1) * 255            (pale turquoise, added per RGB channel)
// Mud (mode 1):
//   m = gaussian_filter(float32(liquid > threshold), intensity, mode 'nearest', truncate 4); m[m < 0.8] = 0
//   out = clip(x * (1 - m) + m * (63, 42, 20) / 255, 0, 1) * 255      (brown)
// then the truncating uint8 cast. (In mud mode the "intensity" column is a blur sigma in pixels.)
//
// This is a faithful re-implementation of every OpenCV step for these inputs: Canny with the 3x3 Sobel on a
// replicated border, the L1 gradient |dx| + |dy|, OpenCV's integer non-maximum suppression (tan 22.5 degrees in
// 15-bit fixed point; ">" on one side and ">=" on the other as OpenCV does) and 8-connected hysteresis; the 5x5
// chamfer distance transform with OpenCV's fixed-point metrics (1, 1.4, 2.1969 in 16.16) and its border; box blurs
// with BORDER_REFLECT_101 (float: float32 of the double sum / 9; uint8: rounded); equalizeHist with its float32
// lookup table and rounding; filter2D with reflect-101 and saturation; float32 arithmetic where the reference has
// float32 arrays. With numpy's random stream replayed, the outputs equal the reference outputs pixel for pixel
// (see test/unit/corruption-weather.test.ts); with our own random stream the change statistics match.
//
// How it is computed (the same operations in the same order, so the same bytes): the working arrays of an image size
// are kept for the next call (apply is synchronous), in padded layouts where that spares the 3x3 operators and the
// blurs any index clamping (the reflected borders of the distances, shade and relief are filled once per call); the
// gaussian filter goes row by row (each row's axis-0 pass into a padded row that its axis-1 pass reads); blur weights
// of radii up to 4 sit in locals; the 3x3 operators carry their column sums or inputs along the row in locals;
// Canny's and the chamfer transform's tests, unpredictable on blurred noise, are 0 / 1 numbers and branch-free integer
// minima (minima do not depend on their order); the histogram is counted while the shade is made, and equalizeHist's
// table stops at the largest shade; pixels without liquid take a precomputed output byte.
//
// Other image sizes (s = spatialScale(image, preset)): the lengths in pixels are scaled: the noise blur sigma, the
// mud blur sigma, and the distance cap 20 (min(255, 20 s), unrounded; it bounds the shading depth of the drops).
// The 3x3 operators (Sobel, blurs, the relief kernel) and the Canny thresholds (gradient levels) stay as published.
// Grey (1-channel) images get the colours' luminance: 0.299 R + 0.587 G + 0.114 B of (175, 238, 238) and
// (63, 42, 20).
// Random draws: H*W normals (context.random.normal(), loc + scale * z, drawn in one bulk fillNormal: the same
// values in the same order), nothing else.
// Deviation: when the water layer ends up empty (max(m) = 0, no liquid above the threshold or no shading), the
// reference divides 0 by 0 and returns an all-black image (NaN cast to uint8); we return the image unchanged.
// Any image size works (1x1 included).
import type { Corruption, CorruptionContext, Image, RandomSource } from '../../types';
import { fillNormal } from '../random';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { reflect101 } from './defocus-blur';
import { gaussianKernel1d } from './gaussian-blur';
import { scratchFloat64 } from './scratch';

/** (loc, scale, sigma, threshold, intensity (mud: blur sigma), mode 0 = water / 1 = mud). */
export const SPATTER_PARAMETERS: PresetParameters<readonly [number, number, number, number, number, 0 | 1]> = {
  cifar: [
    [0.62, 0.1, 0.7, 0.7, 0.5, 0],
    [0.65, 0.1, 0.8, 0.7, 0.5, 0],
    [0.65, 0.3, 1, 0.69, 0.5, 0],
    [0.65, 0.1, 0.7, 0.69, 0.6, 1],
    [0.65, 0.1, 0.5, 0.68, 0.6, 1],
  ],
  imagenet: [
    [0.65, 0.3, 4, 0.69, 0.6, 0],
    [0.65, 0.3, 3, 0.68, 0.6, 0],
    [0.65, 0.3, 2, 0.68, 0.5, 0],
    [0.65, 0.3, 1, 0.65, 1.5, 1],
    [0.67, 0.4, 1, 0.65, 1.5, 1],
  ],
};

const f32 = Math.fround;

const WATER_RGB = [175, 238, 238] as const;
const MUD_RGB = [63, 42, 20] as const;

/** Round half to even (cvRound / lrint). */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** The float32 colour values of the reference (c / 255 cast to float32), or their luminance for grey images. */
function colourValues(rgb: readonly [number, number, number], channels: number): Float64Array {
  if (channels === 3) return Float64Array.from(rgb, (c) => f32(c / 255));
  return Float64Array.of(f32((0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255));
}

/** The colours per channel count (index 1: grey, 3: RGB). */
const WATER_COLOURS = [new Float64Array(0), colourValues(WATER_RGB, 1), new Float64Array(0), colourValues(WATER_RGB, 3)];
const MUD_COLOURS = [new Float64Array(0), colourValues(MUD_RGB, 1), new Float64Array(0), colourValues(MUD_RGB, 3)];

/** float32(v / 255) for every byte value: the reference's float32(image) / 255. */
const UNIT32: Float64Array = (() => {
  const table = new Float64Array(256);
  for (let v = 0; v < 256; v++) table[v] = f32(v / 255);
  return table;
})();

/** np.uint8(np.clip(v, 0, 1) * 255) of a float32 value v (float32 product, truncated; NaN gives 0). */
function blendByte(v: number): number {
  return v > 1 ? 255 : v > 0 ? f32(v * 255) | 0 : 0;
}

/**
 * The output byte of every input byte where the liquid layer m is 0: with x = float32(byte / 255), the water blend
 * f32(x + f32(0 * colour)) and the mud blend f32(f32(x * 1) + f32(colour * 0)) are both x (colours are positive, so
 * 0 * colour is +0), which blendByte turns back into a byte.
 */
const UNCHANGED: Uint8Array = Uint8Array.from(UNIT32, blendByte);

const TG22 = Math.trunc(0.4142135623730950488016887242097 * (1 << 15) + 0.5);
const DIST_MAX = 0x7fffffff >> 2;
const HV_DIST = 65536; // cvRound(1 * 2^16)
const DIAG_DIST = 91750; // cvRound(1.4 * 2^16)
const LONG_DIST = 143978; // cvRound(2.1969 * 2^16)

/**
 * The working arrays of one image size (height x width = n pixels). "Padded" planes have a border of one pixel
 * ((height + 2) x (width + 2)), all with the same indexing; the chamfer plane a border of two. Borders that never
 * change are set at creation.
 */
interface Workspace {
  readonly height: number;
  readonly width: number;
  /** n values: the blurred liquid (or mud cover). */
  readonly liquid: Float64Array;
  /** Padded: the liquid level L (border replicated per call), the Sobel derivatives, their L1 magnitude (border 0). */
  readonly level: Uint8Array;
  readonly gradientX: Int32Array;
  readonly gradientY: Int32Array;
  readonly magnitude: Int32Array;
  /** Padded: the Canny map (border 1). */
  readonly edgeMap: Uint8Array;
  /** The Canny hysteresis stack (each pixel is pushed at most once). */
  readonly stack: Int32Array;
  /** Fixed-point chamfer distances with a two-pixel border at "infinity". */
  readonly chamfer: Int32Array;
  /** Padded, borders reflected (BORDER_REFLECT_101) per call: the capped distances, the uint8 shade, the relief. */
  readonly distance: Float64Array;
  readonly shade: Uint8Array;
  readonly relief: Uint8Array;
  /** n values: the shading m = L * d. */
  readonly shading: Int32Array;
}

function createWorkspace(height: number, width: number): Workspace {
  const n = height * width;
  const padded = (height + 2) * (width + 2);
  return {
    height,
    width,
    liquid: new Float64Array(n),
    level: new Uint8Array(padded),
    gradientX: new Int32Array(padded),
    gradientY: new Int32Array(padded),
    magnitude: new Int32Array(padded),
    edgeMap: new Uint8Array(padded).fill(1),
    stack: new Int32Array(n),
    chamfer: new Int32Array((height + 4) * (width + 4)).fill(DIST_MAX),
    distance: new Float64Array(padded),
    shade: new Uint8Array(padded),
    relief: new Uint8Array(padded),
    shading: new Int32Array(n),
  };
}

/**
 * Images up to this many pixels (512 x 512: a workspace of about 12 MB) keep their workspace for the next call
 * (apply is synchronous: one call at a time), for the two most recent sizes.
 */
const MAX_KEPT_PIXELS = 1 << 18;
const MAX_KEPT_WORKSPACES = 2;
const workspaces: Workspace[] = [];

/** The workspace of an image size: a kept one, or a new one (kept unless the image is large). */
function workspaceFor(height: number, width: number): Workspace {
  for (const workspace of workspaces) if (workspace.height === height && workspace.width === width) return workspace;
  const workspace = createWorkspace(height, width);
  if (height * width <= MAX_KEPT_PIXELS) {
    if (workspaces.length >= MAX_KEPT_WORKSPACES) workspaces.pop();
    workspaces.unshift(workspace);
  }
  return workspace;
}

/** The radius of a gaussianKernel1d kernel. */
function radiusOf(kernel: Float64Array): number {
  return (kernel.length - 1) >> 1;
}

/**
 * A scratch plane for gaussianNearestPlane's input: height + 2 * radius rows of width values, the image rows from row
 * `radius` on (filled by the caller, then replicateEdgeRows).
 */
function rowPaddedPlane(name: string, height: number, width: number, radius: number): Float64Array {
  return scratchFloat64(name, (height + 2 * radius) * width);
}

/** Fills the `radius` rows above and below the image rows of a rowPaddedPlane with copies of the first / last row. */
function replicateEdgeRows(values: Float64Array, height: number, width: number, radius: number): void {
  const first = radius * width;
  const last = (radius + height - 1) * width;
  for (let k = 1; k <= radius; k++) {
    values.copyWithin(first - k * width, first, first + width);
    values.copyWithin(last + k * width, last, last + width);
  }
}

/**
 * scipy.ndimage.gaussian_filter of one plane with mode 'nearest' (skimage.filters.gaussian's default), with scipy's
 * arithmetic: axis 0 then axis 1 (into `out`), each output = centre * x + sum over k = r .. 1 of (x[-k] + x[+k]) * w[k]
 * in double, in that order (the same operations as gaussianFilterHWC, so bit-identical to it and to scipy). `values`
 * is a rowPaddedPlane for the kernel's radius. With `float32`, every pass stores float32 values, as scipy does for a
 * float32 array. Computed row by row: the axis-0 pass of an output row goes into an edge-replicated padded row, which
 * the axis-1 pass reads (no intermediate plane, no copy).
 */
function gaussianNearestPlane(values: Float64Array, height: number, width: number, kernel: Float64Array, float32: boolean, out: Float64Array): void {
  const radius = radiusOf(kernel);
  const row = scratchFloat64('spatter.row', width + 2 * radius);
  for (let y = 0; y < height; y++) {
    if (radius <= 4) blurColumnsIntoRow(values, y, width, kernel, float32, row);
    else blurColumnsIntoRowWide(values, y, width, kernel, float32, row);
    const first = row[radius];
    const last = row[radius + width - 1];
    for (let p = 0; p < radius; p++) {
      row[p] = first;
      row[radius + width + p] = last;
    }
    if (radius <= 4) blurPaddedRow(row, width, kernel, float32, out, y * width);
    else blurPaddedRowWide(row, width, kernel, float32, out, y * width);
  }
}

/**
 * The axis-0 pass of gaussianNearestPlane for output row y (radius at most 4, weights in locals), reading the
 * replicated rows of the rowPaddedPlane past the edges, into row[radius ..].
 */
function blurColumnsIntoRow(values: Float64Array, y: number, width: number, kernel: Float64Array, float32: boolean, row: Float64Array): void {
  const radius = radiusOf(kernel);
  // Up to four taps, weights and row strides in locals (radius r uses taps r .. 1, in that order).
  const centre = kernel[radius];
  const w1 = radius >= 1 ? kernel[radius + 1] : 0;
  const w2 = radius >= 2 ? kernel[radius + 2] : 0;
  const w3 = radius >= 3 ? kernel[radius + 3] : 0;
  const w4 = radius >= 4 ? kernel[radius + 4] : 0;
  const s2 = 2 * width;
  const s3 = 3 * width;
  const s4 = 4 * width;
  for (let x = 0, at = (y + radius) * width; x < width; x++, at++) {
    let sum = centre * values[at];
    if (radius >= 4) sum += (values[at - s4] + values[at + s4]) * w4;
    if (radius >= 3) sum += (values[at - s3] + values[at + s3]) * w3;
    if (radius >= 2) sum += (values[at - s2] + values[at + s2]) * w2;
    if (radius >= 1) sum += (values[at - width] + values[at + width]) * w1;
    row[radius + x] = float32 ? f32(sum) : sum;
  }
}

/** blurColumnsIntoRow for radii above 4, two values per iteration (they share the weight loads). */
function blurColumnsIntoRowWide(values: Float64Array, y: number, width: number, kernel: Float64Array, float32: boolean, row: Float64Array): void {
  const radius = radiusOf(kernel);
  const centre = kernel[radius];
  const offset = (y + radius) * width;
  let x = 0;
  for (; x + 1 < width; x += 2) {
    const at = offset + x;
    let sum0 = centre * values[at];
    let sum1 = centre * values[at + 1];
    for (let k = radius, kw = radius * width; k >= 1; k--, kw -= width) {
      const w = kernel[radius + k];
      sum0 += (values[at - kw] + values[at + kw]) * w;
      sum1 += (values[at + 1 - kw] + values[at + 1 + kw]) * w;
    }
    row[radius + x] = float32 ? f32(sum0) : sum0;
    row[radius + x + 1] = float32 ? f32(sum1) : sum1;
  }
  for (; x < width; x++) {
    const at = offset + x;
    let sum = centre * values[at];
    for (let k = radius, kw = radius * width; k >= 1; k--, kw -= width) sum += (values[at - kw] + values[at + kw]) * kernel[radius + k];
    row[radius + x] = float32 ? f32(sum) : sum;
  }
}

/** The axis-1 pass of gaussianNearestPlane on one padded row (radius at most 4, weights in locals) into out[o ..]. */
function blurPaddedRow(padded: Float64Array, width: number, kernel: Float64Array, float32: boolean, out: Float64Array, o: number): void {
  const radius = radiusOf(kernel);
  const centre = kernel[radius];
  const w1 = radius >= 1 ? kernel[radius + 1] : 0;
  const w2 = radius >= 2 ? kernel[radius + 2] : 0;
  const w3 = radius >= 3 ? kernel[radius + 3] : 0;
  const w4 = radius >= 4 ? kernel[radius + 4] : 0;
  for (let x = 0, c = radius; x < width; x++, c++) {
    let sum = centre * padded[c];
    if (radius >= 4) sum += (padded[c - 4] + padded[c + 4]) * w4;
    if (radius >= 3) sum += (padded[c - 3] + padded[c + 3]) * w3;
    if (radius >= 2) sum += (padded[c - 2] + padded[c + 2]) * w2;
    if (radius >= 1) sum += (padded[c - 1] + padded[c + 1]) * w1;
    out[o + x] = float32 ? f32(sum) : sum;
  }
}

/** The axis-1 pass of gaussianNearestPlane on one padded row for radii above 4, two values per iteration (they share the weight loads). */
function blurPaddedRowWide(padded: Float64Array, width: number, kernel: Float64Array, float32: boolean, out: Float64Array, o: number): void {
  const radius = radiusOf(kernel);
  const centre = kernel[radius];
  let x = 0;
  for (; x + 1 < width; x += 2) {
    const c = radius + x;
    let sum0 = centre * padded[c];
    let sum1 = centre * padded[c + 1];
    for (let k = radius; k >= 1; k--) {
      const w = kernel[radius + k];
      sum0 += (padded[c - k] + padded[c + k]) * w;
      sum1 += (padded[c + 1 - k] + padded[c + 1 + k]) * w;
    }
    out[o + x] = float32 ? f32(sum0) : sum0;
    out[o + x + 1] = float32 ? f32(sum1) : sum1;
  }
  for (; x < width; x++) {
    const c = radius + x;
    let sum = centre * padded[c];
    for (let k = radius; k >= 1; k--) sum += (padded[c - k] + padded[c + k]) * kernel[radius + k];
    out[o + x] = float32 ? f32(sum) : sum;
  }
}

/**
 * The level L = np.uint8(liquid * 255) (truncating, wrapping) of the liquid with liquid[liquid < threshold] = 0, into
 * the padded plane `level`, whose border replicates the edge pixels (the Sobel operator's BORDER_REPLICATE).
 */
function liquidLevels(liquid: Float64Array, threshold: number, height: number, width: number, level: Uint8Array): void {
  const pw = width + 2;
  for (let y = 0; y < height; y++) {
    const o = y * width;
    const at = (y + 1) * pw + 1;
    for (let x = 0; x < width; x++) {
      const v = liquid[o + x];
      level[at + x] = ((v * 255) & 255) * Number(v >= threshold); // Number(boolean): no branch to mispredict
    }
    level[at - 1] = level[at];
    level[at + width] = level[at + width - 1];
  }
  level.copyWithin(0, pw, 2 * pw);
  level.copyWithin((height + 1) * pw, height * pw, (height + 1) * pw);
}

/**
 * The 3x3 Sobel derivatives of the padded `level` and Canny's L1 magnitude |dx| + |dy| at every pixel, into the
 * padded planes, from per-column sums carried along the row in locals: dx = smooth[x + 1] - smooth[x - 1] with
 * smooth = up + 2 mid + down, and dy = diff[x - 1] + 2 diff[x] + diff[x + 1] with diff = down - up (integers: exact in
 * any order).
 */
function sobelGradients(level: Uint8Array, ws: Workspace): void {
  const { height, width, gradientX, gradientY, magnitude } = ws;
  const pw = width + 2;
  for (let y = 1; y <= height; y++) {
    const mid = y * pw;
    const up = mid - pw;
    const down = mid + pw;
    // The column sums at x - 1 (left) and x (centre); the loop reads column x + 1 (right).
    let smoothLeft = level[up] + 2 * level[mid] + level[down];
    let diffLeft = level[down] - level[up];
    let smoothCentre = level[up + 1] + 2 * level[mid + 1] + level[down + 1];
    let diffCentre = level[down + 1] - level[up + 1];
    for (let x = 1; x <= width; x++) {
      const u = level[up + x + 1];
      const d = level[down + x + 1];
      const smoothRight = u + 2 * level[mid + x + 1] + d;
      const diffRight = d - u;
      const dx = smoothRight - smoothLeft;
      const dy = diffLeft + 2 * diffCentre + diffRight;
      gradientX[mid + x] = dx;
      gradientY[mid + x] = dy;
      magnitude[mid + x] = Math.abs(dx) + Math.abs(dy);
      smoothLeft = smoothCentre;
      smoothCentre = smoothRight;
      diffLeft = diffCentre;
      diffCentre = diffRight;
    }
  }
}

/**
 * OpenCV's Canny non-maximum suppression (tan 22.5 degrees in 15-bit fixed point; ">" on one side and ">=" on the
 * other, ">" on both along a diagonal) with the thresholds: every pixel of the padded `edgeMap` becomes 2 (edge, also
 * pushed on `stack`), 0 (weak candidate) or 1 (not an edge). Returns the stack size. Pixels at or below `low` (most
 * of them, in patches: a predictable branch) are skipped; the other tests are 0 / 1 numbers (Number(boolean)) rather
 * than branches, as their outcomes on blurred noise are unpredictable.
 */
function suppressNonMaxima(ws: Workspace, low: number, high: number): number {
  const { height, width, gradientX, gradientY, magnitude, edgeMap, stack } = ws;
  const pw = width + 2;
  let count = 0;
  for (let y = 1; y <= height; y++) {
    for (let j = y * pw + 1, end = j + width; j < end; j++) {
      const m = magnitude[j];
      if (m <= low) {
        edgeMap[j] = 1;
        continue;
      }
      const xs = gradientX[j];
      const ys = gradientY[j];
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * 32768;
      const tg22x = ax * TG22;
      const horizontal = Number(ay < tg22x);
      const vertical = Number(ay > tg22x + ax * 65536);
      const diagonal = 1 - horizontal - vertical;
      const sign = 1 - 2 * Number((xs ^ ys) < 0); // -1 when the derivatives have opposite signs
      const step = horizontal + vertical * pw + diagonal * (pw + sign);
      // m > before, and m >= after (m > after on a diagonal); integers, so m >= after is m > after - 1.
      const maximum = Number(m > magnitude[j - step]) & Number(m > magnitude[j + step] + diagonal - 1);
      const strong = maximum & Number(m > high);
      edgeMap[j] = 1 - maximum + 2 * strong;
      stack[count] = j;
      count += strong;
    }
  }
  return count;
}

/** Canny's hysteresis: grows the edges (2) of the padded `edgeMap` into 8-connected weak candidates (0). */
function traceEdges(edgeMap: Uint8Array, width: number, stack: Int32Array, count: number): void {
  const pw = width + 2;
  while (count > 0) {
    const at = stack[--count];
    for (let dy = -pw; dy <= pw; dy += pw) {
      for (let n = at + dy - 1; n <= at + dy + 1; n++) {
        if (edgeMap[n] === 0) {
          edgeMap[n] = 2;
          stack[count++] = n;
        }
      }
    }
  }
}

/** min(a, b) without a branch, for int32 values whose difference is an int32 (the chamfer minima are unpredictable). */
function minInt(a: number, b: number): number {
  const d = a - b;
  return b + (d & (d >> 31));
}

/**
 * cv2.distanceTransform(255 - edges, DIST_L2, 5), capped: the two-pass 5x5 chamfer distance to the edges (2 in the
 * padded `edgeMap`) in 16.16 fixed point, pixels outside the image at "infinity", as float32 values; each value above
 * `cap` becomes `cap`. Integer minima do not depend on their order, so each pass takes them branch-free over values
 * carried from column to column (the 5 + 2 mask values above / below, and the value just written).
 */
function cappedChamferDistance(edgeMap: Uint8Array, height: number, width: number, chamfer: Int32Array, cap: number, distance: Float64Array): void {
  chamferForward(edgeMap, height, width, chamfer);
  chamferBackward(height, width, chamfer, cap, distance);
}

/** The forward pass: edge pixels 0, others the minimum over the mask's upper half (rows y - 2, y - 1 and x - 1). */
function chamferForward(edgeMap: Uint8Array, height: number, width: number, chamfer: Int32Array): void {
  const step = width + 4;
  const pw = width + 2;
  for (let y = 0; y < height; y++) {
    const row = (y + 2) * step + 2;
    const edgeRow = (y + 1) * pw + 1;
    const r1 = row - step;
    const r2 = row - 2 * step;
    // Row y - 1 at x - 2 .. x + 1 (a .. d), row y - 2 at x - 1 and x (p, q), and the value at x - 1.
    let a = chamfer[r1 - 2];
    let b = chamfer[r1 - 1];
    let c = chamfer[r1];
    let d = chamfer[r1 + 1];
    let p = chamfer[r2 - 1];
    let q = chamfer[r2];
    let left = DIST_MAX;
    for (let x = 0; x < width; x++) {
      const e = chamfer[r1 + x + 2];
      const s = chamfer[r2 + x + 1];
      const above = minInt(minInt(minInt(p, s), minInt(a, e)) + LONG_DIST, minInt(minInt(b, d) + DIAG_DIST, c + HV_DIST));
      // 0 on an edge (2), else the minimum; only the last step depends on the previous column.
      left = minInt(above & ((edgeMap[edgeRow + x] >> 1) - 1), left + HV_DIST);
      chamfer[row + x] = left;
      a = b;
      b = c;
      c = d;
      d = e;
      p = q;
      q = s;
    }
  }
}

/**
 * The backward pass (the mask's lower half, rows y + 1, y + 2 and x + 1), then the float32 distance, capped, into the
 * padded `distance` (its border reflected at the end). OpenCV only updates values above 1 (in 16.16): the others are 0
 * or 1 and every candidate is at least 1, so the minimum keeps them as they are.
 */
function chamferBackward(height: number, width: number, chamfer: Int32Array, cap: number, distance: Float64Array): void {
  const step = width + 4;
  const scale = 1 / 65536;
  for (let y = height - 1; y >= 0; y--) {
    const row = (y + 2) * step + 2;
    const r1 = row + step;
    const r2 = row + 2 * step;
    const last = width - 1;
    const out = (y + 1) * (width + 2) + 1;
    // Row y + 1 at x + 2 .. x - 1 (a .. d), row y + 2 at x + 1 and x (p, q), and the value at x + 1.
    let a = chamfer[r1 + last + 2];
    let b = chamfer[r1 + last + 1];
    let c = chamfer[r1 + last];
    let d = chamfer[r1 + last - 1];
    let p = chamfer[r2 + last + 1];
    let q = chamfer[r2 + last];
    let right = DIST_MAX;
    for (let x = last; x >= 0; x--) {
      const e = chamfer[r1 + x - 2];
      const s = chamfer[r2 + x - 1];
      const below = minInt(minInt(minInt(p, s), minInt(a, e)) + LONG_DIST, minInt(minInt(b, d) + DIAG_DIST, c + HV_DIST));
      right = minInt(minInt(chamfer[row + x], below), right + HV_DIST);
      chamfer[row + x] = right;
      // float32(float32(right) * scale) capped: below 2^24 (every uncapped value, as cap <= 255) right * 2^-16 is
      // exact in float32, above it both exceed the cap. (A float minimum: no branch, no boxing.)
      distance[out + x] = Math.min(right * scale, cap);
      a = b;
      b = c;
      c = d;
      d = e;
      p = q;
      q = s;
    }
  }
  reflectBorder(distance, height, width);
}

/**
 * Fills the one-pixel border of a padded (height + 2) x (width + 2) plane with BORDER_REFLECT_101 copies of its
 * pixels (a single row or column reflects onto itself), so that 3x3 operators read it without index clamping.
 */
function reflectBorder(plane: Float64Array | Uint8Array, height: number, width: number): void {
  const pw = width + 2;
  const left = 1 + reflect101(-1, width);
  const right = 1 + reflect101(width, width);
  for (let at = pw, end = (height + 1) * pw; at < end; at += pw) {
    plane[at] = plane[at + left];
    plane[at + width + 1] = plane[at + right];
  }
  const top = (1 + reflect101(-1, height)) * pw;
  const bottom = (1 + reflect101(height, height)) * pw;
  plane.copyWithin(0, top, top + pw);
  plane.copyWithin((height + 1) * pw, bottom, bottom + pw);
}

/**
 * shade = np.uint8 of cv2.blur(distance, 3x3) (BORDER_REFLECT_101, from the padded `distance`; float32 of the double
 * 3x3 sum / 9, then truncated and wrapped by astype) into the padded `shade`, and the histogram of the shade values
 * (for equalizeHist). The sum is taken over column sums carried along the row: the distances are float32 values below
 * 256 that are the cap or multiples of 2^-16, and the cap (at least float32(20 / 224)) is a multiple of 2^-27, so
 * every partial sum of nine is exact in double and the order of the additions does not matter.
 */
function blurredShade(distance: Float64Array, height: number, width: number, shade: Uint8Array, hist: Int32Array): void {
  hist.fill(0);
  const pw = width + 2;
  for (let y = 1; y <= height; y++) {
    const mid = y * pw;
    const up = mid - pw;
    const down = mid + pw;
    let left = distance[up] + distance[mid] + distance[down];
    let centre = distance[up + 1] + distance[mid + 1] + distance[down + 1];
    for (let x = 1; x <= width; x++) {
      const right = distance[up + x + 1] + distance[mid + x + 1] + distance[down + x + 1];
      const v = f32((left + centre + right) * (1 / 9)) & 255;
      shade[mid + x] = v;
      hist[v]++;
      left = centre;
      centre = right;
    }
  }
}

const histogram = new Int32Array(256);
const equalized = new Uint8Array(256);

/**
 * cv2.equalizeHist of the n = height x width pixels of the padded `shade` with their histogram `hist`, in place, then
 * the reflected border.
 */
function equalizeHist(shade: Uint8Array, height: number, width: number, hist: Int32Array): void {
  let i = 0;
  while (hist[i] === 0) i++;
  const total = height * width;
  if (hist[i] === total) {
    shade.fill(i); // (the border too)
    return;
  }
  const scale = f32(255 / (total - hist[i]));
  const lut = equalized;
  // Entries past the largest value (the distances are capped: few values occur) are not needed.
  let top = 255;
  while (hist[top] === 0) top--;
  let sum = 0;
  lut[i++] = 0;
  for (; i <= top; i++) {
    sum += hist[i];
    const v = rint(f32(sum * scale));
    lut[i] = v > 255 ? 255 : v;
  }
  // The whole padded plane (its stale border values map to some byte too), then the border from the new pixels.
  for (let k = 0; k < shade.length; k++) shade[k] = lut[shade[k]];
  reflectBorder(shade, height, width);
}

/** The relief kernel's sums -1020 .. 1275 (at index sum + 1020) saturated to 0 .. 255. */
const SATURATED: Uint8Array = (() => {
  const table = new Uint8Array(1020 + 1275 + 1);
  for (let v = -1020; v <= 1275; v++) table[v + 1020] = v < 0 ? 0 : v > 255 ? 255 : v;
  return table;
})();

/**
 * cv2.filter2D(shade, CV_8U, [[-2,-1,0],[-1,1,1],[0,1,2]]) with BORDER_REFLECT_101 (the padded `shade`) and
 * saturation, into the padded `relief` (then its border). The kernel's inputs are carried along the row: three loads
 * per pixel.
 */
function reliefFilter(shade: Uint8Array, height: number, width: number, relief: Uint8Array): void {
  const pw = width + 2;
  for (let y = 1; y <= height; y++) {
    const mid = y * pw;
    const up = mid - pw;
    const down = mid + pw;
    // Row y - 1 at x - 1 and x, row y at x - 1 and x, row y + 1 at x; the loop reads row y and row y + 1 at x + 1.
    let upLeft = shade[up];
    let upCentre = shade[up + 1];
    let midLeft = shade[mid];
    let midCentre = shade[mid + 1];
    let downCentre = shade[down + 1];
    for (let x = 1; x <= width; x++) {
      const midRight = shade[mid + x + 1];
      const downRight = shade[down + x + 1];
      const v = -2 * upLeft - upCentre - midLeft + midCentre + midRight + downCentre + 2 * downRight;
      relief[mid + x] = SATURATED[v + 1020];
      upLeft = upCentre;
      upCentre = shade[up + x + 1];
      midLeft = midCentre;
      midCentre = midRight;
      downCentre = downRight;
    }
  }
  reflectBorder(relief, height, width);
}

/** Math.round(s / 9) for every sum s of nine bytes. */
const ROUNDED_NINTH: Uint8Array = (() => {
  const table = new Uint8Array(9 * 255 + 1);
  for (let s = 0; s < table.length; s++) table[s] = Math.round(s / 9);
  return table;
})();

/**
 * The water shading m = L * round(cv2.blur(relief, 3x3)) (BORDER_REFLECT_101 from the padded `relief`; the uint8 blur
 * rounds the sum / 9, an integer sum taken over column sums carried along the row) into `shading`, L read from the
 * padded `level`. Returns max(m).
 */
function shadingMap(relief: Uint8Array, level: Uint8Array, height: number, width: number, shading: Int32Array): number {
  const pw = width + 2;
  let max = 0;
  for (let y = 1; y <= height; y++) {
    const mid = y * pw;
    const up = mid - pw;
    const down = mid + pw;
    const o = (y - 1) * width - 1;
    let left = relief[up] + relief[mid] + relief[down];
    let centre = relief[up + 1] + relief[mid + 1] + relief[down + 1];
    for (let x = 1; x <= width; x++) {
      const right = relief[up + x + 1] + relief[mid + x + 1] + relief[down + x + 1];
      const m = level[mid + x] * ROUNDED_NINTH[left + centre + right];
      shading[o + x] = m;
      if (m > max) max = m;
      left = centre;
      centre = right;
    }
  }
  return max;
}

/** The water shading of the reference (before normalisation) into ws.shading, from the liquid in ws.liquid. Returns max(m). */
function waterShading(ws: Workspace, threshold: number, distanceCap: number): number {
  const { height, width } = ws;
  liquidLevels(ws.liquid, threshold, height, width, ws.level);
  sobelGradients(ws.level, ws);
  const strong = suppressNonMaxima(ws, 50, 150);
  traceEdges(ws.edgeMap, width, ws.stack, strong);
  cappedChamferDistance(ws.edgeMap, height, width, ws.chamfer, distanceCap, ws.distance);
  blurredShade(ws.distance, height, width, ws.shade, histogram);
  equalizeHist(ws.shade, height, width, histogram);
  reliefFilter(ws.shade, height, width, ws.relief);
  return shadingMap(ws.relief, ws.level, height, width, ws.shading);
}

/**
 * The water blend in float32: m /= max(m) (float32 / float32), m *= intensity (numpy casts the Python float to
 * float32), out = uint8(clip(x + m * colour, 0, 1) * 255). Pixels with m = 0 (no liquid: large patches, so the branch
 * is predictable) take the UNCHANGED byte.
 */
function blendWater(pixels: Uint8Array, channels: number, shading: Int32Array, max: number, intensity: number, out: Uint8Array): void {
  const colour = WATER_COLOURS[channels];
  const maxF = f32(max);
  const intensityF = f32(intensity);
  const n = shading.length;
  if (channels === 1) {
    const c0 = colour[0];
    for (let p = 0; p < n; p++) {
      const s = shading[p];
      if (s === 0) {
        out[p] = UNCHANGED[pixels[p]];
        continue;
      }
      const m = f32(f32(f32(s) / maxF) * intensityF);
      out[p] = blendByte(f32(UNIT32[pixels[p]] + f32(m * c0)));
    }
    return;
  }
  const c0 = colour[0];
  const c1 = colour[1];
  const c2 = colour[2];
  for (let p = 0, b = 0; p < n; p++, b += 3) {
    const s = shading[p];
    if (s === 0) {
      out[b] = UNCHANGED[pixels[b]];
      out[b + 1] = UNCHANGED[pixels[b + 1]];
      out[b + 2] = UNCHANGED[pixels[b + 2]];
      continue;
    }
    const m = f32(f32(f32(s) / maxF) * intensityF);
    out[b] = blendByte(f32(UNIT32[pixels[b]] + f32(m * c0)));
    out[b + 1] = blendByte(f32(UNIT32[pixels[b + 1]] + f32(m * c1)));
    out[b + 2] = blendByte(f32(UNIT32[pixels[b + 2]] + f32(m * c2)));
  }
}

/**
 * The mud blend in float32 of the blurred mask, m[m < 0.8] = 0: out = uint8(clip(x * (1 - m) + m * colour, 0, 1) *
 * 255). Most pixels have m = 0 (in large patches, so the branch is predictable): those take the UNCHANGED byte.
 */
function blendMud(pixels: Uint8Array, channels: number, cover: Float64Array, out: Uint8Array): void {
  const colour = MUD_COLOURS[channels];
  const n = cover.length;
  if (channels === 1) {
    const c0 = colour[0];
    for (let p = 0; p < n; p++) {
      const m = f32(cover[p]);
      if (m < 0.8) {
        out[p] = UNCHANGED[pixels[p]];
        continue;
      }
      const keep = f32(1 - m);
      out[p] = blendByte(f32(f32(UNIT32[pixels[p]] * keep) + f32(c0 * m)));
    }
    return;
  }
  const c0 = colour[0];
  const c1 = colour[1];
  const c2 = colour[2];
  for (let p = 0, b = 0; p < n; p++, b += 3) {
    const m = f32(cover[p]);
    if (m < 0.8) {
      out[b] = UNCHANGED[pixels[b]];
      out[b + 1] = UNCHANGED[pixels[b + 1]];
      out[b + 2] = UNCHANGED[pixels[b + 2]];
      continue;
    }
    const keep = f32(1 - m);
    out[b] = blendByte(f32(f32(UNIT32[pixels[b]] * keep) + f32(c0 * m)));
    out[b + 1] = blendByte(f32(f32(UNIT32[pixels[b + 1]] * keep) + f32(c1 * m)));
    out[b + 2] = blendByte(f32(f32(UNIT32[pixels[b + 2]] * keep) + f32(c2 * m)));
  }
}

/** The liquid layer gaussian_filter(N(loc, spread) of H x W, sigma) into ws.liquid (one normal per pixel, row-major). */
function blurredLiquid(ws: Workspace, random: RandomSource, loc: number, spread: number, sigma: number): void {
  const { height, width } = ws;
  const n = height * width;
  const kernel = gaussianKernel1d(sigma);
  const radius = radiusOf(kernel);
  const noise = rowPaddedPlane('spatter.noise', height, width, radius);
  const at = radius * width;
  fillNormal(random, noise, n, at); // the normals in bulk (same values, same order), then scaled in place
  for (let i = at, end = at + n; i < end; i++) noise[i] = loc + spread * noise[i];
  replicateEdgeRows(noise, height, width, radius);
  gaussianNearestPlane(noise, height, width, kernel, false, ws.liquid);
}

/**
 * The mud cover gaussian_filter(float32(liquid > threshold), sigma) in float32, from ws.liquid into ws.liquid. (The
 * reference first sets the liquid below the threshold to 0, which cannot change the comparison with a positive
 * threshold.)
 */
function mudCover(ws: Workspace, threshold: number, sigma: number): Float64Array {
  const { height, width, liquid } = ws;
  const n = height * width;
  const kernel = gaussianKernel1d(sigma);
  const radius = radiusOf(kernel);
  const mask = rowPaddedPlane('spatter.mask', height, width, radius);
  for (let i = 0, at = radius * width; i < n; i++) mask[at + i] = Number(liquid[i] > threshold);
  replicateEdgeRows(mask, height, width, radius);
  gaussianNearestPlane(mask, height, width, kernel, true, liquid);
  return liquid;
}

export const spatter: Corruption = {
  name: 'spatter',
  benchmark: false,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [loc, spread, sigma, threshold, intensity, mode] = parameterFor(SPATTER_PARAMETERS, context.preset, severity, 'spatter');
    const { height, width, channels, pixels } = image;
    const scale = spatialScale(image, context.preset);
    const ws = workspaceFor(height, width);
    blurredLiquid(ws, context.random, loc, spread, sigma * scale);

    const out = new Uint8Array(pixels.length);
    if (mode === 0) {
      const max = waterShading(ws, threshold, f32(Math.min(255, 20 * scale)));
      if (!(max > 0)) out.set(pixels);
      else blendWater(pixels, channels, ws.shading, max, intensity, out);
    } else {
      blendMud(pixels, channels, mudCover(ws, threshold, intensity * scale), out);
    }
    return { height, width, channels, pixels: out };
  },
};
