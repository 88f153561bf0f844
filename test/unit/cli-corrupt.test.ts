// `robustness-lens corrupt`, called in-process: PNG / JPEG / .npy in and out, the engine's per-sample seeding and
// preset rule, determinism, the grid's layout and cells, and a clear error (exit 2) for each kind of bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { corruptBatch, corruptCommand, CORRUPT_USAGE } from '../../src/server/cli/corrupt-command';
import type { Output } from '../../src/server/cli/cli-io';
import { encodeNpy, readNpy } from '../../src/server/engine/data/npy';
import { InputError } from '../../src/server/engine/errors';
import { cellX, cellY, defaultCellSide, GRID_COLUMNS, GRID_ROWS, gridLayout, renderCorruptionGrid, resizeNearestRgb } from '../../src/server/engine/outputs/corruption-grid';
import { applyCorruption, CORRUPTION_NAMES, getCorruption } from '../../src/server/engine/perturb/image/registry';
import type { Image } from '../../src/server/engine/types';

let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-corrupt-'));
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

async function run(args: string[]) {
  const output = capture();
  const code = await corruptCommand(args, output);
  return { code, stdout: output.stdout.join('\n'), stderr: output.stderr.join('\n') };
}

const file = (name: string) => path.join(dir, name);

/** A deterministic image with gradients, edges and texture. */
function makeImage(height: number, width: number, channels: number, salt = 0): Image {
  const pixels = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const v = 40 + ((x * 5 + y * 3) % 160) + (((x >> 2) + (y >> 2) + c + salt) % 2) * 50 + ((x * 7 + y * 13 + c * 29 + salt) % 23);
        pixels[(y * width + x) * channels + c] = Math.min(255, v);
      }
    }
  }
  return { height, width, channels, pixels };
}

async function writePng(name: string, image: Image): Promise<string> {
  await sharp(Buffer.from(image.pixels), { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 3 } })
    .toColourspace(image.channels === 1 ? 'b-w' : 'srgb')
    .png()
    .toFile(file(name));
  return file(name);
}

async function decode(name: string): Promise<{ image: Image; channels: number }> {
  const meta = await sharp(file(name)).metadata();
  const { data, info } = await sharp(file(name)).toColourspace(meta.channels === 1 ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
  return { image: { height: info.height, width: info.width, channels: info.channels, pixels: new Uint8Array(data) }, channels: meta.channels ?? 0 };
}

function stack(images: Image[]): Uint8Array {
  const size = images[0].pixels.length;
  const out = new Uint8Array(images.length * size);
  images.forEach((im, i) => out.set(im.pixels, i * size));
  return out;
}

test('usage text names both forms and every option', () => {
  for (const flag of ['--corruption', '--severity', '--preset', '--seed', '--in', '--out', '--grid', '--cell']) assert.ok(CORRUPT_USAGE.includes(flag), flag);
});

test('PNG in, PNG out: the engine corruption with the auto preset (cifar below 112 px), sample id 0', async () => {
  const image = makeImage(24, 40, 3);
  const input = await writePng('rgb.png', image);
  const { code, stdout, stderr } = await run(['--corruption', 'gaussian_blur', '--severity', '3', '--in', input, '--out', file('rgb-out.png')]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /wrote .*rgb-out\.png: gaussian_blur severity 3 \(preset cifar, seed 0\)/);
  const { image: out, channels } = await decode('rgb-out.png');
  assert.equal(channels, 3);
  assert.equal(out.width, 40);
  assert.equal(out.height, 24);
  assert.deepEqual(out.pixels, applyCorruption(image, 'gaussian_blur', 3, 'cifar', 0, 0).pixels);
});

test('a grey PNG stays grey', async () => {
  const image = makeImage(28, 28, 1);
  const input = await writePng('grey.png', image);
  const { code, stderr } = await run(['--corruption', 'jpeg_compression', '--severity', '5', '--in', input, '--out', file('grey-out.png')]);
  assert.equal(code, 0, stderr);
  const { image: out, channels } = await decode('grey-out.png');
  assert.equal(channels, 1);
  assert.deepEqual(out.pixels, applyCorruption(image, 'jpeg_compression', 5, 'cifar', 0, 0).pixels);
});

test('auto preset: imagenet parameters from 112 pixels on the shorter side; --preset overrides', async () => {
  const image = makeImage(112, 120, 3);
  const input = await writePng('big.png', image);
  assert.equal((await run(['--corruption', 'gaussian_blur', '--severity', '2', '--in', input, '--out', file('big-auto.png')])).code, 0);
  assert.deepEqual((await decode('big-auto.png')).image.pixels, applyCorruption(image, 'gaussian_blur', 2, 'imagenet', 0, 0).pixels);
  const forced = await run(['--corruption', 'gaussian_blur', '--severity', '2', '--preset', 'cifar', '--in', input, '--out', file('big-cifar.png')]);
  assert.equal(forced.code, 0);
  assert.match(forced.stdout, /preset cifar/);
  assert.deepEqual((await decode('big-cifar.png')).image.pixels, applyCorruption(image, 'gaussian_blur', 2, 'cifar', 0, 0).pixels);
});

test('.npy (N, H, W) grey batch: image i uses sample id i, the shape is kept', async () => {
  const images = [0, 1, 2, 3].map((i) => makeImage(28, 28, 1, i));
  await fs.writeFile(file('grey.npy'), encodeNpy('u1', [4, 28, 28], stack(images)));
  const { code, stdout, stderr } = await run(['--corruption', 'gaussian_noise', '--severity', '2', '--seed', '7', '--in', file('grey.npy'), '--out', file('grey-out.npy')]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /4 images 28x28 grey/);
  const out = await readNpy(file('grey-out.npy'));
  assert.equal(out.dtype, 'u1');
  assert.deepEqual(out.shape, [4, 28, 28]);
  const expected = stack(images.map((im, i) => applyCorruption(im, 'gaussian_noise', 2, 'cifar', 7, i)));
  assert.deepEqual(out.data, expected);
  // Per-sample seeding: identical inputs still get different draws.
  const same = [makeImage(28, 28, 1), makeImage(28, 28, 1)];
  await fs.writeFile(file('same.npy'), encodeNpy('u1', [2, 28, 28], stack(same)));
  assert.equal((await run(['--corruption', 'gaussian_noise', '--severity', '2', '--in', file('same.npy'), '--out', file('same-out.npy')])).code, 0);
  const pair = (await readNpy(file('same-out.npy'))).data as Uint8Array;
  assert.notDeepEqual(pair.subarray(0, 784), pair.subarray(784));
});

test('.npy (N, H, W, 3) RGB batch with --preset imagenet, and (N, H, W, 1) keeps its channel axis', async () => {
  const images = [0, 1, 2].map((i) => makeImage(32, 36, 3, i));
  await fs.writeFile(file('rgb.npy'), encodeNpy('u1', [3, 32, 36, 3], stack(images)));
  const { code, stderr } = await run(['--corruption', 'shot_noise', '--severity', '4', '--preset', 'imagenet', '--in', file('rgb.npy'), '--out', file('rgb-out.npy')]);
  assert.equal(code, 0, stderr);
  const out = await readNpy(file('rgb-out.npy'));
  assert.deepEqual(out.shape, [3, 32, 36, 3]);
  assert.deepEqual(out.data, stack(images.map((im, i) => applyCorruption(im, 'shot_noise', 4, 'imagenet', 0, i))));

  const grey = [makeImage(16, 16, 1)];
  await fs.writeFile(file('grey1.npy'), encodeNpy('u1', [1, 16, 16, 1], stack(grey)));
  assert.equal((await run(['--corruption', 'contrast', '--severity', '1', '--in', file('grey1.npy'), '--out', file('grey1-out.npy')])).code, 0);
  assert.deepEqual((await readNpy(file('grey1-out.npy'))).shape, [1, 16, 16, 1]);
  // One-image .npy to PNG, and PNG to .npy.
  assert.equal((await run(['--corruption', 'contrast', '--severity', '1', '--in', file('grey1.npy'), '--out', file('grey1-out.png')])).code, 0);
  assert.equal((await decode('grey1-out.png')).channels, 1);
  const png = await writePng('to-npy.png', makeImage(20, 30, 3));
  assert.equal((await run(['--corruption', 'pixelate', '--severity', '3', '--in', png, '--out', file('from-png.npy')])).code, 0);
  assert.deepEqual((await readNpy(file('from-png.npy'))).shape, [1, 20, 30, 3]);
});

test('JPEG output decodes to the right size', async () => {
  const input = await writePng('for-jpeg.png', makeImage(30, 50, 3));
  const { code, stdout } = await run(['--corruption', 'brightness', '--severity', '2', '--in', input, '--out', file('out.jpg')]);
  assert.equal(code, 0);
  assert.match(stdout, /re-encoded/);
  const meta = await sharp(file('out.jpg')).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal(meta.width, 50);
  assert.equal(meta.height, 30);
});

test('deterministic: the same seed gives the same bytes, --seed changes random corruptions only', async () => {
  const input = await writePng('det.png', makeImage(32, 32, 3));
  const go = async (corruption: string, seed: string, out: string) => {
    const r = await run(['--corruption', corruption, '--severity', '3', '--seed', seed, '--in', input, '--out', file(out)]);
    assert.equal(r.code, 0, r.stderr);
    return fs.readFile(file(out));
  };
  const a = await go('impulse_noise', '1', 'a.png');
  const b = await go('impulse_noise', '1', 'b.png');
  const c = await go('impulse_noise', '2', 'c.png');
  assert.ok(a.equals(b), 'same seed, same bytes');
  assert.ok(!a.equals(c), 'another seed, another draw');
  const d = await go('defocus_blur', '1', 'd.png');
  const e = await go('defocus_blur', '2', 'e.png');
  assert.ok(d.equals(e), 'deterministic corruptions ignore the seed');
});

test('--grid: 19 rows x (clean + 5 severities), the size follows from the layout, the clean cells are the input', async () => {
  const image = makeImage(32, 32, 3);
  const input = await writePng('grid-in.png', image);
  const { code, stdout, stderr } = await run(['--grid', '--in', input, '--out', file('grid.png'), '--seed', '3']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /grid of grid-in\.png, preset cifar, seed 3/);
  const layout = gridLayout(32, 32);
  assert.equal(defaultCellSide(32, 32), 96, '32-pixel images are enlarged 3x');
  assert.equal(layout.cellWidth, 96);
  assert.equal(layout.width, 2 * layout.margin + layout.labelWidth + GRID_COLUMNS * 96 + (GRID_COLUMNS - 1) * layout.gap);
  assert.equal(layout.height, 2 * layout.margin + layout.headerHeight + GRID_ROWS * 96 + (GRID_ROWS - 1) * layout.gap);
  assert.equal(GRID_ROWS, 19);
  assert.equal(GRID_COLUMNS, 6);
  const { data, info } = await sharp(file('grid.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, layout.width);
  assert.equal(info.height, layout.height);
  const cell = (row: number, column: number) => {
    const out = new Uint8Array(96 * 96 * 3);
    for (let y = 0; y < 96; y++) {
      const start = ((cellY(layout, row) + y) * info.width + cellX(layout, column)) * 3;
      out.set(data.subarray(start, start + 96 * 3), y * 96 * 3);
    }
    return out;
  };
  const clean = resizeNearestRgb(image, 96, 96);
  for (const row of [0, 9, 18]) assert.deepEqual(cell(row, 0), clean, `row ${row} starts with the clean image`);
  // An implemented corruption's cell is its output enlarged 3x (nearest neighbour).
  const row = CORRUPTION_NAMES.indexOf('gaussian_blur');
  assert.deepEqual(cell(row, 4), resizeNearestRgb(applyCorruption(image, 'gaussian_blur', 4, 'cifar', 3, 0), 96, 96));

  // --cell sets the cell size; large images are shrunk by default; grey inputs work.
  const grey = await writePng('grid-grey.png', makeImage(300, 400, 1));
  const big = await run(['--grid', '--in', grey, '--out', file('grid-grey.png'), '--preset', 'cifar', '--cell', '40']);
  assert.equal(big.code, 0, big.stderr);
  const meta = await sharp(file('grid-grey.png')).metadata();
  const small = gridLayout(300, 400, 40);
  assert.equal(small.cellHeight, 40);
  assert.equal(small.cellWidth, 53);
  assert.equal(meta.width, small.width);
  assert.equal(meta.height, small.height);
  assert.equal(defaultCellSide(300, 400), 256);
});

test('grid cells of corruptions that are not implemented are grey and marked; refusals are marked as errors', async () => {
  const image = makeImage(32, 32, 3);
  const refusing = {
    name: 'snow',
    benchmark: true,
    random: true,
    apply: () => {
      throw new InputError('the image is too small', { kind: 'data', code: 'image-too-small' });
    },
  };
  const lookup = (name: string) => (name === 'fog' ? undefined : name === 'snow' ? refusing : getCorruption(name));
  const grid = await renderCorruptionGrid(image, { preset: 'cifar', seed: 0, lookup });
  assert.ok(grid.notImplemented.includes('fog'));
  assert.ok(!grid.notImplemented.includes('snow'));
  assert.equal(grid.problems.length, 5);
  assert.ok(grid.problems.every((p) => p.corruption === 'snow' && /too small/.test(p.message)));
  const { data, info } = await sharp(grid.png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.height, grid.layout.height, 'still 19 rows');
  const share = (row: number, column: number, rgb: number[]) => {
    let hits = 0;
    for (let y = 0; y < grid.layout.cellHeight; y++) {
      for (let x = 0; x < grid.layout.cellWidth; x++) {
        const o = ((cellY(grid.layout, row) + y) * info.width + cellX(grid.layout, column) + x) * 3;
        if (data[o] === rgb[0] && data[o + 1] === rgb[1] && data[o + 2] === rgb[2]) hits++;
      }
    }
    return hits / (grid.layout.cellHeight * grid.layout.cellWidth);
  };
  const fogShare = share(CORRUPTION_NAMES.indexOf('fog'), 3, [200, 200, 200]);
  assert.ok(fogShare > 0.8 && fogShare < 1, `fog cell is grey with a label (${fogShare})`);
  const snowShare = share(CORRUPTION_NAMES.indexOf('snow'), 1, [236, 200, 200]);
  assert.ok(snowShare > 0.8 && snowShare < 1, `snow cell is an error cell with a label (${snowShare})`);
});

test('a corruption refusing an image (image-too-small) is reported with the file and the image index', () => {
  const batch = { file: '/data/tiny.npy', format: 'npy' as const, channelAxis: false, images: [makeImage(4, 4, 1), makeImage(4, 4, 1)] };
  const apply = (image: Image, _n: string, _s: number, _p: string, _seed: number, id: number) => {
    if (id === 1) throw new InputError('the image is 4x4, glass_blur needs at least 6x6', { kind: 'config', code: 'image-too-small', fix: 'use larger images' });
    return image;
  };
  assert.throws(
    () => corruptBatch(batch, 'glass_blur', 1, 'cifar', 0, apply),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.details.code, 'image-too-small');
      assert.equal(e.details.file, '/data/tiny.npy');
      assert.equal(e.details.place, 'image 1');
      assert.match(e.describe(), /tiny\.npy \(image 1\): glass_blur severity 1: the image is 4x4.*Fix: use larger images/);
      return true;
    },
  );
});

test('bad input: clear messages and exit code 2', async () => {
  const input = await writePng('ok.png', makeImage(16, 16, 3));
  const cases: { args: string[]; pattern: RegExp }[] = [
    { args: ['--corruption', 'gausian_noise', '--severity', '1', '--in', input, '--out', file('x.png')], pattern: /unknown corruption 'gausian_noise'; did you mean 'gaussian_noise'\?/ },
    { args: ['--corruption', 'blurriness', '--severity', '1', '--in', input, '--out', file('x.png')], pattern: /unknown corruption 'blurriness'; the corruptions are gaussian_noise, / },
    { args: ['--corruption', 'contrast', '--severity', '6', '--in', input, '--out', file('x.png')], pattern: /--severity must be 1, 2, 3, 4 or 5, got "6"/ },
    { args: ['--corruption', 'contrast', '--severity', 'two', '--in', input, '--out', file('x.png')], pattern: /--severity must be 1, 2, 3, 4 or 5, got "two"/ },
    { args: ['--corruption', 'contrast', '--severity', '1', '--in', input, '--out', file('x.png'), '--preset', 'mnist'], pattern: /--preset must be cifar, imagenet or auto/ },
    { args: ['--corruption', 'contrast', '--severity', '1', '--in', input, '--out', file('x.png'), '--seed', '1.5'], pattern: /--seed needs a non-negative integer/ },
    { args: ['--corruption', 'contrast', '--severity', '1', '--out', file('x.png')], pattern: /--in IN is required/ },
    { args: ['--corruption', 'contrast', '--severity', '1', '--in', input], pattern: /--out OUT is required/ },
    { args: ['--severity', '1', '--in', input, '--out', file('x.png')], pattern: /--corruption NAME is required/ },
    { args: ['--corruption', 'contrast', '--in', input, '--out', file('x.png')], pattern: /--severity S is required/ },
    { args: ['--corruption', 'contrast', '--severity', '1', '--in', input, '--out', file('x.bmp')], pattern: /unknown output extension '\.bmp'; use \.png, \.jpg, \.jpeg, \.npy/ },
    { args: ['--grid', '--in', input, '--out', file('grid.npy')], pattern: /unknown output extension '\.npy'; use \.png, \.jpg, \.jpeg$/m },
    { args: ['--grid', '--corruption', 'contrast', '--in', input, '--out', file('g.png')], pattern: /leave out --corruption and --severity/ },
    { args: ['--corruption', 'contrast', '--severity', '1', '--in', input, '--out', file('x.png'), '--bogus'], pattern: /Unknown option '--bogus'/ },
  ];
  for (const { args, pattern } of cases) {
    const { code, stderr } = await run(args);
    assert.equal(code, 2, `${args.join(' ')}: exit code`);
    assert.match(stderr, pattern, args.join(' '));
    assert.match(stderr, /Usage:\n/, 'command-line mistakes print the usage');
  }
});

test('bad input files: missing, unreadable, wrong .npy dtype or shape, a batch into one PNG: exit 2 naming the file', async () => {
  await fs.writeFile(file('fake.png'), 'this is not a png');
  await fs.writeFile(file('float.npy'), encodeNpy('f4', [2, 8, 8], new Float32Array(128)));
  await fs.writeFile(file('flat.npy'), encodeNpy('u1', [2, 64], new Uint8Array(128)));
  await fs.writeFile(file('rgba.npy'), encodeNpy('u1', [1, 4, 4, 4], new Uint8Array(64)));
  await fs.writeFile(file('empty.npy'), encodeNpy('u1', [0, 8, 8], new Uint8Array(0)));
  await fs.writeFile(file('junk.npy'), 'not numpy');
  await fs.writeFile(file('two.npy'), encodeNpy('u1', [2, 8, 8], new Uint8Array(128)));
  const cases: { input: string; out?: string; pattern: RegExp; code?: string }[] = [
    { input: file('missing.png'), pattern: /missing\.png.*does not exist/ },
    { input: file('fake.png'), pattern: /fake\.png.*not a readable image/ },
    { input: file('float.npy'), pattern: /float\.npy \(header\): the array in float\.npy has dtype 'f4', images must be uint8.*astype\(np\.uint8\)/ },
    { input: file('flat.npy'), pattern: /flat\.npy \(header\): .*shape \(2, 64\): expected \(N, H, W\) or \(N, H, W, C\)/ },
    { input: file('rgba.npy'), pattern: /rgba\.npy.*4 channels, expected 1 or 3/ },
    { input: file('empty.npy'), pattern: /empty\.npy.*holds no images/ },
    { input: file('junk.npy'), pattern: /junk\.npy.*not a NumPy \.npy file/ },
    { input: file('two.npy'), out: file('two.png'), pattern: /two\.npy holds 2 images; a PNG file holds one: write them to a \.npy file/ },
    { input: dir, pattern: /is a folder/ },
  ];
  for (const { input, out, pattern } of cases) {
    const { code, stderr } = await run(['--corruption', 'contrast', '--severity', '1', '--in', input, '--out', out ?? file('bad-out.npy')]);
    assert.equal(code, 2, `${input}: exit code`);
    assert.match(stderr, pattern, input);
    if (!out) assert.ok(stderr.includes(input), `the message names ${input}: ${stderr}`);
  }
  const grid = await run(['--grid', '--in', file('missing.png'), '--out', file('g.png')]);
  assert.equal(grid.code, 2);
  assert.match(grid.stderr, /missing\.png.*does not exist/);
});
