// Turns uint8 images into the model's float32 input batch: (v / scale - mean[c]) / std[c], laid out
// as NCHW or NHWC.
import type { InputSpec } from '../config/config';
import type { Image } from '../types';

/** Writes `images` into `out` (allocated when absent) and returns it. */
export function preprocessBatch(images: readonly Image[], input: InputSpec, out?: Float32Array): Float32Array {
  const { height, width, channels, layout, scale } = input;
  const plane = height * width;
  const perImage = plane * channels;
  const target = out && out.length >= images.length * perImage ? out : new Float32Array(images.length * perImage);
  const multiplier = new Float32Array(channels);
  const offset = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    multiplier[c] = 1 / (scale * input.std[c]);
    offset[c] = input.mean[c] / input.std[c];
  }
  images.forEach((image, n) => {
    const pixels = image.pixels;
    const base = n * perImage;
    if (layout === 'NHWC') {
      for (let i = 0; i < perImage; i++) {
        const c = i % channels;
        target[base + i] = pixels[i] * multiplier[c] - offset[c];
      }
    } else {
      for (let c = 0; c < channels; c++) {
        const m = multiplier[c];
        const o = offset[c];
        const planeBase = base + c * plane;
        for (let p = 0, i = c; p < plane; p++, i += channels) target[planeBase + p] = pixels[i] * m - o;
      }
    }
  });
  return target.length === images.length * perImage ? target : target.subarray(0, images.length * perImage);
}
