// frost: out = clip(a * x + b * frost, 0, 255) truncated to uint8, on 0..255 values in float64, with the published
// (image weight a, frost weight b) per severity, where `frost` is a random crop of a frost texture.
//
// DOCUMENTED DEVIATION from ImageNet-C / CIFAR-10-C. The reference picks one of five frost photographs
// (np.random.randint(5) over frost1.png .. frost5.jpg; frost6.jpg is listed but never drawn), for CIFAR-10-C first
// shrinks it with cv2.resize(fx = fy = 0.2, INTER_LINEAR, i.e. it keeps every 5th pixel, which aliases the fine
// crystals into grain), takes a random crop of the image size (np.random.randint(0, side - crop) per axis) and
// blends it with the formula above. We do not have those photographs (and could not ship them), so we use
// procedural frost textures instead (frost-texture.ts: feathery dendritic ice crystals on a slate-blue background,
// blue-white tint B > G > R, grain and haze), with the same sampling: five seeded textures of 384 x 384 (each
// read from dist/frost-textures.bin when the build made it (frost-texture-file.ts), else generated once per process,
// lazily, about 50 ms of CPU each; the fixed texture seeds are part of the definition), for the cifar preset shrunk by keeping every 5th pixel (77 x 77) like the reference; the texture
// index and the crop offsets come from context.random. Outputs are therefore a pure function of the seed, but
// differ from the published CIFAR-10-C / ImageNet-C frost images; the change statistics are of the same order
// (test/unit/corruption-weather.test.ts: within a factor of 2 of the reference's mean and std of the change).
//
// Random draws (context.random.next(), in the reference's order): texture index floor(5 u), then the row offset and
// the column offset, each floor(u * max(1, floor(T - crop))) where T is the texture side and crop the crop side in
// texture pixels.
// Other image sizes: the crop covers (H / s) x (W / s) texture pixels, s = spatialScale(image, preset) (so the
// crystals keep their size relative to the image), sampled bilinearly at pixel centres; at the nominal scale
// (s = 1) the crop is copied pixel for pixel. Textures are seamless (toroidal), so crops larger than the texture
// (very elongated images) wrap around. Grey images use the texture's luminance 0.299 R + 0.587 G + 0.114 B.
// Any image size works (1x1 included).
import * as path from 'node:path';
import type { Corruption, CorruptionContext, Image, ParameterPreset } from '../../types';
import { checkImage, parameterFor, type PresetParameters, spatialScale } from './common';
import { FROST_GENERATOR_VERSION, type FrostLook, generateFrostTexture } from './frost-texture';
import { readFrostTextureFile } from './frost-texture-file';

/** (image weight, frost weight). */
export const FROST_PARAMETERS: PresetParameters<readonly [number, number]> = {
  cifar: [
    [1, 0.2],
    [1, 0.3],
    [0.9, 0.4],
    [0.85, 0.4],
    [0.75, 0.45],
  ],
  imagenet: [
    [1, 0.4],
    [0.8, 0.6],
    [0.7, 0.7],
    [0.65, 0.7],
    [0.6, 0.75],
  ],
};

/** Number of frost textures (the reference draws from five photographs). */
export const FROST_TEXTURE_COUNT = 5;
/** Side of the generated textures, in pixels at the ImageNet-C scale. */
export const FROST_TEXTURE_SIZE = 384;
/** Seed of texture k is FROST_TEXTURE_SEED + k. */
export const FROST_TEXTURE_SEED = 0x46524f53; // "FROS"
/**
 * The look of each texture: from darker and sparser to bright and dense (mean grey about 135 .. 180 of 255), like
 * the spread of the reference photographs, whose average brightness these match through the change statistics.
 */
export const FROST_LOOKS: readonly FrostLook[] = [
  { background: 0.2, density: 1.2 },
  { background: 0.25, density: 1.4 },
  { background: 0.28, density: 1.6 },
  { background: 0.3, density: 1.9 },
  { background: 0.31, density: 2.0 },
];
/** The cifar preset keeps every 5th texture pixel (cv2.resize with fx = fy = 0.2 samples at 5 i + 2). */
const CIFAR_SHRINK = 5;

/** A square frost texture at a preset's scale: RGB bytes and the luminance plane. */
export interface FrostTexture {
  readonly size: number;
  readonly rgb: Uint8Array;
  readonly grey: Float64Array;
}

/** The file name of the textures made by the build, next to the bundles (see frost-texture-file.ts). */
export const FROST_TEXTURE_FILE = 'frost-textures.bin';

/** What the base textures are a function of; a texture file made for another key is not used. */
export function frostTextureKey(): string {
  return JSON.stringify({ generator: FROST_GENERATOR_VERSION, size: FROST_TEXTURE_SIZE, seed: FROST_TEXTURE_SEED, looks: FROST_LOOKS });
}

/** The base textures, made by generateFrostTexture. */
export function generateBaseTexture(index: number): Uint8Array {
  return generateFrostTexture(FROST_TEXTURE_SIZE, FROST_TEXTURE_SEED + index, FROST_LOOKS[index]);
}

let textureFile: string | undefined = path.join(__dirname, FROST_TEXTURE_FILE);
/** The textures of textureFile once looked for: undefined = not yet, null = none usable. */
let fromFile: Uint8Array[] | null | undefined;
const baseCache = new Map<number, Uint8Array>();
const presetCache = new Map<string, FrostTexture>();

/**
 * Where to look for the build's texture file (default: next to this bundle; undefined: always generate), e.g. for
 * benchmarks that run bundled elsewhere but want the CLI's behaviour. Forgets the textures loaded so far.
 */
export function setFrostTextureFile(file: string | undefined): void {
  textureFile = file;
  fromFile = undefined;
  baseCache.clear();
  presetCache.clear();
}

function baseTexture(index: number): Uint8Array {
  let rgb = baseCache.get(index);
  if (!rgb) {
    if (fromFile === undefined) {
      const bytesEach = FROST_TEXTURE_SIZE * FROST_TEXTURE_SIZE * 3;
      fromFile = (textureFile && readFrostTextureFile(textureFile, frostTextureKey(), FROST_TEXTURE_COUNT, bytesEach)) || null;
    }
    rgb = fromFile?.[index] ?? generateBaseTexture(index);
    baseCache.set(index, rgb);
  }
  return rgb;
}

function withGrey(size: number, rgb: Uint8Array): FrostTexture {
  const grey = new Float64Array(size * size);
  for (let i = 0; i < grey.length; i++) grey[i] = 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
  return { size, rgb, grey };
}

/** Frost texture `index` (0..4) at the scale of a preset. Generated on first use, then cached. */
export function frostTexture(preset: ParameterPreset, index: number): FrostTexture {
  const key = `${preset}/${index}`;
  let texture = presetCache.get(key);
  if (!texture) {
    const base = baseTexture(index);
    if (preset === 'cifar') {
      const size = Math.round(FROST_TEXTURE_SIZE / CIFAR_SHRINK);
      const rgb = new Uint8Array(size * size * 3);
      const offset = (CIFAR_SHRINK - 1) >> 1;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const from = ((y * CIFAR_SHRINK + offset) * FROST_TEXTURE_SIZE + x * CIFAR_SHRINK + offset) * 3;
          rgb.set(base.subarray(from, from + 3), (y * size + x) * 3);
        }
      }
      texture = withGrey(size, rgb);
    } else {
      texture = withGrey(FROST_TEXTURE_SIZE, base);
    }
    presetCache.set(key, texture);
  }
  return texture;
}

/** Source positions of a crop along one axis: integer pair and weight per output pixel (wrapping). */
function axisSamples(count: number, offset: number, scale: number, size: number): { i0: Int32Array; i1: Int32Array; w: Float64Array } {
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const w = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const position = scale === 1 ? offset + k : offset + (k + 0.5) / scale - 0.5;
    const floor = Math.floor(position);
    i0[k] = ((floor % size) + size) % size;
    i1[k] = (i0[k] + 1) % size;
    w[k] = position - floor;
  }
  return { i0, i1, w };
}

export const frost: Corruption = {
  name: 'frost',
  benchmark: true,
  random: true,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const [a, b] = parameterFor(FROST_PARAMETERS, context.preset, severity, 'frost');
    const { height, width, channels, pixels } = image;
    const random = context.random;
    const index = Math.min(FROST_TEXTURE_COUNT - 1, Math.floor(random.next() * FROST_TEXTURE_COUNT));
    const texture = frostTexture(context.preset, index);
    const T = texture.size;
    const scale = spatialScale(image, context.preset);
    const rowOffset = Math.floor(random.next() * Math.max(1, Math.floor(T - height / scale)));
    const colOffset = Math.floor(random.next() * Math.max(1, Math.floor(T - width / scale)));
    const rows = axisSamples(height, rowOffset, scale, T);
    const cols = axisSamples(width, colOffset, scale, T);
    const out = new Uint8Array(pixels.length);
    const rgb = texture.rgb;
    const grey = texture.grey;
    if (scale === 1) {
      // Nominal scale: the crop is copied pixel for pixel (wrapping past the texture's edge).
      for (let y = 0; y < height; y++) {
        const r0 = rows.i0[y] * T;
        for (let x = 0; x < width; x++) {
          const t = r0 + cols.i0[x];
          const o = (y * width + x) * channels;
          if (channels === 3) {
            for (let c = 0; c < 3; c++) {
              const v = a * pixels[o + c] + b * rgb[t * 3 + c];
              out[o + c] = v > 255 ? 255 : v > 0 ? v | 0 : 0;
            }
          } else {
            const v = a * pixels[o] + b * grey[t];
            out[o] = v > 255 ? 255 : v > 0 ? v | 0 : 0;
          }
        }
      }
      return { height, width, channels, pixels: out };
    }
    for (let y = 0; y < height; y++) {
      const r0 = rows.i0[y] * T;
      const r1 = rows.i1[y] * T;
      const wy = rows.w[y];
      for (let x = 0; x < width; x++) {
        const t00 = r0 + cols.i0[x];
        const t01 = r0 + cols.i1[x];
        const t10 = r1 + cols.i0[x];
        const t11 = r1 + cols.i1[x];
        const wx = cols.w[x];
        const w00 = (1 - wy) * (1 - wx);
        const w01 = (1 - wy) * wx;
        const w10 = wy * (1 - wx);
        const w11 = wy * wx;
        const o = (y * width + x) * channels;
        if (channels === 3) {
          for (let c = 0; c < 3; c++) {
            const f = w00 * rgb[t00 * 3 + c] + w01 * rgb[t01 * 3 + c] + w10 * rgb[t10 * 3 + c] + w11 * rgb[t11 * 3 + c];
            const v = a * pixels[o + c] + b * f;
            out[o + c] = v > 255 ? 255 : v > 0 ? v | 0 : 0;
          }
        } else {
          const f = w00 * grey[t00] + w01 * grey[t01] + w10 * grey[t10] + w11 * grey[t11];
          const v = a * pixels[o] + b * f;
          out[o] = v > 255 ? 255 : v > 0 ? v | 0 : 0;
        }
      }
    }
    return { height, width, channels, pixels: out };
  },
};
