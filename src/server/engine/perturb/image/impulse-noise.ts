// impulse_noise: salt-and-pepper noise on each channel value independently, as skimage.util.random_noise(mode='s&p')
// does for the reference: each value is replaced with probability `amount`, by 1 (salt) or 0 (pepper) with equal
// probability; other values stay as they are.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { Xoshiro128 } from '../random';
import { checkImage, parameterFor, type PresetParameters } from './common';

/** Share of the channel values replaced by 0 or 255. */
export const IMPULSE_NOISE_AMOUNT: PresetParameters<number> = {
  cifar: [0.01, 0.02, 0.03, 0.05, 0.07],
  imagenet: [0.03, 0.06, 0.09, 0.17, 0.27],
};

export const impulseNoise: Corruption = {
  name: 'impulse_noise',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const amount = parameterFor(IMPULSE_NOISE_AMOUNT, context.preset, severity, 'impulse_noise');
    const random = context.random;
    const src = image.pixels;
    const out = new Uint8Array(src);
    // One 32-bit draw u per value: u < half -> pepper (0), half <= u < 2 half -> salt (255), so each has
    // probability half / 2^32 = amount / 2 (to within 2^-33), the same law as two Bernoulli draws.
    const half = Math.round((amount / 2) * 4294967296);
    const both = 2 * half;
    if (random instanceof Xoshiro128) {
      for (let i = 0; i < src.length; i++) {
        const u = random.nextUint32();
        if (u < both) out[i] = u < half ? 0 : 255;
      }
    } else {
      // Any other RandomSource: one next() per value, below amount / 2 pepper, below amount salt.
      for (let i = 0; i < src.length; i++) {
        const u = random.next();
        if (u < amount) out[i] = u < amount / 2 ? 0 : 255;
      }
    }
    return { height: image.height, width: image.width, channels: image.channels, pixels: out };
  },
};
