// brightness: in HSV, V += c (clipped to [0, 1]), back to RGB (ImageNet-C / CIFAR-10-C definition, with
// skimage's rgb2hsv / hsv2rgb reproduced in hsv.ts).
// Grey images: a grey value is an RGB pixel with R = G = B, whose HSV is (0, 0, value), so the corruption adds
// c to the value directly: out = clip(x + c).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';
import { hsvToRgb, rgbToHsv, type Triple } from './hsv';

/** Amount added to the HSV value V. */
export const BRIGHTNESS_SHIFT: PresetParameters<number> = {
  cifar: [0.05, 0.1, 0.15, 0.2, 0.3],
  imagenet: [0.1, 0.2, 0.3, 0.4, 0.5],
};

export const brightness: Corruption = {
  name: 'brightness',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const c = parameterFor(BRIGHTNESS_SHIFT, context.preset, severity, 'brightness');
    const { channels, pixels } = image;
    const out = new Uint8Array(pixels.length);
    if (channels === 1) {
      const table = new Uint8Array(256);
      for (let v = 0; v < 256; v++) {
        const x = UNIT[v] + c;
        table[v] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
      }
      for (let i = 0; i < pixels.length; i++) out[i] = table[pixels[i]];
    } else {
      const hsv: Triple = { a: 0, b: 0, c: 0 };
      const rgb: Triple = { a: 0, b: 0, c: 0 };
      for (let i = 0; i < pixels.length; i += 3) {
        rgbToHsv(UNIT[pixels[i]], UNIT[pixels[i + 1]], UNIT[pixels[i + 2]], hsv);
        let v = hsv.c + c;
        v = v > 1 ? 1 : v < 0 ? 0 : v;
        hsvToRgb(hsv.a, hsv.b, v, rgb);
        const r = rgb.a;
        const g = rgb.b;
        const b = rgb.c;
        out[i] = (r > 1 ? 255 : r > 0 ? r * 255 : 0) | 0;
        out[i + 1] = (g > 1 ? 255 : g > 0 ? g * 255 : 0) | 0;
        out[i + 2] = (b > 1 ? 255 : b > 0 ? b * 255 : 0) | 0;
      }
    }
    return { height: image.height, width: image.width, channels, pixels: out };
  },
};
