// Fast, exact decoding of plain 8-bit PNGs in TypeScript, written from the PNG specification, so that small
// images (e.g. 32x32) skip sharp's per-call overhead. It gives byte for byte what decode-image's sharp path gives
// (removeAlpha().toColourspace(...).raw()), and only for the cases where that is certain:
//  - bit depth 8, not interlaced, colour type grey (0), RGB (2), grey+alpha (4) or RGBA (6);
//  - the file's size equals the pixel format (no resizing);
//  - grey -> 1 or 3 channels (the grey value repeated), RGB -> 3, alpha dropped as stored; RGB -> grey is left
//    to sharp (libvips' luminance);
//  - every chunk's CRC is right, the zlib stream inflates to exactly the image data with nothing left over, and
//    there is no PLTE, tRNS, iCCP or other chunk outside a short list known not to change sharp's output.
// Anything else gives undefined (never an exception) and the caller decodes with sharp, which also reports errors.
import * as zlib from 'node:zlib';
import { inflateSync, type ZlibOptions } from 'node:zlib';
import type { PixelFormat } from './decode-image';

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** True when `bytes` start with the 8-byte PNG signature. */
export function hasPngSignature(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE.length) return false;
  for (let i = 0; i < SIGNATURE.length; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

/** The 4 ASCII letters of a chunk type as the big-endian uint32 found in the file. */
function chunkType(name: string): number {
  return ((name.charCodeAt(0) << 24) | (name.charCodeAt(1) << 16) | (name.charCodeAt(2) << 8) | name.charCodeAt(3)) >>> 0;
}

const IHDR = chunkType('IHDR');
const IDAT = chunkType('IDAT');
const IEND = chunkType('IEND');
// Ancillary chunks checked not to change sharp's output (sharp 0.34 / libvips 8.17, any position, odd values too):
// gamma, chromaticities, rendering intent, density, significant bits, background, text and time are not applied on
// load. iCCP, tRNS, eXIf, cICP and unknown chunks are not in the list: they can (or could one day) change pixels.
const KNOWN_ANCILLARY = new Set(['gAMA', 'cHRM', 'sRGB', 'pHYs', 'sBIT', 'bKGD', 'tEXt', 'zTXt', 'iTXt', 'tIME'].map(chunkType));

/** Samples per pixel of the accepted colour types. */
const SAMPLES: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** sharp's default limitInputPixels (0x3FFF * 0x3FFF): larger files are left to sharp, which refuses them. */
const MAX_PIXELS = 0x3fff * 0x3fff;

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** zlib's CRC-32 (Node >= 20.15): the same value, 5-10x faster than the table loop (0.8 against 7.5 us on a 3 KB chunk). */
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (ISO 3309, as in PNG chunks) of bytes[start, end). */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (zlibCrc32) return zlibCrc32(bytes.subarray(start, end)) >>> 0;
  return tableCrc32(bytes, start, end);
}

/** crc32 computed here, byte by byte (Node before 20.15 has no zlib.crc32). */
export function tableCrc32(bytes: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Decodes a PNG into HWC uint8 pixels of `format` (height * width * channels bytes), or returns undefined when the
 * file is not one of the plain cases above or is malformed in any way.
 */
export function decodePngFast(bytes: Uint8Array, format: PixelFormat): Uint8Array | undefined {
  try {
    return decode(bytes, format);
  } catch {
    return undefined;
  }
}

function decode(bytes: Uint8Array, format: PixelFormat): Uint8Array | undefined {
  if (!hasPngSignature(bytes)) return undefined;
  if (format.channels !== 1 && format.channels !== 3) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;

  let width = 0;
  let height = 0;
  let samples = 0;
  const idat: Uint8Array[] = [];
  let idatState = 0; // 0: none yet, 1: in the run of IDAT chunks, 2: after it
  let ended = false;
  let pos = SIGNATURE.length;
  while (pos < end) {
    if (pos + 12 > end) return undefined;
    const length = view.getUint32(pos);
    const type = view.getUint32(pos + 4);
    const dataStart = pos + 8;
    const dataEnd = dataStart + length;
    if (length > 0x7fffffff || dataEnd + 4 > end) return undefined;
    if (crc32(bytes, pos + 4, dataEnd) !== view.getUint32(dataEnd)) return undefined;
    const first = pos === SIGNATURE.length;
    pos = dataEnd + 4;

    if (first) {
      if (type !== IHDR || length !== 13) return undefined;
      width = view.getUint32(dataStart);
      height = view.getUint32(dataStart + 4);
      const depth = bytes[dataStart + 8];
      const colourType = bytes[dataStart + 9];
      samples = SAMPLES[colourType] ?? 0;
      // Compression method, filter method and interlace method all 0.
      if (samples === 0 || depth !== 8 || bytes[dataStart + 10] !== 0 || bytes[dataStart + 11] !== 0 || bytes[dataStart + 12] !== 0) {
        return undefined;
      }
      if (width !== format.width || height !== format.height || width === 0 || height === 0) return undefined;
      if (width > 0x7fffffff || height > 0x7fffffff || width * height > MAX_PIXELS) return undefined;
      // RGB to grey is libvips' own luminance: left to sharp.
      if (format.channels === 1 && samples >= 3) return undefined;
      continue;
    }
    if (type === IDAT) {
      if (idatState === 2) return undefined;
      idatState = 1;
      if (length > 0) idat.push(bytes.subarray(dataStart, dataEnd));
      continue;
    }
    if (idatState === 1) idatState = 2;
    if (type === IEND) {
      if (length !== 0 || pos !== end) return undefined;
      ended = true;
      break;
    }
    // Anything else, PLTE included: sharp rejects a suggested palette of an RGB(A) file in some positions (e.g.
    // after bKGD: "invalid chunk position"), so PLTE is left to sharp.
    if (!KNOWN_ANCILLARY.has(type)) return undefined;
  }
  if (!ended || idat.length === 0) return undefined;

  const stride = width * samples;
  const rawLength = height * (stride + 1);
  const compressed = idat.length === 1 ? idat[0] : Buffer.concat(idat);
  const options: ZlibOptions = { info: true, maxOutputLength: rawLength, chunkSize: Math.max(64, rawLength + 1) };
  const inflated = inflateSync(compressed, options) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  const raw = inflated.buffer;
  // Exactly the image data, and the zlib stream uses all of the IDAT bytes.
  if (raw.length !== rawLength || inflated.engine.bytesWritten !== compressed.length) return undefined;
  if (!unfilter(raw, height, stride, samples)) return undefined;
  return convert(raw, width, height, samples, format.channels);
}

/** Reverses the per-row filters in place (bytes per pixel = samples at depth 8); false on an unknown filter type. */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): boolean {
  const rowBytes = stride + 1;
  for (let y = 0; y < height; y++) {
    const start = y * rowBytes + 1;
    const stop = start + stride;
    const filter = raw[start - 1];
    // Uint8Array stores wrap modulo 256, as the filters require.
    if (filter === 0) continue;
    if (filter === 1 || (filter === 4 && y === 0)) {
      // Sub; Paeth on the first row (above = 0) reduces to Sub.
      for (let i = start + bpp; i < stop; i++) raw[i] += raw[i - bpp];
    } else if (filter === 2) {
      if (y > 0) for (let i = start; i < stop; i++) raw[i] += raw[i - rowBytes];
    } else if (filter === 3) {
      if (y === 0) {
        for (let i = start + bpp; i < stop; i++) raw[i] += raw[i - bpp] >> 1;
      } else {
        for (let i = start; i < start + bpp; i++) raw[i] += raw[i - rowBytes] >> 1;
        for (let i = start + bpp; i < stop; i++) raw[i] += (raw[i - bpp] + raw[i - rowBytes]) >> 1;
      }
    } else if (filter === 4) {
      // Paeth with left = 0 and upper left = 0 on the first pixel predicts the byte above.
      for (let i = start; i < start + bpp; i++) raw[i] += raw[i - rowBytes];
      for (let i = start + bpp; i < stop; i++) {
        const a = raw[i - bpp];
        const b = raw[i - rowBytes];
        const c = raw[i - rowBytes - bpp];
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        // Without branches (much faster here): a if pa <= pb and pa <= pc, else b if pb <= pc, else c.
        const notA = ((pb - pa) | (pc - pa)) >> 31;
        const notB = (pc - pb) >> 31;
        raw[i] += a ^ ((a ^ (b ^ ((b ^ c) & notB))) & notA);
      }
    } else {
      return false;
    }
  }
  return true;
}

/** Copies the unfiltered rows (each after its filter byte) into a fresh HWC array of `channels` per pixel. */
function convert(raw: Uint8Array, width: number, height: number, samples: number, channels: number): Uint8Array {
  const out = new Uint8Array(height * width * channels);
  const rowBytes = width * samples + 1;
  if (samples === channels) {
    // grey -> grey, RGB -> RGB.
    const stride = width * samples;
    for (let y = 0; y < height; y++) out.set(raw.subarray(y * rowBytes + 1, y * rowBytes + 1 + stride), y * stride);
    return out;
  }
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = y * rowBytes + 1;
    const stop = i + width * samples;
    if (channels === 1) {
      // grey+alpha -> grey.
      for (; i < stop; i += 2) out[o++] = raw[i];
    } else if (samples <= 2) {
      // grey or grey+alpha -> RGB: the grey value repeated.
      for (; i < stop; i += samples) {
        const v = raw[i];
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
        o += 3;
      }
    } else {
      // RGBA -> RGB.
      for (; i < stop; i += 4) {
        out[o] = raw[i];
        out[o + 1] = raw[i + 1];
        out[o + 2] = raw[i + 2];
        o += 3;
      }
    }
  }
  return out;
}
