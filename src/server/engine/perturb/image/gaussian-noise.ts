// gaussian_noise: clip(x + N(0, sigma)) on x / 255, per channel value (ImageNet-C / CIFAR-10-C definition).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';

/** Standard deviation of the added noise, in [0, 1] units. */
export const GAUSSIAN_NOISE_SIGMA: PresetParameters<number> = {
  cifar: [0.04, 0.06, 0.08, 0.09, 0.1],
  imagenet: [0.08, 0.12, 0.18, 0.26, 0.38],
};

export const gaussianNoise: Corruption = {
  name: 'gaussian_noise',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const sigma = parameterFor(GAUSSIAN_NOISE_SIGMA, context.preset, severity, 'gaussian_noise');
    const random = context.random;
    const src = image.pixels;
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const x = UNIT[src[i]] + sigma * random.normal();
      out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
    return { height: image.height, width: image.width, channels: image.channels, pixels: out };
  },
};
