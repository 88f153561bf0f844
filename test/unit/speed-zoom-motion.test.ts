// The row-at-a-time, plain-array implementations of zoom_blur and motion_blur against straightforward ones written
// here (one zoom factor / one tap at a time, the float operations of the reference in its order): byte for byte, on
// RGB and grey images, square and odd sizes, 1x1, both presets, all severities, and pixel views that do not start on
// a 4-byte boundary (the byte reads go four at a time, with a per-row tail).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MOTION_BLUR_ANGLE,
  MOTION_BLUR_PARAMETERS,
  motionBlur,
  motionBlurTaps,
  quantizeQ16,
  scaledMotionParameters,
} from '../../src/server/engine/perturb/image/motion-blur';
import { spatialScale } from '../../src/server/engine/perturb/image/common';
import { clippedZoom, numpyArange, resampleBilinear, ZOOM_BLUR_FACTORS, zoomBlur } from '../../src/server/engine/perturb/image/zoom-blur';
import type { Image, ParameterPreset, RandomSource } from '../../src/server/engine/types';

const PRESETS: readonly ParameterPreset[] = ['cifar', 'imagenet'];

/** A random source whose uniform draws are all `u` (motion_blur draws one: its angle; zoom_blur none). */
function constant(u: number): RandomSource {
  return {
    next: () => u,
    normal: () => {
      throw new Error('no normal draws expected');
    },
  };
}

function randomImage(height: number, width: number, channels: number, seed: number, byteOffset = 0): Image {
  let s = seed >>> 0;
  const n = height * width * channels;
  const buffer = new Uint8Array(n + byteOffset);
  const pixels = buffer.subarray(byteOffset);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Mostly smooth with noise, and some flat runs (exact grey levels are where rounding matters most).
    const y = Math.floor(i / (width * channels));
    const smooth = 128 + 90 * Math.sin(y * 0.21 + (i % width) * 0.13) + ((s >>> 24) - 128) / 4;
    pixels[i] = i % 97 < 20 ? 128 : Math.max(0, Math.min(255, Math.round(smooth)));
  }
  return { height, width, channels, pixels };
}

const IMAGES: readonly Image[] = [
  randomImage(64, 64, 3, 1),
  randomImage(48, 40, 1, 2),
  randomImage(33, 31, 3, 3, 1), // rows of 93 bytes, view at byte offset 1
  randomImage(32, 32, 3, 4, 2),
  randomImage(17, 23, 1, 5, 3),
  randomImage(1, 1, 3, 6),
  randomImage(2, 3, 1, 7),
];

/** zoom_blur one factor at a time: float32 x, the zoomed crops (float64 bilinear, rounded to float32) added in float32. */
function zoomBlurByFactor(image: Image, severity: number, preset: ParameterPreset): Uint8Array {
  const f = Math.fround;
  const { height, width, channels, pixels } = image;
  const n = pixels.length;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = f(pixels[i] / 255);
  const sum = new Float32Array(n);
  const zoomed = new Float64Array(n);
  const zooms = numpyArange(...ZOOM_BLUR_FACTORS[preset][severity - 1]);
  for (const zoom of zooms) {
    const geometry = clippedZoom(height, width, zoom);
    if (geometry.identity) {
      for (let i = 0; i < n; i++) sum[i] += x[i];
      continue;
    }
    resampleBilinear(x, width, channels, geometry.rows, geometry.columns, zoomed);
    for (let i = 0; i < n; i++) sum[i] += f(zoomed[i]);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = f(f(x[i] + sum[i]) / (zooms.length + 1));
    out[i] = (v > 1 ? 255 : v > 0 ? f(v * 255) : 0) | 0;
  }
  return out;
}

/** motion_blur one pixel and one tap at a time: 0 + w0 p0 + w1 p1 + ... in float64, then ImageMagick's Q16 bytes. */
function motionBlurByTap(image: Image, severity: number, preset: ParameterPreset, u: number): Uint8Array {
  const { height, width, channels, pixels } = image;
  const [radius0, sigma0] = MOTION_BLUR_PARAMETERS[preset][severity - 1];
  const { radius, sigma } = scaledMotionParameters(radius0, sigma0, spatialScale(image, preset));
  const taps = motionBlurTaps(radius, sigma, MOTION_BLUR_ANGLE[0] + (MOTION_BLUR_ANGLE[1] - MOTION_BLUR_ANGLE[0]) * u);
  const clamp = (v: number, last: number): number => (v < 0 ? 0 : v > last ? last : v);
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let t = 0; t < taps.weights.length; t++) {
          acc += taps.weights[t] * pixels[(clamp(y + taps.dy[t], height - 1) * width + clamp(x + taps.dx[t], width - 1)) * channels + c];
        }
        const q = Math.floor(acc * 257 + 0.5);
        out[(y * width + x) * channels + c] = q >= 65535 ? 255 : q > 0 ? Math.floor(q / 257) : 0;
      }
    }
  }
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `value ${i}: ${a[i]} vs ${b[i]}`;
  return a.length === b.length ? 'none' : `lengths ${a.length} vs ${b.length}`;
}

test('zoom_blur equals the zoom-at-a-time float32 evaluation byte for byte', () => {
  for (const image of IMAGES) {
    for (const preset of PRESETS) {
      for (let severity = 1; severity <= 5; severity++) {
        const expected = zoomBlurByFactor(image, severity, preset);
        const out = zoomBlur.apply(image, severity, { preset, random: constant(0.5) });
        const label = `${image.height}x${image.width}x${image.channels} ${preset} severity ${severity}`;
        assert.ok(Buffer.from(out.pixels).equals(Buffer.from(expected)), `${label}: ${firstDifference(out.pixels, expected)}`);
      }
    }
  }
});

test('motion_blur equals the tap-at-a-time float64 sum with Q16 quantisation byte for byte', () => {
  const draws = [0, 0.13, 0.5, 0.5488135, 0.77, 0.999999];
  for (const image of IMAGES) {
    for (const preset of PRESETS) {
      for (let severity = 1; severity <= 5; severity++) {
        for (const u of draws) {
          const expected = motionBlurByTap(image, severity, preset, u);
          const out = motionBlur.apply(image, severity, { preset, random: constant(u) });
          const label = `${image.height}x${image.width}x${image.channels} ${preset} severity ${severity} draw ${u}`;
          assert.ok(Buffer.from(out.pixels).equals(Buffer.from(expected)), `${label}: ${firstDifference(out.pixels, expected)}`);
        }
      }
    }
  }
});

test('quantizeQ16 is floor(floor(257 v + 0.5) / 257), clamped, for every quantum and around its boundaries', () => {
  const values: number[] = [-1, -1e-9, 0, 255, 255 + 1e-9, 300, Number.NaN];
  for (let q = 0; q <= 65535; q++) values.push((q - 0.5) / 257, q / 257, (q + 0.4999) / 257);
  const out = quantizeQ16(Float64Array.from(values));
  values.forEach((v, i) => {
    const q = Math.floor(v * 257 + 0.5);
    const expected = q >= 65535 ? 255 : q > 0 ? Math.floor(q / 257) : 0;
    assert.equal(out[i], expected, `v = ${v}`);
  });
});
