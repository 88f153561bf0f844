// CIFAR-10-C and ImageNet-C layouts: severity slices line up with the clean sample ids; missing files and
// wrong shapes are clear errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { encodeNpy } from '../../src/server/engine/data/npy';
import { openPregenerated } from '../../src/server/engine/data/pregenerated-corruptions';
import { InputError } from '../../src/server/engine/errors';

const N = 4; // clean samples
const H = 8;
const W = 8;
const LABELS = ['cat', 'dog'];
let root: string;

/** Pixel value of (severity, sample) in the synthetic CIFAR-10-C files: lets a test see which image it got. */
const marker = (severity: number, sample: number) => severity * 40 + sample;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-pregenerated-'));
  const c10 = path.join(root, 'c10');
  await fs.mkdir(c10);
  const x = new Uint8Array(5 * N * H * W * 3);
  const y = new BigInt64Array(5 * N);
  for (let s = 1; s <= 5; s++) {
    for (let i = 0; i < N; i++) {
      const index = (s - 1) * N + i;
      x.fill(marker(s, i), index * H * W * 3, (index + 1) * H * W * 3);
      y[index] = BigInt(i % 2);
    }
  }
  await fs.writeFile(path.join(c10, 'fog.npy'), encodeNpy('u1', [5 * N, H, W, 3], x));
  await fs.writeFile(path.join(c10, 'snow.npy'), encodeNpy('u1', [4 * N, H, W, 3], x.subarray(0, 4 * N * H * W * 3)));
  await fs.writeFile(path.join(c10, 'labels.npy'), encodeNpy('i8', [5 * N], y));

  const inc = path.join(root, 'inc');
  for (const s of [1, 3]) {
    for (const label of LABELS) {
      const dir = path.join(inc, 'fog', String(s), label);
      await fs.mkdir(dir, { recursive: true });
      for (let i = 0; i < N / 2; i++) {
        await sharp(Buffer.alloc(H * W * 3, marker(s, i)), { raw: { width: W, height: H, channels: 3 } })
          .jpeg({ quality: 95 })
          .toFile(path.join(dir, `img${i}.JPEG`));
      }
    }
  }
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const expected = { height: H, width: W, channels: 3, labels: LABELS, count: N };
const clean = { format: 'npy' as const, x: 'x.npy', y: 'y.npy' };

test('CIFAR-10-C: severity s, sample i is image (s-1)*N + i with its label', async () => {
  const source = await openPregenerated({ format: 'cifar10-c', path: 'c10', clean }, root, [{ corruption: 'fog', severity: 3 }], expected);
  try {
    const slice = await source.open('fog', 3);
    assert.equal(slice.count, N);
    const samples = await slice.read([2, 0]);
    assert.deepEqual(samples.map((s) => s.id), [2, 0]);
    assert.deepEqual(samples.map((s) => s.image.pixels[0]), [marker(3, 2), marker(3, 0)]);
    assert.deepEqual(samples.map((s) => s.label), [0, 0]);
    const five = await (await source.open('fog', 5)).read([3]);
    assert.equal(five[0].image.pixels[5], marker(5, 3));
    assert.equal(five[0].label, 1);
  } finally {
    await source.close();
  }
});

test('CIFAR-10-C: a missing corruption file is named with the fix', async () => {
  await assert.rejects(
    openPregenerated({ format: 'cifar10-c', path: 'c10', clean }, root, [{ corruption: 'frost', severity: 1 }], expected),
    (error: unknown) => error instanceof InputError && error.details.code === 'pregenerated-missing' && /frost\.npy/.test(error.message) && /remove the missing corruptions/.test(error.details.fix ?? ''),
  );
});

test('CIFAR-10-C: a file of the wrong length is named', async () => {
  await assert.rejects(
    openPregenerated({ format: 'cifar10-c', path: 'c10', clean }, root, [{ corruption: 'snow', severity: 1 }], expected),
    (error: unknown) => error instanceof InputError && /snow\.npy|labels\.npy/.test(`${error.details.file} ${error.message}`),
  );
});

test('CIFAR-10-C: images of another size than the config are an error', async () => {
  await assert.rejects(
    openPregenerated({ format: 'cifar10-c', path: 'c10', clean }, root, [{ corruption: 'fog', severity: 1 }], { ...expected, height: 32, width: 32 }),
    (error: unknown) => error instanceof InputError && error.details.code === 'data-size-mismatch',
  );
});

test('a missing folder is an error on data.path', async () => {
  await assert.rejects(
    openPregenerated({ format: 'cifar10-c', path: 'nowhere', clean }, root, [], expected),
    (error: unknown) => error instanceof InputError && error.details.code === 'data-folder-missing' && error.details.configPath?.join('.') === 'data.path',
  );
});

test('ImageNet-C: <corruption>/<severity>/<class>/*.JPEG in label order', async () => {
  const source = await openPregenerated({ format: 'imagenet-c', path: 'inc', clean }, root, [{ corruption: 'fog', severity: 3 }], expected);
  const slice = await source.open('fog', 3);
  try {
    assert.equal(slice.count, N);
    const samples = await slice.read([0, 1, 2, 3]);
    assert.deepEqual(samples.map((s) => s.label), [0, 0, 1, 1]);
    assert.ok(Math.abs(samples[1].image.pixels[0] - marker(3, 1)) <= 2, 'the JPEG holds the marker');
  } finally {
    await slice.close();
    await source.close();
  }
});

test('ImageNet-C: missing severities are listed', async () => {
  await assert.rejects(
    openPregenerated({ format: 'imagenet-c', path: 'inc', clean }, root, [1, 2, 3, 4].map((severity) => ({ corruption: 'fog', severity })), expected),
    (error: unknown) => error instanceof InputError && /fog\/2, fog\/4/.test(error.message),
  );
});

test('ImageNet-C: a severity with another image count than the clean data is an error', async () => {
  const source = await openPregenerated({ format: 'imagenet-c', path: 'inc', clean }, root, [{ corruption: 'fog', severity: 1 }], { ...expected, count: 6 });
  await assert.rejects(source.open('fog', 1), (error: unknown) => error instanceof InputError && error.details.code === 'pregenerated-shape');
});
