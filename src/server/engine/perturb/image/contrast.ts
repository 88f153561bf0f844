// contrast: (x - mean) * c + mean on x / 255, with the mean taken per channel over the whole image
// (ImageNet-C / CIFAR-10-C definition). Works unchanged on grey images (one channel, one mean).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';

/** Contrast factor c (smaller is stronger). */
export const CONTRAST_FACTOR: PresetParameters<number> = {
  cifar: [0.75, 0.5, 0.4, 0.3, 0.15],
  imagenet: [0.4, 0.3, 0.2, 0.1, 0.05],
};

export const contrast: Corruption = {
  name: 'contrast',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const c = parameterFor(CONTRAST_FACTOR, context.preset, severity, 'contrast');
    const { channels, pixels } = image;
    const count = image.height * image.width;
    const means = new Float64Array(channels);
    for (let i = 0; i < pixels.length; i += channels) {
      for (let ch = 0; ch < channels; ch++) means[ch] += UNIT[pixels[i + ch]];
    }
    for (let ch = 0; ch < channels; ch++) means[ch] /= count;
    // The output depends only on (channel, value): one 256-entry table per channel.
    const tables = new Uint8Array(256 * channels);
    for (let ch = 0; ch < channels; ch++) {
      const m = means[ch];
      for (let v = 0; v < 256; v++) {
        const x = (UNIT[v] - m) * c + m;
        tables[ch * 256 + v] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
      }
    }
    const out = new Uint8Array(pixels.length);
    for (let i = 0; i < pixels.length; i += channels) {
      for (let ch = 0; ch < channels; ch++) out[i + ch] = tables[ch * 256 + pixels[i + ch]];
    }
    return { height: image.height, width: image.width, channels, pixels: out };
  },
};
