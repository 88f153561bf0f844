// The corruptions against the outputs of the original ImageNet-C / CIFAR-10-C code
// (/work/shared/reference/corruptions, see PARAMETERS.md there):
// - deterministic corruptions pixel for pixel: mean absolute difference <= 1 grey level per severity;
// - random corruptions by their change statistics averaged over 16 independent draws;
// - gaussian, shot and speckle noise also bit for bit when given numpy's random stream (the reference outputs were
//   made with np.random.seed(0) before each corruption and severity): with any RandomSource other than the seeded
//   generator they apply the reference formula draw by draw, which pins the formulas the fast samplers follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCorruption, CORRUPTION_NAMES, getCorruption } from '../../src/server/engine/perturb/image/registry';
import { assertReferenceFilesPresent, CASES, changeStatisticsProblems, DRAWS, load, NumpyLegacyRandom, readStats } from '../helpers/corruption-reference';

const DETERMINISTIC = ['gaussian_blur', 'contrast', 'brightness', 'saturate', 'pixelate', 'defocus_blur'] as const;
const RANDOM = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'speckle_noise'] as const;

test('the reference files are present', () => {
  assertReferenceFilesPresent();
});

for (const c of CASES) {
  for (const name of DETERMINISTIC) {
    test(`${name} (${c.preset} preset) matches the reference output within 1 grey level, severities 1-5`, async () => {
      const { image, reference } = await load(c);
      const n = image.pixels.length;
      const index = CORRUPTION_NAMES.indexOf(name);
      const differences: number[] = [];
      for (let severity = 1; severity <= 5; severity++) {
        const out = applyCorruption(image, name, severity, c.preset, 0, 0);
        assert.equal(out.pixels.length, n);
        const offset = (index * 5 + severity - 1) * n;
        let sum = 0;
        for (let i = 0; i < n; i++) sum += Math.abs(out.pixels[i] - reference[offset + i]);
        differences.push(sum / n);
      }
      for (let s = 0; s < 5; s++) assert.ok(differences[s] <= 1, `${name} severity ${s + 1}: mean absolute difference ${differences[s].toFixed(4)} > 1`);
    });
  }
}

for (const c of CASES) {
  for (const name of RANDOM) {
    test(`${name} (${c.preset} preset) has the reference's change statistics over ${DRAWS} draws, severities 1-5`, async () => {
      const { image } = await load(c);
      const problems = changeStatisticsProblems(readStats(c), name, image, (severity, sampleId) => applyCorruption(image, name, severity, c.preset, 2024, sampleId));
      assert.deepEqual(problems, [], `${name} (${c.preset}) differs from the reference`);
    });
  }
}

for (const c of CASES) {
  for (const name of ['gaussian_noise', 'shot_noise', 'speckle_noise'] as const) {
    test(`${name} (${c.preset} preset) replaying numpy's random stream gives the reference output bit for bit`, async () => {
      const { image, reference } = await load(c);
      const corruption = getCorruption(name);
      assert.ok(corruption);
      const n = image.pixels.length;
      const index = CORRUPTION_NAMES.indexOf(name);
      for (let severity = 1; severity <= 5; severity++) {
        const out = corruption.apply(image, severity, { preset: c.preset, random: new NumpyLegacyRandom(0) });
        const offset = (index * 5 + severity - 1) * n;
        let differing = 0;
        for (let i = 0; i < n; i++) if (out.pixels[i] !== reference[offset + i]) differing++;
        assert.equal(differing, 0, `${name} severity ${severity}: ${differing} values differ`);
      }
    });
  }
}
