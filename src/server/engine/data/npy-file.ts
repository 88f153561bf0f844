// Opening a .npy file for reading in pieces: checks that the file exists and is a .npy file, reads
// only its header, and checks that the file is long enough for the data the header promises.
// Every problem becomes an InputError (kind 'data') pointing at the config key that named the file.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError, type ConfigPath } from '../errors';
import { NpyFormatError, elementCount, parseNpyHeader, type NpyDtype, type NpyHeader } from './npy';

/** An open .npy file whose header has been read and checked. The caller closes `handle`. */
export interface NpyFile {
  readonly path: string;
  readonly handle: FileHandle;
  readonly header: NpyHeader;
  /** Bytes of array data (elements x item size); the file is known to hold at least this many. */
  readonly dataBytes: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Longest header we accept; real headers are a few hundred bytes. */
const MAX_HEADER_BYTES = 1 << 20;

/** NumPy's names for the dtypes, for messages. */
export const DTYPE_NAMES: Record<NpyDtype, string> = {
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  u8: 'uint64',
  i8: 'int64',
  f4: 'float32',
  f8: 'float64',
  b1: 'bool',
};

/** Formats a shape the way NumPy prints it: (60000, 28, 28) or (10,). */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Opens `file`, reads and checks its header. `configPath` is the config key that named the file. */
export async function openNpyFile(file: string, configPath: ConfigPath): Promise<NpyFile> {
  const name = path.basename(file);
  const fail = (code: string, message: string, place: string, fix: string): InputError =>
    new InputError(message, { kind: 'data', code, file, place, configPath, fix });

  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be opened (${(error as Error).message})`;
    throw fail('data-file-missing', `the data file ${name} ${reason}`, 'file', 'check the path; it is relative to the folder of robustness.json');
  }
  try {
    const stats = await handle.stat();
    const size = stats.size;
    if (!stats.isFile()) {
      throw fail('data-not-npy', `${name} is not a file`, 'file', 'point the path at a .npy file saved with numpy.save');
    }
    const start = await readAt(handle, 0, Math.min(size, 12));
    if (start.length < 10 || MAGIC.some((b, i) => start[i] !== b)) {
      throw fail('data-not-npy', `${name} is not a NumPy .npy file (it does not start with \\x93NUMPY)`, 'header', 'save the array with numpy.save(path, array)');
    }
    const headerEnd = headerEndOf(start);
    if (headerEnd !== undefined && headerEnd > size) {
      throw fail('data-truncated', `${name} is truncated: the file ends inside its .npy header`, 'header', 'the file was cut short (an interrupted copy or save?); save it again with numpy.save');
    }
    if (headerEnd !== undefined && headerEnd > MAX_HEADER_BYTES) {
      throw fail('data-not-npy', `${name} has an implausible .npy header length (${headerEnd} bytes)`, 'header', 'save the array again with numpy.save');
    }
    let header: NpyHeader;
    try {
      header = parseNpyHeader(await readAt(handle, 0, headerEnd ?? start.length));
    } catch (error) {
      if (!(error instanceof NpyFormatError)) throw error;
      throw fail('data-npy-unsupported', `${name} cannot be read: ${error.message}`, 'header', 'save a little-endian, C-order array with numpy.save');
    }
    const dataBytes = elementCount(header.shape) * header.bytesPerItem;
    const available = size - header.dataOffset;
    if (available < dataBytes) {
      throw fail(
        'data-truncated',
        `${name} is truncated: its header promises shape ${formatShape(header.shape)} of ${DTYPE_NAMES[header.dtype]} (${dataBytes} bytes of data) but the file holds ${available} bytes`,
        'data',
        'the file was cut short (an interrupted copy or save?); save it again with numpy.save',
      );
    }
    return { path: file, handle, header, dataBytes };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads exactly `length` bytes at `position` (fewer only if the file ends first) into a new Uint8Array. */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.slice(0, filled);
}

/** Where the header ends (= where data begins), from the first 12 bytes; undefined for unknown versions. */
function headerEndOf(start: Uint8Array): number | undefined {
  const major = start[6];
  if (major === 1) return 10 + (start[8] | (start[9] << 8));
  if (major === 2 || major === 3) {
    if (start.length < 12) return Number.POSITIVE_INFINITY; // ends inside the length field
    return 12 + (start[8] | (start[9] << 8) | (start[10] << 16)) + start[11] * 2 ** 24;
  }
  return undefined; // parseNpyHeader reports the unsupported version
}
