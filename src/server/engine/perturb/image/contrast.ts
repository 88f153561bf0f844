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
    const unit = UNIT; // imported binding read once (a getter call per read under a CommonJS transform)
    // Per-channel sums of x / 255 in pixel order (the same additions, in the same order, for any channel count).
    const means = new Float64Array(channels);
    if (channels === 3) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < pixels.length; i += 3) {
        s0 += unit[pixels[i]];
        s1 += unit[pixels[i + 1]];
        s2 += unit[pixels[i + 2]];
      }
      means[0] = s0;
      means[1] = s1;
      means[2] = s2;
    } else {
      let s0 = 0;
      for (let i = 0; i < pixels.length; i++) s0 += unit[pixels[i]];
      means[0] = s0;
    }
    for (let ch = 0; ch < channels; ch++) means[ch] /= count;
    // The output depends only on (channel, value): one 256-entry table per channel.
    const tables = new Uint8Array(256 * channels);
    for (let ch = 0; ch < channels; ch++) {
      const m = means[ch];
      for (let v = 0; v < 256; v++) {
        const x = (unit[v] - m) * c + m;
        tables[ch * 256 + v] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
      }
    }
    const out = new Uint8Array(pixels.length);
    if (channels === 3) {
      for (let i = 0; i < pixels.length; i += 3) {
        out[i] = tables[pixels[i]];
        out[i + 1] = tables[256 + pixels[i + 1]];
        out[i + 2] = tables[512 + pixels[i + 2]];
      }
    } else {
      for (let i = 0; i < pixels.length; i++) out[i] = tables[pixels[i]];
    }
    return { height: image.height, width: image.width, channels, pixels: out };
  },
};
