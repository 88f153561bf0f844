// fog (ImageNet-C / CIFAR-10-C definition): x = image / 255 (float64); max_val = x.max() over all pixels and
// channels, taken BEFORE the fog is added; x += strength * plasma[:H, :W] (the same fog value on every channel of a
// pixel); out = clip(x * max_val / (max_val + strength), 0, 1) * 255, truncated to uint8.
//
// The plasma fractal (plasma-fractal.ts, diamond-square with the starting wibble 100 divided by the published
// decay at every level, normalised to [0, 1]) is square with a power-of-two side: the reference uses 32 for
// CIFAR-10-C (32x32 images) and 256 cropped to 224 for ImageNet-C. For any image we use the smallest power of two
// >= max(height, width) (at least 2) and crop its top-left height x width corner, which gives exactly the published
// map sizes at the nominal sizes (32 -> 32, 224 -> 256) and covers non-square images. No other parameter is a
// length in pixels (strength and decay are intensities), so nothing else depends on the image size.
// Random draws: mapsize^2 - 1 uniforms from context.random (see plasma-fractal.ts), nothing else.
// Any image size works (1x1 included); grey images get the fog on their single channel.
// Check: with numpy's random stream replayed (MT19937, np.random.seed(0)), the outputs equal the reference arrays
// pixel for pixel at every severity of both presets (test/unit/corruption-weather.test.ts).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';
import { nextPowerOfTwo, plasmaFractal } from './plasma-fractal';

/** (fog strength, wibble decay). */
export const FOG_PARAMETERS: PresetParameters<readonly [number, number]> = {
  cifar: [
    [0.2, 3],
    [0.5, 3],
    [0.75, 2.5],
    [1, 2],
    [1.5, 1.75],
  ],
  imagenet: [
    [1.5, 2],
    [2, 2],
    [2.5, 1.7],
    [2.5, 1.5],
    [3, 1.4],
  ],
};

/** Side of the plasma map for an image: the smallest power of two >= max(height, width), at least 2. */
export function fogMapSize(height: number, width: number): number {
  return Math.max(2, nextPowerOfTwo(Math.max(height, width)));
}

export const fog: Corruption = {
  name: 'fog',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [strength, decay] = parameterFor(FOG_PARAMETERS, context.preset, severity, 'fog');
    const { height, width, channels, pixels } = image;
    const mapSize = fogMapSize(height, width);
    const plasma = plasmaFractal(mapSize, decay, context.random);
    const unit = UNIT; // a local reference: module bindings can be accessors in CommonJS builds
    let maxByte = 0;
    for (let i = 0; i < pixels.length; i++) if (pixels[i] > maxByte) maxByte = pixels[i];
    const maxVal = unit[maxByte];
    const denominator = maxVal + strength;
    const out = new Uint8Array(pixels.length);
    for (let y = 0; y < height; y++) {
      const mapRow = y * mapSize;
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const f = strength * plasma[mapRow + x];
        const base = (row + x) * channels;
        for (let c = 0; c < channels; c++) {
          // numpy: (x + f) * max_val / (max_val + s), evaluated left to right
          const v = ((unit[pixels[base + c]] + f) * maxVal) / denominator;
          out[base + c] = (v > 1 ? 255 : v > 0 ? v * 255 : 0) | 0;
        }
      }
    }
    return { height, width, channels, pixels: out };
  },
};
