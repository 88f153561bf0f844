// The documented rule for images of other sizes (common.ts spatialScale): every length-in-pixels parameter is
// multiplied by min(H, W) / nominal side (32 cifar, 224 imagenet), exactly 1 at the nominal side. Checked on the
// size-dependent corruptions (gaussian_blur, defocus_blur) against the direct filters, plus: no change at the
// nominal size, grey and non-square images, and size independence of the per-pixel intensity corruptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spatialScale } from '../../src/server/engine/perturb/image/common';
import { DEFOCUS_BLUR_PARAMETERS, diskGeometry, diskKernel, filter2dReflect101 } from '../../src/server/engine/perturb/image/defocus-blur';
import { GAUSSIAN_BLUR_SIGMA, gaussianFilterHWC, gaussianKernel1d } from '../../src/server/engine/perturb/image/gaussian-blur';
import { applyCorruption, implementedCorruptions } from '../../src/server/engine/perturb/image/registry';
import type { Image, ParameterPreset } from '../../src/server/engine/types';
import { makePatternImage } from '../helpers/corruption-reference';


function toBytes(values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    out[i] = (x > 1 ? 255 : x > 0 ? x * 255 : 0) | 0;
  }
  return out;
}

function unit(image: Image): Float64Array {
  return Float64Array.from(image.pixels, (v) => v / 255);
}

/** gaussian_blur done directly with the given sigma. */
function gaussianDirect(image: Image, sigma: number): Uint8Array {
  return toBytes(gaussianFilterHWC(unit(image), image.height, image.width, image.channels, gaussianKernel1d(sigma)));
}

/** Nearest-neighbour upscale by an integer factor. */
function upscale(image: Image, k: number): Image {
  const { height, width, channels } = image;
  const pixels = new Uint8Array(height * k * width * k * channels);
  for (let y = 0; y < height * k; y++) {
    for (let x = 0; x < width * k; x++) {
      for (let c = 0; c < channels; c++) pixels[(y * width * k + x) * channels + c] = image.pixels[(((y / k) | 0) * width + ((x / k) | 0)) * channels + c];
    }
  }
  return { height: height * k, width: width * k, channels, pixels };
}

test('spatialScale is min(H, W) / nominal side, exactly 1 at 32 (cifar) and 224 (imagenet)', () => {
  assert.equal(spatialScale({ height: 32, width: 32 }, 'cifar'), 1);
  assert.equal(spatialScale({ height: 224, width: 224 }, 'imagenet'), 1);
  assert.equal(spatialScale({ height: 64, width: 64 }, 'cifar'), 2);
  assert.equal(spatialScale({ height: 40, width: 24 }, 'cifar'), 0.75);
  assert.equal(spatialScale({ height: 24, width: 40 }, 'cifar'), 0.75);
  assert.equal(spatialScale({ height: 112, width: 300 }, 'imagenet'), 0.5);
});

test('gaussian_blur at the nominal size uses the published sigma unchanged', () => {
  for (const [preset, side] of [
    ['cifar', 32],
    ['imagenet', 224],
  ] as const) {
    const image = makePatternImage(side, side, 3);
    for (let severity = 1; severity <= 5; severity++) {
      const out = applyCorruption(image, 'gaussian_blur', severity, preset, 0, 0);
      assert.deepEqual(out.pixels, gaussianDirect(image, GAUSSIAN_BLUR_SIGMA[preset][severity - 1]), `${preset} severity ${severity}`);
    }
  }
});

test('gaussian_blur on a 64x64 image with the cifar preset blurs with twice the published sigma', () => {
  const image = makePatternImage(64, 64, 3);
  for (let severity = 1; severity <= 5; severity++) {
    const sigma = GAUSSIAN_BLUR_SIGMA.cifar[severity - 1];
    const out = applyCorruption(image, 'gaussian_blur', severity, 'cifar', 0, 0);
    assert.deepEqual(out.pixels, gaussianDirect(image, 2 * sigma), `severity ${severity}: sigma ${2 * sigma}`);
    assert.notDeepEqual(out.pixels, gaussianDirect(image, sigma), `severity ${severity} differs from the unscaled sigma`);
  }
});

test('gaussian_blur on a non-square 40x24 image scales by the shorter side (24 / 32)', () => {
  for (const [h, w] of [
    [40, 24],
    [24, 40],
  ]) {
    const image = makePatternImage(h, w, 3);
    for (let severity = 1; severity <= 5; severity++) {
      const out = applyCorruption(image, 'gaussian_blur', severity, 'cifar', 0, 0);
      assert.deepEqual(out.pixels, gaussianDirect(image, 0.75 * GAUSSIAN_BLUR_SIGMA.cifar[severity - 1]), `${h}x${w} severity ${severity}`);
    }
  }
});

test('gaussian_blur on a 112x112 image with the imagenet preset blurs with half the published sigma', () => {
  const image = makePatternImage(112, 112, 3);
  for (const severity of [1, 5]) {
    const out = applyCorruption(image, 'gaussian_blur', severity, 'imagenet', 0, 0);
    assert.deepEqual(out.pixels, gaussianDirect(image, 0.5 * GAUSSIAN_BLUR_SIGMA.imagenet[severity - 1]));
  }
});

test('defocus_blur kernel geometry: the reference grid at scale 1, scaled grid, radius and alias kernel otherwise', () => {
  // The reference: 17x17 grid and 3x3 alias blur for radius <= 8, (2r+1)^2 and 5x5 above.
  for (const r of [0.3, 1.5, 3, 8]) assert.deepEqual(diskGeometry(r, 1), { radius: r, half: 8, blurSize: 3 });
  assert.deepEqual(diskGeometry(10, 1), { radius: 10, half: 10, blurSize: 5 });
  assert.deepEqual(diskGeometry(1.5, 2), { radius: 3, half: 16, blurSize: 5 });
  assert.deepEqual(diskGeometry(10, 2), { radius: 20, half: 20, blurSize: 9 });
  assert.deepEqual(diskGeometry(8, 0.5), { radius: 4, half: 4, blurSize: 3 });
  assert.deepEqual(diskGeometry(0.3, 0.1), { radius: 0.03, half: 1, blurSize: 3 });
  // Scaled kernels stay normalised and are the same disk drawn larger: twice the radius, ~4x the support.
  const support = (k: { values: Float64Array }) => {
    const max = k.values.reduce((x, y) => Math.max(x, y), 0);
    return k.values.filter((v) => v > max / 4).length;
  };
  for (const [r, a] of DEFOCUS_BLUR_PARAMETERS.imagenet) {
    for (const s of [0.5, 1, 2]) {
      const kernel = diskKernel(r, a, s);
      const sum = kernel.values.reduce((x, y) => x + y, 0);
      // ~1e-7 from float32, up to ~1.6% where the disk touches the grid edge (the reference r = 8, 10 kernels too:
      // the anti-aliasing blur reflects at the border)
      assert.ok(Math.abs(sum - 1) < 0.02, `r ${r} scale ${s}: sum ${sum}`);
    }
    const ratio = support(diskKernel(r, a, 2)) / support(diskKernel(r, a, 1));
    assert.ok(ratio > 3 && ratio < 5, `r ${r}: support ratio ${ratio}`);
  }
});

test('defocus_blur on a 64x64 image with the cifar preset uses the disk kernel drawn twice as large', () => {
  const image = makePatternImage(64, 64, 3);
  for (let severity = 1; severity <= 5; severity++) {
    const [r, a] = DEFOCUS_BLUR_PARAMETERS.cifar[severity - 1];
    const out = applyCorruption(image, 'defocus_blur', severity, 'cifar', 0, 0);
    const direct = toBytes(filter2dReflect101(unit(image), 64, 64, 3, diskKernel(r, a, 2)));
    assert.deepEqual(out.pixels, direct, `severity ${severity}`);
    assert.deepEqual(diskKernel(r, a, 1), diskKernel(r, a), 'scale 1 is the reference kernel');
  }
});

/** 2x2 box average (rounded), the inverse of a 2x nearest upscale. */
function downscale2(image: Image): Image {
  const height = image.height >> 1;
  const width = image.width >> 1;
  const { channels } = image;
  const pixels = new Uint8Array(height * width * channels);
  const at = (y: number, x: number, c: number) => image.pixels[(y * image.width + x) * channels + c];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        pixels[(y * width + x) * channels + c] = Math.round((at(2 * y, 2 * x, c) + at(2 * y + 1, 2 * x, c) + at(2 * y, 2 * x + 1, c) + at(2 * y + 1, 2 * x + 1, c)) / 4);
      }
    }
  }
  return { height, width, channels, pixels };
}

test('the size rule makes the blurs follow the image: blurring a 2x upscaled image and shrinking it back ~ blurring the original', () => {
  const small = makePatternImage(32, 32, 3);
  const big = upscale(small, 2);
  for (const name of ['gaussian_blur', 'defocus_blur']) {
    // Severities 4 and 5: kernels a pixel or more wide. For sub-pixel kernels (cifar severities 1-2, sigma 0.4-0.6)
    // the comparison measures the resampling more than the blur and says nothing about the rule.
    for (const severity of [4, 5]) {
      const reference = applyCorruption(small, name, severity, 'cifar', 0, 0).pixels;
      const scaled = downscale2(applyCorruption(big, name, severity, 'cifar', 0, 0)).pixels;
      let scaledDiff = 0;
      for (let i = 0; i < reference.length; i++) scaledDiff += Math.abs(scaled[i] - reference[i]) / reference.length;
      // Without the rule the 32-pixel kernel would be applied to 64 pixels: half as wide relative to the content.
      const plain =
        name === 'gaussian_blur'
          ? gaussianDirect(big, GAUSSIAN_BLUR_SIGMA.cifar[severity - 1])
          : toBytes(filter2dReflect101(unit(big), 64, 64, 3, diskKernel(...DEFOCUS_BLUR_PARAMETERS.cifar[severity - 1])));
      const shrunk = downscale2({ ...big, pixels: plain }).pixels;
      let unscaledDiff = 0;
      for (let i = 0; i < reference.length; i++) unscaledDiff += Math.abs(shrunk[i] - reference[i]) / reference.length;
      assert.ok(scaledDiff < unscaledDiff / 2, `${name} ${severity}: scaled ${scaledDiff} vs unscaled ${unscaledDiff}`);
      assert.ok(scaledDiff < 4, `${name} ${severity}: mean difference ${scaledDiff}`);
    }
  }
});

test('a 28x28 grey image with the cifar preset works with every implemented corruption and severity', () => {
  const image = makePatternImage(28, 28, 1);
  for (const corruption of implementedCorruptions()) {
    for (let severity = 1; severity <= 5; severity++) {
      const out = applyCorruption(image, corruption.name, severity, 'cifar', 3, 1);
      assert.equal(out.channels, 1, corruption.name);
      assert.equal(out.height, 28);
      assert.equal(out.width, 28);
      assert.equal(out.pixels.length, 28 * 28, corruption.name);
    }
  }
  for (let severity = 1; severity <= 5; severity++) {
    const out = applyCorruption(image, 'gaussian_blur', severity, 'cifar', 0, 0);
    assert.deepEqual(out.pixels, gaussianDirect(image, (28 / 32) * GAUSSIAN_BLUR_SIGMA.cifar[severity - 1]));
  }
});

test('non-square 40x24 images keep their shape under every implemented corruption', () => {
  for (const channels of [1, 3]) {
    const image = makePatternImage(40, 24, channels);
    for (const corruption of implementedCorruptions()) {
      const out = applyCorruption(image, corruption.name, 4, 'cifar', 0, 0);
      assert.equal(out.height, 40);
      assert.equal(out.width, 24);
      assert.equal(out.pixels.length, 40 * 24 * channels, corruption.name);
    }
  }
});

test('per-pixel intensity corruptions have no size parameter: upscaling commutes with them', () => {
  const small = makePatternImage(32, 32, 3);
  const big = upscale(small, 2);
  for (const preset of ['cifar', 'imagenet'] as ParameterPreset[]) {
    for (const name of ['brightness', 'contrast', 'saturate']) {
      for (let severity = 1; severity <= 5; severity++) {
        const a = applyCorruption(big, name, severity, preset, 0, 0);
        const b = upscale(applyCorruption(small, name, severity, preset, 0, 0), 2);
        assert.deepEqual(a.pixels, b.pixels, `${name} ${preset} ${severity}`);
      }
    }
  }
});
