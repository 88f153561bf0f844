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
// Other image sizes (s = spatialScale(image, preset)): the lengths in pixels are scaled: the noise blur sigma, the
// mud blur sigma, and the distance cap 20 (min(255, 20 s), unrounded; it bounds the shading depth of the drops).
// The 3x3 operators (Sobel, blurs, the relief kernel) and the Canny thresholds (gradient levels) stay as published.
// Grey (1-channel) images get the colours' luminance: 0.299 R + 0.587 G + 0.114 B of (175, 238, 238) and
// (63, 42, 20).
// Random draws: H*W normals (context.random.normal(), loc + scale * z), nothing else.
// Deviation: when the water layer ends up empty (max(m) = 0, no liquid above the threshold or no shading), the
// reference divides 0 by 0 and returns an all-black image (NaN cast to uint8); we return the image unchanged.
// Any image size works (1x1 included).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { reflect101 } from './defocus-blur';
import { gaussianKernel1d } from './gaussian-blur';

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

const TG22 = Math.trunc(0.4142135623730950488016887242097 * (1 << 15) + 0.5);

/**
 * cv2.Canny(src, low, high) with aperture 3 and the L1 gradient, for one uint8 plane. Returns 1 for edge pixels.
 */
export function cannyEdges(src: Uint8Array, height: number, width: number, low: number, high: number): Uint8Array {
  const pw = width + 2;
  // Magnitudes and gradients on a grid with a one-pixel zero border (OpenCV's mag buffers are zero outside).
  const mag = new Int32Array((height + 2) * pw);
  const gx = new Int32Array(height * width);
  const gy = new Int32Array(height * width);
  for (let y = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const mid = y * width;
    const down = (y < height - 1 ? y + 1 : height - 1) * width;
    for (let x = 0; x < width; x++) {
      const l = x > 0 ? x - 1 : 0;
      const r = x < width - 1 ? x + 1 : width - 1;
      const dx = src[up + r] + 2 * src[mid + r] + src[down + r] - (src[up + l] + 2 * src[mid + l] + src[down + l]);
      const dy = src[down + l] + 2 * src[down + x] + src[down + r] - (src[up + l] + 2 * src[up + x] + src[up + r]);
      gx[mid + x] = dx;
      gy[mid + x] = dy;
      mag[(y + 1) * pw + x + 1] = Math.abs(dx) + Math.abs(dy);
    }
  }
  // Map: 0 = weak candidate, 1 = not an edge, 2 = edge. The border stays 1.
  const map = new Uint8Array((height + 2) * pw).fill(1);
  const stack: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y + 1) * pw + x + 1;
      const m = mag[at];
      if (m <= low) continue;
      const xs = gx[y * width + x];
      const ys = gy[y * width + x];
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * 32768;
      const tg22x = ax * TG22;
      let maximum: boolean;
      if (ay < tg22x) {
        maximum = m > mag[at - 1] && m >= mag[at + 1];
      } else {
        const tg67x = tg22x + ax * 65536;
        if (ay > tg67x) {
          maximum = m > mag[at - pw] && m >= mag[at + pw];
        } else {
          const s = (xs < 0) !== (ys < 0) ? -1 : 1;
          maximum = m > mag[at - pw - s] && m > mag[at + pw + s];
        }
      }
      if (!maximum) continue;
      if (m > high) {
        map[at] = 2;
        stack.push(at);
      } else {
        map[at] = 0;
      }
    }
  }
  // Hysteresis: grow the edges into 8-connected weak candidates.
  const neighbours = Int32Array.of(-pw - 1, -pw, -pw + 1, -1, 1, pw - 1, pw, pw + 1);
  while (stack.length > 0) {
    const at = stack.pop() as number;
    for (let k = 0; k < 8; k++) {
      const n = at + neighbours[k];
      if (map[n] === 0) {
        map[n] = 2;
        stack.push(n);
      }
    }
  }
  const edges = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (map[(y + 1) * pw + x + 1] === 2) edges[y * width + x] = 1;
  }
  return edges;
}

const DIST_MAX = 0x7fffffff >> 2;
const HV_DIST = 65536; // cvRound(1 * 2^16)
const DIAG_DIST = 91750; // cvRound(1.4 * 2^16)
const LONG_DIST = 143978; // cvRound(2.1969 * 2^16)

/**
 * cv2.distanceTransform(src, DIST_L2, 5) where `zero` marks the zero pixels of src: the two-pass 5x5 chamfer
 * distance in 16.16 fixed point, pixels outside the image at "infinity". Returns float32 values.
 */
export function chamferDistance5(zero: Uint8Array, height: number, width: number): Float32Array {
  const B = 2;
  const step = width + 2 * B;
  const tmp = new Int32Array((height + 2 * B) * step).fill(DIST_MAX);
  for (let y = 0; y < height; y++) {
    const row = (y + B) * step + B;
    for (let x = 0; x < width; x++) {
      const j = row + x;
      if (zero[y * width + x]) {
        tmp[j] = 0;
        continue;
      }
      let t0 = tmp[j - 2 * step - 1] + LONG_DIST;
      let t = tmp[j - 2 * step + 1] + LONG_DIST;
      if (t0 > t) t0 = t;
      t = tmp[j - step - 2] + LONG_DIST;
      if (t0 > t) t0 = t;
      t = tmp[j - step - 1] + DIAG_DIST;
      if (t0 > t) t0 = t;
      t = tmp[j - step] + HV_DIST;
      if (t0 > t) t0 = t;
      t = tmp[j - step + 1] + DIAG_DIST;
      if (t0 > t) t0 = t;
      t = tmp[j - step + 2] + LONG_DIST;
      if (t0 > t) t0 = t;
      t = tmp[j - 1] + HV_DIST;
      if (t0 > t) t0 = t;
      tmp[j] = t0;
    }
  }
  const out = new Float32Array(height * width);
  const scale = f32(1 / 65536);
  for (let y = height - 1; y >= 0; y--) {
    const row = (y + B) * step + B;
    for (let x = width - 1; x >= 0; x--) {
      const j = row + x;
      let t0 = tmp[j];
      if (t0 > HV_DIST) {
        let t = tmp[j + 2 * step + 1] + LONG_DIST;
        if (t0 > t) t0 = t;
        t = tmp[j + 2 * step - 1] + LONG_DIST;
        if (t0 > t) t0 = t;
        t = tmp[j + step + 2] + LONG_DIST;
        if (t0 > t) t0 = t;
        t = tmp[j + step + 1] + DIAG_DIST;
        if (t0 > t) t0 = t;
        t = tmp[j + step] + HV_DIST;
        if (t0 > t) t0 = t;
        t = tmp[j + step - 1] + DIAG_DIST;
        if (t0 > t) t0 = t;
        t = tmp[j + step - 2] + LONG_DIST;
        if (t0 > t) t0 = t;
        t = tmp[j + 1] + HV_DIST;
        if (t0 > t) t0 = t;
        tmp[j] = t0;
      }
      out[y * width + x] = f32(t0) * scale;
    }
  }
  return out;
}

/** Sum of the 3x3 neighbourhood of every pixel with BORDER_REFLECT_101 (one plane). */
function boxSum3(values: ArrayLike<number>, height: number, width: number): Float64Array {
  const out = new Float64Array(height * width);
  const cols = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    const r0 = reflect101(y - 1, height) * width;
    const r1 = y * width;
    const r2 = reflect101(y + 1, height) * width;
    for (let x = 0; x < width; x++) cols[x] = values[r0 + x] + values[r1 + x] + values[r2 + x];
    for (let x = 0; x < width; x++) {
      const l = x > 0 ? x - 1 : reflect101(-1, width);
      const r = x < width - 1 ? x + 1 : reflect101(width, width);
      out[r1 + x] = cols[l] + cols[x] + cols[r];
    }
  }
  return out;
}

/** cv2.equalizeHist on one uint8 plane, in place. */
function equalizeHist(values: Uint8Array): void {
  const hist = new Int32Array(256);
  for (let i = 0; i < values.length; i++) hist[values[i]]++;
  let i = 0;
  while (hist[i] === 0) i++;
  const total = values.length;
  if (hist[i] === total) {
    values.fill(i);
    return;
  }
  const scale = f32(255 / (total - hist[i]));
  const lut = new Uint8Array(256);
  let sum = 0;
  lut[i++] = 0;
  for (; i < 256; i++) {
    sum += hist[i];
    const v = rint(f32(sum * scale));
    lut[i] = v > 255 ? 255 : v;
  }
  for (let k = 0; k < values.length; k++) values[k] = lut[values[k]];
}

/** cv2.filter2D(src, CV_8U, [[-2,-1,0],[-1,1,1],[0,1,2]]) with BORDER_REFLECT_101 and saturation. */
function reliefFilter(src: Uint8Array, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    const up = reflect101(y - 1, height) * width;
    const mid = y * width;
    const down = reflect101(y + 1, height) * width;
    for (let x = 0; x < width; x++) {
      const l = x > 0 ? x - 1 : reflect101(-1, width);
      const r = x < width - 1 ? x + 1 : reflect101(width, width);
      const v = -2 * src[up + l] - src[up + x] - src[mid + l] + src[mid + x] + src[mid + r] + src[down + x] + 2 * src[down + r];
      out[mid + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/** The water shading map m = L * d of the reference (before normalisation), one value per pixel. */
function waterShading(liquid: Float64Array, height: number, width: number, distanceCap: number): Float64Array {
  const n = height * width;
  const level = new Uint8Array(n);
  for (let i = 0; i < n; i++) level[i] = (liquid[i] * 255) & 255; // np.uint8 of a non-negative float: truncate, wrap
  const edges = cannyEdges(level, height, width, 50, 150);
  const distance = chamferDistance5(edges, height, width);
  for (let i = 0; i < n; i++) if (distance[i] > distanceCap) distance[i] = distanceCap;
  const blurred = boxSum3(distance, height, width);
  const shade = new Uint8Array(n);
  for (let i = 0; i < n; i++) shade[i] = f32(blurred[i] * (1 / 9)) & 255; // float blur, then astype(uint8)
  equalizeHist(shade);
  const relief = reliefFilter(shade, height, width);
  const smooth = boxSum3(relief, height, width);
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = level[i] * Math.round(smooth[i] / 9);
  return m;
}

/**
 * scipy.ndimage.gaussian_filter of one plane with mode 'nearest' (skimage.filters.gaussian's default), with scipy's
 * arithmetic: axis 0 then axis 1, each output = centre * x + sum over k = r .. 1 of (x[-k] + x[+k]) * w[k] in
 * double (the same operations, in the same order, as gaussianFilterHWC, so bit-identical to it and to scipy), but
 * organised tap by tap over whole rows for speed. With `float32`, every pass stores float32 values, as scipy does
 * for a float32 array.
 */
function gaussianNearestPlane(values: Float64Array, height: number, width: number, kernel: Float64Array, float32: boolean): Float64Array {
  const radius = (kernel.length - 1) >> 1;
  const centre = kernel[radius];
  const vertical = new Float64Array(values.length);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) vertical[o + x] = centre * values[o + x];
    for (let k = radius; k >= 1; k--) {
      const w = kernel[radius + k];
      const up = (y - k < 0 ? 0 : y - k) * width;
      const down = (y + k > height - 1 ? height - 1 : y + k) * width;
      for (let x = 0; x < width; x++) vertical[o + x] += (values[up + x] + values[down + x]) * w;
    }
    if (float32) for (let x = 0; x < width; x++) vertical[o + x] = f32(vertical[o + x]);
  }
  // Axis 1 through an edge-replicated padded row.
  const out = new Float64Array(values.length);
  const padded = new Float64Array(width + 2 * radius);
  const row = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) padded[radius + x] = vertical[o + x];
    for (let p = 0; p < radius; p++) {
      padded[p] = vertical[o];
      padded[radius + width + p] = vertical[o + width - 1];
    }
    for (let x = 0; x < width; x++) row[x] = centre * padded[radius + x];
    for (let k = radius; k >= 1; k--) {
      const w = kernel[radius + k];
      const left = radius - k;
      const right = radius + k;
      for (let x = 0; x < width; x++) row[x] += (padded[left + x] + padded[right + x]) * w;
    }
    if (float32) for (let x = 0; x < width; x++) out[o + x] = f32(row[x]);
    else out.set(row, o);
  }
  return out;
}

export const spatter: Corruption = {
  name: 'spatter',
  benchmark: false,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [loc, spread, sigma0, threshold, intensity, mode] = parameterFor(SPATTER_PARAMETERS, context.preset, severity, 'spatter');
    const { height, width, channels, pixels } = image;
    const n = height * width;
    const scale = spatialScale(image, context.preset);
    const random = context.random;

    const noise = new Float64Array(n);
    for (let i = 0; i < n; i++) noise[i] = loc + spread * random.normal();
    const liquid = gaussianNearestPlane(noise, height, width, gaussianKernel1d(sigma0 * scale), false);
    for (let i = 0; i < n; i++) if (liquid[i] < threshold) liquid[i] = 0;

    const out = new Uint8Array(pixels.length);
    if (mode === 0) {
      const m = waterShading(liquid, height, width, f32(Math.min(255, 20 * scale)));
      let max = 0;
      for (let i = 0; i < n; i++) if (m[i] > max) max = m[i];
      if (!(max > 0)) {
        out.set(pixels);
        return { height, width, channels, pixels: out };
      }
      const colour = colourValues(WATER_RGB, channels);
      // float32 arrays: m /= max(m) (float32 / float32), m *= intensity (a Python float meets a float32 array:
      // numpy casts the scalar to float32), then x + m * colour, all rounded to float32.
      const maxF = f32(max);
      const intensityF = f32(intensity);
      for (let p = 0; p < n; p++) {
        const mm = f32(f32(f32(m[p]) / maxF) * intensityF);
        const base = p * channels;
        for (let c = 0; c < channels; c++) {
          const v = f32(f32(pixels[base + c] / 255) + f32(mm * colour[c]));
          out[base + c] = v > 1 ? 255 : v > 0 ? f32(v * 255) | 0 : 0;
        }
      }
      return { height, width, channels, pixels: out };
    }

    // Mud.
    const mask = new Float64Array(n);
    for (let i = 0; i < n; i++) mask[i] = liquid[i] > threshold ? 1 : 0;
    const cover = gaussianNearestPlane(mask, height, width, gaussianKernel1d(intensity * scale), true);
    const colour = colourValues(MUD_RGB, channels);
    for (let p = 0; p < n; p++) {
      let m = f32(cover[p]);
      if (m < 0.8) m = 0;
      const keep = f32(1 - m);
      const base = p * channels;
      for (let c = 0; c < channels; c++) {
        const v = f32(f32(f32(pixels[base + c] / 255) * keep) + f32(colour[c] * m));
        out[base + c] = v > 1 ? 255 : v > 0 ? f32(v * 255) | 0 : 0;
      }
    }
    return { height, width, channels, pixels: out };
  },
};
