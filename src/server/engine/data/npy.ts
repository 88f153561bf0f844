// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
// The header is parsed separately so that large files can be read in pieces (see npy-dataset.ts).
import { promises as fs } from 'node:fs';

export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'i8' | 'u8' | 'f4' | 'f8' | 'b1';

export interface NpyHeader {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** Byte offset where the data begins. */
  readonly dataOffset: number;
  readonly bytesPerItem: number;
}

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** The values as a typed array of the matching type (BigInt64Array for 8-byte integers). */
  readonly data: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const ITEM_SIZES: Record<NpyDtype, number> = { u1: 1, i1: 1, b1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8, f4: 4, f8: 8 };

/** An error in a .npy file, with a message that names the problem and the fix. */
export class NpyFormatError extends Error {}

/** Parses the header of a .npy file from its first bytes (at least the whole header). */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyFormatError('not a NumPy .npy file (the file does not start with \\x93NUMPY); save the array with numpy.save');
  }
  const major = bytes[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = bytes[8] | (bytes[9] << 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyFormatError('truncated .npy header');
    headerLength = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 2 ** 24;
    headerStart = 12;
  } else {
    throw new NpyFormatError(`unsupported .npy format version ${major}; save with numpy.save (format 1.0-3.0)`);
  }
  if (bytes.length < headerStart + headerLength) throw new NpyFormatError('truncated .npy header');
  const text = Buffer.from(bytes.subarray(headerStart, headerStart + headerLength)).toString('latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`malformed .npy header: ${text.trim()}`);
  }
  if (fortran === 'True') {
    throw new NpyFormatError('the array is stored in Fortran order; save it with numpy.save(np.ascontiguousarray(a))');
  }
  const match = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  if (!match) throw new NpyFormatError(`unsupported .npy dtype '${descr}'; use uint8 images and integer labels`);
  const [, order, kind, size] = match;
  if (order === '>' && size !== '1') {
    throw new NpyFormatError(`big-endian dtype '${descr}' is not supported; convert with a.astype(a.dtype.newbyteorder('<'))`);
  }
  const dtype = `${kind}${size}` as NpyDtype;
  if (!(dtype in ITEM_SIZES)) throw new NpyFormatError(`unsupported .npy dtype '${descr}'; use uint8 images and integer labels`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s, 10));
  if (shape.some((d) => !Number.isFinite(d) || d < 0)) throw new NpyFormatError(`malformed .npy shape (${shapeText})`);
  return { dtype, shape, dataOffset: headerStart + headerLength, bytesPerItem: ITEM_SIZES[dtype] };
}

/** Number of elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Wraps raw little-endian bytes as a typed array of the dtype (copying so that alignment is right). */
export function typedArrayOf(dtype: NpyDtype, bytes: Uint8Array): NpyArray['data'] {
  const copy = new Uint8Array(bytes); // own, aligned buffer
  const buffer = copy.buffer;
  switch (dtype) {
    case 'u1':
    case 'b1':
      return copy;
    case 'i1':
      return new Int8Array(buffer);
    case 'u2':
      return new Uint16Array(buffer);
    case 'i2':
      return new Int16Array(buffer);
    case 'u4':
      return new Uint32Array(buffer);
    case 'i4':
      return new Int32Array(buffer);
    case 'u8':
      return new BigUint64Array(buffer);
    case 'i8':
      return new BigInt64Array(buffer);
    case 'f4':
      return new Float32Array(buffer);
    case 'f8':
      return new Float64Array(buffer);
  }
}

/** Parses a whole .npy file held in memory. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const header = parseNpyHeader(bytes);
  const expected = elementCount(header.shape) * header.bytesPerItem;
  const available = bytes.length - header.dataOffset;
  if (available < expected) {
    throw new NpyFormatError(`the .npy file is truncated: the header promises ${expected} bytes of data, the file holds ${available}`);
  }
  return {
    dtype: header.dtype,
    shape: header.shape,
    data: typedArrayOf(header.dtype, bytes.subarray(header.dataOffset, header.dataOffset + expected)),
  };
}

/** Reads a whole .npy file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await fs.readFile(path));
}

/** Encodes an array as a .npy file (format 1.0). */
export function encodeNpy(dtype: NpyDtype, shape: readonly number[], data: ArrayBufferView): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype === 'u1' || dtype === 'i1' || dtype === 'b1' ? '|' : '<'}${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
