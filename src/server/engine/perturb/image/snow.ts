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
// numpy's formula), then one `next()` for the angle. Only the ceil(H / z) x ceil(W / z) centre crop of the
// reference's H x W noise layer is ever used, so only that crop is drawn (same distribution, far fewer draws at
// zoom 3-4.5).
//
// Other image sizes (spatialScale s = min(height, width) / nominal side): the motion blur's sigma -> sigma * s and
// radius -> max(1, round(radius * s)) as in motion_blur; the zoom factor is the size of one noise cell in pixels,
// a length, so it becomes max(1, zoom * s) (a cell is never smaller than a pixel; this also bounds the noise
// drawn by the image size). loc, scale, threshold and blend are intensities and stay. At the nominal size s = 1
// and the published parameters are used unchanged. Any image size works, 1x1 included.
// Speed (same results bit for bit): the final blend reads per-byte float32 tables (x / 255, the grey products, the
// blend terms; cached per blend weight) in loops specialised for 1 and 3 channels, and the zoom geometry is cached.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { motionBlurHWC, motionBlurTaps, quantizeQ16, scaledMotionParameters } from './motion-blur';
import { scratchFloat64, scratchUint8 } from './scratch';
import { type ClippedZoom, clippedZoom, resampleBilinear } from './zoom-blur';

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

const geometryCache = new Map<string, ClippedZoom>();

/** clippedZoom(height, width, zoom) with crop-relative indices, cached (at most 4 entries: it depends on nothing else). */
function zoomGeometry(height: number, width: number, zoom: number): ClippedZoom {
  const key = `${height}/${width}/${zoom}`;
  let geometry = geometryCache.get(key);
  if (!geometry) {
    geometry = clippedZoom(height, width, zoom, false);
    if (geometryCache.size >= 4) geometryCache.clear();
    geometryCache.set(key, geometry);
  }
  return geometry;
}

/**
 * The snow layer (height x width, values k / 255): noise crop, zoom, threshold, uint8, motion blur with Q16
 * quantisation, / 255. The result is a scratch buffer, valid until the next call.
 */
export function snowLayer(
  height: number,
  width: number,
  parameters: { loc: number; scale: number; zoom: number; threshold: number; radius: number; sigma: number },
  random: CorruptionContext['random'],
): Float64Array {
  const { loc, scale, zoom, threshold, radius, sigma } = parameters;
  const geometry = zoomGeometry(height, width, zoom);
  const cropLength = geometry.cropHeight * geometry.cropWidth;
  const noise = scratchFloat64('snow.noise', cropLength);
  for (let i = 0; i < cropLength; i++) noise[i] = loc + scale * random.normal();
  let layer: Float64Array;
  if (geometry.identity) {
    layer = noise;
  } else {
    layer = scratchFloat64('snow.layer', height * width);
    resampleBilinear(noise, geometry.cropWidth, 1, geometry.rows, geometry.columns, layer);
  }
  for (let i = 0; i < layer.length; i++) {
    const v = layer[i];
    // threshold, then np.uint8(np.clip(v, 0, 1) * 255); v >= threshold > 0 when kept
    layer[i] = v < threshold ? 0 : v >= 1 ? 255 : Math.trunc(v * 255);
  }
  const angle = SNOW_ANGLE[0] + (SNOW_ANGLE[1] - SNOW_ANGLE[0]) * random.next();
  const n = height * width;
  const blurred = motionBlurHWC(layer, height, width, 1, motionBlurTaps(radius, sigma, angle), scratchFloat64('snow.blurred', n));
  const bytes = quantizeQ16(blurred, scratchUint8('snow.bytes', n));
  const out = scratchFloat64('snow.out', n);
  for (let i = 0; i < n; i++) out[i] = bytes[i] / 255;
  return out;
}

const f = Math.fround;
const GRAY_R = f(0.299);
const GRAY_G = f(0.587);
const GRAY_B = f(0.114);

/** A table of fn(v) for every byte value v. */
function byteTable(fn: (v: number) => number): Float64Array {
  const table = new Float64Array(256);
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
  readonly blended: Float64Array;
  /** float32((1 - blend) * x), used where x exceeds the brightened grey. */
  readonly kept: Float64Array;
  /** The whole blend of a grey pixel: float32(float32(blend * x) + float32((1 - blend) * max(x, bright(x)))). */
  readonly grey: Float64Array;
}

const blendCache = new Map<number, BlendTables>();

/** The blend tables for `blend`, cached (one entry per published blend weight in use, at most 4 kept). */
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
  if (blendCache.size >= 4) blendCache.clear();
  blendCache.set(blend, tables);
  return tables;
}

/** np.uint8(np.clip(v, 0, 1) * 255) of the final float64 sum. */
function finalByte(v: number): number {
  return (v > 1 ? 255 : v > 0 ? v * 255 : 0) | 0;
}

/** Grey images: out = byte(blend(x) + layer + rot180(layer)), the blend looked up per byte. */
function composeGrey(pixels: Uint8Array, layer: Float64Array, n: number, grey: Float64Array, out: Uint8Array): void {
  const last = n - 1;
  for (let p = 0; p <= last; p++) out[p] = finalByte(grey[pixels[p]] + layer[p] + layer[last - p]);
}

/**
 * RGB images: per pixel the brightened grey bright = float32(float32(gray * 1.5) + 0.5), then per channel
 * float32(float32(blend * x) + float32((1 - blend) * max(x, bright))) + layer + rot180(layer).
 */
function composeRgb(pixels: Uint8Array, layer: Float64Array, n: number, tables: BlendTables, keep32: number, out: Uint8Array): void {
  const { blended, kept } = tables;
  const last = n - 1;
  for (let p = 0, o = 0; p <= last; p++, o += 3) {
    const own = layer[p];
    const flakes = layer[last - p];
    const v0 = pixels[o];
    const v1 = pixels[o + 1];
    const v2 = pixels[o + 2];
    const gray = f(f(GRAY_R_OF[v0] + GRAY_G_OF[v1]) + GRAY_B_OF[v2]);
    const bright = f(f(gray * 1.5) + 0.5);
    const keptBright = f(keep32 * bright);
    const x0 = UNIT32[v0];
    const x1 = UNIT32[v1];
    const x2 = UNIT32[v2];
    out[o] = finalByte(f(blended[v0] + (x0 > bright ? kept[v0] : keptBright)) + own + flakes);
    out[o + 1] = finalByte(f(blended[v1] + (x1 > bright ? kept[v1] : keptBright)) + own + flakes);
    out[o + 2] = finalByte(f(blended[v2] + (x2 > bright ? kept[v2] : keptBright)) + own + flakes);
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
    const layer = snowLayer(height, width, { loc, scale: noiseScale, zoom, threshold, radius, sigma }, context.random);
    const out = new Uint8Array(pixels.length);
    const tables = blendTables(blend);
    if (channels === 3) composeRgb(pixels, layer, height * width, tables, f(1 - blend), out);
    else composeGrey(pixels, layer, height * width, tables.grey, out);
    return { height, width, channels, pixels: out };
  },
};
