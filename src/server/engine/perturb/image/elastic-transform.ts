// elastic_transform (ImageNet-C / CIFAR-10-C definition, a modification of erniejunior's elastic-transform gist):
//   image = float32(x) / 255
//   random affine: centre = (W // 2, H // 2), s = min(H, W) // 3, three points centre + (s, s), centre + (s, -s),
//     centre - (s, s), each coordinate moved by U(-shift, shift) (cast to float32); M = cv2.getAffineTransform(pts1,
//     pts2); image = cv2.warpAffine(image, M, (W, H), INTER_LINEAR, BORDER_REFLECT_101)
//   dx = float32(gaussian_filter(U(-1, 1) of H x W, sigma, mode 'reflect', truncate 3) * alpha); dy likewise
//     (dx's H*W uniforms are drawn first, row-major, then dy's)
//   out = map_coordinates(image, (row + dy, col + dx, channel), order 1, mode 'reflect') per channel
//   then clip(out, 0, 1) * 255 (float32) truncated to uint8.
// Random draws (all `context.random.next()`): 6 for the affine points (x then y of each point), then H*W for dx and
// H*W for dy (skipped when alpha is 0: they would be multiplied by 0).
//
// Parameters (alpha, sigma, affine shift), all lengths in pixels:
// - CIFAR-10-C writes them as multiples of the image size 32 (alpha = 32 * 0.05 etc.); the table holds the products,
//   i.e. pixel values at 32x32: (0, 0, 2.56) (1.6, 6.4, 2.24) (2.56, 1.92, 1.92) (3.2, 1.28, 1.6) (3.2, 0.96, 0.96).
// - ImageNet-C writes them as multiples of 244 ("should have been 224, but ultimately nothing is incorrect") and
//   applies them as absolute pixel values to 224x224 images, so the pixel values at the nominal size 224 are the
//   products with 244: (488, 170.8, 24.4) (488, 19.52, 48.8) (12.2, 2.44, 4.88) (17.08, 2.44, 4.88)
//   (29.28, 2.44, 4.88). We keep them exactly (no 244 -> 224 "correction"), so 224x224 images match the benchmark.
// Other sizes: all three are multiplied by spatialScale (min(H, W) / nominal side), unrounded (they are real-valued
// lengths); the affine square size s = min(H, W) // 3 is the reference's own formula.
//
// Numerics, chosen to match the reference's outputs and change statistics:
// - warpAffine is emulated like OpenCV does it for float32 images: the inverse map in double, source coordinates in
//   fixed point (AB_BITS = 10 with cvRound, then 1/32 pixel steps: INTER_BITS = 5), bilinear weights from the 32x32
//   table, the four products summed in float32 (Math.fround after every operation), neighbours outside the image
//   reflected with BORDER_REFLECT_101. The float32 rounding matters: in flat regions about 5-20% of the values come
//   out one float32 step low and then truncate to one grey level less, exactly as in the reference.
// - map_coordinates order 1 is computed in double and rounded to float32 like scipy (mode 'reflect' = each
//   neighbour index reflected half-sample symmetrically, which equals reflecting the coordinate).
// - The Gaussian filter of the displacement fields uses scipy's kernel (radius int(3 sigma + 0.5), mode 'reflect',
//   repeated reflection when the kernel is longer than the image). Computed per axis either directly, with scipy's
//   arithmetic for symmetric kernels (exact: the same operations in the same order), or, for kernels longer than 64
//   taps when that at least halves the work, in the DCT-II basis, which diagonalises exactly this operator
//   (reflect-mode correlation with a symmetric kernel): gain per cosine mode k is lambda_k = sum_t w[t]
//   cos(pi k t / n); we keep the modes with |lambda_k| > 1e-3 (the rest are the ripples of the 3-sigma truncation).
//   That is used only by ImageNet severities 1 and 2 (1025 and 119 taps; 3 and 17 modes, 2-D cost about 2 x modes
//   multiply-adds per value): measured against scipy on 224x224 fields, RMS error 0.0036 px and 0.015 px (max
//   0.075 px) in the final displacement, against field standard deviations of 0.1 px and 4.2 px. Everything else
//   uses the exact direct filter.
// Check: with numpy's random stream replayed (MT19937, np.random.seed(0)), the outputs equal the reference arrays
// pixel for pixel at all CIFAR severities and ImageNet severities 3-5; at ImageNet severities 1 and 2, 99.4% and
// 97.5% of the values are identical (the rest differ at edges, by at most 2 and 10 grey levels).
// - The reference's affine centre is np.float32(shape[:2]) // 2, i.e. (H // 2, W // 2), passed to OpenCV as an
//   (x, y) point; for square images (all the published data) that is the same as our (W // 2, H // 2). For
//   non-square images we use the actual centre.
// Speed (the results are those of the plain loops, bit for bit):
// - the direct filter of radius <= 7 (sigma < 2.5 px: ImageNet severities 3-5 and CIFAR 3-5 at the nominal sizes)
//   computes four rows per sweep along axis 0 and two values per step along axis 1, so that each loaded value
//   serves several outputs, in three sizes (radius <= 3, 5, 7) so that small kernels do not pay for 7 taps
//   (blockedAxis0/1); axis 0 leaves room around each row for axis 1's reflected neighbours, so axis 1 copies nothing.
//   Longer kernels filter line by line (columns, then rows), four outputs at a time with their sums in locals,
//   reading each value once per four tap pairs (filterLine);
// - warpAffine reads the bytes through a float32(v / 255) table instead of making the float32 image, looks the
//   reflected border rows and columns up in tables made once per call, and draws the fields' uniforms in the same
//   loop (the generator's dependent steps then overlap with the warp's arithmetic);
// - the fields, the warped image and the filter's intermediates live in reused scratch buffers (float32 where the
//   reference has float32 values), and the warp and map_coordinates are specialised for 1 and 3 channels.
// Minimum size: 3x3 (the affine square s = min(H, W) // 3 must be at least 1 pixel; below that the three points
// coincide and the affine map is undefined); smaller images get an InputError with code 'image-too-small'.
import { InputError } from '../../errors';
import type { Corruption, CorruptionContext, Image, RandomSource } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { reflect101 } from './defocus-blur';
import { gaussianKernel1d } from './gaussian-blur';
import { scratchFloat32, scratchFloat64 } from './scratch';

/** (alpha, sigma, affine shift) in pixels at the nominal size of the preset (32 / 224). */
export const ELASTIC_TRANSFORM_PARAMETERS: PresetParameters<readonly [number, number, number]> = {
  cifar: [
    [32 * 0, 32 * 0, 32 * 0.08],
    [32 * 0.05, 32 * 0.2, 32 * 0.07],
    [32 * 0.08, 32 * 0.06, 32 * 0.06],
    [32 * 0.1, 32 * 0.04, 32 * 0.05],
    [32 * 0.1, 32 * 0.03, 32 * 0.03],
  ],
  imagenet: [
    [244 * 2, 244 * 0.7, 244 * 0.1],
    [244 * 2, 244 * 0.08, 244 * 0.2],
    [244 * 0.05, 244 * 0.01, 244 * 0.02],
    [244 * 0.07, 244 * 0.01, 244 * 0.02],
    [244 * 0.12, 244 * 0.01, 244 * 0.02],
  ],
};

/** Smallest image side elastic_transform accepts. */
export const ELASTIC_TRANSFORM_MIN_SIDE = 3;

const f32 = Math.fround;

/** float32(v / 255) for every uint8 value v: the reference's np.float32(x) / 255 of a pixel. */
const UNIT_F32: Float64Array = (() => {
  const table = new Float64Array(256);
  for (let v = 0; v < 256; v++) table[v] = f32(v / 255);
  return table;
})();

/** Round half to even (cvRound / lrint). */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** scipy's 'reflect' (half-sample symmetric, period 2n) index into [0, n). */
export function reflectIndex(p: number, n: number): number {
  const period = 2 * n;
  let q = p % period;
  if (q < 0) q += period;
  return q < n ? q : period - 1 - q;
}

/**
 * cv2.getAffineTransform: the 2x3 matrix [a b c; d e f] mapping the three (x, y) points of `from` onto `to`
 * (both flat [x0, y0, x1, y1, x2, y2]).
 */
export function affineFromPoints(from: ArrayLike<number>, to: ArrayLike<number>): Float64Array {
  const [x0, y0, x1, y1, x2, y2] = [from[0], from[1], from[2], from[3], from[4], from[5]];
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  if (det === 0) throw new RangeError('affine points are collinear');
  const m = new Float64Array(6);
  for (let r = 0; r < 2; r++) {
    const u0 = to[r];
    const u1 = to[2 + r];
    const u2 = to[4 + r];
    // Cramer's rule for [x y 1] . [a b c]^T = u over the three points.
    m[3 * r] = (u0 * (y1 - y2) - y0 * (u1 - u2) + (u1 * y2 - u2 * y1)) / det;
    m[3 * r + 1] = (x0 * (u1 - u2) - u0 * (x1 - x2) + (x1 * u2 - x2 * u1)) / det;
    m[3 * r + 2] = (x0 * (y1 * u2 - y2 * u1) - y0 * (x1 * u2 - x2 * u1) + u0 * (x1 * y2 - x2 * y1)) / det;
  }
  return m;
}

/** cv2.invertAffineTransform. */
function invertAffine(m: Float64Array): Float64Array {
  const [a, b, c, d, e, f] = [m[0], m[1], m[2], m[3], m[4], m[5]];
  let det = a * e - b * d;
  det = det !== 0 ? 1 / det : 0;
  const a11 = e * det;
  const a22 = a * det;
  const a12 = -b * det;
  const a21 = -d * det;
  return Float64Array.from([a11, a12, -a11 * c - a12 * f, a21, a22, -a21 * c - a22 * f]);
}

/** Named Int32Array work buffers of this file, grown when needed (content undefined, like scratch.ts's). */
const int32Pool = new Map<string, Int32Array>();
function scratchInt32(name: string, length: number): Int32Array {
  let buffer = int32Pool.get(name);
  if (!buffer || buffer.length < length) {
    buffer = new Int32Array(Math.max(length, 64));
    int32Pool.set(name, buffer);
  }
  return buffer;
}

/**
 * The fixed-point source positions of warpAffineReflect101 and their border tables. The source position of output
 * (x, y) in 1/1024 pixels is rowX[y] + colX[x] (and rowY[y] + colY[x]), with OpenCV's rounding: colX[x] =
 * cvRound(m00 x 2^10), rowX[y] = cvRound((m01 y + m02) 2^10) + 2^4 (the 2^4 rounds to the 1/32 steps below). Its
 * pixel sx = position >> 10 (floor) is monotone in each term, so its range over the image is given by the terms'
 * extremes; colAt[sx - sxMin] is then reflect101(sx, width) * channels for sx in [sxMin, sxMax + 1] (the right
 * neighbour included), and rowAt likewise for rows times the row stride: the borders are reflected once per call
 * instead of per pixel.
 */
interface WarpGrid {
  readonly rowX: Int32Array;
  readonly rowY: Int32Array;
  readonly colX: Int32Array;
  readonly colY: Int32Array;
  readonly colAt: Int32Array;
  readonly rowAt: Int32Array;
  readonly sxMin: number;
  readonly syMin: number;
}

function warpGrid(m: Float64Array, height: number, width: number, channels: number): WarpGrid {
  const colX = scratchInt32('elastic_transform.colX', width);
  const colY = scratchInt32('elastic_transform.colY', width);
  const rowX = scratchInt32('elastic_transform.rowX', height);
  const rowY = scratchInt32('elastic_transform.rowY', height);
  let colXMin = Infinity;
  let colXMax = -Infinity;
  let colYMin = Infinity;
  let colYMax = -Infinity;
  for (let x = 0; x < width; x++) {
    const a = rint(m[0] * x * 1024);
    const b = rint(m[3] * x * 1024);
    colX[x] = a;
    colY[x] = b;
    colXMin = Math.min(colXMin, a);
    colXMax = Math.max(colXMax, a);
    colYMin = Math.min(colYMin, b);
    colYMax = Math.max(colYMax, b);
  }
  let rowXMin = Infinity;
  let rowXMax = -Infinity;
  let rowYMin = Infinity;
  let rowYMax = -Infinity;
  for (let y = 0; y < height; y++) {
    const a = rint((m[1] * y + m[2]) * 1024) + 16;
    const b = rint((m[4] * y + m[5]) * 1024) + 16;
    rowX[y] = a;
    rowY[y] = b;
    rowXMin = Math.min(rowXMin, a);
    rowXMax = Math.max(rowXMax, a);
    rowYMin = Math.min(rowYMin, b);
    rowYMax = Math.max(rowYMax, b);
  }
  const sxMin = (rowXMin + colXMin) >> 10;
  const sxMax = (rowXMax + colXMax) >> 10;
  const syMin = (rowYMin + colYMin) >> 10;
  const syMax = (rowYMax + colYMax) >> 10;
  const colAt = scratchInt32('elastic_transform.colAt', sxMax - sxMin + 2);
  for (let s = sxMin; s <= sxMax + 1; s++) colAt[s - sxMin] = reflect101(s, width) * channels;
  const rowAt = scratchInt32('elastic_transform.rowAt', syMax - syMin + 2);
  for (let s = syMin; s <= syMax + 1; s++) rowAt[s - syMin] = reflect101(s, height) * width * channels;
  return { rowX, rowY, colX, colY, colAt, rowAt, sxMin, syMin };
}

/**
 * cv2.warpAffine(src, M, (width, height), INTER_LINEAR, BORDER_REFLECT_101) on float32 HWC values, emulating
 * OpenCV's fixed-point coordinates and float32 accumulation. The source is the uint8 `pixels` read through
 * `unit` (float32(v / 255) per byte value), i.e. the float32 image x / 255 without making it. Writes `out`.
 *
 * When `noise` is given, also draws the displacement fields' uniforms on the way: noise[i] = U(-1, 1) =
 * -1 + 2 * random.next() for i < 2 * height * width in stream order (dx's then dy's), two per pixel. Drawing is a
 * chain of dependent generator steps with little arithmetic, the warp independent arithmetic; in one loop the CPU
 * overlaps the two (at 28x28 it saves about 2 of the 9 us the draws take alone).
 */
export function warpAffineReflect101(
  pixels: Uint8Array,
  unit: Float64Array,
  height: number,
  width: number,
  channels: number,
  forward: Float64Array,
  out: Float32Array,
  random: RandomSource | null = null,
  noise: Float64Array | null = null,
): void {
  const grid = warpGrid(invertAffine(forward), height, width, channels);
  if (channels === 1) {
    if (random !== null && noise !== null) warpGreyDrawing(pixels, unit, height, width, grid, out, random, noise);
    else warpGrey(pixels, unit, height, width, grid, out);
  } else {
    warpChannels(pixels, unit, height, width, channels, grid, out, random, noise);
  }
}

/*
 * The warp loops. Per output pixel: the source position in 1/32 pixels, X = (rowX[y] + colX[x]) >> 5 (likewise Y),
 * its pixel (X >> 5, Y >> 5) and fraction (ax, ay) = (X & 31, Y & 31); OpenCV's bilinear weights for it are the
 * entries of its 32x32 INTER_LINEAR table, (1 - fy)(1 - fx), (1 - fy) fx, fy (1 - fx), fy fx with fx = ax / 32,
 * fy = ay / 32 (exact in double and in float32, so computed here); then the four products summed in float32.
 */

/** The warp of a 1-channel image. */
function warpGrey(
  pixels: Uint8Array,
  unit: Float64Array,
  height: number,
  width: number,
  grid: WarpGrid,
  out: Float32Array,
): void {
  const { rowX, rowY, colX, colY, colAt, rowAt, sxMin, syMin } = grid;
  for (let y = 0, o = 0; y < height; y++) {
    const x0 = rowX[y];
    const y0 = rowY[y];
    for (let x = 0; x < width; x++, o++) {
      const X = (x0 + colX[x]) >> 5;
      const Y = (y0 + colY[x]) >> 5;
      const fx = (X & 31) / 32;
      const fy = (Y & 31) / 32;
      const cx = (X >> 5) - sxMin;
      const cy = (Y >> 5) - syMin;
      const r0 = rowAt[cy];
      const r1 = rowAt[cy + 1];
      const c0 = colAt[cx];
      const c1 = colAt[cx + 1];
      out[o] =
        f32(f32(f32(unit[pixels[r0 + c0]] * ((1 - fy) * (1 - fx))) + f32(unit[pixels[r0 + c1]] * ((1 - fy) * fx))) + f32(unit[pixels[r1 + c0]] * (fy * (1 - fx)))) +
        f32(unit[pixels[r1 + c1]] * (fy * fx)); // the Float32Array store rounds the last sum
    }
  }
}

/**
 * warpGrey, also drawing the noise (see warpAffineReflect101): noise[2p], noise[2p + 1] at pixel p. A copy of the
 * loop rather than a test in it: with the draws in the loop, even skipped, the plain warp (alpha 0) is about 10%
 * slower.
 */
function warpGreyDrawing(
  pixels: Uint8Array,
  unit: Float64Array,
  height: number,
  width: number,
  grid: WarpGrid,
  out: Float32Array,
  random: RandomSource,
  noise: Float64Array,
): void {
  const { rowX, rowY, colX, colY, colAt, rowAt, sxMin, syMin } = grid;
  for (let y = 0, o = 0; y < height; y++) {
    const x0 = rowX[y];
    const y0 = rowY[y];
    for (let x = 0; x < width; x++, o++) {
      const X = (x0 + colX[x]) >> 5;
      const Y = (y0 + colY[x]) >> 5;
      const fx = (X & 31) / 32;
      const fy = (Y & 31) / 32;
      const cx = (X >> 5) - sxMin;
      const cy = (Y >> 5) - syMin;
      const r0 = rowAt[cy];
      const r1 = rowAt[cy + 1];
      const c0 = colAt[cx];
      const c1 = colAt[cx + 1];
      out[o] =
        f32(f32(f32(unit[pixels[r0 + c0]] * ((1 - fy) * (1 - fx))) + f32(unit[pixels[r0 + c1]] * ((1 - fy) * fx))) + f32(unit[pixels[r1 + c0]] * (fy * (1 - fx)))) +
        f32(unit[pixels[r1 + c1]] * (fy * fx)); // the Float32Array store rounds the last sum
      noise[2 * o] = -1 + 2 * random.next();
      noise[2 * o + 1] = -1 + 2 * random.next();
    }
  }
}

/** The warp of an image with several channels (3 unrolled), drawing noise[2p], noise[2p + 1] at pixel p if given. */
function warpChannels(
  pixels: Uint8Array,
  unit: Float64Array,
  height: number,
  width: number,
  channels: number,
  grid: WarpGrid,
  out: Float32Array,
  random: RandomSource | null,
  noise: Float64Array | null,
): void {
  const { rowX, rowY, colX, colY, colAt, rowAt, sxMin, syMin } = grid;
  for (let y = 0, p = 0, o = 0; y < height; y++) {
    const x0 = rowX[y];
    const y0 = rowY[y];
    for (let x = 0; x < width; x++, p++, o += channels) {
      const X = (x0 + colX[x]) >> 5;
      const Y = (y0 + colY[x]) >> 5;
      const fx = (X & 31) / 32;
      const fy = (Y & 31) / 32;
      const w0 = (1 - fy) * (1 - fx);
      const w1 = (1 - fy) * fx;
      const w2 = fy * (1 - fx);
      const w3 = fy * fx;
      const cx = (X >> 5) - sxMin;
      const cy = (Y >> 5) - syMin;
      const r0 = rowAt[cy];
      const r1 = rowAt[cy + 1];
      const i00 = r0 + colAt[cx];
      const i01 = r0 + colAt[cx + 1];
      const i10 = r1 + colAt[cx];
      const i11 = r1 + colAt[cx + 1];
      if (channels === 3) {
        out[o] = f32(f32(f32(unit[pixels[i00]] * w0) + f32(unit[pixels[i01]] * w1)) + f32(unit[pixels[i10]] * w2)) + f32(unit[pixels[i11]] * w3);
        out[o + 1] = f32(f32(f32(unit[pixels[i00 + 1]] * w0) + f32(unit[pixels[i01 + 1]] * w1)) + f32(unit[pixels[i10 + 1]] * w2)) + f32(unit[pixels[i11 + 1]] * w3);
        out[o + 2] = f32(f32(f32(unit[pixels[i00 + 2]] * w0) + f32(unit[pixels[i01 + 2]] * w1)) + f32(unit[pixels[i10 + 2]] * w2)) + f32(unit[pixels[i11 + 2]] * w3);
      } else {
        for (let c = 0; c < channels; c++) {
          let t = f32(unit[pixels[i00 + c]] * w0);
          t = f32(t + f32(unit[pixels[i01 + c]] * w1));
          t = f32(t + f32(unit[pixels[i10 + c]] * w2));
          out[o + c] = t + f32(unit[pixels[i11 + c]] * w3); // the Float32Array store rounds the last sum
        }
      }
      if (noise !== null) {
        noise[2 * p] = -1 + 2 * random!.next();
        noise[2 * p + 1] = -1 + 2 * random!.next();
      }
    }
  }
}

/** Per-axis plan of the reflect-mode Gaussian filter: direct taps, or a truncated DCT-II basis. */
interface DirectAxis {
  readonly kind: 'direct';
  /** int(3 sigma + 0.5): taps[k] is 0 for k > radius. */
  readonly radius: number;
  /** Radius <= BLOCKED_RADIUS: filtered by the blocked passes, else line by line (filterLine). */
  readonly blocked: boolean;
  /**
   * The kernel's half padded with zero taps: taps[0] is the centre, taps[k] the weight at distance k (0 beyond the
   * radius), k = 1 .. max(radius, BLOCKED_RADIUS).
   */
  readonly taps: Float64Array;
  /** index[pad + p] = the source index of position p (-pad <= p < n + pad), reflected; pad = max(radius, 7). */
  readonly index: Int32Array;
  readonly pad: number;
}
interface DctAxis {
  readonly kind: 'dct';
  readonly modes: number;
  /** modes x n: gain_k * cos_k[j] / |cos_k|^2. */
  readonly analysis: Float64Array;
  /** n x modes: cos_k[j]. */
  readonly synthesis: Float64Array;
}
type AxisFilter = DirectAxis | DctAxis;

/** Plans by sigma, then by line length (number keys: no string to build per lookup). */
const axisCache = new Map<number, Map<number, AxisFilter>>();
const DCT_GAIN_CUTOFF = 1e-3;
const DCT_MIN_TAPS = 64;

/** How to filter a line of n values with scipy's Gaussian (sigma, truncate 3, mode 'reflect'). Cached. */
function axisFilter(n: number, sigma: number): AxisFilter {
  let bySize = axisCache.get(sigma);
  if (!bySize) axisCache.set(sigma, (bySize = new Map()));
  const cached = bySize.get(n);
  if (cached) return cached;
  const kernel = gaussianKernel1d(sigma, 3);
  const radius = (kernel.length - 1) >> 1;
  // Gains of the cosine modes.
  const kept: number[] = [];
  const gains: number[] = [];
  for (let k = 0; k < n; k++) {
    let gain = 0;
    for (let t = -radius; t <= radius; t++) gain += kernel[t + radius] * Math.cos((Math.PI * k * t) / n);
    if (Math.abs(gain) > DCT_GAIN_CUTOFF) {
      kept.push(k);
      gains.push(gain);
    }
  }
  let plan: AxisFilter;
  // Cost per value: direct 2r + 1 multiply-adds, DCT about 2 per kept mode. The (approximate) DCT is only used when
  // the kernel is long (> 64 taps) and it at least halves the work; short kernels stay exact.
  if (kernel.length > DCT_MIN_TAPS && 2 * (2 * kept.length + 4) < kernel.length) {
    const modes = kept.length;
    const analysis = new Float64Array(modes * n); // gain_k * cos_k[j] / |cos_k|^2
    const synthesis = new Float64Array(n * modes); // cos_k[j]
    for (let q = 0; q < modes; q++) {
      const k = kept[q];
      const norm = k === 0 ? n : n / 2;
      for (let j = 0; j < n; j++) {
        const basis = Math.cos((Math.PI * k * (j + 0.5)) / n);
        analysis[q * n + j] = (gains[q] * basis) / norm;
        synthesis[j * modes + q] = basis;
      }
    }
    plan = { kind: 'dct', modes, analysis, synthesis };
  } else {
    const taps = new Float64Array(Math.max(radius, BLOCKED_RADIUS) + 1);
    for (let k = 0; k <= radius; k++) taps[k] = kernel[radius + k];
    const pad = Math.max(radius, BLOCKED_RADIUS);
    const index = new Int32Array(n + 2 * pad);
    for (let p = 0; p < index.length; p++) index[p] = reflectIndex(p - pad, n);
    plan = { kind: 'direct', radius, blocked: radius <= BLOCKED_RADIUS, taps, index, pad };
  }
  bySize.set(n, plan);
  return plan;
}

/**
 * The direct filter of one line (radius > BLOCKED_RADIUS): out[at + i * stride] = the filtered value i, i < n, of
 * the values in line[radius .. radius + n - 1] (filled in here: line[radius + i] = source[from + i * step]) and their
 * reflected neighbours (also filled in here). scipy sums a symmetric kernel as acc = centre * x, then acc +=
 * (x[-k] + x[+k]) * w[k] for k = radius down to 1. Here four outputs are summed at once, their accumulators in
 * locals: first the radius % 4 farthest pairs one at a time, then four pairs per step, each step reading the 14
 * values that its 16 pair sums need once; every accumulator still sees the same additions in the same order.
 */
function filterLine(
  source: Float64Array,
  from: number,
  step: number,
  n: number,
  plan: DirectAxis,
  line: Float64Array,
  out: Float64Array,
  at: number,
  stride: number,
): void {
  const { radius, taps, index, pad } = plan;
  for (let i = 0; i < n; i++) line[radius + i] = source[from + i * step];
  for (let p = 0; p < radius; p++) {
    line[p] = line[radius + index[pad - radius + p]];
    line[radius + n + p] = line[radius + index[pad + n + p]];
  }
  const c = taps[0];
  const grouped = radius - (radius % 4); // pairs k = grouped .. 1 go four at a time
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const m = radius + i;
    let s0 = c * line[m];
    let s1 = c * line[m + 1];
    let s2 = c * line[m + 2];
    let s3 = c * line[m + 3];
    for (let k = radius; k > grouped; k--) {
      const w = taps[k];
      s0 = s0 + (line[m - k] + line[m + k]) * w;
      s1 = s1 + (line[m + 1 - k] + line[m + 1 + k]) * w;
      s2 = s2 + (line[m + 2 - k] + line[m + 2 + k]) * w;
      s3 = s3 + (line[m + 3 - k] + line[m + 3 + k]) * w;
    }
    for (let k = grouped; k > 0; k -= 4) {
      // Output j's pair at distance k - q (q = 0 .. 3) is line[m + j - k + q] + line[m + j + k - q] = lo[j + q] +
      // hi[j + 3 - q], with lo[t] = line[m - k + t] and hi[t] = line[m + k - 3 + t], t = 0 .. 6.
      const wa = taps[k];
      const wb = taps[k - 1];
      const wc = taps[k - 2];
      const wd = taps[k - 3];
      const lo = m - k;
      const hi = m + k - 3;
      const l0 = line[lo];
      const l1 = line[lo + 1];
      const l2 = line[lo + 2];
      const l3 = line[lo + 3];
      const l4 = line[lo + 4];
      const l5 = line[lo + 5];
      const l6 = line[lo + 6];
      const h0 = line[hi];
      const h1 = line[hi + 1];
      const h2 = line[hi + 2];
      const h3 = line[hi + 3];
      const h4 = line[hi + 4];
      const h5 = line[hi + 5];
      const h6 = line[hi + 6];
      s0 = s0 + (l0 + h3) * wa + (l1 + h2) * wb + (l2 + h1) * wc + (l3 + h0) * wd;
      s1 = s1 + (l1 + h4) * wa + (l2 + h3) * wb + (l3 + h2) * wc + (l4 + h1) * wd;
      s2 = s2 + (l2 + h5) * wa + (l3 + h4) * wb + (l4 + h3) * wc + (l5 + h2) * wd;
      s3 = s3 + (l3 + h6) * wa + (l4 + h5) * wb + (l5 + h4) * wc + (l6 + h3) * wd;
    }
    const o = at + i * stride;
    out[o] = s0;
    out[o + stride] = s1;
    out[o + 2 * stride] = s2;
    out[o + 3 * stride] = s3;
  }
  for (; i < n; i++) {
    const m = radius + i;
    let acc = c * line[m];
    for (let k = radius; k > 0; k--) acc = acc + (line[m - k] + line[m + k]) * taps[k];
    out[at + i * stride] = acc;
  }
}

/** Axis 0 directly (radius > BLOCKED_RADIUS): column by column into `out`. */
function directAxis0(field: Float64Array, height: number, width: number, plan: DirectAxis, out: Float64Array): void {
  const line = scratchFloat64('elastic_transform.line', height + 2 * plan.radius);
  for (let x = 0; x < width; x++) filterLine(field, x, width, height, plan, line, out, x, width);
}

/** Axis 1 directly (radius > BLOCKED_RADIUS), in place. */
function directAxis1(field: Float64Array, height: number, width: number, plan: DirectAxis): void {
  const line = scratchFloat64('elastic_transform.line', width + 2 * plan.radius);
  for (let y = 0; y < height; y++) filterLine(field, y * width, 1, width, plan, line, field, y * width, 1);
}

/** Kernels up to this radius (3 sigma + 0.5 < 8: sigma < 2.5 px; all published direct ones but CIFAR severity 2). */
const BLOCKED_RADIUS = 7;

/*
 * The blocked passes, for radius <= 7, in three sizes R = 3, 5, 7 (the smallest R >= radius is used; the kernel
 * padded with zero taps up to R: adding (a + b) * 0 = +-0 changes no sum but the sign of an exact zero, which the
 * later steps do not see). Each output is summed like scipy: centre * x + (x[-R] + x[+R]) * wR + ... + (x[-1] +
 * x[+1]) * w1, left to right.
 * - blockedRAxis0: four output rows per sweep, the rows y - R .. y + R + 3 read once for the outputs y .. y + 3
 *   (2R + 4 loads instead of 4 (2R + 1)); remaining rows one by one. It writes row y at out[y * (width + 2R) + R ..],
 *   leaving R free values on either side for axis 1.
 * - blockedRAxis1, then float32(value * alpha) into `out`: fills each row's free values with its reflected
 *   neighbours (in place: the row becomes the padded line axis 1 reads), then two outputs per step with the 2R + 2
 *   values they read kept in locals (the window slides by two).
 * Both axes have the same kernel (one sigma), hence the same R and row layout.
 * (Small kernels are common: at 28x28 and 32x32 the CIFAR severities 3, 4, 5 have radius 5 or 6, 3 or 4, 3.)
 */

/** The blocked pass of axis 0 for the plan's radius, into rows of width + 2R values (see above). */
function blockedAxis0(field: Float64Array, height: number, width: number, plan: DirectAxis, out: Float64Array): void {
  if (plan.radius <= 3) blocked3Axis0(field, height, width, plan, out);
  else if (plan.radius <= 5) blocked5Axis0(field, height, width, plan, out);
  else blocked7Axis0(field, height, width, plan, out);
}

/** The blocked pass of axis 1 for the plan's radius on blockedAxis0's rows, then float32(value * alpha) into `out`. */
function blockedAxis1(field: Float64Array, height: number, width: number, plan: DirectAxis, alpha: number, out: Float32Array): void {
  if (plan.radius <= 3) blocked3Axis1(field, height, width, plan, alpha, out);
  else if (plan.radius <= 5) blocked5Axis1(field, height, width, plan, alpha, out);
  else blocked7Axis1(field, height, width, plan, alpha, out);
}

function blocked3Axis0(field: Float64Array, height: number, width: number, plan: DirectAxis, out: Float64Array): void {
  const stride = width + 6;
  const { index, pad, taps } = plan;
  const c = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  const w3 = taps[3];
  const row = (p: number): number => index[pad + p] * width;
  let y = 0;
  for (; y + 3 < height; y += 4) {
    const r0 = row(y - 3);
    const r1 = row(y - 2);
    const r2 = row(y - 1);
    const r3 = row(y);
    const r4 = row(y + 1);
    const r5 = row(y + 2);
    const r6 = row(y + 3);
    const r7 = row(y + 4);
    const r8 = row(y + 5);
    const r9 = row(y + 6);
    const o0 = y * stride + 3;
    const o1 = o0 + stride;
    const o2 = o1 + stride;
    const o3 = o2 + stride;
    for (let i = 0; i < width; i++) {
      const a0 = field[r0 + i];
      const a1 = field[r1 + i];
      const a2 = field[r2 + i];
      const a3 = field[r3 + i];
      const a4 = field[r4 + i];
      const a5 = field[r5 + i];
      const a6 = field[r6 + i];
      const a7 = field[r7 + i];
      const a8 = field[r8 + i];
      const a9 = field[r9 + i];
      out[o0 + i] = c * a3 + (a0 + a6) * w3 + (a1 + a5) * w2 + (a2 + a4) * w1;
      out[o1 + i] = c * a4 + (a1 + a7) * w3 + (a2 + a6) * w2 + (a3 + a5) * w1;
      out[o2 + i] = c * a5 + (a2 + a8) * w3 + (a3 + a7) * w2 + (a4 + a6) * w1;
      out[o3 + i] = c * a6 + (a3 + a9) * w3 + (a4 + a8) * w2 + (a5 + a7) * w1;
    }
  }
  for (; y < height; y++) {
    const r0 = row(y - 3);
    const r1 = row(y - 2);
    const r2 = row(y - 1);
    const r3 = row(y);
    const r4 = row(y + 1);
    const r5 = row(y + 2);
    const r6 = row(y + 3);
    const o = y * stride + 3;
    for (let i = 0; i < width; i++) {
      out[o + i] = c * field[r3 + i] + (field[r0 + i] + field[r6 + i]) * w3 + (field[r1 + i] + field[r5 + i]) * w2 + (field[r2 + i] + field[r4 + i]) * w1;
    }
  }
}

function blocked5Axis0(field: Float64Array, height: number, width: number, plan: DirectAxis, out: Float64Array): void {
  const stride = width + 10;
  const { index, pad, taps } = plan;
  const c = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  const w3 = taps[3];
  const w4 = taps[4];
  const w5 = taps[5];
  const row = (p: number): number => index[pad + p] * width;
  let y = 0;
  for (; y + 3 < height; y += 4) {
    const r0 = row(y - 5);
    const r1 = row(y - 4);
    const r2 = row(y - 3);
    const r3 = row(y - 2);
    const r4 = row(y - 1);
    const r5 = row(y);
    const r6 = row(y + 1);
    const r7 = row(y + 2);
    const r8 = row(y + 3);
    const r9 = row(y + 4);
    const r10 = row(y + 5);
    const r11 = row(y + 6);
    const r12 = row(y + 7);
    const r13 = row(y + 8);
    const o0 = y * stride + 5;
    const o1 = o0 + stride;
    const o2 = o1 + stride;
    const o3 = o2 + stride;
    for (let i = 0; i < width; i++) {
      const a0 = field[r0 + i];
      const a1 = field[r1 + i];
      const a2 = field[r2 + i];
      const a3 = field[r3 + i];
      const a4 = field[r4 + i];
      const a5 = field[r5 + i];
      const a6 = field[r6 + i];
      const a7 = field[r7 + i];
      const a8 = field[r8 + i];
      const a9 = field[r9 + i];
      const a10 = field[r10 + i];
      const a11 = field[r11 + i];
      const a12 = field[r12 + i];
      const a13 = field[r13 + i];
      out[o0 + i] = c * a5 + (a0 + a10) * w5 + (a1 + a9) * w4 + (a2 + a8) * w3 + (a3 + a7) * w2 + (a4 + a6) * w1;
      out[o1 + i] = c * a6 + (a1 + a11) * w5 + (a2 + a10) * w4 + (a3 + a9) * w3 + (a4 + a8) * w2 + (a5 + a7) * w1;
      out[o2 + i] = c * a7 + (a2 + a12) * w5 + (a3 + a11) * w4 + (a4 + a10) * w3 + (a5 + a9) * w2 + (a6 + a8) * w1;
      out[o3 + i] = c * a8 + (a3 + a13) * w5 + (a4 + a12) * w4 + (a5 + a11) * w3 + (a6 + a10) * w2 + (a7 + a9) * w1;
    }
  }
  for (; y < height; y++) {
    const r0 = row(y - 5);
    const r1 = row(y - 4);
    const r2 = row(y - 3);
    const r3 = row(y - 2);
    const r4 = row(y - 1);
    const r5 = row(y);
    const r6 = row(y + 1);
    const r7 = row(y + 2);
    const r8 = row(y + 3);
    const r9 = row(y + 4);
    const r10 = row(y + 5);
    const o = y * stride + 5;
    for (let i = 0; i < width; i++) {
      out[o + i] = c * field[r5 + i] + (field[r0 + i] + field[r10 + i]) * w5 + (field[r1 + i] + field[r9 + i]) * w4 + (field[r2 + i] + field[r8 + i]) * w3 + (field[r3 + i] + field[r7 + i]) * w2 + (field[r4 + i] + field[r6 + i]) * w1;
    }
  }
}

function blocked7Axis0(field: Float64Array, height: number, width: number, plan: DirectAxis, out: Float64Array): void {
  const stride = width + 14;
  const { index, pad, taps } = plan;
  const c = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  const w3 = taps[3];
  const w4 = taps[4];
  const w5 = taps[5];
  const w6 = taps[6];
  const w7 = taps[7];
  const row = (p: number): number => index[pad + p] * width;
  let y = 0;
  for (; y + 3 < height; y += 4) {
    const r0 = row(y - 7);
    const r1 = row(y - 6);
    const r2 = row(y - 5);
    const r3 = row(y - 4);
    const r4 = row(y - 3);
    const r5 = row(y - 2);
    const r6 = row(y - 1);
    const r7 = row(y);
    const r8 = row(y + 1);
    const r9 = row(y + 2);
    const r10 = row(y + 3);
    const r11 = row(y + 4);
    const r12 = row(y + 5);
    const r13 = row(y + 6);
    const r14 = row(y + 7);
    const r15 = row(y + 8);
    const r16 = row(y + 9);
    const r17 = row(y + 10);
    const o0 = y * stride + 7;
    const o1 = o0 + stride;
    const o2 = o1 + stride;
    const o3 = o2 + stride;
    for (let i = 0; i < width; i++) {
      const a0 = field[r0 + i];
      const a1 = field[r1 + i];
      const a2 = field[r2 + i];
      const a3 = field[r3 + i];
      const a4 = field[r4 + i];
      const a5 = field[r5 + i];
      const a6 = field[r6 + i];
      const a7 = field[r7 + i];
      const a8 = field[r8 + i];
      const a9 = field[r9 + i];
      const a10 = field[r10 + i];
      const a11 = field[r11 + i];
      const a12 = field[r12 + i];
      const a13 = field[r13 + i];
      const a14 = field[r14 + i];
      const a15 = field[r15 + i];
      const a16 = field[r16 + i];
      const a17 = field[r17 + i];
      out[o0 + i] = c * a7 + (a0 + a14) * w7 + (a1 + a13) * w6 + (a2 + a12) * w5 + (a3 + a11) * w4 + (a4 + a10) * w3 + (a5 + a9) * w2 + (a6 + a8) * w1;
      out[o1 + i] = c * a8 + (a1 + a15) * w7 + (a2 + a14) * w6 + (a3 + a13) * w5 + (a4 + a12) * w4 + (a5 + a11) * w3 + (a6 + a10) * w2 + (a7 + a9) * w1;
      out[o2 + i] = c * a9 + (a2 + a16) * w7 + (a3 + a15) * w6 + (a4 + a14) * w5 + (a5 + a13) * w4 + (a6 + a12) * w3 + (a7 + a11) * w2 + (a8 + a10) * w1;
      out[o3 + i] = c * a10 + (a3 + a17) * w7 + (a4 + a16) * w6 + (a5 + a15) * w5 + (a6 + a14) * w4 + (a7 + a13) * w3 + (a8 + a12) * w2 + (a9 + a11) * w1;
    }
  }
  for (; y < height; y++) {
    const r0 = row(y - 7);
    const r1 = row(y - 6);
    const r2 = row(y - 5);
    const r3 = row(y - 4);
    const r4 = row(y - 3);
    const r5 = row(y - 2);
    const r6 = row(y - 1);
    const r7 = row(y);
    const r8 = row(y + 1);
    const r9 = row(y + 2);
    const r10 = row(y + 3);
    const r11 = row(y + 4);
    const r12 = row(y + 5);
    const r13 = row(y + 6);
    const r14 = row(y + 7);
    const o = y * stride + 7;
    for (let i = 0; i < width; i++) {
      out[o + i] = c * field[r7 + i] + (field[r0 + i] + field[r14 + i]) * w7 + (field[r1 + i] + field[r13 + i]) * w6 + (field[r2 + i] + field[r12 + i]) * w5 + (field[r3 + i] + field[r11 + i]) * w4 + (field[r4 + i] + field[r10 + i]) * w3 + (field[r5 + i] + field[r9 + i]) * w2 + (field[r6 + i] + field[r8 + i]) * w1;
    }
  }
}

function blocked3Axis1(field: Float64Array, height: number, width: number, plan: DirectAxis, alpha: number, out: Float32Array): void {
  const { index, pad, taps } = plan;
  const c = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  const w3 = taps[3];
  const stride = width + 6;
  for (let y = 0; y < height; y++) {
    const o = y * width;
    const l = y * stride;
    for (let p = 0; p < 3; p++) {
      field[l + p] = field[l + 3 + index[pad + p - 3]];
      field[l + 3 + width + p] = field[l + 3 + index[pad + width + p]];
    }
    let a0 = field[l];
    let a1 = field[l + 1];
    let a2 = field[l + 2];
    let a3 = field[l + 3];
    let a4 = field[l + 4];
    let a5 = field[l + 5];
    let i = 0;
    for (; i + 1 < width; i += 2) {
      const a6 = field[l + i + 6];
      const a7 = field[l + i + 7];
      out[o + i] = (c * a3 + (a0 + a6) * w3 + (a1 + a5) * w2 + (a2 + a4) * w1) * alpha;
      out[o + i + 1] = (c * a4 + (a1 + a7) * w3 + (a2 + a6) * w2 + (a3 + a5) * w1) * alpha;
      a0 = a2;
      a1 = a3;
      a2 = a4;
      a3 = a5;
      a4 = a6;
      a5 = a7;
    }
    if (i < width) {
      const a6 = field[l + i + 6];
      out[o + i] = (c * a3 + (a0 + a6) * w3 + (a1 + a5) * w2 + (a2 + a4) * w1) * alpha;
    }
  }
}

function blocked5Axis1(field: Float64Array, height: number, width: number, plan: DirectAxis, alpha: number, out: Float32Array): void {
  const { index, pad, taps } = plan;
  const c = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  const w3 = taps[3];
  const w4 = taps[4];
  const w5 = taps[5];
  const stride = width + 10;
  for (let y = 0; y < height; y++) {
    const o = y * width;
    const l = y * stride;
    for (let p = 0; p < 5; p++) {
      field[l + p] = field[l + 5 + index[pad + p - 5]];
      field[l + 5 + width + p] = field[l + 5 + index[pad + width + p]];
    }
    let a0 = field[l];
    let a1 = field[l + 1];
    let a2 = field[l + 2];
    let a3 = field[l + 3];
    let a4 = field[l + 4];
    let a5 = field[l + 5];
    let a6 = field[l + 6];
    let a7 = field[l + 7];
    let a8 = field[l + 8];
    let a9 = field[l + 9];
    let i = 0;
    for (; i + 1 < width; i += 2) {
      const a10 = field[l + i + 10];
      const a11 = field[l + i + 11];
      out[o + i] = (c * a5 + (a0 + a10) * w5 + (a1 + a9) * w4 + (a2 + a8) * w3 + (a3 + a7) * w2 + (a4 + a6) * w1) * alpha;
      out[o + i + 1] = (c * a6 + (a1 + a11) * w5 + (a2 + a10) * w4 + (a3 + a9) * w3 + (a4 + a8) * w2 + (a5 + a7) * w1) * alpha;
      a0 = a2;
      a1 = a3;
      a2 = a4;
      a3 = a5;
      a4 = a6;
      a5 = a7;
      a6 = a8;
      a7 = a9;
      a8 = a10;
      a9 = a11;
    }
    if (i < width) {
      const a10 = field[l + i + 10];
      out[o + i] = (c * a5 + (a0 + a10) * w5 + (a1 + a9) * w4 + (a2 + a8) * w3 + (a3 + a7) * w2 + (a4 + a6) * w1) * alpha;
    }
  }
}

function blocked7Axis1(field: Float64Array, height: number, width: number, plan: DirectAxis, alpha: number, out: Float32Array): void {
  const { index, pad, taps } = plan;
  const c = taps[0];
  const w1 = taps[1];
  const w2 = taps[2];
  const w3 = taps[3];
  const w4 = taps[4];
  const w5 = taps[5];
  const w6 = taps[6];
  const w7 = taps[7];
  const stride = width + 14;
  for (let y = 0; y < height; y++) {
    const o = y * width;
    const l = y * stride;
    for (let p = 0; p < 7; p++) {
      field[l + p] = field[l + 7 + index[pad + p - 7]];
      field[l + 7 + width + p] = field[l + 7 + index[pad + width + p]];
    }
    let a0 = field[l];
    let a1 = field[l + 1];
    let a2 = field[l + 2];
    let a3 = field[l + 3];
    let a4 = field[l + 4];
    let a5 = field[l + 5];
    let a6 = field[l + 6];
    let a7 = field[l + 7];
    let a8 = field[l + 8];
    let a9 = field[l + 9];
    let a10 = field[l + 10];
    let a11 = field[l + 11];
    let a12 = field[l + 12];
    let a13 = field[l + 13];
    let i = 0;
    for (; i + 1 < width; i += 2) {
      const a14 = field[l + i + 14];
      const a15 = field[l + i + 15];
      out[o + i] = (c * a7 + (a0 + a14) * w7 + (a1 + a13) * w6 + (a2 + a12) * w5 + (a3 + a11) * w4 + (a4 + a10) * w3 + (a5 + a9) * w2 + (a6 + a8) * w1) * alpha;
      out[o + i + 1] = (c * a8 + (a1 + a15) * w7 + (a2 + a14) * w6 + (a3 + a13) * w5 + (a4 + a12) * w4 + (a5 + a11) * w3 + (a6 + a10) * w2 + (a7 + a9) * w1) * alpha;
      a0 = a2;
      a1 = a3;
      a2 = a4;
      a3 = a5;
      a4 = a6;
      a5 = a7;
      a6 = a8;
      a7 = a9;
      a8 = a10;
      a9 = a11;
      a10 = a12;
      a11 = a13;
      a12 = a14;
      a13 = a15;
    }
    if (i < width) {
      const a14 = field[l + i + 14];
      out[o + i] = (c * a7 + (a0 + a14) * w7 + (a1 + a13) * w6 + (a2 + a12) * w5 + (a3 + a11) * w4 + (a4 + a10) * w3 + (a5 + a9) * w2 + (a6 + a8) * w1) * alpha;
    }
  }
}

/** Axis-0 filtering in the truncated cosine basis: out = synthesis . (analysis . field). */
function dctAxis0(field: Float64Array, height: number, width: number, plan: DctAxis): Float64Array {
  const { modes, analysis, synthesis } = plan;
  const coefficients = new Float64Array(modes * width);
  for (let y = 0; y < height; y++) {
    const s = y * width;
    for (let q = 0; q < modes; q++) {
      const a = analysis[q * height + y];
      const c = q * width;
      for (let x = 0; x < width; x++) coefficients[c + x] += a * field[s + x];
    }
  }
  const out = new Float64Array(field.length);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let q = 0; q < modes; q++) {
      const b = synthesis[y * modes + q];
      const c = q * width;
      for (let x = 0; x < width; x++) out[o + x] += b * coefficients[c + x];
    }
  }
  return out;
}

/** Axis-1 filtering in the truncated cosine basis, in place. */
function dctAxis1(field: Float64Array, height: number, width: number, plan: DctAxis): void {
  const { modes, analysis, synthesis } = plan;
  const coefficients = new Float64Array(modes);
  for (let y = 0; y < height; y++) {
    const s = y * width;
    for (let q = 0; q < modes; q++) {
      let acc = 0;
      const a = q * width;
      for (let x = 0; x < width; x++) acc += analysis[a + x] * field[s + x];
      coefficients[q] = acc;
    }
    for (let x = 0; x < width; x++) {
      let acc = 0;
      const b = x * modes;
      for (let q = 0; q < modes; q++) acc += synthesis[b + q] * coefficients[q];
      field[s + x] = acc;
    }
  }
}

/**
 * Both axes in the cosine basis: C = A_y . F . A_x^T (modes_y x modes_x), then S_y . C . S_x^T, about
 * 2 (modes_y + modes_x) / 2 multiply-adds per value instead of 2 (modes_y + modes_x).
 */
function dct2d(field: Float64Array, height: number, width: number, py: DctAxis, px: DctAxis): Float64Array {
  const ky = py.modes;
  const kx = px.modes;
  const analysisY = py.analysis;
  const synthesisY = py.synthesis;
  const analysisX = px.analysis;
  const synthesisX = px.synthesis;
  // T1 = A_y . F  (ky x width)
  const t1 = new Float64Array(ky * width);
  for (let y = 0; y < height; y++) {
    const s = y * width;
    for (let q = 0; q < ky; q++) {
      const a = analysisY[q * height + y];
      const c = q * width;
      for (let x = 0; x < width; x++) t1[c + x] += a * field[s + x];
    }
  }
  // C = T1 . A_x^T  (ky x kx)
  const core = new Float64Array(ky * kx);
  for (let q = 0; q < ky; q++) {
    const c = q * width;
    for (let r = 0; r < kx; r++) {
      let acc = 0;
      const a = r * width;
      for (let x = 0; x < width; x++) acc += t1[c + x] * analysisX[a + x];
      core[q * kx + r] = acc;
    }
  }
  // T2 = C . S_x^T  (ky x width)
  const t2 = new Float64Array(ky * width);
  for (let q = 0; q < ky; q++) {
    const c = q * width;
    const k0 = q * kx;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      const b = x * kx;
      for (let r = 0; r < kx; r++) acc += core[k0 + r] * synthesisX[b + r];
      t2[c + x] = acc;
    }
  }
  // out = S_y . T2  (height x width)
  const out = new Float64Array(field.length);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let q = 0; q < ky; q++) {
      const b = synthesisY[y * ky + q];
      const c = q * width;
      for (let x = 0; x < width; x++) out[o + x] += b * t2[c + x];
    }
  }
  return out;
}

/** out[i] = float32(field[i] * alpha), i < n (the Float32Array store rounds like np.float32). */
function scaleToFloat32(field: Float64Array, n: number, alpha: number, out: Float32Array): void {
  for (let i = 0; i < n; i++) out[i] = field[i] * alpha;
}

/**
 * float32(gaussian_filter(U(-1, 1) of height x width, sigma, mode 'reflect', truncate 3) * alpha) into `out`, for
 * the uniforms `noise` (height x width, row-major; drawn by the caller). (The loops are in helper functions: a hot
 * loop here would be compiled on its own, on-stack, before the code after it had run, and V8 then deoptimises on
 * every call.)
 */
export function displacementField(height: number, width: number, sigma: number, alpha: number, noise: Float64Array, out: Float32Array): Float32Array {
  const n = height * width;
  if (!(sigma > 1e-15)) {
    // scipy leaves an axis unfiltered when its sigma is (about) zero.
    scaleToFloat32(noise, n, alpha, out);
    return out;
  }
  const py = axisFilter(height, sigma);
  const px = axisFilter(width, sigma);
  let field: Float64Array;
  if (py.kind === 'direct' && px.kind === 'direct' && py.blocked) {
    // Radius <= 7 (both axes have the same kernel): the blocked passes, which also scale and round.
    const vertical = scratchFloat64('elastic_transform.field', height * (width + 2 * BLOCKED_RADIUS));
    blockedAxis0(noise, height, width, py, vertical);
    blockedAxis1(vertical, height, width, px, alpha, out);
    return out;
  }
  if (py.kind === 'direct' && px.kind === 'direct') {
    field = scratchFloat64('elastic_transform.field', n);
    directAxis0(noise, height, width, py, field);
    directAxis1(field, height, width, px);
  } else if (py.kind === 'dct' && px.kind === 'dct') {
    field = dct2d(noise, height, width, py, px);
  } else {
    // One long axis (cosine basis) and one short one (direct), for some non-square images.
    if (py.kind === 'dct') {
      field = dctAxis0(noise, height, width, py);
    } else {
      field = new Float64Array(n);
      directAxis0(noise, height, width, py, field);
    }
    if (px.kind === 'dct') dctAxis1(field, height, width, px);
    else directAxis1(field, height, width, px);
  }
  scaleToFloat32(field, n, alpha, out);
  return out;
}

/**
 * map_coordinates(warped, (row + dy, col + dx, channel), order 1, mode 'reflect') per channel: bilinear in double,
 * rounded to float32 like scipy, then clip(v, 0, 1) * 255 (float32) truncated into `out`. One test per pixel sends
 * the 2x2 neighbourhoods that lie inside the image down the plain path; the others reflect each index.
 */
function mapCoordinates(warped: Float32Array, height: number, width: number, channels: number, dx: Float32Array, dy: Float32Array, out: Uint8Array): void {
  if (channels === 1) mapGrey(warped, height, width, dx, dy, out);
  else mapChannels(warped, height, width, channels, dx, dy, out);
}

/** mapCoordinates of a 1-channel image. */
function mapGrey(warped: Float32Array, height: number, width: number, dx: Float32Array, dy: Float32Array, out: Uint8Array): void {
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const sy = y + dy[p];
      const sx = x + dx[p];
      const fy = Math.floor(sy);
      const fx = Math.floor(sx);
      const ty = sy - fy;
      const tx = sx - fx;
      let i00: number;
      let i01: number;
      let i10: number;
      let i11: number;
      if (fy >= 0 && fy < height - 1 && fx >= 0 && fx < width - 1) {
        i00 = fy * width + fx;
        i01 = i00 + 1;
        i10 = i00 + width;
        i11 = i10 + 1;
      } else {
        const r0 = reflectIndex(fy, height) * width;
        const r1 = reflectIndex(fy + 1, height) * width;
        const c0 = reflectIndex(fx, width);
        const c1 = reflectIndex(fx + 1, width);
        i00 = r0 + c0;
        i01 = r0 + c1;
        i10 = r1 + c0;
        i11 = r1 + c1;
      }
      const v = f32((1 - ty) * (1 - tx) * warped[i00] + (1 - ty) * tx * warped[i01] + ty * (1 - tx) * warped[i10] + ty * tx * warped[i11]);
      out[p] = v >= 1 ? 255 : v > 0 ? f32(v * 255) | 0 : 0;
    }
  }
}

/** mapCoordinates of an image with several channels (3 unrolled). */
function mapChannels(warped: Float32Array, height: number, width: number, channels: number, dx: Float32Array, dy: Float32Array, out: Uint8Array): void {
  const rowStride = width * channels;
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const sy = y + dy[p];
      const sx = x + dx[p];
      const fy = Math.floor(sy);
      const fx = Math.floor(sx);
      const ty = sy - fy;
      const tx = sx - fx;
      let i00: number;
      let i01: number;
      let i10: number;
      let i11: number;
      if (fy >= 0 && fy < height - 1 && fx >= 0 && fx < width - 1) {
        i00 = fy * rowStride + fx * channels;
        i01 = i00 + channels;
        i10 = i00 + rowStride;
        i11 = i10 + channels;
      } else {
        const r0 = reflectIndex(fy, height) * rowStride;
        const r1 = reflectIndex(fy + 1, height) * rowStride;
        const c0 = reflectIndex(fx, width) * channels;
        const c1 = reflectIndex(fx + 1, width) * channels;
        i00 = r0 + c0;
        i01 = r0 + c1;
        i10 = r1 + c0;
        i11 = r1 + c1;
      }
      const w00 = (1 - ty) * (1 - tx);
      const w01 = (1 - ty) * tx;
      const w10 = ty * (1 - tx);
      const w11 = ty * tx;
      const o = p * channels;
      if (channels === 3) {
        const v0 = f32(w00 * warped[i00] + w01 * warped[i01] + w10 * warped[i10] + w11 * warped[i11]);
        const v1 = f32(w00 * warped[i00 + 1] + w01 * warped[i01 + 1] + w10 * warped[i10 + 1] + w11 * warped[i11 + 1]);
        const v2 = f32(w00 * warped[i00 + 2] + w01 * warped[i01 + 2] + w10 * warped[i10 + 2] + w11 * warped[i11 + 2]);
        out[o] = v0 >= 1 ? 255 : v0 > 0 ? f32(v0 * 255) | 0 : 0;
        out[o + 1] = v1 >= 1 ? 255 : v1 > 0 ? f32(v1 * 255) | 0 : 0;
        out[o + 2] = v2 >= 1 ? 255 : v2 > 0 ? f32(v2 * 255) | 0 : 0;
      } else {
        for (let c = 0; c < channels; c++) {
          const v = f32(w00 * warped[i00 + c] + w01 * warped[i01 + c] + w10 * warped[i10 + c] + w11 * warped[i11 + c]);
          out[o + c] = v >= 1 ? 255 : v > 0 ? f32(v * 255) | 0 : 0;
        }
      }
    }
  }
}

/** out[i] = clip(v, 0, 1) * 255 (float32) truncated, for the warped values v. */
function toBytes(warped: Float32Array, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = warped[i];
    out[i] = v > 1 ? 255 : v > 0 ? f32(v * 255) | 0 : 0;
  }
}

export const elasticTransform: Corruption = {
  name: 'elastic_transform',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [alpha0, sigma0, shift0] = parameterFor(ELASTIC_TRANSFORM_PARAMETERS, context.preset, severity, 'elastic_transform');
    const { height, width, channels, pixels } = image;
    if (Math.min(height, width) < ELASTIC_TRANSFORM_MIN_SIDE) {
      throw new InputError(
        `elastic_transform needs images of at least ${ELASTIC_TRANSFORM_MIN_SIDE}x${ELASTIC_TRANSFORM_MIN_SIDE} pixels, got ${height}x${width}`,
        {
          kind: 'data',
          code: 'image-too-small',
          fix: `use images of at least ${ELASTIC_TRANSFORM_MIN_SIDE}x${ELASTIC_TRANSFORM_MIN_SIDE} pixels, or leave elastic_transform out of the corruption list`,
        },
      );
    }
    const scale = spatialScale(image, context.preset);
    const alpha = alpha0 * scale;
    const sigma = sigma0 * scale;
    const shift = shift0 * scale;
    const random = context.random;

    // Random affine, applied to the float32 image x / 255 (read from the bytes through UNIT_F32).
    const cx = Math.floor(width / 2);
    const cy = Math.floor(height / 2);
    const side = Math.floor(Math.min(height, width) / 3);
    const from = [cx + side, cy + side, cx + side, cy - side, cx - side, cy - side];
    const to = from.map((v) => f32(v + f32(-shift + 2 * shift * random.next())));
    // The displacement fields' uniforms (dx's n, then dy's n) are drawn during the warp (none when alpha is 0).
    const n = height * width;
    const noise = alpha === 0 ? null : scratchFloat64('elastic_transform.noise', 2 * n);
    const warped = scratchFloat32('elastic_transform.warped', pixels.length);
    warpAffineReflect101(pixels, UNIT_F32, height, width, channels, affineFromPoints(from, to), warped, random, noise);

    const out = new Uint8Array(pixels.length);
    if (noise === null) {
      // alpha 0, zero displacement: map_coordinates at the integer grid returns the warped values unchanged.
      toBytes(warped, out);
      return { height, width, channels, pixels: out };
    }

    const dx = displacementField(height, width, sigma, alpha, noise.subarray(0, n), scratchFloat32('elastic_transform.dx', n));
    const dy = displacementField(height, width, sigma, alpha, noise.subarray(n, 2 * n), scratchFloat32('elastic_transform.dy', n));
    mapCoordinates(warped, height, width, channels, dx, dy, out);
    return { height, width, channels, pixels: out };
  },
};
