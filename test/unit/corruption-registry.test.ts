// The corruption registry and applyCorruption: names, validation, determinism, grey images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/server/engine/errors';
import {
  applyCorruption,
  BENCHMARK_CORRUPTIONS,
  CORRUPTION_NAMES,
  editDistance,
  getCorruption,
  implementedCorruptions,
  suggestCorruption,
} from '../../src/server/engine/perturb/image/registry';
import type { Image } from '../../src/server/engine/types';
import { makePatternImage } from '../helpers/corruption-reference';

const EXPECTED_IMPLEMENTED = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'glass_blur',
  'motion_blur',
  'zoom_blur',
  'snow',
  'frost',
  'fog',
  'brightness',
  'contrast',
  'elastic_transform',
  'pixelate',
  'jpeg_compression',
  'speckle_noise',
  'gaussian_blur',
  'spatter',
  'saturate',
];
const RANDOM = new Set(['gaussian_noise', 'shot_noise', 'impulse_noise', 'speckle_noise', 'frost', 'fog', 'elastic_transform', 'spatter', 'glass_blur', 'motion_blur', 'snow']);


function inputError(code: string, check?: (e: InputError) => void): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.equal(e.details.code, code);
    check?.(e);
    return true;
  };
}

test('the 19 names in table order, the first 15 are the benchmark', () => {
  assert.equal(CORRUPTION_NAMES.length, 19);
  assert.equal(new Set(CORRUPTION_NAMES).size, 19);
  assert.deepEqual(CORRUPTION_NAMES.slice(0, 3), ['gaussian_noise', 'shot_noise', 'impulse_noise']);
  assert.deepEqual(CORRUPTION_NAMES.slice(15), ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate']);
  assert.deepEqual(BENCHMARK_CORRUPTIONS, CORRUPTION_NAMES.slice(0, 15));
  assert.equal(BENCHMARK_CORRUPTIONS[14], 'jpeg_compression');
});

test('implemented corruptions are listed in table order with consistent flags', () => {
  const implemented = implementedCorruptions();
  assert.deepEqual(
    implemented.map((c) => c.name),
    CORRUPTION_NAMES.filter((n) => EXPECTED_IMPLEMENTED.includes(n)),
  );
  for (const corruption of implemented) {
    assert.equal(getCorruption(corruption.name), corruption);
    assert.equal(corruption.benchmark, BENCHMARK_CORRUPTIONS.includes(corruption.name as never), corruption.name);
    assert.equal(corruption.random, RANDOM.has(corruption.name), corruption.name);
  }
  assert.equal(getCorruption('gausian_noise'), undefined);
  for (const name of CORRUPTION_NAMES.filter((n) => !EXPECTED_IMPLEMENTED.includes(n))) assert.equal(getCorruption(name), undefined, name);
});

test('suggestions for misspelt names', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(suggestCorruption('gausian_noise'), 'gaussian_noise');
  assert.equal(suggestCorruption('Gaussian Blur'), 'gaussian_blur');
  assert.equal(suggestCorruption('jpeg-compresion'), 'jpeg_compression');
  assert.equal(suggestCorruption('pixelated'), 'pixelate');
  assert.equal(suggestCorruption('xyz'), undefined);
  assert.equal(suggestCorruption('completely different'), undefined);
});

test('an unknown name is an InputError with the suggestion in the fix', () => {
  const image = makePatternImage(8, 8, 3);
  assert.throws(
    () => applyCorruption(image, 'gausian_noise', 1, 'cifar', 0, 0),
    inputError('unknown-corruption', (e) => {
      assert.match(e.message, /gausian_noise/);
      assert.match(e.details.fix ?? '', /did you mean 'gaussian_noise'/);
    }),
  );
  assert.throws(() => applyCorruption(image, 'nonsense', 1, 'cifar', 0, 0), inputError('unknown-corruption'));
});

test('severities other than the integers 1..5 are rejected', () => {
  const image = makePatternImage(8, 8, 3);
  for (const severity of [0, 6, 2.5, -1, Number.NaN]) {
    assert.throws(() => applyCorruption(image, 'gaussian_noise', severity, 'cifar', 0, 0), inputError('severity-out-of-range'), `severity ${severity}`);
    assert.throws(() => applyCorruption(image, 'gaussian_blur', severity, 'imagenet', 0, 0), inputError('severity-out-of-range'), `severity ${severity}`);
  }
  // Calling a corruption directly validates too.
  const blur = getCorruption('gaussian_blur');
  assert.ok(blur);
  assert.throws(() => blur.apply(image, 6, { preset: 'cifar', random: { next: () => 0, normal: () => 0 } }), inputError('severity-out-of-range'));
});

test('all 19 corruptions are implemented', () => {
  assert.deepEqual(
    implementedCorruptions().map((c) => c.name),
    [...CORRUPTION_NAMES],
  );
});

test('same (seed, corruption, severity, sample id) gives byte-identical output', () => {
  const image = makePatternImage(32, 32, 3);
  for (const corruption of implementedCorruptions()) {
    for (const preset of ['cifar', 'imagenet'] as const) {
      const a = applyCorruption(image, corruption.name, 3, preset, 99, 5);
      const b = applyCorruption(image, corruption.name, 3, preset, 99, 5);
      assert.deepEqual(a, b, `${corruption.name} ${preset}`);
      assert.deepEqual(image, makePatternImage(32, 32, 3), `${corruption.name} leaves its input alone`);
    }
  }
});

test('random corruptions differ between sample ids and run seeds; deterministic ones do not depend on them', () => {
  const image = makePatternImage(32, 32, 3);
  for (const corruption of implementedCorruptions()) {
    const base = applyCorruption(image, corruption.name, 4, 'imagenet', 7, 0).pixels;
    const otherSample = applyCorruption(image, corruption.name, 4, 'imagenet', 7, 1).pixels;
    const otherSeed = applyCorruption(image, corruption.name, 4, 'imagenet', 8, 0).pixels;
    if (corruption.random) {
      assert.notDeepEqual(otherSample, base, `${corruption.name}: sample id`);
      assert.notDeepEqual(otherSeed, base, `${corruption.name}: run seed`);
    } else {
      assert.deepEqual(otherSample, base, `${corruption.name}: sample id`);
      assert.deepEqual(otherSeed, base, `${corruption.name}: run seed`);
    }
  }
});

test('grey 28x28 images work for every implemented corruption and both presets', () => {
  const grey = makePatternImage(28, 28, 1);
  for (const corruption of implementedCorruptions()) {
    for (const preset of ['cifar', 'imagenet'] as const) {
      for (let severity = 1; severity <= 5; severity++) {
        const out = applyCorruption(grey, corruption.name, severity, preset, 1, 3);
        assert.equal(out.height, 28);
        assert.equal(out.width, 28);
        assert.equal(out.channels, 1);
        assert.ok(out.pixels instanceof Uint8Array);
        assert.equal(out.pixels.length, 28 * 28);
        if (severity === 5) assert.notDeepEqual(out.pixels, grey.pixels, `${corruption.name} ${preset} changes a grey image at severity 5`);
      }
    }
  }
});

test('grey brightness adds to the value; grey saturate keeps grey for b = 0 and darkens for b > 0', () => {
  const grey: Image = { height: 1, width: 4, channels: 1, pixels: Uint8Array.from([0, 100, 200, 255]) };
  // cifar severity 5: +0.3 -> +76.5 grey levels, truncated
  assert.deepEqual(Array.from(applyCorruption(grey, 'brightness', 5, 'cifar', 0, 0).pixels), [76, 176, 255, 255]);
  for (let severity = 1; severity <= 3; severity++) {
    assert.deepEqual(applyCorruption(grey, 'saturate', severity, 'imagenet', 0, 0).pixels, grey.pixels);
  }
  // imagenet severity 5: S = 0.2 at hue 0 -> luma factor 0.299 + 0.701 * 0.8 = 0.8598
  assert.deepEqual(Array.from(applyCorruption(grey, 'saturate', 5, 'imagenet', 0, 0).pixels), [0, 85, 171, 219]);
});

test('grey and RGB agree where they should: a grey image through an RGB corruption', () => {
  const grey = makePatternImage(20, 24, 1);
  const rgb: Image = { height: 20, width: 24, channels: 3, pixels: new Uint8Array(20 * 24 * 3) };
  for (let i = 0; i < grey.pixels.length; i++) rgb.pixels.fill(grey.pixels[i], i * 3, i * 3 + 3);
  for (const name of ['gaussian_blur', 'defocus_blur', 'contrast', 'pixelate', 'brightness']) {
    for (let severity = 1; severity <= 5; severity++) {
      const a = applyCorruption(grey, name, severity, 'imagenet', 0, 0).pixels;
      const b = applyCorruption(rgb, name, severity, 'imagenet', 0, 0).pixels;
      for (let i = 0; i < a.length; i++) assert.equal(a[i], b[i * 3], `${name} severity ${severity} pixel ${i}`);
    }
  }
});

test('tiny and non-square images work', () => {
  for (const [h, w] of [
    [1, 1],
    [2, 3],
    [5, 17],
  ]) {
    for (const channels of [1, 3]) {
      const image = makePatternImage(h, w, channels);
      for (const corruption of implementedCorruptions()) {
        let out;
        try {
          out = applyCorruption(image, corruption.name, 5, 'imagenet', 0, 0);
        } catch (error) {
          // A corruption that cannot work on so few pixels says so clearly, naming the minimum size.
          assert.ok(error instanceof InputError && error.details.code === 'image-too-small', `${corruption.name} ${h}x${w}: ${error}`);
          assert.match(error.message, /at least \d+x\d+/);
          continue;
        }
        assert.equal(out.pixels.length, h * w * channels, `${corruption.name} ${h}x${w}x${channels}`);
      }
    }
  }
});
