// RGB <-> HSV exactly as skimage.color.rgb2hsv / hsv2rgb compute them (float64, same operation order and tie
// rules), for brightness and saturate. Values in [0, 1].

/** Scratch output of rgbToHsv / hsvToRgb, reused to avoid per-pixel allocations. */
export interface Triple {
  a: number;
  b: number;
  c: number;
}

/** skimage.color.rgb2hsv for one pixel: writes (h, s, v) into out. */
export function rgbToHsv(r: number, g: number, b: number, out: Triple): void {
  const v = r > g ? (r > b ? r : b) : g > b ? g : b;
  const min = r < g ? (r < b ? r : b) : g < b ? g : b;
  const delta = v - min;
  let s = delta / v;
  let h: number;
  if (delta === 0) {
    s = 0;
    h = 0;
  } else {
    // skimage assigns red, then green, then blue: the last channel equal to the max wins ties.
    if (b === v) h = 4 + (r - g) / delta;
    else if (g === v) h = 2 + (b - r) / delta;
    else h = (g - b) / delta;
    h /= 6;
    // numpy's remainder (h % 1.0): the result takes the sign of the divisor.
    let m = h % 1;
    if (m !== 0 && m < 0) m += 1;
    h = m === 0 ? 0 : m;
  }
  if (Number.isNaN(s)) s = 0;
  out.a = h;
  out.b = s;
  out.c = v;
}

/** skimage.color.hsv2rgb for one pixel: writes (r, g, b) into out. */
export function hsvToRgb(h: number, s: number, v: number, out: Triple): void {
  const hi = Math.floor(h * 6);
  const f = h * 6 - hi;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  // numpy: hi.astype(np.uint8) % 6 (h is in [0, 1], so hi is 0..6)
  switch (hi % 6) {
    case 0:
      out.a = v;
      out.b = t;
      out.c = p;
      break;
    case 1:
      out.a = q;
      out.b = v;
      out.c = p;
      break;
    case 2:
      out.a = p;
      out.b = v;
      out.c = t;
      break;
    case 3:
      out.a = p;
      out.b = q;
      out.c = v;
      break;
    case 4:
      out.a = t;
      out.b = p;
      out.c = v;
      break;
    default:
      out.a = v;
      out.b = p;
      out.c = q;
      break;
  }
}
