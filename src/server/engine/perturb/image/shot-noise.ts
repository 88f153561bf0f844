// shot_noise: Poisson noise, poisson(x * c) / c on x / 255 per channel value (ImageNet-C / CIFAR-10-C definition);
// larger c means milder noise.
//
// Sampling (noise-tables.ts): the output byte of a value depends only on its input byte v (256 possible means
// lambda = v / 255 * c) and is np.uint8(clip(n / c, 0, 1) * 255) of the Poisson count n. So instead of drawing n
// (a rejection sampler, PTRS, for every value), the exact distribution of the output byte is computed once per
// (c, v) from the Poisson probabilities: P(byte = b) = sum of P(n) over the counts n with that byte (the same
// float64 n / c * 255 and truncation as the reference), and sampled with an alias table, one 32-bit draw per
// value. The Poisson tails are summed until the probability falls below 1e-20 of the mode's (beyond ~9.5
// standard deviations). With any other RandomSource than the seeded generator (e.g. a replay of numpy's
// stream), the reference formula is applied: a Poisson draw per value in order (poisson() in random.ts, the
// algorithms numpy uses).
import type { Corruption, CorruptionContext, Image, RandomSource } from '../../types';
import { poisson, Xoshiro128 } from '../random';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';
import { type ByteNoiseTables, cachedNoiseTables, sampleNoiseBytes } from './noise-tables';

/** Photon-count scale c: the value x in [0, 1] becomes poisson(x * c) / c. */
export const SHOT_NOISE_SCALE: PresetParameters<number> = {
  cifar: [500, 250, 100, 75, 50],
  imagenet: [60, 25, 12, 5, 3],
};

const tableCache = new Map<number, ByteNoiseTables>();

/** Poisson weights below this fraction of the mode's are not summed (about 9.5 sd out). */
const TAIL_CUTOFF = 1e-20;

/**
 * The distribution of the output byte for input byte v: weight per byte value, P(n) summed over the counts n,
 * relative to the mode's probability (the alias table normalises). Exported for the distribution checks.
 */
export function shotNoiseByteWeights(c: number, v: number): Float64Array {
  const weights = new Float64Array(256);
  const lambda = UNIT[v] * c;
  // Output byte of the count n, exactly as np.uint8(np.clip(n / c, 0, 1) * 255).
  const byteOf = (n: number): number => {
    const x = n / c;
    return (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  };
  if (lambda === 0) {
    weights[0] = 1;
    return weights;
  }
  // P(n) / P(mode) by the ratios P(n + 1) / P(n) = lambda / (n + 1), outwards from the mode.
  const mode = Math.floor(lambda);
  weights[byteOf(mode)] += 1;
  let w = 1;
  for (let n = mode + 1; ; n++) {
    w *= lambda / n;
    if (w < TAIL_CUTOFF) break;
    weights[byteOf(n)] += w;
  }
  w = 1;
  for (let n = mode; n > 0; n--) {
    w *= n / lambda; // P(n - 1) / P(mode)
    if (w < TAIL_CUTOFF) break;
    weights[byteOf(n - 1)] += w;
  }
  return weights;
}

/** The output-byte tables for the scale c: input byte v -> distribution of np.uint8(clip(poisson(v / 255 c) / c) * 255). */
export function shotNoiseTables(c: number): ByteNoiseTables {
  return cachedNoiseTables(tableCache, c, (v) => shotNoiseByteWeights(c, v));
}

export const shotNoise: Corruption = {
  name: 'shot_noise',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const c = parameterFor(SHOT_NOISE_SCALE, context.preset, severity, 'shot_noise');
    const random = context.random;
    const pixels = random instanceof Xoshiro128 ? sampleNoiseBytes(image.pixels, shotNoiseTables(c), random) : formula(image.pixels, c, random);
    return { height: image.height, width: image.width, channels: image.channels, pixels };
  },
};

/** The reference formula, np.uint8(np.clip(poisson(x * c) / c, 0, 1) * 255), one Poisson draw per value. */
function formula(src: Uint8Array, c: number, random: RandomSource): Uint8Array {
  const unit = UNIT; // imported bindings read once (a getter call per read under a CommonJS transform)
  const draw = poisson;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = draw(random, unit[src[i]] * c) / c;
    out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  }
  return out;
}
