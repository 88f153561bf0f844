// Procedural frost textures for the frost corruption (frost.ts), standing in for the six frost photographs that the
// ImageNet-C / CIFAR-10-C code blends in (we do not have them, and they are not ours to ship).
//
// What a texture looks like (modelled on window frost, "fern frost"): feathery dendritic ice crystals, a slightly
// curved main needle with dense short side needles (barbs) at about 60 degrees (ice's hexagonal habit), some barbs
// growing into feathers of their own, many of them overlapping at all orientations; a dark slate-blue background
// with slow brightness variations (a plasma fractal) and a soft glow around the crystals (a blurred copy of the
// crystal layer); fine grain and a few bright sparkles. The grey level is tinted blue-white (B > G > R) like frost
// photographs. Everything is drawn toroidally (needles wrap around, the plasma fractal and the blurs wrap), so a
// texture tiles seamlessly.
//
// A texture is a pure function of (size, seed): its own xoshiro128** stream (createRandom(seed)), no global state.
// Values are 0..255 RGB, row-major, size x size.
import { createRandom, type Xoshiro128 } from '../random';
import { plasmaFractal } from './plasma-fractal';

/** Screen-blends `alpha` into the pixel (x, y) (wrapping) with bilinear weights. */
function splat(layer: Float32Array, size: number, x: number, y: number, alpha: number): void {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  const tx = x - fx;
  const ty = y - fy;
  const x0 = ((fx % size) + size) % size;
  const y0 = ((fy % size) + size) % size;
  const x1 = x0 + 1 === size ? 0 : x0 + 1;
  const y1 = y0 + 1 === size ? 0 : y0 + 1;
  let p = y0 * size + x0;
  let a = alpha * (1 - tx) * (1 - ty);
  layer[p] += a * (1 - layer[p]);
  p = y0 * size + x1;
  a = alpha * tx * (1 - ty);
  layer[p] += a * (1 - layer[p]);
  p = y1 * size + x0;
  a = alpha * (1 - tx) * ty;
  layer[p] += a * (1 - layer[p]);
  p = y1 * size + x1;
  a = alpha * tx * ty;
  layer[p] += a * (1 - layer[p]);
}

/** A straight needle from (x, y) at `angle`, `length` px, fading from `alpha` to alpha * tipFade. */
function needle(layer: Float32Array, size: number, x: number, y: number, angle: number, length: number, alpha: number, tipFade: number): void {
  const dx = Math.cos(angle) * 0.5;
  const dy = Math.sin(angle) * 0.5;
  const steps = Math.max(1, Math.round(length * 2));
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    splat(layer, size, x + dx * i, y + dy * i, alpha * (1 - (1 - tipFade) * t));
  }
}

interface FernStyle {
  /** Angle between stem and barbs, radians. */
  readonly barbAngle: number;
  /** Distance between barb pairs along the stem, px. */
  readonly spacing: number;
  /** Longest barb as a fraction of the stem length. */
  readonly barbRatio: number;
}

/** A feather of frost: a gently curving stem with side needles, some of which become feathers themselves. */
function fern(layer: Float32Array, size: number, random: Xoshiro128, x: number, y: number, angle: number, length: number, alpha: number, depth: number, style: FernStyle): void {
  let px = x;
  let py = y;
  let heading = angle;
  const bend = (random.next() - 0.5) * 0.02; // a steady curvature per px
  const steps = Math.max(2, Math.round(length));
  let nextBarb = style.spacing * (0.5 + random.next());
  for (let s = 0; s < steps; s++) {
    const t = s / steps;
    splat(layer, size, px, py, alpha * (1 - 0.4 * t));
    splat(layer, size, px + Math.cos(heading) * 0.5, py + Math.sin(heading) * 0.5, alpha * (1 - 0.4 * t));
    if (s >= nextBarb) {
      nextBarb = s + style.spacing * (0.7 + 0.6 * random.next());
      // Barbs are longest a little above the base and shrink towards the tip.
      const envelope = Math.min(1, 0.25 + 4 * t) * Math.pow(1 - t, 0.7);
      for (const side of [-1, 1]) {
        if (random.next() < 0.12) continue;
        const barbLength = length * style.barbRatio * envelope * (0.55 + 0.7 * random.next());
        if (barbLength < 1) continue;
        const barbHeading = heading + side * (style.barbAngle + (random.next() - 0.5) * 0.25);
        if (depth > 0 && barbLength > 7 && random.next() < 0.1) {
          fern(layer, size, random, px, py, barbHeading, barbLength * 1.4, alpha * 0.85, depth - 1, style);
        } else {
          needle(layer, size, px, py, barbHeading, barbLength, alpha * 0.55, 0.25);
        }
      }
    }
    heading += bend + (random.next() - 0.5) * 0.04;
    px += Math.cos(heading);
    py += Math.sin(heading);
  }
}

/** Separable Gaussian blur of a square plane with wrap-around borders. */
function blurWrap(plane: Float32Array, size: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = 2 * radius + 1;
  const kernel = new Float64Array(taps);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < taps; i++) kernel[i] /= sum;
  // Wrapped source index of every padded position -radius .. size - 1 + radius.
  const wrap = new Int32Array(size + 2 * radius);
  for (let p = 0; p < wrap.length; p++) wrap[p] = (((p - radius) % size) + size) % size;
  const tmp = new Float32Array(plane.length);
  const line = new Float64Array(size + 2 * radius);
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let p = 0; p < line.length; p++) line[p] = plane[row + wrap[p]];
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += kernel[k] * line[x + k];
      tmp[row + x] = acc;
    }
  }
  const out = new Float32Array(plane.length);
  const acc = new Float64Array(size);
  for (let y = 0; y < size; y++) {
    acc.fill(0);
    for (let k = 0; k < taps; k++) {
      const w = kernel[k];
      const src = wrap[y + k] * size;
      for (let x = 0; x < size; x++) acc[x] += w * tmp[src + x];
    }
    out.set(acc, y * size);
  }
  return out;
}

/** Knobs of a texture's overall look (the reference's photographs differ in brightness and density too). */
export interface FrostLook {
  /** Grey level of the background between the crystals (0..1; its slow variations add up to 0.22). */
  readonly background: number;
  /** Multiplier of the number of feathers. */
  readonly density: number;
}

export const DEFAULT_FROST_LOOK: FrostLook = { background: 0.16, density: 1 };

/**
 * Version of generateFrostTexture's output: bump it whenever a change alters any texture byte (with
 * CORRUPTIONS_VERSION), so that texture files made by an older build are not used (frost-texture-file.ts).
 */
export const FROST_GENERATOR_VERSION = 1;

/** Tint of the grey level g in [0, 1]: blue-white, B > G > R. */
const TINT = { r: [0.86, 0.02], g: [0.94, 0.035], b: [1.0, 0.06] } as const;

/**
 * A size x size frost texture (RGB, 0..255, row-major) from `seed`. Deterministic: the same (size, seed) gives the
 * same bytes. Cost: roughly linear in size^2 (about 0.35 s of CPU per megapixel; 384 x 384 in about 50 ms).
 */
export function generateFrostTexture(size: number, seed: number, look: FrostLook = DEFAULT_FROST_LOOK): Uint8Array {
  if (!(Number.isInteger(size) && size >= 8)) throw new RangeError(`frost texture size must be an integer >= 8, got ${size}`);
  const random = createRandom(seed);
  const n = size * size;

  // Slow background variations: a 64x64 plasma fractal (it wraps around) upsampled bilinearly with wrap-around.
  const mapSize = 64;
  const plasma = plasmaFractal(mapSize, 1.9, random);
  const background = new Float32Array(n);
  const ratio = mapSize / size;
  for (let y = 0; y < size; y++) {
    const my = y * ratio;
    const y0 = Math.floor(my);
    const ty = my - y0;
    const r0 = (y0 % mapSize) * mapSize;
    const r1 = ((y0 + 1) % mapSize) * mapSize;
    for (let x = 0; x < size; x++) {
      const mx = x * ratio;
      const x0 = Math.floor(mx);
      const tx = mx - x0;
      const c0 = x0 % mapSize;
      const c1 = (x0 + 1) % mapSize;
      background[y * size + x] = (1 - ty) * ((1 - tx) * plasma[r0 + c0] + tx * plasma[r0 + c1]) + ty * ((1 - tx) * plasma[r1 + c0] + tx * plasma[r1 + c1]);
    }
  }

  // Crystal layer. First a faint undergrowth of small feathers ("frost fur") that textures the gaps, then the
  // main feathers on top; counts scale with the area.
  const crystals = new Float32Array(n);
  const style: FernStyle = { barbAngle: (58 * Math.PI) / 180, spacing: 2.2, barbRatio: 0.26 };
  const area = n / (384 * 384);
  const undergrowth = Math.round(area * 420 * look.density);
  for (let f = 0; f < undergrowth; f++) {
    const length = (0.025 + 0.05 * random.next()) * size;
    fern(crystals, size, random, random.next() * size, random.next() * size, random.next() * 2 * Math.PI, length, 0.12 + 0.18 * random.next(), 0, style);
  }
  const feathers = Math.round(area * 150 * look.density);
  for (let f = 0; f < feathers; f++) {
    const x = random.next() * size;
    const y = random.next() * size;
    const angle = random.next() * 2 * Math.PI;
    const length = (0.06 + 0.22 * Math.pow(random.next(), 1.5)) * size;
    const alpha = 0.35 + 0.45 * random.next();
    fern(crystals, size, random, x, y, angle, length, alpha, 2, style);
  }
  const glow = blurWrap(crystals, size, 2.2);

  // Mottled haze (mid-frequency noise) and grain (white noise softened a little).
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) noise[i] = random.normal();
  const haze = blurWrap(noise, size, 3);
  for (let i = 0; i < n; i++) noise[i] = random.normal();
  const grain = blurWrap(noise, size, 0.6);
  // Sparkles: a few bright isolated pixels.
  const sparkles = new Uint8Array(n);
  const sparkleCount = Math.round(n * 0.0015);
  for (let i = 0; i < sparkleCount; i++) sparkles[Math.floor(random.next() * n)] = 1;

  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const base = look.background + 0.22 * background[i] + 0.35 * haze[i];
    const ice = Math.min(1, 0.8 * crystals[i] + 0.55 * glow[i]);
    let g = base + (1 - base) * ice + 0.045 * grain[i];
    if (sparkles[i]) g += 0.35;
    g = g < 0 ? 0 : g > 1 ? 1 : g;
    const r = TINT.r[0] * g + TINT.r[1];
    const gr = TINT.g[0] * g + TINT.g[1];
    const b = TINT.b[0] * g + TINT.b[1];
    rgb[i * 3] = Math.min(255, Math.round(r * 255));
    rgb[i * 3 + 1] = Math.min(255, Math.round(gr * 255));
    rgb[i * 3 + 2] = Math.min(255, Math.round(b * 255));
  }
  return rgb;
}
