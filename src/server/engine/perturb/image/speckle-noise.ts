// speckle_noise: multiplicative Gaussian noise, clip(x + x * N(0, sigma)) on x / 255 per channel value
// (ImageNet-C / CIFAR-10-C definition).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';

/** Standard deviation of the multiplicative noise. */
export const SPECKLE_NOISE_SIGMA: PresetParameters<number> = {
  cifar: [0.06, 0.1, 0.12, 0.16, 0.2],
  imagenet: [0.15, 0.2, 0.35, 0.45, 0.6],
};

export const speckleNoise: Corruption = {
  name: 'speckle_noise',
  benchmark: false,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const sigma = parameterFor(SPECKLE_NOISE_SIGMA, context.preset, severity, 'speckle_noise');
    const random = context.random;
    const src = image.pixels;
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const x = UNIT[src[i]];
      const y = x + x * (sigma * random.normal());
      out[i] = (y > 1 ? 255 : y > 0 ? y * 255 : 0) | 0;
    }
    return { height: image.height, width: image.width, channels: image.channels, pixels: out };
  },
};
