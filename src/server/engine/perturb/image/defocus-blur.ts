// defocus_blur: convolution with an anti-aliased disk (ImageNet-C / CIFAR-10-C definition). The kernel is built
// like the reference's `disk(radius, alias_blur)`: a binary disk X^2 + Y^2 <= r^2 on a 17x17 grid (radius <= 8) or
// a (2r+1)^2 grid, normalised to sum 1, then cv2.GaussianBlur with a 3x3 (radius <= 8) or 5x5 Gaussian of sigma
// alias_blur, whose border (on the kernel grid) is reflect-101. The image (x / 255) is then filtered per channel
// like cv2.filter2D: correlation, anchor at the centre, border reflect-101, in float64. The kernel is computed in
// float32 exactly like the reference (Math.fround after every operation): its sum differs from 1 by ~1e-7, and
// flat image regions land just below or above an integer grey level depending on that sum, so emulating it
// makes the truncating cast agree with the reference.
//
// Other image sizes (the documented rule of common.ts): with s = spatialScale(image, preset) = min(H, W) / nominal
// side (32 cifar, 224 imagenet), every length in pixels of the kernel is multiplied by s, so the kernel is the
// published one drawn s times larger:
//  - the disk radius r and the anti-aliasing sigma are multiplied by s;
//  - the grid: the reference draws radii <= 8 on a 17x17 grid (half-size 8) and larger radii on (2r+1)^2; scaled,
//    the half-size is max(1, round(8 s), trunc(r s)) when the published r <= 8, else trunc(r s), so the grid
//    always holds the scaled disk and keeps the same margin around it;
//  - the anti-aliasing Gaussian's kernel, 3x3 (half-size 1, published r <= 8) or 5x5 (half-size 2), gets the
//    half-size max(1, round(half-size * s)).
// At the nominal size s is exactly 1 and every one of these is the reference's value, so the output is unchanged.
//
// Speed: a direct 2-D convolution costs one multiply-add per kernel tap (up to 429 taps, radius 10) per value. The
// kernel is a disk convolved with a small separable Gaussian, so `filter2dReflect101` computes it instead as
//  - per kernel row, the sum of the image row over the disk's span of that row (two reads of a prefix-sum row),
//  - the anti-aliasing Gaussian applied separably to those disk sums (3 or 5 taps per axis),
//  - plus the effect of the kernel-grid border: where the disk reaches the border of its grid (radius 8 on the
//    17x17 grid, 10 on 21x21), the reference's anti-aliasing blur reflects there (reflect-101 on the kernel grid),
//    which folds some weight back inside. The fold is a few more span sums (rows near the top and bottom of the
//    grid, and by symmetry columns near its sides), derived from the kernel definition when the kernel is built
//    and checked against the whole folded kernel (anything left over would be applied as single taps).
// This is the same kernel in exact arithmetic (anti-aliasing taps below 1e-15 of the centre tap dropped); the
// reference kernel is float32, so its sum is 1 + ~1e-8 (or 1.01 where the border folds weight back), and that sum
// decides whether flat regions (k / 255 * sum) truncate to k or k - 1. The result is therefore multiplied by
// (float32 kernel sum) / (exact kernel sum): flat and linear regions come out exactly as the reference, elsewhere
// the difference is the float32 rounding of the taps (~1e-8 relative), which moves a value across an integer in
// about one value in 10^5 (none at all on the reference images: mean absolute difference 0 at every severity of
// both presets). A kernel that is a single cell without blur (tiny radii at small scales) is applied as the
// product with its centre tap, exactly like the direct filter. `filter2dReflect101Direct` is the tap-by-tap form.
// The corruption itself (bytes in, bytes out) runs the same plan in byte units, so the prefix and disk sums are
// exact integers; for RGB images the disk sums are taken for the three channels at once, each pixel packed into
// one double as r + g * 2^17 + b * 2^34 (exact integer arithmetic below 2^53, and no channel's sum reaches 2^17, so
// nothing carries over; images and kernels too large for that take the channel-by-channel sums). The last blur
// writes the bytes row by row. Against the x / 255 float path this changes only rounding (~1e-15 relative, far
// below the kernel sum's distance from 1, >= 5e-10 for the published kernels): byte-identical on every image tried.
// Small disks (reach <= 2, no fold terms: every CIFAR kernel at CIFAR sizes) take `filterSmallDiskBytes`: the disk
// sums are exact integers however they are added, so they come from a padded copy (or, for a single cell or a 3x3
// square / plus without blur, straight from the bytes) instead of prefix sums, and the two blurs and the byte
// conversion run in one sweep; each value is computed by the same expressions in the same order as the general
// path, so the bytes are the same. The kernel of the last call is remembered ahead of the cache's string key.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale, UNIT } from './common';

/** (radius, alias_blur sigma). */
export const DEFOCUS_BLUR_PARAMETERS: PresetParameters<readonly [number, number]> = {
  cifar: [
    [0.3, 0.4],
    [0.4, 0.5],
    [0.5, 0.6],
    [1, 0.2],
    [1.5, 0.1],
  ],
  imagenet: [
    [3, 0.1],
    [4, 0.5],
    [6, 0.5],
    [8, 0.5],
    [10, 0.5],
  ],
};

/** Index into [0, n) with OpenCV's BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba), repeated for far indices. */
export function reflect101(p: number, n: number): number {
  if (n === 1) return 0;
  while (p < 0 || p >= n) {
    if (p < 0) p = -p;
    if (p >= n) p = 2 * (n - 1) - p;
  }
  return p;
}

/** cv2.getGaussianKernel(n, sigma, CV_32F) for sigma > 0: float32 taps normalised with a double sum. */
function gaussianTaps(n: number, sigma: number): Float64Array {
  const taps = new Float64Array(n);
  const scale2 = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = i - (n - 1) * 0.5;
    taps[i] = Math.fround(Math.exp(scale2 * x * x));
    sum += taps[i];
  }
  const inverse = 1 / sum;
  for (let i = 0; i < n; i++) taps[i] = Math.fround(taps[i] * inverse);
  return taps;
}

/** The anti-aliased disk kernel (size x size, row-major). */
export interface DiskKernel {
  readonly size: number;
  readonly values: Float64Array;
}

const diskCache = new Map<string, DiskKernel>();

/** Grid and anti-aliasing kernel sizes of the disk kernel for a published radius drawn `scale` times larger. */
export function diskGeometry(publishedRadius: number, scale = 1): { radius: number; half: number; blurSize: number } {
  const radius = publishedRadius * scale;
  const small = publishedRadius <= 8;
  const half = small ? Math.max(1, Math.round(8 * scale), Math.trunc(radius)) : Math.max(1, Math.trunc(radius));
  const blurHalf = Math.max(1, Math.round((small ? 1 : 2) * scale));
  return { radius, half, blurSize: 2 * blurHalf + 1 };
}

/**
 * The reference's disk(radius, alias_blur) kernel, or with `scale` != 1 the same kernel drawn `scale` times
 * larger (radius, alias sigma, grid and anti-aliasing kernel scaled, see the header). Cached; must not be modified.
 */
export function diskKernel(publishedRadius: number, publishedAliasBlur: number, scale = 1): DiskKernel {
  // The last call's kernel first: a corruption run asks for the same one again and again, and the cache key
  // (a string made from three doubles) costs more than a small image's filter steps.
  if (lastKernel && publishedRadius === lastRadius && publishedAliasBlur === lastAliasBlur && scale === lastScale) return lastKernel;
  const key = `${publishedRadius}/${publishedAliasBlur}/${scale}`;
  const kernel = diskCache.get(key) ?? buildDiskKernel(publishedRadius, publishedAliasBlur, scale, key);
  lastRadius = publishedRadius;
  lastAliasBlur = publishedAliasBlur;
  lastScale = scale;
  lastKernel = kernel;
  return kernel;
}

let lastRadius = 0;
let lastAliasBlur = 0;
let lastScale = 0;
let lastKernel: DiskKernel | undefined;

function buildDiskKernel(publishedRadius: number, publishedAliasBlur: number, scale: number, key: string): DiskKernel {
  const { radius, half, blurSize } = diskGeometry(publishedRadius, scale);
  const aliasBlur = publishedAliasBlur * scale;
  const size = 2 * half + 1;
  const disk = new Float64Array(size * size);
  let count = 0;
  for (let y = -half; y <= half; y++) {
    for (let x = -half; x <= half; x++) {
      if (x * x + y * y <= radius * radius) {
        disk[(y + half) * size + (x + half)] = 1;
        count++;
      }
    }
  }
  const f = Math.fround;
  // float32 array divided by its float32 sum (the count, exact), rounded to float32 like numpy.
  for (let i = 0; i < disk.length; i++) if (disk[i] !== 0) disk[i] = f(disk[i] / count);
  // Separable Gaussian on the kernel grid in float32 like cv2.GaussianBlur (symmetric small row / column
  // filters: centre * k0 + (left + right) * k1 [+ (left2 + right2) * k2]), border reflect-101.
  const taps = gaussianTaps(blurSize, aliasBlur);
  const r = (blurSize - 1) >> 1;
  const tmp = new Float64Array(disk.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let acc = f(disk[y * size + x] * taps[r]);
      for (let k = 1; k <= r; k++) {
        acc = f(acc + f(f(disk[y * size + reflect101(x - k, size)] + disk[y * size + reflect101(x + k, size)]) * taps[r + k]));
      }
      tmp[y * size + x] = acc;
    }
  }
  const values = new Float64Array(disk.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let acc = f(tmp[y * size + x] * taps[r]);
      for (let k = 1; k <= r; k++) {
        acc = f(acc + f(f(tmp[reflect101(y - k, size) * size + x] + tmp[reflect101(y + k, size) * size + x]) * taps[r + k]));
      }
      values[y * size + x] = acc;
    }
  }
  const kernel = { size, values };
  planByKernel.set(kernel, buildDiskPlan(publishedRadius, publishedAliasBlur, scale, kernel));
  diskCache.set(key, kernel);
  return kernel;
}

/**
 * The disk kernel as span sums (see the header): `rows` are (dy, w) pairs, the disk's row dy covers |dx| <= w;
 * `taps` the anti-aliasing Gaussian (2g + 1 taps, tails below 1e-15 of the centre dropped); the fold terms
 * (y offset j, half-width w, weight) are row spans blurred along x only, and their transposes (column spans at x
 * offset j) blurred along y only; `points` (dy, dx, weight) whatever is left (none for the published kernels).
 * `factor` maps the exact sum of this kernel (disk cells weighted 1) to the float32 kernel's sum.
 */
interface DiskPlan {
  /** The largest offset any term reaches (rows, span half-widths, fold offsets, points): the padding is reach + g. */
  readonly reach: number;
  readonly g: number;
  readonly taps: Float64Array;
  readonly rows: Int32Array;
  readonly foldJ: Int32Array;
  readonly foldW: Int32Array;
  readonly foldWeight: Float64Array;
  readonly points: Int32Array;
  readonly pointWeight: Float64Array;
  readonly factor: number;
  /** For a kernel that is a single cell (radius < 1, negligible anti-aliasing): its value, else 0. */
  readonly identity: number;
  /** The second pass's taps with the float32-sum factor, on values (x / 255) and on bytes (also taking the 1 / 255). */
  readonly valueTaps: Float64Array;
  readonly byteTaps: Float64Array;
  /** Whether bytes go through filterSmallDiskBytes: no fold terms or leftover taps, reach <= SMALL_REACH, not identity. */
  readonly small: boolean;
}

/** The largest reach of filterSmallDiskBytes (the disk fits in 5x5: every published CIFAR kernel up to scale 1.5). */
const SMALL_REACH = 2;

const planByKernel = new WeakMap<DiskKernel, DiskPlan>();

/** Builds the span-sum plan of a disk kernel (see DiskPlan) from the same geometry and taps as the kernel. */
function buildDiskPlan(publishedRadius: number, publishedAliasBlur: number, scale: number, kernel: DiskKernel): DiskPlan {
  const { radius, half, blurSize } = diskGeometry(publishedRadius, scale);
  const n = 2 * half + 1;
  const allTaps = gaussianTaps(blurSize, publishedAliasBlur * scale);
  const r0 = (blurSize - 1) >> 1;
  let g = r0;
  while (g > 0 && allTaps[r0 + g] < 1e-15 * allTaps[r0]) g--;
  const taps = allTaps.slice(r0 - g, r0 + g + 1);
  const tap = (d: number): number => (d >= -g && d <= g ? taps[d + g] : 0);
  // Disk rows: |dx| <= w(dy), or w = -1 for an empty row.
  const w = new Int32Array(n).fill(-1);
  const rowList: number[] = [];
  for (let dy = -half; dy <= half; dy++) {
    for (let dx = 0; dx <= half; dx++) if (dx * dx + dy * dy <= radius * radius) w[dy + half] = dx;
    if (w[dy + half] >= 0) rowList.push(dy, w[dy + half]);
  }
  // The folded 1-D blur on the grid: fold[i][k] = weight of grid position k in the output at grid position i
  // (reflect-101 on the grid), and its difference from the plain blur (positions -half - g .. half + g).
  const ext = half + g;
  const m = 2 * ext + 1;
  const correction = new Float64Array(m * m); // [j + ext][i + ext]: folded - plain weight of source i in output j
  for (let j = -ext; j <= ext; j++) {
    for (let i = -ext; i <= ext; i++) {
      let folded = 0;
      if (j >= -half && j <= half) {
        for (let k = -g; k <= g; k++) if (reflect101(j + k + half, n) - half === i) folded += tap(k);
      }
      correction[(j + ext) * m + (i + ext)] = folded - tap(i - j);
    }
  }
  // Fold terms: row dy of the disk (span w) contributes correction[j][dy] times its x-blurred span to output row j.
  const terms = new Map<string, number>();
  for (let dy = -half; dy <= half; dy++) {
    const span = w[dy + half];
    if (span < 0) continue;
    for (let j = -ext; j <= ext; j++) {
      const c = correction[(j + ext) * m + (dy + ext)];
      if (c !== 0) terms.set(`${j}/${span}`, (terms.get(`${j}/${span}`) ?? 0) + c);
    }
  }
  const foldJ: number[] = [];
  const foldW: number[] = [];
  const foldWeight: number[] = [];
  for (const [key, c] of terms) {
    if (Math.abs(c) < 1e-18) continue; // cancelled exactly up to rounding
    const [j, span] = key.split('/').map(Number);
    foldJ.push(j);
    foldW.push(span);
    foldWeight.push(c);
  }
  // The whole folded kernel in exact arithmetic (disk cells 1), on the (2 ext + 1)^2 grid ...
  const exact = new Float64Array(m * m);
  {
    const rowsBlurred = new Float64Array(n * n);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let acc = 0;
        for (let k = -g; k <= g; k++) {
          const xx = reflect101(x + k, n);
          if (Math.abs(xx - half) <= w[y]) acc += tap(k);
        }
        rowsBlurred[y * n + x] = acc;
      }
    }
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let acc = 0;
        for (let k = -g; k <= g; k++) acc += tap(k) * rowsBlurred[reflect101(y + k, n) * n + x];
        exact[(y + g) * m + (x + g)] = acc;
      }
    }
  }
  // ... minus what the plan computes: the blurred disk, the fold terms and their transposes.
  const residual = Float64Array.from(exact);
  for (let r = 0; r < rowList.length; r += 2) {
    const dy = rowList[r];
    const span = rowList[r + 1];
    for (let u = -span; u <= span; u++) {
      for (let a = -g; a <= g; a++) for (let b = -g; b <= g; b++) residual[(dy + a + ext) * m + (u + b + ext)] -= tap(a) * tap(b);
    }
  }
  for (let t = 0; t < foldJ.length; t++) {
    for (let u = -foldW[t]; u <= foldW[t]; u++) {
      for (let b = -g; b <= g; b++) {
        const c = foldWeight[t] * tap(b);
        residual[(foldJ[t] + ext) * m + (u + b + ext)] -= c; // row span at y offset j, blurred along x
        residual[(u + b + ext) * m + (foldJ[t] + ext)] -= c; // its transpose: column span at x offset j, along y
      }
    }
  }
  const points: number[] = [];
  const pointWeight: number[] = [];
  let exactSum = 0;
  for (let y = 0; y < m; y++) {
    for (let x = 0; x < m; x++) {
      exactSum += exact[y * m + x];
      const e = residual[y * m + x];
      if (Math.abs(e) > 1e-12) {
        points.push(y - ext, x - ext);
        pointWeight.push(e);
      }
    }
  }
  let float32Sum = 0;
  for (let i = 0; i < kernel.values.length; i++) float32Sum += kernel.values[i];
  let reach = 0;
  for (const v of [...rowList, ...foldJ, ...foldW, ...points]) reach = Math.max(reach, Math.abs(v));
  const factor = float32Sum / exactSum;
  // One cell and no blur: the output is value * centre tap, exactly as the direct filter computes it (a prefix
  // difference would not give the value back to the last bit, and here every output sits on a grey level).
  const identity = rowList.length === 2 && rowList[1] === 0 && g === 0 ? kernel.values[half * n + half] : 0;
  return {
    reach,
    g,
    taps,
    rows: Int32Array.from(rowList),
    foldJ: Int32Array.from(foldJ),
    foldW: Int32Array.from(foldW),
    foldWeight: Float64Array.from(foldWeight),
    points: Int32Array.from(points),
    pointWeight: Float64Array.from(pointWeight),
    factor,
    identity,
    valueTaps: taps.map((t) => t * factor * 1),
    byteTaps: taps.map((t) => t * factor * (1 / 255)),
    small: identity === 0 && foldJ.length === 0 && points.length === 0 && reach <= SMALL_REACH,
  };
}

/**
 * Reused work arrays (per thread: each worker has its own module instance; nothing here is asynchronous). Fresh
 * multi-megabyte typed arrays cost page faults and zeroing on every call, a large part of the filter's time at
 * 224x224. Arrays above SCRATCH_LIMIT elements (8 MB) are not kept.
 */
const SCRATCH_LIMIT = 1 << 20;
const scratchArrays: Float64Array[] = [];

/** An empty array, for the arrays a step does not need. */
const EMPTY = new Float64Array(0);

/** Work array `slot` with at least `length` elements (contents undefined: callers initialise what they read). */
function scratch(slot: number, length: number): Float64Array {
  const kept = scratchArrays[slot];
  if (kept !== undefined && kept.length >= length) return kept.length === length ? kept : kept.subarray(0, length);
  const array = new Float64Array(length);
  if (length <= SCRATCH_LIMIT) scratchArrays[slot] = array;
  return array;
}

/**
 * The disk sums of one row: acc[at + i] += sum over spans s < count of (src[hi[s] + i] - src[lo[s] + i]),
 * i < length, in the order (((acc + S0) + S1) + ...) + the remaining single spans one by one, where S0, S1, ... are
 * the sums of four consecutive spans (d0 + d1) + d2 + d3. One sweep per four spans; the last sweep also takes the
 * 0 .. 3 remaining spans (missing ones as empty spans hi = lo, whose +0 changes no sum), so there is no sweep
 * for a single span. `hi` and `lo` must have room for count + 3 entries.
 */
function addSpans(acc: Float64Array, at: number, length: number, src: Float64Array, hi: Int32Array, lo: Int32Array, count: number): void {
  const groups = count >> 2;
  const rest = count & 3;
  for (let s = count; s < count + 3; s++) hi[s] = lo[s] = 0;
  for (let group = 0; group < Math.max(groups, 1); group++) {
    const s = group << 2;
    const last = group === Math.max(groups, 1) - 1;
    // Without a full group (count < 4) the group is four empty spans.
    const full = groups > 0;
    const h0 = full ? hi[s] : 0;
    const l0 = full ? lo[s] : 0;
    const h1 = full ? hi[s + 1] : 0;
    const l1 = full ? lo[s + 1] : 0;
    const h2 = full ? hi[s + 2] : 0;
    const l2 = full ? lo[s + 2] : 0;
    const h3 = full ? hi[s + 3] : 0;
    const l3 = full ? lo[s + 3] : 0;
    if (!last || rest === 0) {
      for (let i = 0; i < length; i++) {
        acc[at + i] += src[h0 + i] - src[l0 + i] + (src[h1 + i] - src[l1 + i]) + (src[h2 + i] - src[l2 + i]) + (src[h3 + i] - src[l3 + i]);
      }
    } else {
      const t = groups << 2; // the remaining spans t .. t + 2
      const h4 = hi[t];
      const l4 = lo[t];
      const h5 = hi[t + 1];
      const l5 = lo[t + 1];
      const h6 = hi[t + 2];
      const l6 = lo[t + 2];
      for (let i = 0; i < length; i++) {
        acc[at + i] =
          acc[at + i] +
          (src[h0 + i] - src[l0 + i] + (src[h1 + i] - src[l1 + i]) + (src[h2 + i] - src[l2 + i]) + (src[h3 + i] - src[l3 + i])) +
          (src[h4 + i] - src[l4 + i]) +
          (src[h5 + i] - src[l5 + i]) +
          (src[h6 + i] - src[l6 + i]);
      }
    }
  }
}

/** acc[at + i] += sum over spans s of weight[s] * (src[hi[s] + i] - src[lo[s] + i]), i < length. */
function addWeightedSpans(acc: Float64Array, at: number, length: number, src: Float64Array, hi: Int32Array, lo: Int32Array, count: number, weight: Float64Array): void {
  let s = 0;
  for (; s + 3 < count; s += 4) {
    const h0 = hi[s];
    const l0 = lo[s];
    const h1 = hi[s + 1];
    const l1 = lo[s + 1];
    const h2 = hi[s + 2];
    const l2 = lo[s + 2];
    const h3 = hi[s + 3];
    const l3 = lo[s + 3];
    const w0 = weight[s];
    const w1 = weight[s + 1];
    const w2 = weight[s + 2];
    const w3 = weight[s + 3];
    for (let i = 0; i < length; i++) {
      acc[at + i] += w0 * (src[h0 + i] - src[l0 + i]) + w1 * (src[h1 + i] - src[l1 + i]) + (w2 * (src[h2 + i] - src[l2 + i]) + w3 * (src[h3 + i] - src[l3 + i]));
    }
  }
  for (; s < count; s++) {
    const h0 = hi[s];
    const l0 = lo[s];
    const w0 = weight[s];
    for (let i = 0; i < length; i++) acc[at + i] += w0 * (src[h0 + i] - src[l0 + i]);
  }
}

/**
 * out[o + i] (+)= sum over k of taps[g + k] * src[mid + k * step + i] (symmetric taps, k = -g .. g), i < length:
 * one sweep for the usual g <= 2, tap by tap otherwise.
 */
function blurLine(out: Float64Array, o: number, src: Float64Array, mid: number, step: number, length: number, taps: Float64Array, g: number, add: boolean): void {
  const centre = taps[g];
  if (g === 1 && !add) {
    const t1 = taps[2];
    for (let i = 0; i < length; i++) out[o + i] = centre * src[mid + i] + t1 * (src[mid - step + i] + src[mid + step + i]);
    return;
  }
  if (g === 2 && !add) {
    const t1 = taps[3];
    const t2 = taps[4];
    const s2 = 2 * step;
    for (let i = 0; i < length; i++) {
      out[o + i] = centre * src[mid + i] + t1 * (src[mid - step + i] + src[mid + step + i]) + t2 * (src[mid - s2 + i] + src[mid + s2 + i]);
    }
    return;
  }
  if (add) for (let i = 0; i < length; i++) out[o + i] += centre * src[mid + i];
  else for (let i = 0; i < length; i++) out[o + i] = centre * src[mid + i];
  for (let k = 1; k <= g; k++) {
    const t = taps[g + k];
    const before = mid - k * step;
    const after = mid + k * step;
    for (let i = 0; i < length; i++) out[o + i] += t * (src[before + i] + src[after + i]);
  }
}

/** Lane base of the packed disk sums (see packedDiskSums): 2^17. */
const LANE = 131072;
const LANE2 = LANE * LANE;
const INV_LANE = 1 / LANE;
const INV_LANE2 = 1 / LANE2;

/** Whether packedDiskSums is exact for an RGB image `paddedWidth` pixels wide (padded) and a disk of `cells` cells. */
function packable(paddedWidth: number, cells: number): boolean {
  // Disk sums per channel below 2^17, packed row prefixes (255 * paddedWidth * (1 + 2^17 + 2^34)) below 2^53.
  return 255 * cells < LANE && 255 * paddedWidth * (1 + LANE + LANE2) < 2 ** 53;
}

/**
 * The disk sums of an RGB byte image, three channels at once: each pixel packed into one double as the integer
 * r + g * 2^17 + b * 2^34, row prefix sums of the packed padded image (exact: integers below 2^53), the spans summed
 * packed (a third of the channel-wise work; exact, and every channel's sum stays below 2^17, so nothing carries
 * into the next channel), then unpacked into `ds` (channel-interleaved rows -g .. height + g - 1, columns -g ..
 * width + g - 1, in byte units).
 */
function packedDiskSums(pixels: Uint8Array, height: number, width: number, plan: DiskPlan, pad: number, ds: Float64Array): void {
  const { g, rows } = plan;
  const rowLength = width * 3;
  const paddedHeight = height + 2 * pad;
  const paddedWidth = width + 2 * pad;
  const prefixRow = paddedWidth + 1;
  const colMap = new Int32Array(paddedWidth);
  for (let x = 0; x < paddedWidth; x++) colMap[x] = reflect101(x - pad, width) * 3;
  const prefix = scratch(9, paddedHeight * prefixRow);
  for (let yp = 0; yp < paddedHeight; yp++) {
    const src = reflect101(yp - pad, height) * rowLength;
    const base = yp * prefixRow;
    let acc = 0;
    prefix[base] = 0;
    for (let x = 0; x < paddedWidth; x++) {
      const at = src + colMap[x];
      acc += pixels[at] + pixels[at + 1] * LANE + pixels[at + 2] * LANE2;
      prefix[base + 1 + x] = acc;
    }
  }
  const dsWidth = width + 2 * g;
  const packed = scratch(8, dsWidth);
  const nRows = rows.length >> 1;
  const hi = new Int32Array(nRows + 3);
  const lo = new Int32Array(nRows + 3);
  for (let y = -g; y < height + g; y++) {
    for (let r = 0; r < nRows; r++) {
      const base = (y + rows[2 * r] + pad) * prefixRow;
      hi[r] = base + pad - g + rows[2 * r + 1] + 1;
      lo[r] = base + pad - g - rows[2 * r + 1];
    }
    packed.fill(0);
    addSpans(packed, 0, dsWidth, prefix, hi, lo, nRows);
    for (let j = 0, o = (y + g) * dsWidth * 3; j < dsWidth; j++, o += 3) {
      const d = packed[j];
      const b = Math.floor(d * INV_LANE2);
      const rest = d - b * LANE2;
      const gr = Math.floor(rest * INV_LANE);
      ds[o] = rest - gr * LANE;
      ds[o + 1] = gr;
      ds[o + 2] = b;
    }
  }
}

/** values[i] = pixels[i] (byte units); returns values. */
function byteValues(pixels: Uint8Array, values: Float64Array): Float64Array {
  for (let i = 0; i < pixels.length; i++) values[i] = pixels[i];
  return values;
}

/**
 * Row prefix sums of the reflect-101 padded image (pad pixels on every side), channel by channel:
 * prefix[yp][(xp + 1) C + c] = sum of padded[yp][0 .. xp] in channel c (prefix[yp][c] = 0), rows
 * paddedWidth * C + C long; with `columnPrefix`, also columnPrefix[yp] = sum of the padded rows 0 .. yp - 1 (rows
 * paddedWidth * C long).
 */
function channelPrefixSums(
  values: Float64Array,
  height: number,
  width: number,
  C: number,
  pad: number,
  prefix: Float64Array,
  columnPrefix: Float64Array | undefined,
): void {
  const rowLength = width * C;
  const paddedWidth = width + 2 * pad;
  const paddedRow = paddedWidth * C;
  const prefixRow = paddedRow + C;
  const colMap = new Int32Array(paddedWidth);
  for (let x = 0; x < paddedWidth; x++) colMap[x] = reflect101(x - pad, width) * C;
  if (columnPrefix) columnPrefix.fill(0, 0, paddedRow);
  const line = scratch(3, paddedRow);
  for (let yp = 0; yp < height + 2 * pad; yp++) {
    const src = reflect101(yp - pad, height) * rowLength;
    line.set(values.subarray(src, src + rowLength), pad * C);
    for (let x = 0; x < pad; x++) {
      for (let c = 0; c < C; c++) {
        line[x * C + c] = values[src + colMap[x] + c];
        line[(pad + width + x) * C + c] = values[src + colMap[pad + width + x] + c];
      }
    }
    const base = yp * prefixRow;
    for (let c = 0; c < C; c++) prefix[base + c] = 0;
    for (let q = 0; q < paddedRow; q++) prefix[base + C + q] = prefix[base + q] + line[q];
    if (columnPrefix) {
      const from = yp * paddedRow;
      for (let q = 0; q < paddedRow; q++) columnPrefix[from + paddedRow + q] = columnPrefix[from + q] + line[q];
    }
  }
}

/**
 * The disk-kernel convolution through its plan (see DiskPlan), border reflect-101, on HWC `values` (x / 255) or,
 * with `pixels`, on the bytes (values ignored). The result goes to `out`: as values (a Float64Array) or as bytes
 * np.uint8(np.clip(x, 0, 1) * 255) (a Uint8Array). Steps: the disk sums (one plane, rows -g .. height + g - 1), from
 * row prefix sums of the padded image (channel by channel, or three channels at once for RGB bytes, see
 * packedDiskSums); then per output row: the anti-aliasing blur along y into a line (plus the row fold terms), along
 * x into the output row (plus the column fold terms and leftover taps), written to `out`. From bytes everything is
 * computed in byte units (the disk sums are then exact integers) and the last blur's taps take the 1 / 255.
 */
function filterDiskPlan(
  values: Float64Array,
  pixels: Uint8Array | undefined,
  height: number,
  width: number,
  channels: number,
  plan: DiskPlan,
  out: Float64Array | Uint8Array,
): void {
  const { reach, g, taps, rows, foldJ, foldW, foldWeight, points, pointWeight, factor, identity } = plan;
  const C = channels;
  const rowLength = width * C;
  const bytes = out instanceof Uint8Array;
  const result = bytes ? scratch(0, rowLength) : (out as Float64Array);
  if (identity !== 0) {
    const unit = UNIT;
    for (let y = 0; y < height; y++) {
      const o = y * rowLength;
      const at = bytes ? 0 : o;
      if (pixels) for (let i = 0; i < rowLength; i++) result[at + i] = identity * unit[pixels[o + i]];
      else for (let i = 0; i < rowLength; i++) result[at + i] = identity * values[o + i];
      if (bytes) toBytes(result, out as Uint8Array, o, rowLength);
    }
    return;
  }
  const pad = reach + g;
  const paddedHeight = height + 2 * pad;
  const paddedWidth = width + 2 * pad;
  const paddedRow = paddedWidth * C;
  const prefixRow = paddedRow + C;
  const folds = foldJ.length;
  const nRows = rows.length >> 1;
  let cells = 0;
  for (let r = 0; r < nRows; r++) cells += 2 * rows[2 * r + 1] + 1;
  const packed = pixels !== undefined && C === 3 && packable(paddedWidth, cells);
  // From bytes, everything is in byte units.
  const unitScale = pixels ? 1 / 255 : 1;
  const dsRow = (width + 2 * g) * C;
  const ds = scratch(4, (height + 2 * g) * dsRow);
  if (packed) packedDiskSums(pixels, height, width, plan, pad, ds);
  // Row prefix sums of the reflect-101 padded image (for the disk sums unless packed, and for fold terms and
  // leftover taps), and with fold terms column prefix sums.
  const channelPrefix = !packed || folds > 0 || pointWeight.length > 0;
  const prefix = channelPrefix ? scratch(1, paddedHeight * prefixRow) : EMPTY;
  const columnPrefix = folds > 0 ? scratch(2, (paddedHeight + 1) * paddedRow) : EMPTY;
  if (channelPrefix) {
    if (pixels) values = byteValues(pixels, scratch(7, pixels.length));
    channelPrefixSums(values, height, width, C, pad, prefix, folds > 0 ? columnPrefix : undefined);
  }
  if (!packed) {
    // Disk sums on rows -g .. height + g - 1, columns -g .. width + g - 1, channel by channel.
    ds.fill(0);
    const rowHi = new Int32Array(nRows + 3);
    const rowLo = new Int32Array(nRows + 3);
    for (let y = -g; y < height + g; y++) {
      for (let r = 0; r < nRows; r++) {
        const base = (y + rows[2 * r] + pad) * prefixRow;
        rowHi[r] = base + (pad - g + rows[2 * r + 1] + 1) * C;
        rowLo[r] = base + (pad - g - rows[2 * r + 1]) * C;
      }
      addSpans(ds, (y + g) * dsRow, dsRow, prefix, rowHi, rowLo, nRows);
    }
  }
  const foldHi = new Int32Array(folds);
  const foldLo = new Int32Array(folds);
  // The column fold terms (transposes of the row ones): column spans at x offset j, to be blurred along y.
  const folded = folds > 0 ? scratch(6, (height + 2 * g) * rowLength).fill(0) : EMPTY;
  if (folds > 0) {
    for (let y = -g; y < height + g; y++) {
      for (let f = 0; f < folds; f++) {
        const column = (pad + foldJ[f]) * C;
        foldHi[f] = (y + foldW[f] + 1 + pad) * paddedRow + column;
        foldLo[f] = (y - foldW[f] + pad) * paddedRow + column;
      }
      addWeightedSpans(folded, (y + g) * rowLength, rowLength, columnPrefix, foldHi, foldLo, folds, foldWeight);
    }
  }
  // The float32-sum factor (and from bytes the 1 / 255) folded into the taps of the second pass.
  const scaled = pixels ? plan.byteTaps : plan.valueTaps;
  const vertical = scratch(5, dsRow);
  for (let y = 0; y < height; y++) {
    // Blur along y, plus the row fold terms (blurred along x below with everything else).
    blurLine(vertical, 0, ds, (y + g) * dsRow, dsRow, dsRow, taps, g, false);
    if (folds > 0) {
      for (let f = 0; f < folds; f++) {
        const base = (y + foldJ[f] + pad) * prefixRow;
        foldHi[f] = base + (pad - g + foldW[f] + 1) * C;
        foldLo[f] = base + (pad - g - foldW[f]) * C;
      }
      addWeightedSpans(vertical, 0, dsRow, prefix, foldHi, foldLo, folds, foldWeight);
    }
    // Blur along x; then the column fold terms blurred along y, and the leftover single taps (none for the
    // published kernels), read back from the prefix sums.
    const o = y * rowLength;
    const at = bytes ? 0 : o;
    blurLine(result, at, vertical, g * C, C, rowLength, scaled, g, false);
    if (folds > 0) blurLine(result, at, folded, (y + g) * rowLength, rowLength, rowLength, scaled, g, true);
    for (let p = 0; p < pointWeight.length; p++) {
      const weight = pointWeight[p] * factor * unitScale;
      const base = (y + points[2 * p] + pad) * prefixRow + (pad + points[2 * p + 1]) * C;
      for (let i = 0; i < rowLength; i++) result[at + i] += weight * (prefix[base + C + i] - prefix[base + i]);
    }
    if (bytes) toBytes(result, out as Uint8Array, o, rowLength);
  }
}

/**
 * The plan from bytes for a small disk (plan.small: every published CIFAR kernel at CIFAR sizes). The disk sums are
 * exact integers in byte units whichever way they are added up, so instead of prefix sums they are summed directly:
 * straight from the bytes for a single cell with g = 1 (cellBlurToBytes) or a 3x3 square / plus with g = 0
 * (squareOrPlusToBytes), else on the reflect-101 padded image (nothing to sum for a single cell: its sums are the
 * padded image itself; smallDiskSums otherwise). The two blurs are filterDiskPlan's, with the same expressions in
 * the same order (blurLine; blurRowToBytes, or both fused in fusedBlurToBytes), so the bytes are identical.
 */
function filterSmallDiskBytes(pixels: Uint8Array, height: number, width: number, C: number, plan: DiskPlan, out: Uint8Array): void {
  const { reach, g, rows, taps, byteTaps } = plan;
  const cell = rows.length === 2 && rows[1] === 0;
  if (cell && g === 1) {
    cellBlurToBytes(pixels, height, width, C, taps, byteTaps, out);
    return;
  }
  if (g === 0 && reach === 1) {
    // rows dy = -1, 0, 1 with half-widths w, 1, w: w = 0 a plus, w = 1 a 3x3 square.
    squareOrPlusToBytes(pixels, height, width, C, rows[1] === 1, taps[0], byteTaps[0], out);
    return;
  }
  const pad = reach + g;
  const row = (width + 2 * pad) * C;
  const total = (height + 2 * pad) * row;
  const padded = scratch(10, total);
  padBytes(pixels, height, width, C, pad, padded);
  const ds = cell ? padded : smallDiskSums(padded, row, C, reach, total, rows);
  if (g <= 2) {
    fusedBlurToBytes(ds, row, pad, height, width, C, taps, byteTaps, g, out);
    return;
  }
  // Blur along y, all output rows (padded rows pad .. pad + height - 1, the whole padded width) in one sweep.
  const vertical = scratch(11, height * row);
  blurLine(vertical, 0, ds, pad * row, row, height * row, taps, g, false);
  const rowLength = width * C;
  for (let y = 0; y < height; y++) blurRowToBytes(vertical, y * row + pad * C, C, rowLength, byteTaps, g, out, y * rowLength);
}

/**
 * fusedBlurToBytes for a single-cell disk and g = 1 (CIFAR severities 1 to 3, and 4 at 28x28), straight from the
 * bytes: the disk sums are the pixels themselves, so the three rows around y (reflect-101) and the columns -1 and
 * width (reflected to 1 and width - 2) are read from `pixels`, with no padded copy. Same expressions, same values.
 */
function cellBlurToBytes(pixels: Uint8Array, height: number, width: number, C: number, taps: Float64Array, byteTaps: Float64Array, out: Uint8Array): void {
  const c0 = taps[1];
  const c1 = taps[2];
  const s0 = byteTaps[1];
  const s1 = byteTaps[2];
  const rowLength = width * C;
  const left = reflect101(-1, width) * C;
  const right = reflect101(width, width) * C;
  for (let y = 0; y < height; y++) {
    const above = reflect101(y - 1, height) * rowLength;
    const here = y * rowLength;
    const below = reflect101(y + 1, height) * rowLength;
    for (let c = 0; c < C; c++) {
      let before = c0 * pixels[here + left + c] + c1 * (pixels[above + left + c] + pixels[below + left + c]);
      let centre = c0 * pixels[here + c] + c1 * (pixels[above + c] + pixels[below + c]);
      let o = here + c; // the output has the input's layout
      for (let j = C + c; j < rowLength; j += C, o += C) {
        const after = c0 * pixels[here + j] + c1 * (pixels[above + j] + pixels[below + j]);
        const x = s0 * centre + s1 * (before + after);
        out[o] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
        before = centre;
        centre = after;
      }
      const j = right + c;
      const after = c0 * pixels[here + j] + c1 * (pixels[above + j] + pixels[below + j]);
      const x = s0 * centre + s1 * (before + after);
      out[o] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
  }
}

/**
 * The plan from bytes for a 3x3 square or plus-shaped disk without anti-aliasing blur (g = 0; CIFAR severity 5 at
 * CIFAR sizes), straight from the bytes: the disk sum d (an exact integer) from rolling column sums of the three
 * rows around y (reflect-101, columns -1 and width reflected), and the output s0 * (c0 * d), the value
 * fusedBlurToBytes computes for g = 0.
 */
function squareOrPlusToBytes(pixels: Uint8Array, height: number, width: number, C: number, square: boolean, c0: number, s0: number, out: Uint8Array): void {
  const rowLength = width * C;
  const left = reflect101(-1, width) * C;
  const right = reflect101(width, width) * C;
  for (let y = 0; y < height; y++) {
    const above = reflect101(y - 1, height) * rowLength;
    const here = y * rowLength;
    const below = reflect101(y + 1, height) * rowLength;
    for (let c = 0; c < C; c++) {
      // Column sums (rows y - 1 .. y + 1) and centre-row values at x - 1, x.
      let columnBefore = pixels[above + left + c] + pixels[here + left + c] + pixels[below + left + c];
      let column = pixels[above + c] + pixels[here + c] + pixels[below + c];
      let valueBefore = pixels[here + left + c];
      let value = pixels[here + c];
      for (let x = 0; x < width; x++) {
        const j = x + 1 < width ? (x + 1) * C + c : right + c;
        const valueAfter = pixels[here + j];
        const columnAfter = pixels[above + j] + valueAfter + pixels[below + j];
        const d = square ? columnBefore + column + columnAfter : column + valueBefore + valueAfter;
        const v = s0 * (c0 * d);
        out[here + x * C + c] = (v > 1 ? 255 : v > 0 ? v * 255 : 0) | 0; // the output has the input's layout
        columnBefore = column;
        column = columnAfter;
        valueBefore = value;
        value = valueAfter;
      }
    }
  }
}

/** The byte image, reflect-101 padded by `pad` pixels on every side, as doubles (rows (width + 2 pad) * C long). */
function padBytes(pixels: Uint8Array, height: number, width: number, C: number, pad: number, padded: Float64Array): void {
  const rowLength = width * C;
  const row = rowLength + 2 * pad * C;
  for (let y = 0; y < height; y++) {
    const src = y * rowLength;
    const base = (y + pad) * row;
    const at = base + pad * C;
    for (let i = 0; i < rowLength; i++) padded[at + i] = pixels[src + i];
    for (let x = 1; x <= pad; x++) {
      const left = src + reflect101(-x, width) * C;
      const right = src + reflect101(width - 1 + x, width) * C;
      for (let c = 0; c < C; c++) {
        padded[at - x * C + c] = pixels[left + c];
        padded[at + (width - 1 + x) * C + c] = pixels[right + c];
      }
    }
  }
  for (let y = 0; y < pad; y++) {
    const top = (reflect101(y - pad, height) + pad) * row;
    padded.copyWithin(y * row, top, top + row);
    const bottom = (reflect101(height + y, height) + pad) * row;
    padded.copyWithin((height + pad + y) * row, bottom, bottom + row);
  }
}

/**
 * The disk sums (exact integers) at every position of the padded grid at least `reach` from its border (elsewhere,
 * and in the columns that wrap around a row end, content undefined). A three-row disk (reach 1) is summed in one
 * sweep; larger ones take first the span sums of each half-width w up to the largest,
 * spans[w][k] = spans[w - 1][k] + padded[k - w C] + padded[k + w C], then the disk's rows added.
 */
function smallDiskSums(padded: Float64Array, row: number, C: number, reach: number, total: number, rows: Int32Array): Float64Array {
  if (rows.length === 6) {
    // Three rows (dy = -1 .. 1, half-widths w, 1, w): a plus (w = 0) or a 3x3 square (w = 1), summed in one sweep.
    const ds = scratch(11 + SMALL_REACH + 1, total);
    const from = row + C;
    for (let k = from; k < total - from; k++) {
      const column = padded[k - row] + padded[k] + padded[k + row];
      ds[k] =
        rows[1] === 0
          ? column + (padded[k - C] + padded[k + C])
          : column + (padded[k - row - C] + padded[k - C] + padded[k + row - C]) + (padded[k - row + C] + padded[k + C] + padded[k + row + C]);
    }
    return ds;
  }
  let widest = 0;
  for (let r = 1; r < rows.length; r += 2) widest = Math.max(widest, rows[r]);
  const spans = [padded];
  for (let w = 1; w <= widest; w++) {
    const previous = spans[w - 1];
    const sums = scratch(11 + w, total);
    const off = w * C;
    for (let k = reach * C; k < total - reach * C; k++) sums[k] = previous[k] + (padded[k - off] + padded[k + off]);
    spans.push(sums);
  }
  const ds = scratch(11 + SMALL_REACH + 1, total);
  const from = reach * row + reach * C;
  // One sweep for five rows (dy = -2 .. 2), row by row otherwise.
  if (rows.length === 10) {
    const r0 = spans[rows[5]];
    const r1 = spans[rows[3]];
    const r2 = spans[rows[1]];
    const row2 = 2 * row;
    for (let k = from; k < total - from; k++) ds[k] = r0[k] + (r1[k - row] + r1[k + row]) + (r2[k - row2] + r2[k + row2]);
    return ds;
  }
  for (let r = 0; r < rows.length; r += 2) {
    const sums = spans[rows[r + 1]];
    const off = rows[r] * row;
    if (r === 0) for (let k = from; k < total - from; k++) ds[k] = sums[k + off];
    else for (let k = from; k < total - from; k++) ds[k] += sums[k + off];
  }
  return ds;
}

/**
 * Both blurs and toBytes in one sweep for g <= 2, on the disk sums `ds` (padded grid, rows `row` long, output
 * (0, 0) at padded (pad, pad)): along each output row and channel, the column blurs (blurLine's expression with
 * `taps`) of the 2g + 1 columns around x are kept in locals, one new per step, and combined along x by blurRowToBytes'
 * expression (with `byteTaps`). The values are exactly the separate passes' ones, without the intermediate plane.
 */
function fusedBlurToBytes(
  ds: Float64Array,
  row: number,
  pad: number,
  height: number,
  width: number,
  C: number,
  taps: Float64Array,
  byteTaps: Float64Array,
  g: number,
  out: Uint8Array,
): void {
  const rowLength = width * C;
  const row2 = 2 * row;
  const C2 = 2 * C;
  if (g === 0) {
    const c0 = taps[0];
    const s0 = byteTaps[0];
    for (let y = 0; y < height; y++) {
      const o = y * rowLength;
      const mid = (y + pad) * row + pad * C;
      for (let i = 0; i < rowLength; i++) {
        const x = s0 * (c0 * ds[mid + i]);
        out[o + i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
      }
    }
    return;
  }
  if (g === 1) {
    const c0 = taps[1];
    const c1 = taps[2];
    const s0 = byteTaps[1];
    const s1 = byteTaps[2];
    for (let y = 0; y < height; y++) {
      const mid = (y + pad) * row + pad * C;
      for (let c = 0; c < C; c++) {
        let k = mid + c - C;
        let before = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]);
        k += C;
        let centre = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]);
        for (let o = y * rowLength + c; o < (y + 1) * rowLength; o += C) {
          k += C;
          const after = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]);
          const x = s0 * centre + s1 * (before + after);
          out[o] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
          before = centre;
          centre = after;
        }
      }
    }
    return;
  }
  const c0 = taps[2];
  const c1 = taps[3];
  const c2 = taps[4];
  const s0 = byteTaps[2];
  const s1 = byteTaps[3];
  const s2 = byteTaps[4];
  for (let y = 0; y < height; y++) {
    const mid = (y + pad) * row + pad * C;
    for (let c = 0; c < C; c++) {
      let k = mid + c - C2;
      let before2 = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]) + c2 * (ds[k - row2] + ds[k + row2]);
      k += C;
      let before = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]) + c2 * (ds[k - row2] + ds[k + row2]);
      k += C;
      let centre = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]) + c2 * (ds[k - row2] + ds[k + row2]);
      k += C;
      let after = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]) + c2 * (ds[k - row2] + ds[k + row2]);
      for (let o = y * rowLength + c; o < (y + 1) * rowLength; o += C) {
        k += C;
        const after2 = c0 * ds[k] + c1 * (ds[k - row] + ds[k + row]) + c2 * (ds[k - row2] + ds[k + row2]);
        const x = s0 * centre + s1 * (before + after) + s2 * (before2 + after2);
        out[o] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
        before2 = before;
        before = centre;
        centre = after;
        after = after2;
      }
    }
  }
}

/**
 * blurLine along x (step C, no add) fused with toBytes: out[o + i] = the uint8 of the symmetric blur of
 * src[mid + i], i < length, each value computed by the same expression as blurLine's.
 */
function blurRowToBytes(src: Float64Array, mid: number, C: number, length: number, taps: Float64Array, g: number, out: Uint8Array, o: number): void {
  const centre = taps[g];
  if (g === 0) {
    for (let i = 0; i < length; i++) {
      const x = centre * src[mid + i];
      out[o + i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
  } else if (g === 1) {
    const t1 = taps[2];
    for (let i = 0; i < length; i++) {
      const x = centre * src[mid + i] + t1 * (src[mid - C + i] + src[mid + C + i]);
      out[o + i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
  } else if (g === 2) {
    const t1 = taps[3];
    const t2 = taps[4];
    const C2 = 2 * C;
    for (let i = 0; i < length; i++) {
      const x = centre * src[mid + i] + t1 * (src[mid - C + i] + src[mid + C + i]) + t2 * (src[mid - C2 + i] + src[mid + C2 + i]);
      out[o + i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
  } else {
    for (let i = 0; i < length; i++) {
      let x = centre * src[mid + i];
      for (let k = 1; k <= g; k++) x += taps[g + k] * (src[mid - k * C + i] + src[mid + k * C + i]);
      out[o + i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
  }
}

/** out[o + i] = np.uint8(np.clip(row[i], 0, 1) * 255), i < length. */
function toBytes(row: Float64Array, out: Uint8Array, o: number, length: number): void {
  for (let i = 0; i < length; i++) {
    const x = row[i];
    out[o + i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  }
}

/**
 * cv2.filter2D with a square kernel on HWC float values, per channel, border reflect-101. Kernels made by
 * `diskKernel` go through their span-sum plan (see the header); any other kernel is applied directly.
 */
export function filter2dReflect101(values: Float64Array, height: number, width: number, channels: number, kernel: DiskKernel): Float64Array {
  const plan = planByKernel.get(kernel);
  if (!plan) return filter2dReflect101Direct(values, height, width, channels, kernel);
  const out = new Float64Array(values.length);
  filterDiskPlan(values, undefined, height, width, channels, plan, out);
  return out;
}

/**
 * The direct form: one multiply-add per tap and value. Taps below 1e-12 (the far tails of the anti-aliasing
 * Gaussian, contributing < 1e-9 grey levels in total) are skipped.
 */
export function filter2dReflect101Direct(values: Float64Array, height: number, width: number, channels: number, kernel: DiskKernel): Float64Array {
  const { size } = kernel;
  const half = (size - 1) >> 1;
  const paddedWidth = width + 2 * half;
  const paddedHeight = height + 2 * half;
  // Non-negligible taps as (offset in the padded plane, weight).
  const offsets: number[] = [];
  const weights: number[] = [];
  for (let ky = 0; ky < size; ky++) {
    for (let kx = 0; kx < size; kx++) {
      const w = kernel.values[ky * size + kx];
      if (w > 1e-12) {
        offsets.push(ky * paddedWidth + kx);
        weights.push(w);
      }
    }
  }
  const tapOffsets = Int32Array.from(offsets);
  const tapWeights = Float64Array.from(weights);
  const taps = tapOffsets.length;
  // Reflect-101 index maps for the padded plane.
  const rowMap = new Int32Array(paddedHeight);
  for (let y = 0; y < paddedHeight; y++) rowMap[y] = reflect101(y - half, height);
  const colMap = new Int32Array(paddedWidth);
  for (let x = 0; x < paddedWidth; x++) colMap[x] = reflect101(x - half, width);
  const padded = new Float64Array(paddedHeight * paddedWidth);
  const out = new Float64Array(values.length);
  const row = new Float64Array(width);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < paddedHeight; y++) {
      const srcRow = rowMap[y] * width;
      const dstRow = y * paddedWidth;
      for (let x = 0; x < paddedWidth; x++) padded[dstRow + x] = values[(srcRow + colMap[x]) * channels + c];
    }
    for (let y = 0; y < height; y++) {
      // Tap-outer, pixel-inner: one contiguous multiply-add sweep per tap over the output row.
      const rowBase = y * paddedWidth;
      row.fill(0);
      for (let t = 0; t < taps; t++) {
        const w = tapWeights[t];
        const start = rowBase + tapOffsets[t];
        for (let x = 0; x < width; x++) row[x] += w * padded[start + x];
      }
      const outRow = y * width;
      for (let x = 0; x < width; x++) out[(outRow + x) * channels + c] = row[x];
    }
  }
  return out;
}

export const defocusBlur: Corruption = {
  name: 'defocus_blur',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [radius, aliasBlur] = parameterFor(DEFOCUS_BLUR_PARAMETERS, context.preset, severity, 'defocus_blur');
    const { height, width, channels, pixels } = image;
    const kernel = diskKernel(radius, aliasBlur, spatialScale(image, context.preset));
    const plan = planByKernel.get(kernel);
    const out = new Uint8Array(pixels.length);
    if (plan?.small) {
      filterSmallDiskBytes(pixels, height, width, channels, plan, out);
    } else if (plan) {
      // Through the plan, from the bytes straight to the bytes.
      filterDiskPlan(EMPTY, pixels, height, width, channels, plan, out);
    } else {
      const values = new Float64Array(pixels.length);
      const unit = UNIT; // imported binding read once (a getter call per read under a CommonJS transform)
      for (let i = 0; i < pixels.length; i++) values[i] = unit[pixels[i]];
      toBytes(filter2dReflect101Direct(values, height, width, channels, kernel), out, 0, out.length);
    }
    return { height, width, channels, pixels: out };
  },
};
