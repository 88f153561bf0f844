// saturate: in HSV, S = clip(S * a + b), back to RGB (the ImageNet-C / CIFAR-10-C extra corruption, with
// skimage's rgb2hsv / hsv2rgb reproduced in hsv.ts).
// Grey images: the grey value is taken as an RGB pixel with R = G = B (HSV (0, 0, value)), the corruption is
// applied to it, and the result is converted back to grey with the ITU-R BT.601 luma weights
// (0.299 R + 0.587 G + 0.114 B) before the usual clip and truncation. Since the saturation of a grey pixel is 0,
// severities with b = 0 leave grey images unchanged; with b > 0 the pixel takes the hue 0 (red) at saturation b,
// which shows in grey as a darkening by the factor 0.299 + 0.701 * (1 - b).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';
import { hsvToRgb, rgbToHsv, type Triple } from './hsv';

/** (a, b): the HSV saturation S becomes clip(S * a + b, 0, 1). */
export const SATURATE_PARAMETERS: PresetParameters<readonly [number, number]> = {
  cifar: [
    [0.3, 0],
    [0.1, 0],
    [1.5, 0],
    [2, 0.1],
    [2.5, 0.2],
  ],
  imagenet: [
    [0.3, 0],
    [0.1, 0],
    [2, 0],
    [5, 0.1],
    [20, 0.2],
  ],
};

export const saturate: Corruption = {
  name: 'saturate',
  benchmark: false,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [scale, shift] = parameterFor(SATURATE_PARAMETERS, context.preset, severity, 'saturate');
    const { channels, pixels } = image;
    const out = new Uint8Array(pixels.length);
    const hsv: Triple = { a: 0, b: 0, c: 0 };
    const rgb: Triple = { a: 0, b: 0, c: 0 };
    if (channels === 1) {
      const table = new Uint8Array(256);
      for (let v = 0; v < 256; v++) {
        const x = UNIT[v];
        rgbToHsv(x, x, x, hsv);
        let s = hsv.b * scale + shift;
        s = s > 1 ? 1 : s < 0 ? 0 : s;
        hsvToRgb(hsv.a, s, hsv.c, rgb);
        // Still grey (b = 0): keep the value exactly, the weighted sum could round just below it.
        const y = rgb.a === rgb.b && rgb.b === rgb.c ? rgb.a : 0.299 * rgb.a + 0.587 * rgb.b + 0.114 * rgb.c;
        table[v] = (y > 1 ? 255 : y > 0 ? y * 255 : 0) | 0;
      }
      for (let i = 0; i < pixels.length; i++) out[i] = table[pixels[i]];
    } else {
      for (let i = 0; i < pixels.length; i += 3) {
        rgbToHsv(UNIT[pixels[i]], UNIT[pixels[i + 1]], UNIT[pixels[i + 2]], hsv);
        let s = hsv.b * scale + shift;
        s = s > 1 ? 1 : s < 0 ? 0 : s;
        hsvToRgb(hsv.a, s, hsv.c, rgb);
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
