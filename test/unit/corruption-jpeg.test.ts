// jpeg_compression: the codec-free JPEG round trip (jpeg-lossy.ts) against
// - the reference outputs of the original code (Pillow + libjpeg-turbo), both presets, severities 1-5:
//   PARAMETERS.md allows a mean absolute difference of 2 grey levels; the emulation is bit-exact;
// - libjpeg-turbo itself through sharp (baseline, 4:2:0, no mozjpeg extensions) on odd sizes, tiny images, grey
//   images and extreme qualities, where the edge padding, the plain/fancy upsampling choice and the clamps matter;
// - its properties: quality tables, determinism, shapes, strength growing with the severity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { JPEG_QUALITY } from '../../src/server/engine/perturb/image/jpeg-compression';
import { jpegRoundTrip, qualityScaling, scaledQuantTable, STD_CHROMINANCE_TABLE, STD_LUMINANCE_TABLE } from '../../src/server/engine/perturb/image/jpeg-lossy';
import { applyCorruption, CORRUPTION_NAMES, getCorruption } from '../../src/server/engine/perturb/image/registry';
import type { Image } from '../../src/server/engine/types';
import { CASES, readPng, readReference, REFERENCE_DIR } from '../helpers/corruption-reference';

/** A deterministic image: smooth gradients, sharp edges and pseudo-random texture. */
function makeImage(height: number, width: number, channels: number, seed = 1): Image {
  const pixels = new Uint8Array(height * width * channels);
  let state = seed >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        const smooth = 128 + 90 * Math.sin(x * 0.37 + c) * Math.cos(y * 0.23 - c);
        const edge = ((x >> 3) + (y >> 2)) % 2 === 0 ? 40 : -40;
        const v = smooth + edge + ((state >>> 24) % 48) - 24;
        pixels[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { height, width, channels, pixels };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array, offset = 0): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[offset + i]);
  return sum / a.length;
}

/** libjpeg-turbo's baseline round trip through sharp, with the settings Pillow uses. */
async function libjpegRoundTrip(image: Image, quality: number): Promise<Uint8Array> {
  const space = image.channels === 1 ? 'b-w' : 'srgb';
  const jpeg = await sharp(Buffer.from(image.pixels), { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 3 } })
    .toColourspace(space)
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, quantisationTable: 0 })
    .toBuffer();
  const { data, info } = await sharp(jpeg).toColourspace(space).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, image.channels);
  return new Uint8Array(data);
}

for (const c of CASES) {
  test(`jpeg_compression (${c.preset} preset) matches the reference output, severities 1-5 (bit-exact)`, async () => {
    const image = await readPng(path.join(REFERENCE_DIR, c.input));
    const reference = readReference(path.join(REFERENCE_DIR, c.reference));
    const n = image.pixels.length;
    const index = CORRUPTION_NAMES.indexOf('jpeg_compression');
    for (let severity = 1; severity <= 5; severity++) {
      const out = applyCorruption(image, 'jpeg_compression', severity, c.preset, 0, 0);
      const offset = (index * 5 + severity - 1) * n;
      const mad = meanAbsDiff(out.pixels, reference, offset);
      assert.ok(mad <= 2, `severity ${severity}: mean absolute difference ${mad.toFixed(4)} > 2 (PARAMETERS.md)`);
      assert.equal(mad, 0, `severity ${severity}: the emulation was bit-exact with Pillow, now differs by ${mad.toFixed(4)}`);
    }
  });
}

test('the quality tables follow libjpeg: scaling, rounding, clamping to 1..255', () => {
  assert.deepEqual(JPEG_QUALITY.cifar, [80, 65, 58, 50, 40]);
  assert.deepEqual(JPEG_QUALITY.imagenet, [25, 18, 15, 10, 7]);
  assert.equal(qualityScaling(50), 100);
  assert.equal(qualityScaling(80), 40);
  assert.equal(qualityScaling(25), 200);
  assert.equal(qualityScaling(7), 714);
  assert.equal(qualityScaling(0), 5000);
  assert.equal(qualityScaling(100), 0);
  assert.deepEqual(Array.from(scaledQuantTable(STD_LUMINANCE_TABLE, 50)), STD_LUMINANCE_TABLE);
  assert.equal(scaledQuantTable(STD_LUMINANCE_TABLE, 80)[0], 6); // (16 * 40 + 50) / 100 = 6.9 -> 6
  assert.equal(scaledQuantTable(STD_CHROMINANCE_TABLE, 7)[63], 255); // 99 * 7.14 clamped for baseline
  assert.ok(scaledQuantTable(STD_LUMINANCE_TABLE, 100).every((v) => v === 1));
});

test('odd sizes, tiny and grey images match libjpeg-turbo (through sharp) bit for bit', async () => {
  const sizes: [number, number, number][] = [
    [1, 1, 3],
    [2, 3, 3],
    [5, 4, 3],
    [6, 7, 3],
    [9, 17, 3],
    [23, 37, 3],
    [40, 24, 3],
    [33, 33, 1],
    [7, 3, 1],
    [28, 28, 1],
  ];
  const problems: string[] = [];
  for (const [h, w, ch] of sizes) {
    const image = makeImage(h, w, ch, h * 100 + w);
    for (const quality of [95, 58, 25, 7, 1]) {
      const ours = jpegRoundTrip(image, quality);
      assert.equal(ours.pixels.length, image.pixels.length);
      const theirs = await libjpegRoundTrip(image, quality);
      const mad = meanAbsDiff(ours.pixels, theirs);
      if (mad !== 0) problems.push(`${h}x${w}x${ch} quality ${quality}: mean absolute difference ${mad.toFixed(4)}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('jpeg_compression is deterministic, keeps the shape, leaves the input alone and grows with the severity', () => {
  const corruption = getCorruption('jpeg_compression');
  assert.ok(corruption);
  assert.equal(corruption.benchmark, true);
  assert.equal(corruption.random, false);
  for (const [preset, side] of [
    ['cifar', 32],
    ['imagenet', 96],
  ] as const) {
    for (const channels of [1, 3]) {
      const image = makeImage(side, side + 5, channels);
      const copy = new Uint8Array(image.pixels);
      let previous = -1;
      for (let severity = 1; severity <= 5; severity++) {
        const a = applyCorruption(image, 'jpeg_compression', severity, preset, 0, 0);
        const b = applyCorruption(image, 'jpeg_compression', severity, preset, 99, 7);
        assert.deepEqual(a.pixels, b.pixels, 'no randomness: the seed and the sample id do not matter');
        assert.equal(a.channels, channels);
        assert.equal(a.height, image.height);
        assert.equal(a.width, image.width);
        const change = meanAbsDiff(a.pixels, image.pixels);
        assert.ok(change > previous, `${preset} ${channels}ch severity ${severity}: change ${change} not above ${previous}`);
        previous = change;
      }
      assert.deepEqual(image.pixels, copy);
    }
  }
});

test('a flat image stays flat and close to its value', () => {
  for (const value of [0, 17, 128, 255]) {
    const image: Image = { height: 20, width: 20, channels: 3, pixels: new Uint8Array(20 * 20 * 3).fill(value) };
    const out = jpegRoundTrip(image, 7);
    const first = out.pixels[0];
    assert.ok(out.pixels.every((v) => v === first), `flat ${value} stays flat`);
    assert.ok(Math.abs(first - value) <= 8, `flat ${value} -> ${first}`); // the DC step at quality 7 is 114 / 8 grey levels
  }
});
