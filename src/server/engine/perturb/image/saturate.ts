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
      saturateRgb(pixels, out, scale, shift);
    }
    return { height: image.height, width: image.width, channels, pixels: out };
  },
};

/**
 * rgbToHsv, S = clip(S * scale + shift, 0, 1), hsvToRgb and the truncating cast for every RGB pixel, inlined (the
 * same float64 operations in the same order as hsv.ts, so the same bits). For |h| < 1 numpy's h % 1 is h itself
 * (+1 when negative), which saves the float remainder.
 */
function saturateRgb(src: Uint8Array, out: Uint8Array, scale: number, shift: number): void {
  const unit = UNIT; // imported binding read once (a getter call per read under a CommonJS transform)
  for (let i = 0; i < src.length; i += 3) {
    const r = unit[src[i]];
    const g = unit[src[i + 1]];
    const b = unit[src[i + 2]];
    const v = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    const delta = v - min;
    let s: number;
    let h: number;
    if (delta === 0) {
      s = 0;
      h = 0;
    } else {
      s = delta / v;
      h = b === v ? 4 + (r - g) / delta : g === v ? 2 + (b - r) / delta : (g - b) / delta;
      h /= 6;
      if (h < 0) h += 1;
    }
    s = s * scale + shift;
    s = s > 1 ? 1 : s < 0 ? 0 : s;
    const h6 = h * 6;
    const hi = Math.floor(h6);
    const f = h6 - hi;
    const p = v * (1 - s);
    const q = v * (1 - f * s);
    const t = v * (1 - (1 - f) * s);
    let ro: number;
    let go: number;
    let bo: number;
    switch (hi) {
      case 1:
        ro = q;
        go = v;
        bo = p;
        break;
      case 2:
        ro = p;
        go = v;
        bo = t;
        break;
      case 3:
        ro = p;
        go = q;
        bo = v;
        break;
      case 4:
        ro = t;
        go = p;
        bo = v;
        break;
      case 5:
        ro = v;
        go = p;
        bo = q;
        break;
      default: // 0 and 6 (hi % 6 === 0)
        ro = v;
        go = t;
        bo = p;
        break;
    }
    out[i] = (ro > 1 ? 255 : ro > 0 ? ro * 255 : 0) | 0;
    out[i + 1] = (go > 1 ? 255 : go > 0 ? go * 255 : 0) | 0;
    out[i + 2] = (bo > 1 ? 255 : bo > 0 ? bo * 255 : 0) | 0;
  }
}
