// speckle_noise: multiplicative Gaussian noise, clip(x + x * N(0, sigma)) on x / 255 per channel value
// (ImageNet-C / CIFAR-10-C definition). Sampled from the exact distribution of the output byte (noise-tables.ts):
// x + x sigma Z = x + (x sigma) Z, a normal with standard deviation x sigma (input byte 0 stays 0); one 32-bit
// draw per value. With any other RandomSource than the seeded generator (e.g. a replay of numpy's stream), the
// reference formula is applied with its normal() draws, one per value in order.
import type { Corruption, CorruptionContext, Image, RandomSource } from '../../types';
import { Xoshiro128 } from '../random';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';
import { type ByteNoiseTables, cachedNoiseTables, clippedNormalByteWeights, sampleNoiseBytes } from './noise-tables';

/** Standard deviation of the multiplicative noise. */
export const SPECKLE_NOISE_SIGMA: PresetParameters<number> = {
  cifar: [0.06, 0.1, 0.12, 0.16, 0.2],
  imagenet: [0.15, 0.2, 0.35, 0.45, 0.6],
};

const tableCache = new Map<number, ByteNoiseTables>();

/** The output-byte tables for sigma: input byte v -> distribution of np.uint8(clip(x + x sigma Z) * 255), x = v / 255. */
export function speckleNoiseTables(sigma: number): ByteNoiseTables {
  return cachedNoiseTables(tableCache, sigma, (v) => {
    if (v === 0) {
      const weights = new Float64Array(256);
      weights[0] = 1;
      return weights;
    }
    return clippedNormalByteWeights(UNIT[v], UNIT[v] * sigma);
  });
}

export const speckleNoise: Corruption = {
  name: 'speckle_noise',
  benchmark: false,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const sigma = parameterFor(SPECKLE_NOISE_SIGMA, context.preset, severity, 'speckle_noise');
    const random = context.random;
    const pixels = random instanceof Xoshiro128 ? sampleNoiseBytes(image.pixels, speckleNoiseTables(sigma), random) : formula(image.pixels, sigma, random);
    return { height: image.height, width: image.width, channels: image.channels, pixels };
  },
};

/** The reference formula, np.uint8(np.clip(x + x * normal(0, sigma), 0, 1) * 255), one normal() per value. */
function formula(src: Uint8Array, sigma: number, random: RandomSource): Uint8Array {
  const unit = UNIT; // imported binding read once (a getter call per read under a CommonJS transform)
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = unit[src[i]];
    const y = x + x * (sigma * random.normal());
    out[i] = (y > 1 ? 255 : y > 0 ? y * 255 : 0) | 0;
  }
  return out;
}
