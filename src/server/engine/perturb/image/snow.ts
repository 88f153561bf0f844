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
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { motionBlurHWC, motionBlurTaps, quantizeQ16, scaledMotionParameters } from './motion-blur';
import { scratchFloat64, scratchUint8 } from './scratch';
import { clippedZoom, resampleBilinear } from './zoom-blur';

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
  const geometry = clippedZoom(height, width, zoom, false);
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
    const keep32 = f(1 - blend);
    const blend32 = f(blend);
    const last = height * width - 1;
    const x = new Float32Array(channels);
    for (let p = 0; p <= last; p++) {
      const flakes = layer[last - p]; // rot180(layer)
      const own = layer[p];
      const base = p * channels;
      for (let c = 0; c < channels; c++) x[c] = pixels[base + c] / 255;
      const gray = channels === 3 ? f(f(f(x[0] * GRAY_R) + f(x[1] * GRAY_G)) + f(x[2] * GRAY_B)) : x[0];
      const bright = f(f(gray * 1.5) + 0.5);
      for (let c = 0; c < channels; c++) {
        const xc = x[c];
        const v = f(f(blend32 * xc) + f(keep32 * (xc > bright ? xc : bright))) + own + flakes;
        out[base + c] = (v > 1 ? 255 : v > 0 ? v * 255 : 0) | 0;
      }
    }
    return { height, width, channels, pixels: out };
  },
};
