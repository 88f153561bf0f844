// Tests of the .npy data set loader: shapes, on-demand reads, and every error it reports.
import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../src/server/engine/errors';
import { consecutiveRuns, openNpyDataset } from '../../src/server/engine/data/npy-dataset';
import { encodeNpy, type NpyDtype } from '../../src/server/engine/data/npy';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-data-npy-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A recognisable pixel value for sample `id`, byte `k` within the sample. */
const pixel = (id: number, k: number): number => (id * 37 + k * 11) % 256;

function images(count: number, sampleBytes: number): Uint8Array {
  const data = new Uint8Array(count * sampleBytes);
  for (let id = 0; id < count; id++) for (let k = 0; k < sampleBytes; k++) data[id * sampleBytes + k] = pixel(id, k);
  return data;
}

let fileCounter = 0;
async function writeFile(name: string, bytes: Uint8Array | string): Promise<string> {
  const file = path.join(dir, `${fileCounter++}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

async function writeNpy(name: string, dtype: NpyDtype, shape: number[], data: ArrayBufferView): Promise<string> {
  return writeFile(name, encodeNpy(dtype, shape, data));
}

/** A valid pair: x (count, 4, 3[, channels]) uint8, y = id % classes as uint8. */
async function writePair(count: number, options: { channels?: number; channelAxis?: boolean; classes?: number } = {}) {
  const channels = options.channels ?? 1;
  const shape = options.channelAxis || channels !== 1 ? [count, 4, 3, channels] : [count, 4, 3];
  const x = await writeNpy('x.npy', 'u1', shape, images(count, 12 * channels));
  const y = await writeNpy('y.npy', 'u1', [count], Uint8Array.from({ length: count }, (_, i) => i % (options.classes ?? 3)));
  return { x, y };
}

const GREY = { height: 4, width: 3, channels: 1, classCount: 3 };
const RGB = { height: 4, width: 3, channels: 3, classCount: 3 };

/** Asserts that `promise` rejects with a data InputError of `code` about `file` whose message names the file. */
async function rejectsWithDataError(promise: Promise<unknown>, code: string, file: string, configPath: string[], extra?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.details.code, code, error.message);
    assert.equal(error.details.kind, 'data');
    assert.equal(error.details.file, file);
    assert.deepEqual(error.details.configPath, configPath);
    assert.ok(error.details.fix && error.details.fix.length > 0, 'has a fix');
    assert.ok(error.details.place, 'has a place');
    assert.ok(error.message.includes(path.basename(file)), `message names the file: ${error.message}`);
    if (extra) assert.match(`${error.message} ${error.details.fix}`, extra);
    return true;
  });
}

/** The prototype of fs.promises FileHandle, to spy on its read method. */
async function fileHandlePrototype(): Promise<{ read: (...args: unknown[]) => unknown }> {
  const probe = await fs.open(__filename, 'r');
  await probe.close();
  return Object.getPrototypeOf(probe);
}

describe('openNpyDataset: reading', () => {
  it('reads grey images of shape (N, H, W) with their labels', async () => {
    const { x, y } = await writePair(5);
    const ds = await openNpyDataset(x, y, GREY);
    try {
      assert.equal(ds.source, x);
      assert.deepEqual([ds.count, ds.height, ds.width, ds.channels], [5, 4, 3, 1]);
      const [s] = await ds.read([3]);
      assert.equal(s.id, 3);
      assert.equal(s.label, 0);
      assert.deepEqual([s.image.height, s.image.width, s.image.channels], [4, 3, 1]);
      assert.deepEqual([...s.image.pixels], Array.from({ length: 12 }, (_, k) => pixel(3, k)));
    } finally {
      await ds.close();
    }
  });

  it('accepts grey images with a channel axis (N, H, W, 1)', async () => {
    const { x, y } = await writePair(2, { channelAxis: true });
    const ds = await openNpyDataset(x, y, GREY);
    const [s] = await ds.read([1]);
    assert.deepEqual([...s.image.pixels], Array.from({ length: 12 }, (_, k) => pixel(1, k)));
    await ds.close();
  });

  it('reads RGB images of shape (N, H, W, 3) in HWC order', async () => {
    const { x, y } = await writePair(4, { channels: 3 });
    const ds = await openNpyDataset(x, y, RGB);
    const [s] = await ds.read([2]);
    assert.equal(s.image.channels, 3);
    assert.equal(s.image.pixels.length, 36);
    assert.deepEqual([...s.image.pixels], Array.from({ length: 36 }, (_, k) => pixel(2, k)));
    await ds.close();
  });

  it('returns samples in the order asked, for out-of-order, non-contiguous and repeated ids', async () => {
    const { x, y } = await writePair(10);
    const ds = await openNpyDataset(x, y, GREY);
    const ids = [7, 0, 3, 9, 2, 3];
    const samples = await ds.read(ids);
    assert.deepEqual(samples.map((s) => s.id), ids);
    assert.deepEqual(samples.map((s) => s.label), ids.map((id) => id % 3));
    for (const s of samples) assert.deepEqual([...s.image.pixels], Array.from({ length: 12 }, (_, k) => pixel(s.id, k)));
    assert.notEqual(samples[2].image.pixels, samples[5].image.pixels, 'a repeated id gets its own pixels');
    assert.deepEqual(await ds.read([]), []);
    await ds.close();
  });

  it('reads labels of every integer dtype', async () => {
    const labels = [2, 0, 1];
    const arrays: [NpyDtype, ArrayBufferView][] = [
      ['i1', Int8Array.from(labels)],
      ['u1', Uint8Array.from(labels)],
      ['i2', Int16Array.from(labels)],
      ['u2', Uint16Array.from(labels)],
      ['i4', Int32Array.from(labels)],
      ['u4', Uint32Array.from(labels)],
      ['i8', BigInt64Array.from(labels.map(BigInt))],
      ['u8', BigUint64Array.from(labels.map(BigInt))],
    ];
    const x = await writeNpy('x.npy', 'u1', [3, 4, 3], images(3, 12));
    for (const [dtype, data] of arrays) {
      const y = await writeNpy(`y-${dtype}.npy`, dtype, [3], data);
      const ds = await openNpyDataset(x, y, GREY);
      assert.deepEqual((await ds.read([0, 1, 2])).map((s) => s.label), labels, dtype);
      await ds.close();
    }
  });

  it('reads each run of consecutive ids with one read call', async () => {
    const { x, y } = await writePair(10);
    const ds = await openNpyDataset(x, y, GREY);
    const spy = mock.method(await fileHandlePrototype(), 'read');
    try {
      await ds.read([3, 4, 5, 6]);
      assert.equal(spy.mock.callCount(), 1);
      spy.mock.resetCalls();
      await ds.read([6, 1, 5, 2, 9]); // runs 1-2, 5-6, 9
      assert.equal(spy.mock.callCount(), 3);
    } finally {
      spy.mock.restore();
      await ds.close();
    }
  });

  it('groups sorted ids into consecutive runs of bounded length', () => {
    assert.deepEqual(consecutiveRuns([1, 2, 3, 7, 9, 10], 10), [
      { first: 1, length: 3 },
      { first: 7, length: 1 },
      { first: 9, length: 2 },
    ]);
    assert.deepEqual(consecutiveRuns([0, 1, 2, 3, 4], 2), [
      { first: 0, length: 2 },
      { first: 2, length: 2 },
      { first: 4, length: 1 },
    ]);
    assert.deepEqual(consecutiveRuns([], 4), []);
  });

  it('does not read the whole x file: opening reads the header and y only, read() only the samples asked', async () => {
    const count = 20000;
    const sampleBytes = 28 * 28;
    const header = encodeNpy('u1', [count, 28, 28], new Uint8Array(0)); // header only
    const x = path.join(dir, 'big-x.npy');
    await fs.writeFile(x, header);
    await fs.truncate(x, header.length + count * sampleBytes); // a sparse file of zeros
    const last = Uint8Array.from({ length: sampleBytes }, (_, k) => pixel(count - 1, k));
    const handle = await fs.open(x, 'r+');
    await handle.write(last, 0, sampleBytes, header.length + (count - 1) * sampleBytes);
    await handle.close();
    const y = await writeNpy('big-y.npy', 'u2', [count], Uint16Array.from({ length: count }, (_, i) => i % 10));

    const readSpy = mock.method(await fileHandlePrototype(), 'read');
    const readFileSpy = mock.method(fs, 'readFile');
    const requested = (): number => readSpy.mock.calls.reduce((sum, call) => sum + (call.arguments[2] as number), 0);
    try {
      const ds = await openNpyDataset(x, y, { height: 28, width: 28, channels: 1, classCount: 10 });
      const afterOpen = requested();
      assert.ok(afterOpen < 64 * 1024, `opening read ${afterOpen} bytes`);
      const samples = await ds.read([count - 1, 5000, 0]);
      const afterRead = requested();
      assert.ok(afterRead - afterOpen <= 3 * sampleBytes, `read() read ${afterRead - afterOpen} bytes for 3 samples`);
      assert.deepEqual([...samples[0].image.pixels], [...last]);
      assert.equal(samples[0].label, (count - 1) % 10);
      assert.ok(samples[1].image.pixels.every((v) => v === 0));
      assert.ok(!readFileSpy.mock.calls.some((call) => String(call.arguments[0]) === x), 'x is never read whole');
      await ds.close();
    } finally {
      readSpy.mock.restore();
      readFileSpy.mock.restore();
    }
  });

  it('rejects reads after close and ids outside the data set', async () => {
    const { x, y } = await writePair(3);
    const ds = await openNpyDataset(x, y, GREY);
    await assert.rejects(ds.read([3]), RangeError);
    await assert.rejects(ds.read([-1]), RangeError);
    await assert.rejects(ds.read([0.5]), RangeError);
    await ds.close();
    await ds.close(); // closing twice is harmless
    await assert.rejects(ds.read([0]), /after close/);
  });
});

describe('openNpyDataset: errors', () => {
  const X = ['data', 'x'];
  const Y = ['data', 'y'];

  it('x missing', async () => {
    const { y } = await writePair(2);
    const x = path.join(dir, 'no-such-x.npy');
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-file-missing', x, X, /relative to the folder of robustness\.json/);
  });

  it('y missing', async () => {
    const { x } = await writePair(2);
    const y = path.join(dir, 'no-such-y.npy');
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-file-missing', y, Y, /robustness\.json/);
  });

  it('x is not an npy file', async () => {
    const { y } = await writePair(2);
    const x = await writeFile('x.npy', 'label,pixels\n1,2,3\n');
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-not-npy', x, X, /numpy\.save/);
  });

  it('x is an empty file', async () => {
    const { y } = await writePair(2);
    const x = await writeFile('x.npy', '');
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-not-npy', x, X);
  });

  it('y is not an npy file', async () => {
    const { x } = await writePair(2);
    const y = await writeFile('y.npy', 'PK\u0003\u0004 a zip archive (np.savez) is not .npy');
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-not-npy', y, Y);
  });

  it('x in Fortran order is unsupported', async () => {
    const { y } = await writePair(2);
    const bytes = encodeNpy('u1', [2, 4, 3], images(2, 12));
    const text = Buffer.from(bytes).toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
    const x = await writeFile('x.npy', Buffer.from(text, 'latin1'));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-npy-unsupported', x, X, /Fortran/);
  });

  it('x not uint8', async () => {
    const { y } = await writePair(2);
    const x = await writeNpy('x.npy', 'f4', [2, 4, 3], new Float32Array(24));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-x-dtype', x, X, /float32.*astype\(np\.uint8\)/s);
  });

  it('x of the wrong rank', async () => {
    const { y } = await writePair(2);
    const x = await writeNpy('x.npy', 'u1', [2, 12], images(2, 12));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-x-shape', x, X, /\(2, 12\)/);
    const x5 = await writeNpy('x.npy', 'u1', [2, 4, 3, 1, 1], images(2, 12));
    await rejectsWithDataError(openNpyDataset(x5, y, GREY), 'data-x-shape', x5, X);
  });

  it('x height/width different from input.size names both shapes', async () => {
    const { y } = await writePair(2);
    const x = await writeNpy('x.npy', 'u1', [2, 5, 3], images(2, 15));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-size-mismatch', x, X, /\(2, 5, 3\).*\[4, 3\].*input\.size.*resize/s);
  });

  it('x stored channels-first gets a transpose hint', async () => {
    const { y } = await writePair(2);
    const x = await writeNpy('x.npy', 'u1', [2, 3, 4, 3], images(2, 36));
    await rejectsWithDataError(openNpyDataset(x, y, RGB), 'data-size-mismatch', x, X, /transpose/);
  });

  it('grey x (N, H, W) but input.channels 3', async () => {
    const { x, y } = await writePair(2);
    await rejectsWithDataError(openNpyDataset(x, y, RGB), 'data-channels-mismatch', x, X, /grey.*input\.channels is 3/s);
  });

  it('RGB x (N, H, W, 3) but input.channels 1', async () => {
    const { x, y } = await writePair(2, { channels: 3 });
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-channels-mismatch', x, X, /\(2, 4, 3, 3\).*input\.channels is 1/s);
  });

  it('y not integer', async () => {
    const { x } = await writePair(2);
    const y = await writeNpy('y.npy', 'f8', [2], new Float64Array([0, 1]));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-y-dtype', y, Y, /float64/);
  });

  it('y of shape other than (N,)', async () => {
    const { x } = await writePair(2);
    const y = await writeNpy('y.npy', 'u1', [2, 1], new Uint8Array([0, 1]));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-y-shape', y, Y, /\(2, 1\)/);
  });

  it('y count different from x', async () => {
    const { x } = await writePair(3);
    const y = await writeNpy('y.npy', 'u1', [2], new Uint8Array([0, 1]));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-count-mismatch', y, Y, /2 labels.*3 samples/);
  });

  it('a label out of range names the first offending sample and value', async () => {
    const { x } = await writePair(4);
    const y = await writeNpy('y.npy', 'i4', [4], Int32Array.from([0, 2, 3, 7]));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-label-out-of-range', y, Y, /sample 2 has label 3.*0\.\.2/s);
    const negative = await writeNpy('y.npy', 'i8', [4], BigInt64Array.from([0n, -1n, 1n, 2n]));
    await rejectsWithDataError(openNpyDataset(x, negative, GREY), 'data-label-out-of-range', negative, Y, /sample 1 has label -1/);
  });

  it('an empty data set (N = 0)', async () => {
    const x = await writeNpy('x.npy', 'u1', [0, 4, 3], new Uint8Array(0));
    const y = await writeNpy('y.npy', 'u1', [0], new Uint8Array(0));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-empty', x, X, /at least one sample/);
  });

  it('x truncated', async () => {
    const { y } = await writePair(3);
    const full = encodeNpy('u1', [3, 4, 3], images(3, 12));
    const x = await writeFile('x.npy', full.subarray(0, full.length - 5));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-truncated', x, X, /truncated/);
  });

  it('x truncated inside its header', async () => {
    const { y } = await writePair(3);
    const full = encodeNpy('u1', [3, 4, 3], images(3, 12));
    const x = await writeFile('x.npy', full.subarray(0, 40));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-truncated', x, X);
  });

  it('y truncated', async () => {
    const { x } = await writePair(3);
    const full = encodeNpy('i4', [3], Int32Array.from([0, 1, 2]));
    const y = await writeFile('y.npy', full.subarray(0, full.length - 2));
    await rejectsWithDataError(openNpyDataset(x, y, GREY), 'data-truncated', y, Y);
  });

  it('x cut short after opening is reported when read', async () => {
    const { x, y } = await writePair(3);
    const ds = await openNpyDataset(x, y, GREY);
    const stat = await fs.stat(x);
    await fs.truncate(x, stat.size - 12);
    await rejectsWithDataError(ds.read([0, 1, 2]), 'data-truncated', x, X);
    await ds.close();
  });
});
