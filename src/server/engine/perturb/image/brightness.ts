// brightness: in HSV, V += c (clipped to [0, 1]), back to RGB (ImageNet-C / CIFAR-10-C definition, with
// skimage's rgb2hsv / hsv2rgb reproduced in hsv.ts).
// Grey images: a grey value is an RGB pixel with R = G = B, whose HSV is (0, 0, value), so the corruption adds
// c to the value directly: out = clip(x + c).
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters, UNIT } from './common';

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
      brightnessRgb(pixels, out, c);
    }
    return { height: image.height, width: image.width, channels, pixels: out };
  },
};

/**
 * rgbToHsv, V = clip(V + shift, 0, 1), hsvToRgb and the truncating cast for every RGB pixel, inlined (the same
 * float64 operations in the same order as hsv.ts, so the same bits; see there for the skimage correspondence).
 * Shortcuts that do not change a bit: for |h| < 1 numpy's h % 1 is h itself (+1 when negative), and a grey
 * pixel (delta = 0: s = 0, h = 0) comes back as (V, V, V).
 */
function brightnessRgb(src: Uint8Array, out: Uint8Array, shift: number): void {
  const unit = UNIT; // imported binding read once (a getter call per read under a CommonJS transform)
  for (let i = 0; i < src.length; i += 3) {
    const r = unit[src[i]];
    const g = unit[src[i + 1]];
    const b = unit[src[i + 2]];
    const v = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    const delta = v - min;
    let w = v + shift;
    w = w > 1 ? 1 : w < 0 ? 0 : w;
    if (delta === 0) {
      const o = (w * 255) | 0;
      out[i] = o;
      out[i + 1] = o;
      out[i + 2] = o;
      continue;
    }
    const s = delta / v;
    let h = b === v ? 4 + (r - g) / delta : g === v ? 2 + (b - r) / delta : (g - b) / delta;
    h /= 6;
    if (h < 0) h += 1;
    const h6 = h * 6;
    const hi = Math.floor(h6);
    const f = h6 - hi;
    const p = w * (1 - s);
    const q = w * (1 - f * s);
    const t = w * (1 - (1 - f) * s);
    let ro: number;
    let go: number;
    let bo: number;
    switch (hi) {
      case 1:
        ro = q;
        go = w;
        bo = p;
        break;
      case 2:
        ro = p;
        go = w;
        bo = t;
        break;
      case 3:
        ro = p;
        go = q;
        bo = w;
        break;
      case 4:
        ro = t;
        go = p;
        bo = w;
        break;
      case 5:
        ro = w;
        go = p;
        bo = q;
        break;
      default: // 0 and 6 (hi % 6 === 0)
        ro = w;
        go = t;
        bo = p;
        break;
    }
    // Values are in [0, 1] here (w <= 1, s and f in [0, 1]): the clip is only needed for safety.
    out[i] = (ro > 1 ? 255 : ro > 0 ? ro * 255 : 0) | 0;
    out[i + 1] = (go > 1 ? 255 : go > 0 ? go * 255 : 0) | 0;
    out[i + 2] = (bo > 1 ? 255 : bo > 0 ? bo * 255 : 0) | 0;
  }
}
