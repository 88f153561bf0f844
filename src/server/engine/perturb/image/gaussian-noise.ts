// gaussian_noise: clip(x + N(0, sigma)) on x / 255, per channel value (ImageNet-C / CIFAR-10-C definition).
// Sampled from the exact distribution of the output byte (noise-tables.ts): for input byte v, output byte b has
// probability P((b / 255 - x) / sigma <= Z < (b + 1) / 255 - x) / sigma), with the clipped tails on bytes 0 and
// 255; one 32-bit draw per value. With any other RandomSource than the seeded generator (e.g. a replay of numpy's
// stream), the reference formula is applied with its normal() draws, one per value in order.
import type { Corruption, CorruptionContext, Image, RandomSource } from '../../types';
import { Xoshiro128 } from '../random';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';
import { type ByteNoiseTables, cachedNoiseTables, clippedNormalByteWeights, sampleNoiseBytes } from './noise-tables';

/** Standard deviation of the added noise, in [0, 1] units. */
export const GAUSSIAN_NOISE_SIGMA: PresetParameters<number> = {
  cifar: [0.04, 0.06, 0.08, 0.09, 0.1],
  imagenet: [0.08, 0.12, 0.18, 0.26, 0.38],
};

const tableCache = new Map<number, ByteNoiseTables>();

/** The output-byte tables for sigma: input byte v -> distribution of np.uint8(clip(v / 255 + sigma Z) * 255). */
export function gaussianNoiseTables(sigma: number): ByteNoiseTables {
  return cachedNoiseTables(tableCache, sigma, (v) => clippedNormalByteWeights(UNIT[v], sigma));
}

export const gaussianNoise: Corruption = {
  name: 'gaussian_noise',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const sigma = parameterFor(GAUSSIAN_NOISE_SIGMA, context.preset, severity, 'gaussian_noise');
    const random = context.random;
    const pixels = random instanceof Xoshiro128 ? sampleNoiseBytes(image.pixels, gaussianNoiseTables(sigma), random) : formula(image.pixels, sigma, random);
    return { height: image.height, width: image.width, channels: image.channels, pixels };
  },
};

/** The reference formula, np.uint8(np.clip(x + sigma * normal(), 0, 1) * 255), one normal() per value. */
function formula(src: Uint8Array, sigma: number, random: RandomSource): Uint8Array {
  const unit = UNIT; // imported binding read once (a getter call per read under a CommonJS transform)
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = unit[src[i]] + sigma * random.normal();
    out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  }
  return out;
}
