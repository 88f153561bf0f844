// A CIFAR-10-C-style folder made with our own generator from the demo data gives exactly the results of
// generating the corruptions during the run (the same per-sample seeds), and a folder whose labels disagree
// with the clean data is an error.
import type { SuiteRun } from '../../src/server/engine/results/results';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigFile } from '../../src/server/engine/config/load-config';
import { encodeNpy, readNpy } from '../../src/server/engine/data/npy';
import { InputError } from '../../src/server/engine/errors';
import { applyCorruption } from '../../src/server/engine/perturb/image/registry';
import { evaluate } from '../../src/server/engine/run/evaluate';
import { REPO_ROOT } from '../helpers/lsp-client';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');
const CORRUPTIONS = ['gaussian_noise', 'contrast'];
let root: string;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-c10c-'));
  const x = await readNpy(path.join(DEMO, 'data', 'x.npy'));
  const y = await readNpy(path.join(DEMO, 'data', 'y.npy'));
  const [n, h, w] = x.shape;
  const folder = path.join(root, 'FASHION-C');
  await fs.mkdir(folder);
  for (const corruption of CORRUPTIONS) {
    const out = new Uint8Array(5 * n * h * w);
    for (let s = 1; s <= 5; s++) {
      for (let i = 0; i < n; i++) {
        const image = { height: h, width: w, channels: 1, pixels: (x.data as Uint8Array).subarray(i * h * w, (i + 1) * h * w) };
        out.set(applyCorruption(image, corruption, s, 'cifar', 0, i).pixels, ((s - 1) * n + i) * h * w);
      }
    }
    await fs.writeFile(path.join(folder, `${corruption}.npy`), encodeNpy('u1', [5 * n, h, w], out));
  }
  const labels = new BigInt64Array(5 * n);
  for (let s = 0; s < 5; s++) labels.set(y.data as BigInt64Array, s * n);
  await fs.writeFile(path.join(folder, 'labels.npy'), encodeNpy('i8', [5 * n], labels));
  // The same labels in another order: not the images the clean data holds.
  const shuffled = path.join(root, 'SHUFFLED-C');
  await fs.mkdir(shuffled);
  await fs.copyFile(path.join(folder, 'gaussian_noise.npy'), path.join(shuffled, 'gaussian_noise.npy'));
  const rotated = new BigInt64Array(5 * n);
  for (let i = 0; i < 5 * n; i++) rotated[i] = labels[(i + 1) % (5 * n)];
  await fs.writeFile(path.join(shuffled, 'labels.npy'), encodeNpy('i8', [5 * n], rotated));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function configWith(data: unknown, corruptions: string[]) {
  const file = path.join(root, `config-${Math.random().toString(36).slice(2)}.json`);
  await fs.writeFile(
    file,
    JSON.stringify({
      model: path.join(DEMO, 'models', 'classifier.onnx'),
      input: { layout: 'NCHW', size: [28, 28], channels: 1, scale: 255, mean: [0], std: [1] },
      labels: path.join(DEMO, 'labels.txt'),
      data,
      full: { corruptions, severities: [1, 2, 3, 4, 5] },
      seed: 0,
    }),
  );
  const loaded = await loadConfigFile(file);
  assert.deepEqual(loaded.problems, []);
  return loaded.config!;
}

const clean = { format: 'npy', x: path.join(DEMO, 'data', 'x.npy'), y: path.join(DEMO, 'data', 'y.npy') };

test('pre-generated corruptions give exactly the results of generated ones', async () => {
  const generated = (await evaluate(await configWith(clean, CORRUPTIONS), 'full', { workers: 0 })) as SuiteRun;
  const read = (await evaluate(await configWith({ format: 'cifar10-c', path: path.join(root, 'FASHION-C'), clean }, CORRUPTIONS), 'full', { workers: 0 })) as SuiteRun;
  assert.equal(read.corruptions.length, 10);
  assert.deepEqual(read.clean, generated.clean);
  assert.deepEqual(read.corruptions, generated.corruptions);
  assert.deepEqual(read.samples, generated.samples);
});

test('a pre-generated folder whose labels disagree with the clean data is an error naming the fix', async () => {
  const config = await configWith({ format: 'cifar10-c', path: path.join(root, 'SHUFFLED-C'), clean }, ['gaussian_noise']);
  await assert.rejects(evaluate(config, 'full', { workers: 0 }), (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.equal(error.details.code, 'pregenerated-label-mismatch');
    assert.match(error.details.fix ?? '', /same order/);
    return true;
  });
});

test('a corruption missing from the folder is named before the run starts', async () => {
  const config = await configWith({ format: 'cifar10-c', path: path.join(root, 'FASHION-C'), clean }, ['gaussian_noise', 'fog']);
  await assert.rejects(evaluate(config, 'full'), (error: unknown) => error instanceof InputError && /fog\.npy/.test(error.message));
});
