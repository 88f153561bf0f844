// shot_noise: Poisson noise, poisson(x * c) / c on x / 255 per channel value (ImageNet-C / CIFAR-10-C definition);
// larger c means milder noise.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { poisson } from '../random';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';

/** Photon-count scale c: the value x in [0, 1] becomes poisson(x * c) / c. */
export const SHOT_NOISE_SCALE: PresetParameters<number> = {
  cifar: [500, 250, 100, 75, 50],
  imagenet: [60, 25, 12, 5, 3],
};

export const shotNoise: Corruption = {
  name: 'shot_noise',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const c = parameterFor(SHOT_NOISE_SCALE, context.preset, severity, 'shot_noise');
    const random = context.random;
    const src = image.pixels;
    const out = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const x = poisson(random, UNIT[src[i]] * c) / c;
      out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
    }
    return { height: image.height, width: image.width, channels: image.channels, pixels: out };
  },
};
