// Helpers shared by the image corruptions: parameter lookup per preset and severity, the uint8 <-> [0, 1]
// conversions of the reference (x / 255 in float; the result is clipped to [0, 1], multiplied by 255 and
// truncated, exactly like numpy's np.uint8(np.clip(x, 0, 1) * 255)), and output image creation.
import { InputError } from '../../errors';
import type { Image, ParameterPreset } from '../../types';

/** The published parameters of one corruption: five values per preset, severity 1 first. */
export interface PresetParameters<T> {
  readonly cifar: readonly [T, T, T, T, T];
  readonly imagenet: readonly [T, T, T, T, T];
}

/** Throws an InputError unless severity is an integer 1..5. */
export function checkSeverity(severity: number, corruption?: string): void {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new InputError(`severity ${String(severity)}${corruption ? ` of '${corruption}'` : ''} is not one of 1, 2, 3, 4, 5`, {
      kind: 'config',
      code: 'severity-out-of-range',
      fix: 'use integer severities from 1 (mildest) to 5 (strongest)',
    });
  }
}

/** The parameter for a preset and severity (validated). */
export function parameterFor<T>(params: PresetParameters<T>, preset: ParameterPreset, severity: number, corruption?: string): T {
  checkSeverity(severity, corruption);
  const list = preset === 'imagenet' ? params.imagenet : preset === 'cifar' ? params.cifar : undefined;
  if (!list) {
    throw new InputError(`unknown parameter preset '${String(preset)}'`, {
      kind: 'config',
      code: 'unknown-preset',
      fix: "use the preset 'cifar' (CIFAR-10-C parameters, small images) or 'imagenet' (ImageNet-C parameters)",
    });
  }
  return list[severity - 1];
}

/** Throws unless the image is a well-formed 1- or 3-channel image. */
export function checkImage(image: Image): void {
  const { height, width, channels, pixels } = image;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new RangeError(`image size must be positive integers, got ${height}x${width}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`images must have 1 or 3 channels, got ${channels}`);
  if (pixels.length !== height * width * channels) {
    throw new RangeError(`image has ${pixels.length} pixel values, expected ${height}x${width}x${channels} = ${height * width * channels}`);
  }
}

/** v / 255 for every uint8 value. */
export const UNIT: Float64Array = (() => {
  const table = new Float64Array(256);
  for (let v = 0; v < 256; v++) table[v] = v / 255;
  return table;
})();

/** np.uint8(np.clip(x, 0, 1) * 255): clip to [0, 1], scale, truncate (NaN gives 0). */
export function toByte(x: number): number {
  return (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
}

/** The image's values as x / 255 in a float64 array (same HWC layout). */
export function toUnitFloat(image: Image): Float64Array {
  const src = image.pixels;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = UNIT[src[i]];
  return out;
}

/** Converts float values in [0, 1] units back to bytes (clip, * 255, truncate) into a new image. */
export function fromUnitFloat(like: Image, values: Float64Array): Image {
  const pixels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    pixels[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  }
  return { height: like.height, width: like.width, channels: like.channels, pixels };
}

/** An image of the same shape as `like` with the given pixels. */
export function withPixels(like: Image, pixels: Uint8Array): Image {
  return { height: like.height, width: like.width, channels: like.channels, pixels };
}

/** The image side the published parameters of each preset were made for (CIFAR-10: 32, ImageNet crops: 224). */
export const NOMINAL_SIDE: Readonly<Record<ParameterPreset, number>> = { cifar: 32, imagenet: 224 };

/**
 * The documented rule for images of other sizes: every size-dependent parameter (a length in pixels: blur
 * sigmas and radii, shift distances, texture and map sizes) is multiplied by min(height, width) / nominal
 * side of the preset; intensities (noise levels, blend weights, factors) stay as published. At the nominal
 * size the factor is exactly 1, so the published parameters are used unchanged.
 */
export function spatialScale(image: { readonly height: number; readonly width: number }, preset: ParameterPreset): number {
  return Math.min(image.height, image.width) / NOMINAL_SIDE[preset];
}
