// The frost textures made by the build (dist/frost-textures.bin): the file format, that the built file holds
// exactly the generated textures, and that frost gives the same bytes from the file as from generation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FROST_TEXTURE_COUNT, FROST_TEXTURE_FILE, FROST_TEXTURE_SIZE, frostTextureKey, generateBaseTexture, setFrostTextureFile } from '../../src/server/engine/perturb/image/frost';
import { decodeFrostTextureFile, encodeFrostTextureFile, readFrostTextureFile } from '../../src/server/engine/perturb/image/frost-texture-file';
import { applyCorruption } from '../../src/server/engine/perturb/image/registry';
import type { Image } from '../../src/server/engine/types';

const BUILT = path.join(__dirname, '..', '..', 'dist', FROST_TEXTURE_FILE);
const BYTES_EACH = FROST_TEXTURE_SIZE * FROST_TEXTURE_SIZE * 3;

test('a texture file decodes to the textures it was made from, and only with its own key and sizes', () => {
  const textures = [Uint8Array.from([1, 2, 3, 4, 5, 6]), Uint8Array.from([7, 8, 9, 10, 11, 12])];
  const file = encodeFrostTextureFile('{"k":1}', textures);
  assert.deepEqual(decodeFrostTextureFile(file, '{"k":1}', 2, 6), textures);
  assert.equal(decodeFrostTextureFile(file, '{"k":2}', 2, 6), undefined, 'another key');
  assert.equal(decodeFrostTextureFile(file, '{"k":1}', 3, 6), undefined, 'another count');
  assert.equal(decodeFrostTextureFile(file, '{"k":1}', 2, 5), undefined, 'another size');
  assert.equal(decodeFrostTextureFile(file.subarray(0, file.length - 1), '{"k":1}', 2, 6), undefined, 'truncated');
  const badMagic = Buffer.from(file);
  badMagic[0] ^= 1;
  assert.equal(decodeFrostTextureFile(badMagic, '{"k":1}', 2, 6), undefined, 'not a texture file');
  assert.equal(readFrostTextureFile(path.join(os.tmpdir(), 'rl-no-such-frost-file.bin'), '{"k":1}', 2, 6), undefined, 'missing file');
});

test('the build wrote exactly the generated textures to dist/frost-textures.bin', async () => {
  await fs.access(BUILT).catch(() => assert.fail(`${BUILT} is missing: run npm run build first (npm test does)`));
  const textures = readFrostTextureFile(BUILT, frostTextureKey(), FROST_TEXTURE_COUNT, BYTES_EACH);
  assert.ok(textures, 'the built file is made for the current textures (its key matches)');
  for (let k = 0; k < FROST_TEXTURE_COUNT; k++) assert.ok(Buffer.from(textures[k]).equals(Buffer.from(generateBaseTexture(k))), `texture ${k}`);
});

test('frost gives the same bytes with the textures read from a file as with generated ones, and does use the file', async () => {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-frost-'));
  try {
    const generated = Array.from({ length: FROST_TEXTURE_COUNT }, (_, k) => generateBaseTexture(k));
    const exact = path.join(folder, 'exact.bin');
    await fs.writeFile(exact, encodeFrostTextureFile(frostTextureKey(), generated));
    // The same key but other textures (all white): if frost reads the file, its output changes.
    const white = path.join(folder, 'white.bin');
    await fs.writeFile(white, encodeFrostTextureFile(frostTextureKey(), generated.map((t) => new Uint8Array(t.length).fill(255))));
    const images: Image[] = [
      { height: 32, width: 32, channels: 3, pixels: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 37) % 256) },
      { height: 28, width: 28, channels: 1, pixels: Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 11) % 256) },
      { height: 224, width: 224, channels: 3, pixels: Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => (i * 7) % 256) },
    ];
    const outputs = () =>
      images.flatMap((image) =>
        [1, 3, 5].flatMap((severity) => [0, 1, 2, 3].map((id) => Buffer.from(applyCorruption(image, 'frost', severity, image.width >= 224 ? 'imagenet' : 'cifar', 7, id).pixels))),
      );
    setFrostTextureFile(undefined);
    const fromGeneration = outputs();
    setFrostTextureFile(exact);
    const fromFile = outputs();
    setFrostTextureFile(white);
    const fromWhite = outputs();
    assert.equal(fromFile.length, fromGeneration.length);
    for (let i = 0; i < fromFile.length; i++) assert.ok(fromFile[i].equals(fromGeneration[i]), `output ${i}`);
    assert.ok(fromWhite.some((out, i) => !out.equals(fromGeneration[i])), 'the textures of the file are the ones used');
  } finally {
    setFrostTextureFile(undefined);
    await fs.rm(folder, { recursive: true, force: true });
  }
});
