// snow: a layer of motion-blurred snow flakes added to a brightened image (ImageNet-C / CIFAR-10-C definition).
//
// The reference (the original scripts; every step below is reproduced, float32 where the reference is float32):
//   x = float32(uint8) / 255                                    (float32)
//   layer = N(loc, scale) of size H x W (float64); layer = clipped_zoom(layer, zoom) (centre crop ceil(H / zoom),
//   bilinear zoom back, centre trim: the zoom_blur code); layer[layer < threshold] = 0
//   layer = uint8(clip(layer, 0, 1) * 255)                      (truncated: the PIL image handed to ImageMagick)
//   layer = motion blur (radius, sigma) at an angle uniform in [-135, -45) degrees (the flakes fall downwards),
//           with ImageMagick's Q16 output quantisation: the motion_blur code; then / 255 (float64)
//   gray = 0.299 R + 0.587 G + 0.114 B                          (cv2 RGB2GRAY, float32; a grey image's value itself)
//   x = blend * x + (1 - blend) * max(x, gray * 1.5 + 0.5)      (float32)
//   out = np.uint8(np.clip(x + layer + rot180(layer), 0, 1) * 255)   (float64, truncated)
// With the reference's own random numbers (numpy seed 0) this pipeline reproduces all 10 reference cells (both
// presets, severities 1-5) with 0 differing values; the `imagecorruptions` variant (blur the float layer, round
// once at the end) differs by 1-2 grey levels on up to 20% of the values.
//
// Random draws, in this order: the normals of the noise crop row by row (loc + scale * `context.random.normal()`,
// numpy's formula; drawn in one bulk fillNormal, the same values in the same order), then one `next()` for the
// angle. Only the ceil(H / z) x ceil(W / z) centre crop of the reference's H x W noise layer is ever used, so only
// that crop is drawn (same distribution, far fewer draws at zoom 3-4.5).
//
// Other image sizes (spatialScale s = min(height, width) / nominal side): the motion blur's sigma -> sigma * s and
// radius -> max(1, round(radius * s)) as in motion_blur; the zoom factor is the size of one noise cell in pixels,
// a length, so it becomes max(1, zoom * s) (a cell is never smaller than a pixel; this also bounds the noise
// drawn by the image size). loc, scale, threshold and blend are intensities and stay. At the nominal size s = 1
// and the published parameters are used unchanged. Any image size works, 1x1 included.
// Speed (same results bit for bit): the thresholded layer is mostly 0 (0.5-16% of its pixels are flakes), so the zoom
// is thresholded as it goes into a list of flakes, and the motion blur scatters the flakes tap by tap instead of
// gathering every tap for every pixel (see blurFlakes: the same float64 additions in the same order, the zero terms
// left out). The final blend reads per-byte float32 tables (x / 255, the grey products, the blend terms; cached per
// blend weight) in loops specialised for 1 and 3 channels, the grey one quantising the layer as it goes. The zoom
// plans, the blur kernels and all work arrays are cached or reused; hot loops use plain arrays (see motion-blur.ts).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { fillNormal } from '../random';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { blurredByte, motionBlurTapsInto, newTapList, scaledMotionParameters, type TapList } from './motion-blur';
import { doubles, scratchDoubles, scratchFloat64 } from './scratch';
import { clippedZoom } from './zoom-blur';

/** (loc, scale, zoom, threshold, blur radius, blur sigma, blend). */
export const SNOW_PARAMETERS: PresetParameters<readonly [number, number, number, number, number, number, number]> = {
  cifar: [
    [0.1, 0.2, 1, 0.6, 8, 3, 0.95],
    [0.1, 0.2, 1, 0.5, 10, 4, 0.9],
    [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
    [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85],
    [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
  ],
  imagenet: [
    [0.1, 0.3, 3, 0.5, 10, 4, 0.8],
    [0.2, 0.3, 2, 0.5, 12, 4, 0.7],
    [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
    [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65],
    [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
  ],
};

/** The angle range of the snow layer's motion blur, degrees. */
export const SNOW_ANGLE: readonly [number, number] = [-135, -45];

/**
 * The zoom of the noise crop for one (height, width, zoom), in plain arrays (see motion-blur.ts: no typed arrays in
 * the hot loops), with crop-relative indices: clippedZoom's row and column plans and the span of crop rows the row
 * plan reads.
 */
interface NoiseZoom {
  readonly cropHeight: number;
  readonly cropWidth: number;
  /** True when the layer is the crop itself (zoom 1). */
  readonly identity: boolean;
  /** The first and last crop rows read (last < first when none is). */
  readonly firstRow: number;
  readonly lastRow: number;
  /** Per output row: the two crop rows and their weights (both weights 0 past the crop: scipy's constant 0). */
  readonly rowLo: number[];
  readonly rowHi: number[];
  readonly rowWLo: number[];
  readonly rowWHi: number[];
  /** Per output column: the two crop columns and their weights. */
  readonly columnLo: number[];
  readonly columnHi: number[];
  readonly columnWLo: number[];
  readonly columnWHi: number[];
}

const zoomCache = new Map<string, NoiseZoom>();
/** The last noise zoom returned and its (height, width, zoom): a repeated request skips building the string key. */
let lastZoom: NoiseZoom | undefined;
let lastZoomKey = [0, 0, 0];

/** The noise zoom of clippedZoom(height, width, zoom), cached (at most 16 entries: both presets at two sizes). */
function noiseZoom(height: number, width: number, zoom: number): NoiseZoom {
  if (lastZoom && lastZoomKey[0] === height && lastZoomKey[1] === width && lastZoomKey[2] === zoom) return lastZoom;
  const key = `${height}/${width}/${zoom}`;
  let cached = zoomCache.get(key);
  if (!cached) {
    const { cropHeight, cropWidth, identity, rows, columns } = clippedZoom(height, width, zoom, false);
    // zoom-blur's resampleBilinear reads the crop rows (plan lo and hi) of every output row whose weights are not both 0.
    let firstRow = Number.POSITIVE_INFINITY;
    let lastRow = -1;
    for (let r = 0; r < height; r++) {
      if (rows.wLo[r] === 0 && rows.wHi[r] === 0) continue;
      firstRow = Math.min(firstRow, rows.lo[r], rows.hi[r]);
      lastRow = Math.max(lastRow, rows.lo[r], rows.hi[r]);
    }
    const plain = (a: ArrayLike<number>): number[] => Array.from(a);
    cached = {
      cropHeight,
      cropWidth,
      identity,
      firstRow: lastRow < 0 ? 0 : firstRow,
      lastRow,
      rowLo: plain(rows.lo),
      rowHi: plain(rows.hi),
      rowWLo: plain(rows.wLo),
      rowWHi: plain(rows.wHi),
      columnLo: plain(columns.lo),
      columnHi: plain(columns.hi),
      columnWLo: plain(columns.wLo),
      columnWHi: plain(columns.wHi),
    };
    if (zoomCache.size >= 16) zoomCache.clear();
    zoomCache.set(key, cached);
  }
  lastZoom = cached;
  lastZoomKey = [height, width, zoom];
  return cached;
}

/**
 * The non-zero pixels ("flakes") of the thresholded uint8 layer, split into inner pixels (not on the image border)
 * and border pixels, which the motion blur treats differently (edge replication). Plain arrays reused by every call;
 * the first innerCount / borderCount entries are valid.
 */
const flakes = {
  innerCount: 0,
  innerIndex: [] as number[],
  innerRow: [] as number[],
  innerColumn: [] as number[],
  innerValue: [] as number[],
  borderCount: 0,
  borderRow: [] as number[],
  borderColumn: [] as number[],
  borderValue: [] as number[],
};

/** Flake lists longer than this (a very large image) are not kept for the next call. */
const MAX_KEPT_FLAKES = 1 << 20;

function releaseFlakes(): void {
  for (const list of [flakes.innerIndex, flakes.innerRow, flakes.innerColumn, flakes.innerValue, flakes.borderRow, flakes.borderColumn, flakes.borderValue]) list.length = 0;
}

/** Appends `value` (a byte, > 0) at (row, column) to the flakes. */
function addFlake(row: number, column: number, value: number, height: number, width: number): void {
  const list = flakes;
  if (row > 0 && row < height - 1 && column > 0 && column < width - 1) {
    const k = list.innerCount++;
    if (k < list.innerIndex.length) {
      list.innerIndex[k] = row * width + column;
      list.innerRow[k] = row;
      list.innerColumn[k] = column;
      list.innerValue[k] = value;
    } else {
      list.innerIndex.push(row * width + column);
      list.innerRow.push(row);
      list.innerColumn.push(column);
      list.innerValue.push(value);
    }
  } else {
    const k = list.borderCount++;
    if (k < list.borderRow.length) {
      list.borderRow[k] = row;
      list.borderColumn[k] = column;
      list.borderValue[k] = value;
    } else {
      list.borderRow.push(row);
      list.borderColumn.push(column);
      list.borderValue.push(value);
    }
  }
}

/** threshold, then np.uint8(np.clip(v, 0, 1) * 255) of one layer value, recorded as a flake unless it is 0. */
function thresholdValue(v: number, threshold: number, row: number, column: number, height: number, width: number): void {
  if (v < threshold) return;
  const byte = v >= 1 ? 255 : Math.trunc(v * 255);
  if (byte !== 0) addFlake(row, column, byte, height, width);
}

/**
 * Draws the noise crop, zooms it (zoom_blur's resampleBilinear: the column pass over the crop rows read, then per
 * output row lo * wLo (+ hi * wHi), the same float64 operations in the same order) and thresholds it into `flakes`.
 */
function drawFlakes(height: number, width: number, zoom: NoiseZoom, loc: number, scale: number, threshold: number, random: CorruptionContext['random']): void {
  flakes.innerCount = 0;
  flakes.borderCount = 0;
  const { cropHeight, cropWidth } = zoom;
  const cropLength = cropHeight * cropWidth;
  const noise = scratchDoubles('snow.noise', cropLength);
  const normals = scratchFloat64('snow.normals', cropLength);
  fillNormal(random, normals, cropLength); // the normals in bulk (same values, same order), then scaled
  for (let i = 0; i < cropLength; i++) noise[i] = loc + scale * normals[i];
  if (zoom.identity) {
    for (let y = 0, i = 0; y < height; y++) for (let x = 0; x < width; x++, i++) thresholdValue(noise[i], threshold, y, x, height, width);
    return;
  }
  const { firstRow, lastRow, columnLo, columnHi, columnWLo, columnWHi, rowLo, rowHi, rowWLo, rowWHi } = zoom;
  if (lastRow < 0) return; // every output row past the crop: all 0
  // The column pass: crop rows firstRow .. lastRow interpolated at the output columns, column by column (a column's
  // plan is read once).
  const horizontal = scratchDoubles('snow.horizontal', (lastRow - firstRow + 1) * width);
  for (let x = 0; x < width; x++) {
    const lo = columnLo[x];
    const hi = columnHi[x];
    const wLo = columnWLo[x];
    const wHi = columnWHi[x];
    for (let row = firstRow, at = x, base = firstRow * cropWidth; row <= lastRow; row++, at += width, base += cropWidth) {
      horizontal[at] = noise[base + lo] * wLo + noise[base + hi] * wHi;
    }
  }
  // The row pass, thresholded as it goes.
  for (let y = 0; y < height; y++) {
    const wa = rowWLo[y];
    const wb = rowWHi[y];
    if (wa === 0 && wb === 0) continue; // 0, below the threshold
    const a = (rowLo[y] - firstRow) * width;
    const b = (rowHi[y] - firstRow) * width;
    if (wb === 0) for (let x = 0; x < width; x++) thresholdValue(horizontal[a + x] * wa, threshold, y, x, height, width);
    else for (let x = 0; x < width; x++) thresholdValue(horizontal[a + x] * wa + horizontal[b + x] * wb, threshold, y, x, height, width);
  }
}

/**
 * The motion blur of the flakes (motion_blur's sum: out(y, x) = sum over taps, in tap order, of
 * weight * layer(clamp(y + dy), clamp(x + dx))) into `acc` (n values, zeroed here), as a scatter: tap by tap, each
 * flake adds weight * value to the outputs that read it through that tap. Only the zero terms are left out, and
 * adding 0 changes no sum (all terms are >= 0, so there is no -0), so every output gets exactly the gather's additions
 * in the same tap order, i.e. the same float64 value; at most one flake reaches an output per tap (the clamped
 * pixel is unique), so the order of the flakes does not matter. The layer is mostly 0 (0.5-16% flakes), which makes
 * this several times faster than the gather.
 */
function blurFlakes(height: number, width: number, taps: TapList, acc: number[]): void {
  acc.fill(0, 0, height * width);
  const { innerCount, innerIndex, innerRow, innerColumn, innerValue, borderCount, borderRow, borderColumn, borderValue } = flakes;
  const { dy, dx, weights } = taps;
  const lastRow = height - 1;
  const lastColumn = width - 1;
  for (let t = 0; t < taps.count; t++) {
    const ty = dy[t];
    const tx = dx[t];
    const w = weights[t];
    // An inner flake at (r, c) is read by the one output (r - ty, c - tx), when that lies in the image.
    const shift = ty * width + tx;
    const rowMax = lastRow + ty;
    const columnMax = lastColumn + tx;
    for (let k = 0; k < innerCount; k++) {
      const r = innerRow[k];
      const c = innerColumn[k];
      if (r >= ty && r <= rowMax && c >= tx && c <= columnMax) {
        const o = innerIndex[k] - shift;
        acc[o] = acc[o] + w * innerValue[k];
      }
    }
    // A border flake is also read by the outputs whose shifted position falls outside the image on its side:
    // rows r - ty (row 0: 0 .. -ty; last row: lastRow - ty .. lastRow), clipped to the image; columns alike.
    for (let k = 0; k < borderCount; k++) {
      const r = borderRow[k];
      const c = borderColumn[k];
      const y0 = r === 0 ? 0 : Math.max(0, r - ty);
      const y1 = r === lastRow ? lastRow : Math.min(lastRow, r - ty);
      const x0 = c === 0 ? 0 : Math.max(0, c - tx);
      const x1 = c === lastColumn ? lastColumn : Math.min(lastColumn, c - tx);
      const term = w * borderValue[k];
      for (let y = y0; y <= y1; y++) {
        for (let x = x0, o = y * width + x0; x <= x1; x++, o++) acc[o] = acc[o] + term;
      }
    }
  }
}

/** The snow layer's tap list (reused). */
const snowTaps = newTapList();

/** b / 255 for every byte b: a Q16-quantised layer value. */
const LAYER_VALUE: number[] = (() => {
  const table = doubles(256);
  for (let b = 0; b < 256; b++) table[b] = b / 255;
  return table;
})();

/**
 * The snow layer before its quantisation (height x width): noise crop, zoom, threshold, uint8, motion blur, i.e. the
 * blurred float64 sums in 0..255 units; layerValue of each is the layer value. The result is a scratch array (at
 * least height x width values), valid until the next call.
 */
export function blurredSnowLayer(
  height: number,
  width: number,
  parameters: { loc: number; scale: number; zoom: number; threshold: number; radius: number; sigma: number },
  random: CorruptionContext['random'],
): number[] {
  const { loc, scale, zoom, threshold, radius, sigma } = parameters;
  drawFlakes(height, width, noiseZoom(height, width, zoom), loc, scale, threshold, random);
  const angle = SNOW_ANGLE[0] + (SNOW_ANGLE[1] - SNOW_ANGLE[0]) * random.next();
  const blurred = scratchDoubles('snow.layer', height * width);
  blurFlakes(height, width, motionBlurTapsInto(radius, sigma, angle, snowTaps), blurred);
  if (flakes.innerIndex.length + flakes.borderRow.length > MAX_KEPT_FLAKES) releaseFlakes();
  return blurred;
}

/** A layer value from its blurred sum: ImageMagick's Q16 quantisation to a byte k, then k / 255 (float64). */
function layerValue(blurred: number): number {
  return LAYER_VALUE[blurredByte(blurred)];
}

const f = Math.fround;
const GRAY_R = f(0.299);
const GRAY_G = f(0.587);
const GRAY_B = f(0.114);

/** A table of fn(v) for every byte value v (a plain array of doubles). */
function byteTable(fn: (v: number) => number): number[] {
  const table = doubles(256);
  for (let v = 0; v < 256; v++) table[v] = fn(v);
  return table;
}

/** float32(v / 255): the reference's float32 image value of a byte. */
const UNIT32 = byteTable((v) => f(v / 255));
/** The three float32 products of cv2's RGB2GRAY, per byte value. */
const GRAY_R_OF = byteTable((v) => f(UNIT32[v] * GRAY_R));
const GRAY_G_OF = byteTable((v) => f(UNIT32[v] * GRAY_G));
const GRAY_B_OF = byteTable((v) => f(UNIT32[v] * GRAY_B));

/** The per-byte float32 terms of the blend for one blend weight (they depend on nothing else). */
interface BlendTables {
  /** float32(blend * x). */
  readonly blended: number[];
  /** float32((1 - blend) * x), used where x exceeds the brightened grey. */
  readonly kept: number[];
  /** The whole blend of a grey pixel: float32(float32(blend * x) + float32((1 - blend) * max(x, bright(x)))). */
  readonly grey: number[];
}

const blendCache = new Map<number, BlendTables>();

/** The blend tables for `blend`, cached (one entry per published blend weight in use, at most 16 kept). */
function blendTables(blend: number): BlendTables {
  const cached = blendCache.get(blend);
  if (cached) return cached;
  const blend32 = f(blend);
  const keep32 = f(1 - blend);
  const blended = byteTable((v) => f(blend32 * UNIT32[v]));
  const kept = byteTable((v) => f(keep32 * UNIT32[v]));
  const grey = byteTable((v) => {
    const x = UNIT32[v];
    const bright = f(f(x * 1.5) + 0.5);
    return f(blended[v] + f(keep32 * (x > bright ? x : bright)));
  });
  const tables = { blended, kept, grey };
  if (blendCache.size >= 16) blendCache.clear();
  blendCache.set(blend, tables);
  return tables;
}

/**
 * np.uint8(np.clip(v, 0, 1) * 255) of the final float64 sum v >= 0 (all its terms are), to be stored into a
 * Uint8Array: the store itself truncates a value in [0, 255].
 */
function finalByte(v: number): number {
  return v > 1 ? 255 : v * 255;
}

/**
 * Grey images: out = byte(blend(x) + layer + rot180(layer)), the blend looked up per byte; the layer is quantised
 * here, pixel p together with its mirror last - p (each blurred sum is read and quantised once).
 */
function composeGrey(pixels: Uint8Array, blurred: number[], n: number, grey: number[], out: Uint8Array): void {
  for (let p = 0, q = n - 1; p <= q; p++, q--) {
    const own = layerValue(blurred[p]);
    const mirrored = layerValue(blurred[q]);
    out[p] = finalByte(grey[pixels[p]] + own + mirrored);
    out[q] = finalByte(grey[pixels[q]] + mirrored + own);
  }
}

/**
 * RGB images: per pixel the brightened grey bright = float32(float32(gray * 1.5) + 0.5), then per channel
 * float32(float32(blend * x) + float32((1 - blend) * max(x, bright))) + layer + rot180(layer). The product with
 * (1 - blend) > 0 is monotone (rounding included), so float32((1 - blend) * max(x, bright)) is the larger of the
 * per-byte float32((1 - blend) * x) and the per-pixel float32((1 - blend) * bright): no comparison with x needed.
 */
function composeRgb(pixels: Uint8Array, layer: number[], n: number, tables: BlendTables, keep32: number, out: Uint8Array): void {
  const { blended, kept } = tables;
  const last = n - 1;
  for (let p = 0, o = 0; p <= last; p++, o += 3) {
    const own = layer[p];
    const mirrored = layer[last - p];
    const v0 = pixels[o];
    const v1 = pixels[o + 1];
    const v2 = pixels[o + 2];
    const gray = f(f(GRAY_R_OF[v0] + GRAY_G_OF[v1]) + GRAY_B_OF[v2]);
    const keptBright = f(keep32 * f(f(gray * 1.5) + 0.5));
    out[o] = finalByte(f(blended[v0] + Math.max(kept[v0], keptBright)) + own + mirrored);
    out[o + 1] = finalByte(f(blended[v1] + Math.max(kept[v1], keptBright)) + own + mirrored);
    out[o + 2] = finalByte(f(blended[v2] + Math.max(kept[v2], keptBright)) + own + mirrored);
  }
}

export const snow: Corruption = {
  name: 'snow',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [loc, noiseScale, zoom0, threshold, radius0, sigma0, blend] = parameterFor(SNOW_PARAMETERS, context.preset, severity, 'snow');
    const s = spatialScale(image, context.preset);
    const { radius, sigma } = scaledMotionParameters(radius0, sigma0, s);
    const zoom = Math.max(1, zoom0 * s);
    const { height, width, channels, pixels } = image;
    const n = height * width;
    const blurred = blurredSnowLayer(height, width, { loc, scale: noiseScale, zoom, threshold, radius, sigma }, context.random);
    const out = new Uint8Array(pixels.length);
    const tables = blendTables(blend);
    if (channels === 3) {
      for (let i = 0; i < n; i++) blurred[i] = layerValue(blurred[i]); // now the layer
      composeRgb(pixels, blurred, n, tables, f(1 - blend), out);
    } else {
      composeGrey(pixels, blurred, n, tables.grey, out);
    }
    return { height, width, channels, pixels: out };
  },
};
