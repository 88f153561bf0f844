// Tests of the image-folder data set loader: layout, order, decoding (PNG, JPEG, grey, RGB, resize), decoding in
// worker threads, and every error it reports.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../src/server/engine/errors';
import { openImageFolderDataset } from '../../src/server/engine/data/image-folder-dataset';
import { mapLimited } from '../../src/server/engine/data/map-limited';
import { CorruptionPool } from '../../src/server/engine/run/corruption-pool';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-data-folder-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

let folderCounter = 0;
/** A new empty data-set folder. */
async function newFolder(): Promise<string> {
  const folder = path.join(root, `set-${folderCounter++}`);
  await fs.mkdir(folder);
  return folder;
}

type Rgb = readonly [number, number, number];

/** Writes a solid-colour image (RGB, or grey when `colour` is a number) as PNG or JPEG. */
async function writeSolid(file: string, width: number, height: number, colour: Rgb | number): Promise<void> {
  const channels = typeof colour === 'number' ? 1 : 3;
  const values = typeof colour === 'number' ? [colour] : colour;
  const raw = Buffer.alloc(width * height * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = values[i % channels];
  await writeRaw(file, raw, width, height, channels);
}

async function writeRaw(file: string, raw: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const image = sharp(raw, { raw: { width, height, channels } });
  const ext = path.extname(file).toLowerCase();
  await (ext === '.png' ? image.png() : image.jpeg({ quality: 100 })).toFile(file);
}

/** Asserts every pixel is within `tolerance` of `colour`, channel by channel. */
function assertSolid(pixels: Uint8Array, colour: readonly number[], tolerance: number, what: string): void {
  for (let i = 0; i < pixels.length; i++) {
    const want = colour[i % colour.length];
    assert.ok(Math.abs(pixels[i] - want) <= tolerance, `${what}: pixel value ${pixels[i]} at ${i}, expected ${want} +-${tolerance}`);
  }
}

async function rejectsWithDataError(promise: Promise<unknown>, code: string, file: string, extra?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.details.code, code, error.message);
    assert.equal(error.details.kind, 'data');
    assert.equal(error.details.file, file);
    assert.deepEqual(error.details.configPath, ['data', 'path']);
    assert.ok(error.details.fix && error.details.fix.length > 0, 'has a fix');
    assert.ok(error.message.includes(path.basename(file)), `message names the file: ${error.message}`);
    if (extra) assert.match(`${error.message} ${error.details.fix}`, extra);
    return true;
  });
}

const RED: Rgb = [200, 30, 40];
const GREEN: Rgb = [20, 180, 60];
const BLUE: Rgb = [10, 40, 210];
const LABELS = ['cat', 'dog', 'bird'];
const RGB_4x4 = { height: 4, width: 4, channels: 3, labels: LABELS };

describe('openImageFolderDataset: reading', () => {
  it('reads PNG and JPEG files, folders in label order, files sorted by name, ignoring other files', async () => {
    const folder = await newFolder();
    // dog is written first and bird has no folder: order must still be cat (id 0..1), dog (id 2..3).
    await writeSolid(path.join(folder, 'dog', 'b.JPEG'), 4, 4, BLUE);
    await writeSolid(path.join(folder, 'dog', 'a.PNG'), 4, 4, GREEN);
    await writeSolid(path.join(folder, 'cat', 'z.png'), 4, 4, RED);
    await writeSolid(path.join(folder, 'cat', 'm.jpg'), 4, 4, GREEN);
    await fs.writeFile(path.join(folder, 'dog', 'notes.txt'), 'not an image');
    await fs.writeFile(path.join(folder, 'cat', '.DS_Store'), '');
    await fs.writeFile(path.join(folder, '.DS_Store'), '');
    await fs.writeFile(path.join(folder, 'README.md'), '# data');
    await fs.mkdir(path.join(folder, 'cat', 'nested'));

    const ds = await openImageFolderDataset(folder, RGB_4x4);
    assert.equal(ds.source, folder);
    assert.deepEqual([ds.count, ds.height, ds.width, ds.channels], [4, 4, 4, 3]);
    assert.deepEqual(
      [...ds.ignoredFiles].sort(),
      [
        path.join(folder, '.DS_Store'),
        path.join(folder, 'README.md'),
        path.join(folder, 'cat', '.DS_Store'),
        path.join(folder, 'cat', 'nested'),
        path.join(folder, 'dog', 'notes.txt'),
      ].sort(),
    );
    const samples = await ds.read([0, 1, 2, 3]);
    assert.deepEqual(samples.map((s) => [s.id, s.label]), [[0, 0], [1, 0], [2, 1], [3, 1]]);
    assertSolid(samples[0].image.pixels, GREEN, 3, 'cat/m.jpg'); // JPEG: nearly exact at quality 100
    assertSolid(samples[1].image.pixels, RED, 0, 'cat/z.png');
    assertSolid(samples[2].image.pixels, GREEN, 0, 'dog/a.PNG');
    assertSolid(samples[3].image.pixels, BLUE, 3, 'dog/b.JPEG');
    for (const s of samples) {
      assert.deepEqual([s.image.height, s.image.width, s.image.channels, s.image.pixels.length], [4, 4, 3, 48]);
      assert.ok(s.image.pixels instanceof Uint8Array);
    }
    await ds.close();
  });

  it('returns samples in the order asked, for out-of-order, non-contiguous and repeated ids', async () => {
    const folder = await newFolder();
    const colours: Rgb[] = [RED, GREEN, BLUE, [90, 90, 90], [250, 250, 5]];
    for (let i = 0; i < colours.length; i++) await writeSolid(path.join(folder, 'cat', `${i}.png`), 4, 4, colours[i]);
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    const ids = [4, 0, 2, 4];
    const samples = await ds.read(ids);
    assert.deepEqual(samples.map((s) => s.id), ids);
    samples.forEach((s) => assertSolid(s.image.pixels, colours[s.id], 0, `sample ${s.id}`));
    assert.notEqual(samples[0].image.pixels, samples[3].image.pixels, 'a repeated id gets its own pixels');
    await assert.rejects(ds.read([5]), RangeError);
    await ds.close();
    await assert.rejects(ds.read([0]), /after close/);
  });

  it('converts RGB files to grey when input.channels is 1', async () => {
    const folder = await newFolder();
    await writeSolid(path.join(folder, 'cat', 'grey-in-rgb.png'), 4, 4, [120, 120, 120]);
    await writeSolid(path.join(folder, 'cat', 'red.png'), 4, 4, RED);
    const ds = await openImageFolderDataset(folder, { ...RGB_4x4, channels: 1 });
    const [grey, red] = await ds.read([0, 1]);
    assert.deepEqual([grey.image.channels, grey.image.pixels.length], [1, 16]);
    assertSolid(grey.image.pixels, [120], 1, 'grey stays grey');
    assert.equal(red.image.pixels.length, 16);
    assert.ok(red.image.pixels.every((v) => v === red.image.pixels[0] && v > RED[2] && v < RED[0]), 'red becomes one grey between its channels');
  });

  it('converts grey files to RGB and drops alpha', async () => {
    const folder = await newFolder();
    await writeSolid(path.join(folder, 'cat', 'a-grey.png'), 4, 4, 77);
    const rgba = Buffer.alloc(4 * 4 * 4);
    for (let i = 0; i < 16; i++) rgba.set([10, 20, 30, 128], i * 4);
    await writeRaw(path.join(folder, 'cat', 'b-rgba.png'), rgba, 4, 4, 4);
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    const [grey, rgbaSample] = await ds.read([0, 1]);
    assert.equal(grey.image.pixels.length, 48);
    assertSolid(grey.image.pixels, [77, 77, 77], 0, 'grey repeated in R, G, B');
    assert.equal(rgbaSample.image.pixels.length, 48);
    assertSolid(rgbaSample.image.pixels, [10, 20, 30], 0, 'alpha removed');
  });

  it('resizes to input.size by stretching (fit fill), keeping the geometry', async () => {
    const folder = await newFolder();
    // 8 wide x 6 high: left half black, right half white.
    const raw = Buffer.alloc(8 * 6);
    for (let row = 0; row < 6; row++) for (let col = 4; col < 8; col++) raw[row * 8 + col] = 255;
    await writeRaw(path.join(folder, 'cat', 'halves.png'), raw, 8, 6, 1);
    await writeSolid(path.join(folder, 'dog', 'wide.jpg'), 10, 3, BLUE);
    const ds = await openImageFolderDataset(folder, { height: 2, width: 2, channels: 1, labels: LABELS });
    const [halves, wide] = await ds.read([0, 1]);
    assert.deepEqual([halves.image.height, halves.image.width, halves.image.pixels.length], [2, 2, 4]);
    const [topLeft, topRight, bottomLeft, bottomRight] = halves.image.pixels;
    assert.ok(topLeft < 64 && bottomLeft < 64, `left stays dark: ${[...halves.image.pixels]}`);
    assert.ok(topRight > 191 && bottomRight > 191, `right stays bright: ${[...halves.image.pixels]}`);
    assert.equal(wide.image.pixels.length, 4);
  });

  it('decodes with limited concurrency, keeping the order of the results', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimited([5, 1, 4, 2, 3, 0, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0, 60, 70]);
    assert.equal(peak, 3);
    await assert.rejects(mapLimited([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('boom'); return n; }), /boom/);
  });
});

describe('openImageFolderDataset: errors', () => {
  it('the folder is missing', async () => {
    const folder = path.join(root, 'no-such-folder');
    await rejectsWithDataError(openImageFolderDataset(folder, RGB_4x4), 'data-folder-missing', folder, /relative to the folder of robustness\.json/);
  });

  it('the path is a file', async () => {
    const file = path.join(await newFolder(), 'data.png');
    await writeSolid(file, 4, 4, RED);
    await rejectsWithDataError(openImageFolderDataset(file, RGB_4x4), 'data-not-folder', file, /subfolder per label/);
  });

  it('a subfolder matching no label names it and lists the labels', async () => {
    const folder = await newFolder();
    await writeSolid(path.join(folder, 'cat', 'a.png'), 4, 4, RED);
    await writeSolid(path.join(folder, 'horse', 'a.png'), 4, 4, RED);
    await rejectsWithDataError(openImageFolderDataset(folder, RGB_4x4), 'data-unknown-label-folder', folder, /'horse'.*'cat', 'dog', 'bird'/s);
  });

  it('a subfolder differing from a label only in case gets a rename hint', async () => {
    const folder = await newFolder();
    await writeSolid(path.join(folder, 'Dog', 'a.png'), 4, 4, RED);
    await rejectsWithDataError(openImageFolderDataset(folder, RGB_4x4), 'data-unknown-label-folder', folder, /rename 'Dog' to 'dog'/);
  });

  it('no images at all is an empty data set', async () => {
    const folder = await newFolder();
    await fs.mkdir(path.join(folder, 'cat'));
    await fs.writeFile(path.join(folder, 'cat', 'list.txt'), 'a.png');
    await rejectsWithDataError(openImageFolderDataset(folder, RGB_4x4), 'data-empty', folder, /at least one sample/);
  });

  it('a corrupt image names the file when read, never skipping it', async () => {
    const folder = await newFolder();
    await writeSolid(path.join(folder, 'cat', 'a.png'), 4, 4, RED);
    const corrupt = path.join(folder, 'cat', 'b.png');
    await fs.writeFile(corrupt, 'this is not a PNG');
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    assert.equal(ds.count, 2);
    assert.equal((await ds.read([0]))[0].label, 0);
    await assert.rejects(ds.read([0, 1]), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.details.place, "sample 1 (label 'cat')");
      return true;
    });
    await rejectsWithDataError(ds.read([1]), 'data-image-unreadable', corrupt, /corrupt/);
  });

  it('several unreadable images: the first is named with its place, the others counted and named', async () => {
    const folder = await newFolder();
    const names = ['0.png', '1.png', '2.png', '3.png', '4.png', '5.png', '6.png', '7.png', '8.png', '9.png'];
    const bad = new Set(['1.png', '3.png', '4.png', '5.png', '6.png', '7.png', '9.png']);
    for (const name of names) {
      const file = path.join(folder, 'cat', name);
      if (bad.has(name)) {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, `not an image: ${name}`);
      } else {
        await writeSolid(file, 4, 4, RED);
      }
    }
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    const first = path.join(folder, 'cat', '1.png');
    // Asked for in another order: the first failing file is the first in the order asked.
    await rejectsWithDataError(ds.read([0, 3, 1, 2]), 'data-image-unreadable', path.join(folder, 'cat', '3.png'), /; 1 more of the 4 images read with it cannot be read either: 1\.png /);
    await rejectsWithDataError(ds.read([0, 1, 2, 3, 4, 5]), 'data-image-unreadable', first, /; 3 more of the 6 images read with it cannot be read either: 3\.png, 4\.png, 5\.png /);
    const all = names.map((_, i) => i);
    await assert.rejects(ds.read(all), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.details.file, first);
      assert.equal(error.details.place, "sample 1 (label 'cat')");
      assert.match(error.message, /^cannot read the image 1\.png: .*; 6 more of the 10 images read with it cannot be read either: 3\.png, 4\.png, 5\.png, 6\.png, 7\.png and 1 more$/);
      return true;
    });
    // One failure keeps its own message.
    await assert.rejects(ds.read([0, 1]), (error: unknown) => error instanceof InputError && !error.message.includes('more of the'));
  });

  it('a truncated JPEG names the file', async () => {
    const folder = await newFolder();
    const good = path.join(root, 'whole.jpg');
    await writeSolid(good, 16, 16, GREEN);
    const bytes = await fs.readFile(good);
    const truncated = path.join(folder, 'dog', 'cut.jpg');
    await fs.mkdir(path.dirname(truncated));
    await fs.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    await rejectsWithDataError(ds.read([0]), 'data-image-unreadable', truncated);
  });

  it('an image deleted after opening names the file', async () => {
    const folder = await newFolder();
    const file = path.join(folder, 'cat', 'gone.png');
    await writeSolid(file, 4, 4, RED);
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    await fs.rm(file);
    await rejectsWithDataError(ds.read([0]), 'data-image-unreadable', file);
  });
});

describe('openImageFolderDataset: plain PNGs decoded in worker threads (the corruption pool as decoder)', () => {
  let pool: CorruptionPool;
  before(() => {
    pool = CorruptionPool.create(1)!;
    assert.ok(pool, 'a worker script is found');
  });
  after(async () => {
    await pool.close();
  });

  it('gives the same samples as decoding here, the plain PNGs decoded by the worker and the rest here', async () => {
    const folder = await newFolder();
    await writeSolid(path.join(folder, 'cat', '0.png'), 4, 4, RED); // plain RGB PNG at the size: the worker's
    await writeSolid(path.join(folder, 'cat', '1.jpg'), 4, 4, GREEN); // JPEG: here
    await writeSolid(path.join(folder, 'cat', '2.png'), 4, 4, 120); // grey PNG asked for as RGB: the worker's
    await writeSolid(path.join(folder, 'dog', '3.png'), 8, 6, BLUE); // needs a resize: here
    const noise = new Uint8Array(4 * 4 * 3).map((_, i) => (i * 97 + 13) & 255);
    await writeRaw(path.join(folder, 'dog', '4.png'), noise, 4, 4, 3); // the worker's
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    const ids = [4, 0, 1, 2, 3, 0];
    const here = await ds.read(ids);
    const viaWorker = await ds.read(ids, { decoder: pool });
    assert.deepEqual(viaWorker.map((s) => [s.id, s.label]), here.map((s) => [s.id, s.label]));
    viaWorker.forEach((s, i) => assert.deepEqual(Array.from(s.image.pixels), Array.from(here[i].image.pixels), `sample ${s.id}`));
    // Decoded by the worker: views into the shared buffer it wrote; the others were decoded in this thread.
    const shared = viaWorker.map((s) => s.image.pixels.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(shared, [true, true, false, true, false, false], 'ids 4, 0 and 2 by the worker; the repeated 0 is a copy of its own');
    assert.notEqual(viaWorker[1].image.pixels, viaWorker[5].image.pixels, 'a repeated id gets its own pixels');
    await ds.close();
  });

  it('every file of the cifar-synth demo decodes to the same bytes as here', async () => {
    const demo = path.resolve(__dirname, '..', '..', 'examples', 'cifar-synth');
    const labels = (await fs.readFile(path.join(demo, 'labels.txt'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    const ds = await openImageFolderDataset(path.join(demo, 'data', 'test'), { height: 32, width: 32, channels: 3, labels });
    const ids = Array.from({ length: ds.count }, (_, i) => i);
    const here = await ds.read(ids);
    const viaWorker = await ds.read(ids, { decoder: pool });
    assert.equal(viaWorker.filter((s) => s.image.pixels.buffer instanceof SharedArrayBuffer).length, ds.count, 'all decoded by the worker');
    viaWorker.forEach((s, i) => assert.deepEqual(Buffer.from(s.image.pixels), Buffer.from(here[i].image.pixels), `sample ${s.id}`));
    await ds.close();
  });

  it('a corrupt or deleted file gets the same error as without the workers', async () => {
    const folder = await newFolder();
    await writeSolid(path.join(folder, 'cat', 'a.png'), 4, 4, RED);
    const corrupt = path.join(folder, 'cat', 'b.png');
    await fs.writeFile(corrupt, 'this is not a PNG');
    const gone = path.join(folder, 'cat', 'c.png');
    await writeSolid(gone, 4, 4, GREEN);
    const ds = await openImageFolderDataset(folder, RGB_4x4);
    await fs.rm(gone);
    await rejectsWithDataError(ds.read([0, 1], { decoder: pool }), 'data-image-unreadable', corrupt, /corrupt/);
    await rejectsWithDataError(ds.read([2, 0], { decoder: pool }), 'data-image-unreadable', gone);
    await rejectsWithDataError(ds.read([0, 1, 2], { decoder: pool }), 'data-image-unreadable', corrupt, /; 1 more of the 3 images read with it cannot be read either: c\.png /);
    assert.equal((await ds.read([0], { decoder: pool }))[0].image.pixels.buffer instanceof SharedArrayBuffer, true, 'the pool still works');
  });

  it('a pool without workers decodes nothing; a closed pool refuses', async () => {
    const inThread = CorruptionPool.create(0)!;
    assert.deepEqual(await inThread.decodeFiles(['/no/such/file.png'], { height: 4, width: 4, channels: 3 }), [undefined]);
    const closing = CorruptionPool.create(1)!;
    await closing.close();
    await assert.rejects(closing.decodeFiles(['/no/such/file.png'], { height: 4, width: 4, channels: 3 }), /closed/);
  });
});
