// A labelled image data set stored as two .npy files: x (uint8 images, (N, H, W) or (N, H, W, C))
// and y (integer class ids, (N,)). Opening reads only x's header and all of y (which is small);
// images are read on demand at byte offsets, one read call per run of consecutive ids.
import * as path from 'node:path';
import { InputError } from '../errors';
import type { Image, ImageDataset, Sample } from '../types';
import { typedArrayOf, type NpyDtype } from './npy';
import { DTYPE_NAMES, formatShape, openNpyFile, readAt, type NpyFile } from './npy-file';

/** What the config expects of the data. */
export interface NpyExpectation {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classCount: number;
}

/** Largest single read, so that a long run of ids does not allocate an unbounded buffer. */
const MAX_READ_BYTES = 16 * 1024 * 1024;

const INTEGER_DTYPES: ReadonlySet<NpyDtype> = new Set<NpyDtype>(['i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8']);

const X_PATH = ['data', 'x'] as const;
const Y_PATH = ['data', 'y'] as const;

/** Opens the data set; throws an InputError (kind 'data') for anything that does not fit the config. */
export async function openNpyDataset(xPath: string, yPath: string, expected: NpyExpectation): Promise<ImageDataset> {
  const x = await openNpyFile(xPath, X_PATH);
  try {
    const count = checkImages(x, expected);
    const labels = await readClassIds(yPath, count, expected.classCount);
    return new NpyDataset(x, count, expected, labels);
  } catch (error) {
    await x.handle.close();
    throw error;
  }
}

/** Checks x's dtype and shape against the config; returns the sample count. */
function checkImages(x: NpyFile, expected: NpyExpectation): number {
  const { dtype, shape } = x.header;
  const name = path.basename(x.path);
  const fail = (code: string, message: string, fix: string): InputError =>
    new InputError(message, { kind: 'data', code, file: x.path, place: 'header', configPath: X_PATH, fix });
  const wanted =
    expected.channels === 1
      ? `(N, ${expected.height}, ${expected.width})`
      : `(N, ${expected.height}, ${expected.width}, ${expected.channels})`;

  if (dtype !== 'u1') {
    throw fail(
      'data-x-dtype',
      `${name} holds ${DTYPE_NAMES[dtype]} values, but images must be uint8`,
      'scale the pixels to 0-255 and save x.astype(np.uint8)',
    );
  }
  if (shape.length !== 3 && shape.length !== 4) {
    throw fail(
      'data-x-shape',
      `${name} has shape ${formatShape(shape)}, but images must have shape (N, height, width) or (N, height, width, channels)`,
      `save x with shape ${wanted}`,
    );
  }
  const [count, height, width] = shape;
  const channels = shape.length === 4 ? shape[3] : 1;
  if (height !== expected.height || width !== expected.width) {
    const channelsFirst = shape.length === 4 && (shape[1] === 1 || shape[1] === 3) && shape[2] === expected.height && shape[3] === expected.width;
    throw fail(
      'data-size-mismatch',
      `${name} has shape ${formatShape(shape)}, so images are ${height}x${width}, but input.size is [${expected.height}, ${expected.width}] (expected ${wanted})`,
      channelsFirst
        ? 'the array looks channels-first (N, C, H, W); save np.transpose(x, (0, 2, 3, 1))'
        : `change input.size to [${height}, ${width}], or resize the data to ${expected.height}x${expected.width}`,
    );
  }
  if (channels !== expected.channels) {
    const has = shape.length === 3 ? 'grey images (no channel axis, 1 channel)' : `${channels}-channel images`;
    const fix =
      expected.channels === 3 && channels === 1
        ? `set input.channels to 1, or save RGB images of shape ${wanted}`
        : expected.channels === 1 && channels === 3
          ? 'set input.channels to 3, or convert the images to grey'
          : channels === 4
            ? 'drop the alpha channel: save x[..., :3]'
            : `save images with ${expected.channels} channel(s), shape ${wanted}`;
    throw fail('data-channels-mismatch', `${name} has shape ${formatShape(shape)}: ${has}, but input.channels is ${expected.channels}`, fix);
  }
  if (count === 0) {
    throw fail('data-empty', `${name} holds no samples (shape ${formatShape(shape)})`, 'provide at least one sample');
  }
  return count;
}

/** Reads y whole and checks it: integers, shape (count,), each in [0, classCount). */
async function readClassIds(yPath: string, count: number, classCount: number): Promise<Int32Array> {
  const y = await openNpyFile(yPath, Y_PATH);
  const name = path.basename(yPath);
  const fail = (code: string, message: string, place: string, fix: string): InputError =>
    new InputError(message, { kind: 'data', code, file: yPath, place, configPath: Y_PATH, fix });
  try {
    const { dtype, shape, dataOffset } = y.header;
    if (!INTEGER_DTYPES.has(dtype)) {
      throw fail('data-y-dtype', `${name} holds ${DTYPE_NAMES[dtype]} values, but labels must be integers`, 'header', 'save y.astype(np.int64)');
    }
    if (shape.length !== 1) {
      throw fail('data-y-shape', `${name} has shape ${formatShape(shape)}, but labels must have shape (N,)`, 'header', `save one class id per sample with shape (${count},), e.g. y.reshape(-1)`);
    }
    if (shape[0] !== count) {
      throw fail(
        'data-count-mismatch',
        `${name} has ${shape[0]} labels but the images file has ${count} samples`,
        'header',
        'save x and y with the same number of samples, one label per image',
      );
    }
    const bytes = await readAt(y.handle, dataOffset, y.dataBytes);
    if (bytes.length < y.dataBytes) {
      throw fail('data-truncated', `${name} is truncated`, 'data', 'save it again with numpy.save');
    }
    const values = typedArrayOf(dtype, bytes);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const value = values[i];
      const n = Number(value);
      if (!(n >= 0 && n < classCount)) {
        throw fail(
          'data-label-out-of-range',
          `${name}: sample ${i} has label ${String(value)}, outside 0..${classCount - 1} (the config lists ${classCount} labels)`,
          `sample ${i}`,
          `labels must be class ids 0..${classCount - 1}, in the order of the labels list`,
        );
      }
      labels[i] = n;
    }
    return labels;
  } finally {
    await y.handle.close();
  }
}

/** Splits sorted, distinct ids into runs of consecutive ids, each at most `maxLength` long. */
export function consecutiveRuns(sortedIds: readonly number[], maxLength: number): { first: number; length: number }[] {
  const runs: { first: number; length: number }[] = [];
  for (const id of sortedIds) {
    const last = runs[runs.length - 1];
    if (last && id === last.first + last.length && last.length < maxLength) last.length++;
    else runs.push({ first: id, length: 1 });
  }
  return runs;
}

class NpyDataset implements ImageDataset {
  readonly source: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  private readonly sampleBytes: number;
  private closed = false;

  constructor(
    private readonly x: NpyFile,
    readonly count: number,
    expected: NpyExpectation,
    private readonly labels: Int32Array,
  ) {
    this.source = x.path;
    this.height = expected.height;
    this.width = expected.width;
    this.channels = expected.channels;
    this.sampleBytes = this.height * this.width * this.channels;
  }

  async read(ids: readonly number[]): Promise<Sample[]> {
    if (this.closed) throw new Error(`read from ${this.source} after close`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.count) throw new RangeError(`sample id ${id} is outside 0..${this.count - 1}`);
    }
    const sorted = [...new Set(ids)].sort((a, b) => a - b);
    const maxRun = Math.max(1, Math.floor(MAX_READ_BYTES / this.sampleBytes));
    const pixelsById = new Map<number, Uint8Array>();
    for (const run of consecutiveRuns(sorted, maxRun)) {
      const bytes = await this.readRun(run.first, run.length);
      for (let k = 0; k < run.length; k++) {
        pixelsById.set(run.first + k, bytes.slice(k * this.sampleBytes, (k + 1) * this.sampleBytes));
      }
    }
    const handedOut = new Set<number>();
    return ids.map((id) => {
      const pixels = pixelsById.get(id)!;
      // A repeated id gets its own copy, so that no two samples share pixel memory.
      const image: Image = { height: this.height, width: this.width, channels: this.channels, pixels: handedOut.has(id) ? pixels.slice() : pixels };
      handedOut.add(id);
      return { id, label: this.labels[id], image };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.x.handle.close();
  }

  private async readRun(first: number, length: number): Promise<Uint8Array> {
    const position = this.x.header.dataOffset + first * this.sampleBytes;
    const bytes = await readAt(this.x.handle, position, length * this.sampleBytes);
    if (bytes.length < length * this.sampleBytes) {
      // The file was checked when opened, so it must have been cut short since.
      throw new InputError(`${path.basename(this.source)} is truncated: sample ${first + Math.floor(bytes.length / this.sampleBytes)} is missing`, {
        kind: 'data',
        code: 'data-truncated',
        file: this.source,
        place: `sample ${first}`,
        configPath: X_PATH,
        fix: 'the file changed while it was being read; save it again with numpy.save and rerun',
      });
    }
    return bytes;
  }
}
