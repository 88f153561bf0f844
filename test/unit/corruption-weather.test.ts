// fog, frost, spatter and elastic_transform against the outputs of the original ImageNet-C / CIFAR-10-C code
// (/work/shared/reference/corruptions, see PARAMETERS.md there):
// - change statistics over 16 draws with our own seeded stream vs the reference's [mean, sd] over 8 seeds
//   (frost: a loose bound, its texture is procedural);
// - pixel for pixel with numpy's random stream replayed (MT19937 seeded with 0 before every severity, the way the
//   reference arrays were made), which checks every deterministic step of fog, spatter and elastic_transform;
// - determinism, grey and non-square images, tiny images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/server/engine/errors';
import { ELASTIC_TRANSFORM_MIN_SIDE, elasticTransform } from '../../src/server/engine/perturb/image/elastic-transform';
import { fog, fogMapSize } from '../../src/server/engine/perturb/image/fog';
import { FROST_TEXTURE_COUNT, frost, frostTexture } from '../../src/server/engine/perturb/image/frost';
import { generateFrostTexture } from '../../src/server/engine/perturb/image/frost-texture';
import { plasmaFractal } from '../../src/server/engine/perturb/image/plasma-fractal';
import { spatter } from '../../src/server/engine/perturb/image/spatter';
import { seedFor } from '../../src/server/engine/perturb/random';
import type { Corruption, Image, ParameterPreset } from '../../src/server/engine/types';
import {
  assertReferenceFilesPresent,
  averageChangeStats,
  CASES,
  changeStatisticsProblems,
  changeStats,
  type ChangeStats,
  DRAWS,
  load,
  makeImage,
  NumpyLegacyRandom,
  readStats,
} from '../helpers/corruption-reference';

const CORRUPTIONS: readonly Corruption[] = [fog, frost, spatter, elasticTransform];
/** Index of each corruption in the reference arrays (the table order of PARAMETERS.md). */
const TABLE_INDEX: Readonly<Record<string, number>> = { frost: 8, fog: 9, elastic_transform: 12, spatter: 17 };

test('the numpy stream replay reproduces np.random.seed(0) (random_sample, normal)', () => {
  const r = new NumpyLegacyRandom(0);
  // np.random.seed(0); np.random.random_sample(3); np.random.normal(size=3)
  const expected = [0.5488135039273248, 0.7151893663724195, 0.6027633760716439, -2.268328201180374, 1.3335453816218967, -0.8427240538292873];
  const got = [r.next(), r.next(), r.next(), r.normal(), r.normal(), r.normal()];
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-15, `value ${i}: ${got[i]} vs ${expected[i]}`);
});

test('the reference files are present', () => {
  assertReferenceFilesPresent();
});

const RUN_SEED = 2024;

function draw(corruption: Corruption, image: Image, severity: number, preset: ParameterPreset, sampleId: number): Image {
  return corruption.apply(image, severity, { preset, random: seedFor(RUN_SEED, corruption.name, severity, sampleId) });
}

function averageStats(corruption: Corruption, image: Image, severity: number, preset: ParameterPreset): ChangeStats {
  return averageChangeStats(image, (sampleId) => draw(corruption, image, severity, preset, sampleId));
}

// Tolerance: changeStatisticsProblems (test/helpers/corruption-reference.ts), max(3 sd, 10%, FLOOR). In practice the
// 3-sd and 10% terms decide every cell here (e.g. spatter's smallest share, cifar severity 1: 0.025 +- 0.020).

for (const c of CASES) {
  for (const corruption of [fog, spatter, elasticTransform]) {
    test(`${corruption.name} (${c.preset} preset) has the reference's change statistics over ${DRAWS} draws, severities 1-5`, async () => {
      const { image } = await load(c);
      const problems = changeStatisticsProblems(readStats(c), corruption.name, image, (severity, sampleId) => draw(corruption, image, severity, c.preset, sampleId));
      assert.deepEqual(problems, [], `${corruption.name} (${c.preset}) differs from the reference`);
    });
  }

  test(`frost (${c.preset} preset, procedural texture) changes images by the same order as the reference, severities 1-5`, async () => {
    const { image } = await load(c);
    const stats = readStats(c);
    const problems: string[] = [];
    for (let severity = 1; severity <= 5; severity++) {
      const average = averageStats(frost, image, severity, c.preset);
      const cell = stats.cells[`frost_${severity}`];
      for (const [key, ref] of [
        ['mean', cell.mean_change[0]],
        ['std', cell.std_change[0]],
      ] as const) {
        const ratio = average[key] / ref;
        if (!(ratio >= 0.5 && ratio <= 2)) problems.push(`severity ${severity} ${key}: ${average[key].toFixed(2)} vs reference ${ref.toFixed(2)} (ratio ${ratio.toFixed(2)})`);
      }
      // Frost brightens almost every value, like the reference (~98% of the values change).
      if (!(Math.abs(average.share - cell.share_changed[0]) <= 0.05)) problems.push(`severity ${severity} share ${average.share.toFixed(3)} vs ${cell.share_changed[0].toFixed(3)}`);
    }
    assert.deepEqual(problems, [], `frost (${c.preset}) is not of the reference's order`);
  });
}

// Pixel-exact checks with numpy's stream. elastic_transform at ImageNet severities 1 and 2 (sigma 170.8 and 19.52 px,
// 1025- and 119-tap kernels) filters its displacement fields in a truncated cosine basis (see its header); there a few
// values differ by some grey levels where the image has edges.
const REPLAY_TOLERANCE: Readonly<Record<string, { maxMad: number; minExact: number }>> = {
  'elastic_transform/imagenet/1': { maxMad: 0.02, minExact: 0.99 },
  'elastic_transform/imagenet/2': { maxMad: 0.08, minExact: 0.96 },
};

for (const c of CASES) {
  for (const corruption of [fog, spatter, elasticTransform]) {
    test(`${corruption.name} (${c.preset} preset) equals the reference output pixel for pixel given numpy's random stream`, async () => {
      const { image, reference } = await load(c);
      const n = image.pixels.length;
      const problems: string[] = [];
      for (let severity = 1; severity <= 5; severity++) {
        const out = corruption.apply(image, severity, { preset: c.preset, random: new NumpyLegacyRandom(0) });
        const offset = (TABLE_INDEX[corruption.name] * 5 + severity - 1) * n;
        let sum = 0;
        let exact = 0;
        for (let i = 0; i < n; i++) {
          const d = Math.abs(out.pixels[i] - reference[offset + i]);
          sum += d;
          if (d === 0) exact++;
        }
        const { maxMad, minExact } = REPLAY_TOLERANCE[`${corruption.name}/${c.preset}/${severity}`] ?? { maxMad: 0, minExact: 1 };
        if (!(sum / n <= maxMad && exact / n >= minExact)) {
          problems.push(`severity ${severity}: mean absolute difference ${(sum / n).toFixed(4)}, ${((100 * exact) / n).toFixed(2)}% identical`);
        }
      }
      assert.deepEqual(problems, [], `${corruption.name} (${c.preset}) differs from the reference output`);
    });
  }
}

const PRESETS: readonly ParameterPreset[] = ['cifar', 'imagenet'];

for (const corruption of CORRUPTIONS) {
  test(`${corruption.name}: the same seed and sample give identical bytes, another sample differs`, () => {
    for (const preset of PRESETS) {
      const image = makeImage(preset === 'cifar' ? 32 : 64, preset === 'cifar' ? 32 : 64, 3);
      for (let severity = 1; severity <= 5; severity++) {
        const a = corruption.apply(image, severity, { preset, random: seedFor(7, corruption.name, severity, 3) });
        const b = corruption.apply(image, severity, { preset, random: seedFor(7, corruption.name, severity, 3) });
        const other = corruption.apply(image, severity, { preset, random: seedFor(7, corruption.name, severity, 4) });
        assert.deepEqual(a.pixels, b.pixels, `${preset} severity ${severity}: same seed, different bytes`);
        assert.notDeepEqual(a.pixels, other.pixels, `${preset} severity ${severity}: another sample id gave the same bytes`);
        assert.deepEqual(image.pixels, makeImage(image.height, image.width, 3).pixels, 'the input image was modified');
      }
    }
  });

  test(`${corruption.name}: grey 28x28x1 and non-square 40x24x3 images keep their shape and change at severity 5`, () => {
    for (const preset of PRESETS) {
      for (const [h, w, ch] of [
        [28, 28, 1],
        [40, 24, 3],
        [24, 40, 3],
      ] as const) {
        const image = makeImage(h, w, ch);
        const out = corruption.apply(image, 5, { preset, random: seedFor(1, corruption.name, 5, 0) });
        assert.equal(out.height, h);
        assert.equal(out.width, w);
        assert.equal(out.channels, ch);
        assert.equal(out.pixels.length, h * w * ch);
        assert.ok(out.pixels instanceof Uint8Array);
        const { share } = changeStats(image.pixels, out.pixels);
        assert.ok(share > 0.01, `${preset} ${h}x${w}x${ch}: only ${(share * 100).toFixed(2)}% of the values changed`);
      }
    }
  });
}

test('fog, frost and spatter work on tiny images (1x1, 1x7, 2x2, 3x2 grey and RGB) at every severity', () => {
  for (const corruption of [fog, frost, spatter]) {
    for (const preset of PRESETS) {
      for (const [h, w] of [
        [1, 1],
        [1, 7],
        [2, 2],
        [3, 2],
      ] as const) {
        for (const ch of [1, 3]) {
          const image = makeImage(h, w, ch);
          for (let severity = 1; severity <= 5; severity++) {
            const out = corruption.apply(image, severity, { preset, random: seedFor(3, corruption.name, severity, h * 10 + w) });
            assert.equal(out.pixels.length, h * w * ch, `${corruption.name} ${preset} ${h}x${w}x${ch} severity ${severity}`);
          }
        }
      }
    }
  }
});

test(`elastic_transform rejects images below ${ELASTIC_TRANSFORM_MIN_SIDE}x${ELASTIC_TRANSFORM_MIN_SIDE} with an InputError and works from there on`, () => {
  for (const preset of PRESETS) {
    for (const [h, w] of [
      [1, 1],
      [2, 2],
      [2, 50],
      [50, 1],
    ] as const) {
      assert.throws(
        () => elasticTransform.apply(makeImage(h, w, 3), 3, { preset, random: seedFor(1, 'elastic_transform', 3, 0) }),
        (error: unknown) => {
          assert.ok(error instanceof InputError, 'an InputError');
          assert.equal(error.details.code, 'image-too-small');
          assert.match(error.message, /at least 3x3/);
          return true;
        },
      );
    }
    for (const [h, w, ch] of [
      [3, 3, 3],
      [3, 5, 1],
      [4, 3, 3],
    ] as const) {
      for (let severity = 1; severity <= 5; severity++) {
        const out = elasticTransform.apply(makeImage(h, w, ch), severity, { preset, random: seedFor(1, 'elastic_transform', severity, 0) });
        assert.equal(out.pixels.length, h * w * ch);
      }
    }
  }
});

test('the plasma fractal spans [0, 1], is deterministic, and the fog map covers the image', () => {
  const a = plasmaFractal(32, 2, seedFor(1, 'fog', 1, 0));
  const b = plasmaFractal(32, 2, seedFor(1, 'fog', 1, 0));
  assert.deepEqual(a, b);
  assert.equal(Math.min(...a), 0);
  assert.equal(Math.max(...a), 1);
  assert.deepEqual(plasmaFractal(1, 2, seedFor(1, 'fog', 1, 0)), Float64Array.of(0));
  assert.throws(() => plasmaFractal(24, 2, seedFor(1, 'fog', 1, 0)), RangeError);
  assert.equal(fogMapSize(32, 32), 32); // CIFAR-10-C: map 32
  assert.equal(fogMapSize(224, 224), 256); // ImageNet-C: map 256 cropped to 224
  assert.equal(fogMapSize(40, 24), 64);
  assert.equal(fogMapSize(1, 1), 2);
});

test('frost textures are deterministic, frost-coloured (blue-white, B > G > R) and cached', () => {
  const a = generateFrostTexture(64, 5);
  const b = generateFrostTexture(64, 5);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, generateFrostTexture(64, 6));
  for (const preset of PRESETS) {
    for (let k = 0; k < FROST_TEXTURE_COUNT; k++) {
      const texture = frostTexture(preset, k);
      assert.equal(frostTexture(preset, k), texture, 'cached');
      assert.equal(texture.rgb.length, texture.size * texture.size * 3);
      assert.ok(texture.size >= (preset === 'cifar' ? 64 : 320), `${preset} texture ${k} is ${texture.size} px`);
      const mean = [0, 0, 0];
      for (let i = 0; i < texture.rgb.length; i++) mean[i % 3] += texture.rgb[i] / (texture.rgb.length / 3);
      assert.ok(mean[2] > mean[1] && mean[1] > mean[0], `${preset} texture ${k} channel means ${mean.map((m) => m.toFixed(1)).join(', ')}`);
      const grey = (mean[0] + mean[1] + mean[2]) / 3;
      assert.ok(grey > 100 && grey < 200, `${preset} texture ${k} mean ${grey.toFixed(1)}`);
    }
  }
});
