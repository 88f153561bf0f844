// Tests of the fast PNG decoder: byte for byte the same pixels as decode-image's sharp path for every colour type,
// size, filter type and accepted chunk, on the cifar-synth demo files, and undefined (so sharp decides) for
// everything it does not handle or that is malformed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { InputError } from '../../src/server/engine/errors';
import { decodeImageFile } from '../../src/server/engine/data/decode-image';
import { decodePngFast, tableCrc32 } from '../../src/server/engine/data/decode-png';

const CIFAR = path.join(__dirname, '..', '..', 'examples', 'cifar-synth', 'data', 'test');

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-decode-png-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Deterministic bytes from a seed (32-bit LCG, top byte). */
function randomBytes(count: number, seed: number): Uint8Array {
  const out = new Uint8Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** decode-image's sharp path for a file already at the right size. */
async function sharpDecode(bytes: Uint8Array, channels: number): Promise<Uint8Array> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, channels);
  return new Uint8Array(data);
}

async function sharpEncode(raw: Uint8Array, width: number, height: number, samples: 1 | 2 | 3 | 4, options: sharp.PngOptions): Promise<Buffer> {
  const image = sharp(raw, { raw: { width, height, channels: samples } });
  // Grey (with or without alpha) has to be asked for, else sharp writes sRGB.
  return (samples <= 2 ? image.toColourspace('b-w') : image).png(options).toBuffer();
}

/** Chunk types in file order and the IHDR fields of a PNG. */
function inspect(bytes: Uint8Array): { types: string[]; depth: number; colourType: number; interlace: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const types: string[] = [];
  for (let pos = 8; pos + 8 <= bytes.length; pos += 12 + view.getUint32(pos)) {
    types.push(Buffer.from(bytes.subarray(pos + 4, pos + 8)).toString('latin1'));
  }
  return { types, depth: bytes[24], colourType: bytes[25], interlace: bytes[28] };
}

// A small PNG encoder of our own, to choose each row's filter type and the chunks.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function ihdr(width: number, height: number, colourType: number, depth = 8, interlace = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = depth;
  data[9] = colourType;
  data[12] = interlace;
  return chunk('IHDR', data);
}
const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
const SAMPLES: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Scanlines of `pixels` with filter filters[y % filters.length] on row y (bytes per pixel = samples). */
function filterRows(pixels: Uint8Array, width: number, height: number, samples: number, filters: readonly number[]): Buffer {
  const stride = width * samples;
  const out = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const filter = filters[y % filters.length];
    out[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const value = pixels[y * stride + x];
      const a = x >= samples ? pixels[y * stride + x - samples] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= samples && y > 0 ? pixels[(y - 1) * stride + x - samples] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = Math.floor((a + b) / 2);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * (stride + 1) + 1 + x] = (value - predictor) & 0xff;
    }
  }
  return out;
}

interface BuildOptions {
  filters?: readonly number[];
  /** Chunks after IHDR and before IDAT. */
  before?: Buffer[];
  /** Chunks after IDAT and before IEND. */
  after?: Buffer[];
  /** Split the zlib stream over this many IDAT chunks. */
  idatChunks?: number;
}
function buildPng(pixels: Uint8Array, width: number, height: number, colourType: number, options: BuildOptions = {}): Buffer {
  const zdata = deflateSync(filterRows(pixels, width, height, SAMPLES[colourType], options.filters ?? [0]));
  const parts = options.idatChunks ?? 1;
  const idat: Buffer[] = [];
  for (let k = 0; k < parts; k++) {
    idat.push(chunk('IDAT', zdata.subarray(Math.floor((k * zdata.length) / parts), Math.floor(((k + 1) * zdata.length) / parts))));
  }
  return Buffer.concat([SIGNATURE, ihdr(width, height, colourType), ...(options.before ?? []), ...idat, ...(options.after ?? []), chunk('IEND')]);
}

/** The expected conversion, straight from the pixel values (grey repeated, alpha dropped). */
function convertDirect(pixels: Uint8Array, count: number, samples: number, channels: number): Uint8Array {
  const out = new Uint8Array(count * channels);
  for (let p = 0; p < count; p++) {
    for (let c = 0; c < channels; c++) out[p * channels + c] = pixels[p * samples + (samples <= 2 ? 0 : c)];
  }
  return out;
}

function assertBytesEqual(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  assert.ok(actual !== undefined, `${what}: the fast path declined`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  const first = actual.findIndex((v, i) => v !== expected[i]);
  assert.equal(first, -1, `${what}: first difference at byte ${first}`);
}

// Colour type, its samples per pixel, and the channels asked for.
const CASES = [
  { name: 'grey -> 1', colourType: 0, samples: 1, channels: 1 },
  { name: 'grey -> 3', colourType: 0, samples: 1, channels: 3 },
  { name: 'RGB -> 3', colourType: 2, samples: 3, channels: 3 },
  { name: 'RGBA -> 3', colourType: 6, samples: 4, channels: 3 },
  { name: 'grey+alpha -> 1', colourType: 4, samples: 2, channels: 1 },
  { name: 'grey+alpha -> 3', colourType: 4, samples: 2, channels: 3 },
] as const;
const SIZES = [
  { width: 7, height: 5 },
  { width: 32, height: 32 },
  { width: 33, height: 17 },
] as const;

describe('decodePngFast: same bytes as sharp', () => {
  for (const c of CASES) {
    for (const { width, height } of SIZES) {
      for (const adaptiveFiltering of [true, false]) {
        it(`${c.name}, ${width}x${height}, sharp-encoded, adaptiveFiltering ${adaptiveFiltering}`, async () => {
          const pixels = randomBytes(width * height * c.samples, width * 1000 + height * 10 + c.colourType);
          const png = await sharpEncode(pixels, width, height, c.samples, { adaptiveFiltering });
          const info = inspect(png);
          assert.equal(info.colourType, c.colourType, 'sharp wrote the intended colour type');
          assert.equal(info.depth, 8);
          const format = { height, width, channels: c.channels };
          const fast = decodePngFast(png, format);
          assertBytesEqual(fast, await sharpDecode(png, c.channels), 'vs sharp');
          assertBytesEqual(fast, convertDirect(pixels, width * height, c.samples, c.channels), 'vs the pixels');
        });
      }
    }
    it(`${c.name}: hand-built, every filter type on every row position, first row included`, async () => {
      const [width, height] = [11, 13];
      const pixels = randomBytes(width * height * c.samples, 77 + c.colourType);
      for (let shift = 0; shift < 5; shift++) {
        const filters = [0, 1, 2, 3, 4].map((f) => (f + shift) % 5);
        const png = buildPng(pixels, width, height, c.colourType, { filters });
        // Our encoder really wrote those filter bytes.
        const raw = inflateSync(png.subarray(33 + 8, png.length - 12 - 4));
        assert.deepEqual([0, 1, 2, 3, 4].map((y) => raw[y * (width * c.samples + 1)]), filters);
        const fast = decodePngFast(png, { height, width, channels: c.channels });
        assertBytesEqual(fast, await sharpDecode(png, c.channels), `filters ${filters.join(',')} vs sharp`);
        assertBytesEqual(fast, convertDirect(pixels, width * height, c.samples, c.channels), `filters ${filters.join(',')} vs the pixels`);
      }
    });
  }

  it('Paeth and Average on extreme values (0 and 255 next to each other)', async () => {
    const [width, height] = [16, 16];
    const pixels = randomBytes(width * height * 4, 5).map((v) => (v & 1 ? 255 : 0));
    for (const filter of [3, 4]) {
      const png = buildPng(pixels, width, height, 6, { filters: [filter] });
      assertBytesEqual(decodePngFast(png, { height, width, channels: 3 }), await sharpDecode(png, 3), `filter ${filter}`);
    }
  });

  it('grey to RGB repeats every one of the 256 grey values, as sharp does', async () => {
    const pixels = Uint8Array.from({ length: 256 }, (_, i) => i);
    const png = await sharpEncode(pixels, 16, 16, 1, {});
    const fast = decodePngFast(png, { height: 16, width: 16, channels: 3 });
    assertBytesEqual(fast, await sharpDecode(png, 3), 'vs sharp');
    assertBytesEqual(fast, convertDirect(pixels, 256, 1, 3), 'vs the pixels');
  });

  it('the zlib stream split over several IDAT chunks, with empty ones', async () => {
    const pixels = randomBytes(9 * 8 * 3, 11);
    const split = buildPng(pixels, 9, 8, 2, { filters: [1, 4], idatChunks: 3 });
    const single = buildPng(pixels, 9, 8, 2, { filters: [1, 4] });
    const idatAt = single.indexOf('IDAT') - 4;
    const emptyIdat = Buffer.concat([single.subarray(0, idatAt), chunk('IDAT'), single.subarray(idatAt)]);
    for (const file of [split, emptyIdat]) {
      assertBytesEqual(decodePngFast(file, { height: 8, width: 9, channels: 3 }), await sharpDecode(file, 3), 'vs sharp');
    }
  });

  it('ancillary chunks that do not change sharp`s pixels: gAMA, cHRM, sRGB, pHYs, sBIT, bKGD, text, tIME', async () => {
    const u32 = (...values: number[]): Buffer => {
      const out = Buffer.alloc(4 * values.length);
      values.forEach((v, i) => out.writeUInt32BE(v, 4 * i));
      return out;
    };
    const text = (s: string): Buffer => Buffer.from(s, 'latin1');
    const pixels = randomBytes(10 * 6 * 4, 3);
    const before = [
      chunk('gAMA', u32(100000)),
      chunk('cHRM', u32(20000, 20000, 70000, 20000, 10000, 80000, 5000, 1000)),
      chunk('sRGB', Uint8Array.of(1)),
      chunk('pHYs', Uint8Array.of(0, 0, 11, 19, 0, 0, 11, 19, 1)),
      chunk('sBIT', Uint8Array.of(5, 6, 5, 8)),
      chunk('bKGD', Uint8Array.of(0, 255, 0, 0, 0, 0)),
      chunk('tEXt', text('Comment\0hello')),
    ];
    const after = [
      chunk('zTXt', Buffer.concat([text('Title\0\0'), deflateSync(text('hi'))])),
      chunk('iTXt', text('Author\0\0\0en\0Author\0me')),
      chunk('tIME', Uint8Array.of(7, 232, 1, 2, 3, 4, 5)),
    ];
    const png = buildPng(pixels, 10, 6, 6, { filters: [0, 1, 2, 3, 4], before, after });
    const plain = buildPng(pixels, 10, 6, 6, { filters: [0, 1, 2, 3, 4] });
    const fast = decodePngFast(png, { height: 6, width: 10, channels: 3 });
    assertBytesEqual(fast, await sharpDecode(png, 3), 'vs sharp');
    assertBytesEqual(fast, await sharpDecode(plain, 3), 'vs sharp without the chunks');
  });

  it('every cifar-synth demo image (the same bytes from decodeImageFile as from sharp)', async () => {
    let count = 0;
    const format = { height: 32, width: 32, channels: 3 };
    for (const label of (await fs.readdir(CIFAR)).sort()) {
      for (const name of (await fs.readdir(path.join(CIFAR, label))).sort()) {
        const file = path.join(CIFAR, label, name);
        const bytes = await fs.readFile(file);
        const expected = await sharpDecode(bytes, 3);
        assertBytesEqual(decodePngFast(bytes, format), expected, name);
        const image = await decodeImageFile(file, format, { place: 'x', configPath: ['data', 'path'] });
        assertBytesEqual(image.pixels, expected, `${name} through decodeImageFile`);
        assert.equal(Object.getPrototypeOf(image.pixels), Uint8Array.prototype, 'a plain Uint8Array');
        count++;
      }
    }
    assert.equal(count, 200);
  });
});

describe('decodePngFast: undefined, so that sharp decides', () => {
  const width = 9;
  const height = 6;
  const rgb = randomBytes(width * height * 3, 99);
  const format = { height, width, channels: 3 };
  /** The fast path declines while sharp still reads the file (the case is left to sharp, not an error). */
  async function declines(png: Uint8Array, what: string, channels = 3): Promise<void> {
    assert.equal(decodePngFast(png, { height, width, channels }), undefined, what);
    await sharpDecode(png, channels);
  }

  it('palette, 16-bit and interlaced files', async () => {
    const palette = await sharp(rgb, { raw: { width, height, channels: 3 } }).png({ palette: true }).toBuffer();
    assert.equal(inspect(palette).colourType, 3);
    await declines(palette, 'palette');
    const deep = await sharp(rgb, { raw: { width, height, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    assert.equal(inspect(deep).depth, 16);
    await declines(deep, '16-bit');
    const interlaced = await sharpEncode(rgb, width, height, 3, { progressive: true });
    assert.equal(inspect(interlaced).interlace, 1);
    await declines(interlaced, 'interlaced');
  });

  it('a size differing from the format, RGB(A) asked as grey, unsupported channel counts', async () => {
    const png = buildPng(rgb, width, height, 2, { filters: [1] });
    assert.equal(decodePngFast(png, { height, width: width + 1, channels: 3 }), undefined);
    assert.equal(decodePngFast(png, { height: height - 1, width, channels: 3 }), undefined);
    await declines(png, 'RGB as grey', 1);
    await declines(buildPng(randomBytes(width * height * 4, 1), width, height, 6), 'RGBA as grey', 1);
    assert.equal(decodePngFast(png, { height, width, channels: 4 }), undefined);
    assert.equal(decodePngFast(png, { height, width, channels: 2 }), undefined);
  });

  it('PLTE, tRNS, iCCP, eXIf and unknown chunks', async () => {
    const icc = Buffer.concat([Buffer.from('sRGB\0\0', 'latin1'), deflateSync(Buffer.alloc(8))]);
    const cases: Record<string, Buffer> = {
      tRNS: chunk('tRNS', Uint8Array.of(0, 1, 0, 2, 0, 3)),
      iCCP: chunk('iCCP', icc),
      eXIf: chunk('eXIf', Buffer.from('MM\0*\0\0\0\x08\0\0', 'latin1')),
      prVt: chunk('prVt', Uint8Array.of(1)),
    };
    for (const [name, extra] of Object.entries(cases)) {
      assert.equal(decodePngFast(buildPng(rgb, width, height, 2, { before: [extra] }), format), undefined, name);
    }
    // A suggested palette in an RGB file: sharp reads it when first, but refuses it after bKGD.
    const plte = chunk('PLTE', Uint8Array.of(1, 2, 3, 4, 5, 6));
    await declines(buildPng(rgb, width, height, 2, { before: [plte] }), 'PLTE in RGB');
    const misplaced = buildPng(rgb, width, height, 2, { before: [chunk('bKGD', Uint8Array.of(0, 1, 0, 2, 0, 3)), plte] });
    assert.equal(decodePngFast(misplaced, format), undefined, 'PLTE after bKGD');
    await assert.rejects(sharpDecode(misplaced, 3), /invalid chunk position/);
  });

  it('malformed files: not a PNG, truncated, bad CRCs, bad zlib data, wrong data size, unknown filter, junk', () => {
    const good = buildPng(rgb, width, height, 2, { filters: [4] });
    assert.ok(decodePngFast(good, format), 'the unaltered file decodes');
    const idatData = good.indexOf('IDAT') + 4;
    const alter = (at: number, fixCrc: boolean): Buffer => {
      const out = Buffer.from(good);
      out[at] ^= 0x5a;
      if (fixCrc) {
        const length = out.readUInt32BE(idatData - 8);
        out.writeUInt32BE(crc32(out.subarray(idatData - 4, idatData + length)), idatData + length);
      }
      return out;
    };
    const idatLength = good.readUInt32BE(idatData - 8);
    /** A file with `idatData` as its only IDAT chunk (CRC right). */
    const withIdat = (idatData: Uint8Array): Buffer =>
      Buffer.concat([SIGNATURE, ihdr(width, height, 2), chunk('IDAT', idatData), chunk('IEND')]);
    /** Unfiltered rows, with filter type `filter` written on row 2 and `extraBytes` zeros after the image data. */
    const rows = (filter: number, extraBytes: number): Buffer => {
      const raw = Buffer.concat([filterRows(rgb, width, height, 3, [0]), Buffer.alloc(extraBytes)]);
      raw[(width * 3 + 1) * 2] = filter;
      return withIdat(deflateSync(raw));
    };
    const zlibStream = deflateSync(filterRows(rgb, width, height, 3, [0]));
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      'not a PNG': Buffer.from('this is not a PNG at all, just some text'),
      'signature only': SIGNATURE,
      'truncated in half': good.subarray(0, Math.floor(good.length / 2)),
      'no IEND': good.subarray(0, good.length - 12),
      'IDAT byte altered (CRC mismatch)': alter(idatData + 10, false),
      'zlib checksum altered (CRC fixed)': alter(idatData + idatLength - 1, true),
      'zlib stream cut short (CRC fixed)': withIdat(zlibStream.subarray(0, 40)),
      'tEXt byte altered (CRC mismatch)': (() => {
        const withText = buildPng(rgb, width, height, 2, { before: [chunk('tEXt', Buffer.from('Comment\0hello'))] });
        withText[withText.indexOf('hello')] ^= 1;
        return withText;
      })(),
      'bytes after the zlib stream (CRC fixed)': withIdat(Buffer.concat([zlibStream, Buffer.from([1, 2, 3])])),
      'filter type 5': rows(5, 0),
      'too much image data': rows(0, 1),
      'junk after IEND': Buffer.concat([good, Buffer.from('junk')]),
      'IHDR not first': Buffer.concat([SIGNATURE, chunk('tEXt', Buffer.from('a\0b')), good.subarray(8)]),
      'bit depth 16 IHDR': Buffer.concat([SIGNATURE, ihdr(width, height, 2, 16), good.subarray(33)]),
    };
    assert.ok(decodePngFast(rows(0, 0), format), 'the file of rows() itself decodes when left intact');
    for (const [name, bytes] of Object.entries(cases)) assert.equal(decodePngFast(bytes, format), undefined, name);
  });

  it('the CRC-32 computed here (Node before 20.15) equals the test\'s own and zlib\'s, on chunks of every length up to 300 and a large one', () => {
    let seed = 7;
    const bytes = Uint8Array.from({ length: 70000 }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24));
    const zlibCrc = (require('node:zlib') as { crc32?: (d: Uint8Array) => number }).crc32;
    for (const [start, end] of [...Array.from({ length: 301 }, (_, n) => [n % 13, (n % 13) + n]), [5, 70000]]) {
      const expected = crc32(bytes.subarray(start, end));
      assert.equal(tableCrc32(bytes, start, end), expected, `bytes ${start}..${end}`);
      if (zlibCrc) assert.equal(zlibCrc(bytes.subarray(start, end)) >>> 0, expected, `zlib, bytes ${start}..${end}`);
    }
  });

  it('decodeImageFile: a truncated PNG still ends in the InputError of the sharp path', async () => {
    const whole = await sharpEncode(rgb, width, height, 3, {});
    const file = path.join(root, 'cut.png');
    await fs.writeFile(file, whole.subarray(0, Math.floor(whole.length / 2)));
    await assert.rejects(decodeImageFile(file, format, { place: 'sample 0', configPath: ['data', 'path'] }), (error: unknown) => {
      assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
      assert.equal(error.details.code, 'data-image-unreadable');
      assert.equal(error.details.file, file);
      assert.match(error.message, /^cannot read the image cut\.png: /);
      assert.equal(error.details.fix, 'the file is corrupt or not really a PNG/JPEG; replace it or delete it');
      return true;
    });
  });

  it('decodeImageFile: files the fast path declines are still decoded by sharp (palette, resized)', async () => {
    const palette = path.join(root, 'palette.png');
    await sharp(rgb, { raw: { width, height, channels: 3 } }).png({ palette: true }).toFile(palette);
    const image = await decodeImageFile(palette, format, { place: 'x', configPath: ['data', 'path'] });
    assertBytesEqual(image.pixels, await sharpDecode(await fs.readFile(palette), 3), 'palette');
    const resized = await decodeImageFile(palette, { height: 4, width: 4, channels: 3 }, { place: 'x', configPath: ['data', 'path'] });
    assert.equal(resized.pixels.length, 4 * 4 * 3);
  });
});
