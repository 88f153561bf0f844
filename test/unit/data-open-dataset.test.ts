// Tests of opening the data set the config describes: path resolution and dispatch by format.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../src/server/engine/errors';
import { encodeNpy } from '../../src/server/engine/data/npy';
import { openDataset } from '../../src/server/engine/data/open-dataset';

let configDir: string;
before(async () => {
  configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-data-open-'));
  await fs.mkdir(path.join(configDir, 'data', 'test', 'b'), { recursive: true });
  await fs.writeFile(path.join(configDir, 'data', 'x.npy'), encodeNpy('u1', [2, 2, 2], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])));
  await fs.writeFile(path.join(configDir, 'data', 'y.npy'), encodeNpy('i8', [2], BigInt64Array.from([1n, 0n])));
  await sharp(Buffer.alloc(2 * 2, 99), { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(path.join(configDir, 'data', 'test', 'b', 'one.png'));
});
after(async () => {
  await fs.rm(configDir, { recursive: true, force: true });
});

const EXPECTED = { height: 2, width: 2, channels: 1, labels: ['a', 'b'] };

describe('openDataset', () => {
  it('opens npy data with paths relative to the config folder', async () => {
    const ds = await openDataset({ format: 'npy', x: 'data/x.npy', y: './data/y.npy' }, configDir, EXPECTED);
    assert.equal(ds.source, path.join(configDir, 'data', 'x.npy'));
    const [second] = await ds.read([1]);
    assert.deepEqual([second.label, ...second.image.pixels], [0, 5, 6, 7, 8]);
    await ds.close();
  });

  it('uses the number of labels as the class count for npy data', async () => {
    await assert.rejects(
      openDataset({ format: 'npy', x: 'data/x.npy', y: 'data/y.npy' }, configDir, { ...EXPECTED, labels: ['only'] }),
      (error: unknown) => error instanceof InputError && error.details.code === 'data-label-out-of-range',
    );
  });

  it('opens an image folder relative to the config folder', async () => {
    const ds = await openDataset({ format: 'imagefolder', path: 'data/test' }, configDir, EXPECTED);
    assert.equal(ds.source, path.join(configDir, 'data', 'test'));
    assert.equal(ds.count, 1);
    const [only] = await ds.read([0]);
    assert.deepEqual([only.label, ...only.image.pixels], [1, 99, 99, 99, 99]);
    await ds.close();
  });

  it('reports a missing file with its absolute path', async () => {
    await assert.rejects(openDataset({ format: 'npy', x: 'data/nope.npy', y: 'data/y.npy' }, configDir, EXPECTED), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.details.code, 'data-file-missing');
      assert.equal(error.details.file, path.join(configDir, 'data', 'nope.npy'));
      assert.deepEqual(error.details.configPath, ['data', 'x']);
      return true;
    });
  });

  it('rejects an unknown format', async () => {
    const data = { format: 'csv', path: 'data.csv' } as unknown as Parameters<typeof openDataset>[0];
    await assert.rejects(openDataset(data, configDir, EXPECTED), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.details.code, 'data-format-unknown');
      assert.deepEqual(error.details.configPath, ['data', 'format']);
      return true;
    });
  });
});
