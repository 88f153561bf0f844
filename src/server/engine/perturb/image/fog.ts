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
import { nextPowerOfTwo, plasmaFractalRaw } from './plasma-fractal';
import { scratchFloat64 } from './scratch';

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

/** One output byte: clip((x + f) * max_val / (max_val + s), 0, 1) * 255 truncated, with x = value / 255, f = s * plasma. */
function fogByte(x: number, f: number, maxVal: number, denominator: number): number {
  const v = ((x + f) * maxVal) / denominator; // numpy: (x + f) * max_val / (max_val + s), evaluated left to right
  return (v > 1 ? 255 : v > 0 ? v * 255 : 0) | 0;
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
    // The raw map in a scratch buffer; its normalisation (raw - min) / range is done below, on the cropped part only.
    const plasma = scratchFloat64('fog-plasma', mapSize * mapSize);
    const { min, range } = plasmaFractalRaw(plasma, mapSize, decay, context.random);
    const unit = UNIT; // a local reference: module bindings can be accessors in CommonJS builds
    let maxByte = 0; // the scan stops at the first 255, which no byte exceeds
    for (let i = 0; i < pixels.length; i++) {
      if (pixels[i] > maxByte) {
        maxByte = pixels[i];
        if (maxByte === 255) break;
      }
    }
    const maxVal = unit[maxByte];
    const denominator = maxVal + strength;
    const out = new Uint8Array(pixels.length);
    // The plasma value is normalised once per pixel; grey and RGB (checkImage allows only 1 or 3 channels) have
    // loops of their own.
    if (channels === 1) {
      for (let y = 0; y < height; y++) {
        const mapRow = y * mapSize;
        const row = y * width;
        for (let x = 0; x < width; x++) {
          const f = strength * ((plasma[mapRow + x] - min) / range);
          out[row + x] = fogByte(unit[pixels[row + x]], f, maxVal, denominator);
        }
      }
    } else {
      for (let y = 0; y < height; y++) {
        const mapRow = y * mapSize;
        const row = y * width;
        for (let x = 0; x < width; x++) {
          const f = strength * ((plasma[mapRow + x] - min) / range); // the same on the three channels
          const i = (row + x) * 3;
          out[i] = fogByte(unit[pixels[i]], f, maxVal, denominator);
          out[i + 1] = fogByte(unit[pixels[i + 1]], f, maxVal, denominator);
          out[i + 2] = fogByte(unit[pixels[i + 2]], f, maxVal, denominator);
        }
      }
    }
    return { height, width, channels, pixels: out };
  },
};
