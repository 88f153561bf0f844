// Corrupts batches of images in parallel: a small pool of worker threads (corruption-worker.ts) plus the calling
// thread, which helps with queued work whenever it would otherwise wait. `corruptBatch` is the one way the
// evaluation loop corrupts a batch.
//
// - A batch is split into a few tasks (contiguous chunks, about two per thread). The batch is posted to every
//   worker at once (one message per batch, not per task), and each task is run by whoever claims it first: a
//   claim is an atomic swap in a small SharedArrayBuffer of claim slots, so a worker takes its next task straight
//   from its port without waiting for this thread (which is often busy for milliseconds in a synchronous
//   inference), and a worker that finds a task taken skips it. A worker answers once per batch, for the tasks
//   it ran. This thread claims open tasks too, oldest first, whenever it would otherwise wait (`help()`). A
//   pool of size 0 has no threads at all: everything runs through `help()` (the evaluation loop's in-thread mode).
// - Source pixels go to the workers in one SharedArrayBuffer per batch (`shareImages`): every worker and every
//   condition of the batch reads the same memory, nothing is copied per task. Corrupted images come back packed
//   in a SharedArrayBuffer (the caller's reusable `out` buffer when it gives one, else one per task), never
//   transferred: a transfer detaches a buffer, which makes V8 guard every typed-array access of that thread from
//   then on (1.7x slower loops). (One buffer per message: posting 64 typed arrays costs ~20x more.) Small images
//   can come back preprocessed for the model too (`rows`), so that the inference thread only copies them.
// - Each image is corrupted by applyCorruption seeded by (run seed, corruption, severity, sample id), so the
//   output is byte-identical whatever the chunking, the worker count, who ran a task, or the batch size.
// - The workers also read and decode image files for the data sets (`decodeFiles`: an image folder's plain PNGs),
//   so that the thread that runs inference does not.
// - Errors thrown in a worker come back as the same error (an InputError keeps kind, code, file, place,
//   configPath and fix). A worker that dies rejects every unfinished task; the pool then refuses new work.
// - An aborted signal withdraws that call's open tasks and rejects them with RunCancelled at once; `terminate()`
//   rejects every unfinished task and stops the threads. Idle workers are unref'd, so a pool that someone forgot
//   to close cannot keep the process alive.
//
// The worker entry: next to the running bundle (dist/server.js and dist/cli.js start dist/corruption-worker.js);
// when this file runs as TypeScript source (tests and benchmarks under tsx), the worker is the .ts source, loaded
// through tsx's require hook in an eval'd bootstrap (a .ts file cannot be a worker entry on Node 20).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { applyCorruption } from '../perturb/image/registry';
import type { Image } from '../types';
import { RunCancelled } from './cancelled';
import { fillRows, fromWireError, packImages, unpackImages, type CorruptionJob, type CorruptionWorkerData, type CorruptRequest, type DecodeRequest, type PackedImages, type RowsTarget, type WorkerReply } from './corruption-protocol';
import type { InputSpec } from '../config/config';
import type { PixelFormat } from '../data/decode-image';

export type { CorruptionJob } from './corruption-protocol';

/** How to start a worker: a script file, or bootstrap code to eval. */
export type WorkerEntry = { readonly file: string } | { readonly code: string };

export interface PoolOptions {
  /** The worker script (default: see `defaultWorkerEntry`). */
  readonly entry?: WorkerEntry;
}

export interface CorruptOptions {
  readonly signal?: AbortSignal;
  /** Let this thread run queued tasks while it waits (default true). False leaves all the work to the workers. */
  readonly help?: boolean;
}

/** The default pool size: one fewer than the cores (the main thread runs inference), at most 4, at least 1. */
export function defaultWorkerCount(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores - 1, 4));
}

let entryOverride: WorkerEntry | undefined;

/**
 * Makes pools created without an explicit entry start this one (undefined: back to the default). For benchmarks
 * that run from source but want the built worker, as the CLI runs it.
 */
export function setDefaultWorkerEntry(entry: WorkerEntry | undefined): void {
  entryOverride = entry;
}

/** Where the worker is: next to the bundle, or the TypeScript source under tsx; undefined when neither is there. */
export function defaultWorkerEntry(): WorkerEntry | undefined {
  if (entryOverride) return entryOverride;
  if (__filename.endsWith('.ts')) {
    const source = path.join(__dirname, 'corruption-worker.ts');
    let tsx: string;
    try {
      // Kept out of the bundler's sight: only ever needed when running from source.
      tsx = require.resolve(['tsx', 'cjs'].join('/'));
    } catch {
      return undefined;
    }
    if (!fs.existsSync(source)) return undefined;
    return { code: `require(${JSON.stringify(tsx)});\nrequire(${JSON.stringify(source)});\n` };
  }
  const built = path.join(__dirname, 'corruption-worker.js');
  return fs.existsSync(built) ? { file: built } : undefined;
}

/** One `schedule` call: its tasks' results, and its promise's resolve / reject (one promise per call). */
interface Scheduled {
  /** Per task, its corrupted images once it has run. */
  readonly parts: Image[][];
  remaining: number;
  settled: boolean;
  readonly resolve: (images: Image[]) => void;
  readonly reject: (error: Error) => void;
}

/** A `decodeFiles` call waiting for its worker. */
interface Decoding {
  readonly count: number;
  readonly format: PixelFormat;
  readonly out: SharedArrayBuffer;
  readonly resolve: (images: (Image | undefined)[]) => void;
  readonly reject: (error: Error) => void;
}

interface Task {
  readonly id: number;
  readonly job: CorruptionJob;
  readonly sampleIds: readonly number[];
  /** The source images: packed (shared with the workers), or as given when the pool has no workers. */
  readonly packed: PackedImages | undefined;
  readonly images: readonly Image[] | undefined;
  /** Where its corrupted images go preprocessed, when asked. */
  readonly rows: RowsTarget | undefined;
  /** Its call, and its place among the call's tasks. */
  readonly call: Scheduled;
  readonly index: number;
  settled: boolean;
}

/**
 * Claim slots shared by the pool's threads: the slot of task `id` is `id % CLAIM_SLOTS` and holds `id` while the
 * task is open; the first thread to swap it to 0 (Atomics.compareExchange) runs the task. Far more slots than
 * tasks are ever open at once (a slot still holding an open task is never reused: see `newTaskId`).
 */
const CLAIM_SLOTS = 1 << 14;

export class CorruptionPool {
  private readonly workers: Worker[] = [];
  private readonly claims: Int32Array;
  /** Tasks not settled yet, by id. */
  private readonly pending = new Map<number, Task>();
  /** decodeFiles calls not answered yet, by id; and the worker that gets the next one. */
  private readonly decodings = new Map<number, Decoding>();
  private nextDecodeId = 1;
  private nextDecodeWorker = 0;
  /** Whether the workers are referenced (kept alive): while work is in flight. */
  private referenced = false;
  /** Tasks that may still be open, oldest first (`head` is the index of the oldest): what `help()` claims from. */
  private queued: Task[] = [];
  private head = 0;
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  private constructor(readonly size: number, entry: WorkerEntry | undefined) {
    this.claims = new Int32Array(size > 0 ? new SharedArrayBuffer(4 * CLAIM_SLOTS) : new ArrayBuffer(4 * CLAIM_SLOTS));
    for (let i = 0; i < size; i++) this.workers.push(this.start(entry!));
  }

  /**
   * A pool of `size` workers (0: no threads, all work runs in this thread through `help`); undefined when
   * workers are asked for but the worker script cannot be found (callers fall back to size 0).
   */
  static create(size: number = defaultWorkerCount(), options: PoolOptions = {}): CorruptionPool | undefined {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`worker count must be a non-negative integer, got ${size}`);
    if (size === 0) return new CorruptionPool(0, undefined);
    const entry = options.entry ?? defaultWorkerEntry();
    return entry ? new CorruptionPool(size, entry) : undefined;
  }

  private start(entry: WorkerEntry): Worker {
    const workerData: CorruptionWorkerData = { claims: this.claims.buffer as SharedArrayBuffer, claimSlots: CLAIM_SLOTS };
    const worker = 'file' in entry ? new Worker(entry.file, { execArgv: [], workerData }) : new Worker(entry.code, { eval: true, execArgv: [], workerData });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'decoded') {
        this.decoded(reply.id, reply.decoded);
        return;
      }
      for (const result of reply.results) {
        const task = this.pending.get(result.id);
        if (!task) continue; // abandoned (its caller was aborted)
        if (result.ok) this.settle(task, unpackImages(result.images));
        else this.settle(task, undefined, fromWireError(result.error));
      }
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`a corruption worker thread stopped unexpectedly (exit code ${code})`));
    });
    return worker;
  }

  /** Work in flight keeps the workers referenced; idle workers must not keep the process alive. */
  private updateRefs(): void {
    const busy = this.pending.size + this.decodings.size > 0;
    if (busy === this.referenced) return;
    this.referenced = busy;
    for (const worker of this.workers) {
      if (busy) worker.ref();
      else worker.unref();
    }
  }

  private settle(task: Task, images: Image[] | undefined, error?: Error): void {
    if (task.settled) return;
    task.settled = true;
    this.pending.delete(task.id);
    this.updateRefs();
    const call = task.call;
    if (call.settled) return; // an earlier task of the call failed: the call is over
    if (error) {
      call.settled = true;
      call.reject(error);
      return;
    }
    call.parts[task.index] = images!;
    if (--call.remaining === 0) {
      call.settled = true;
      call.resolve(call.parts.length === 1 ? call.parts[0] : call.parts.flat());
    }
  }

  /** A worker answered decodeFiles call `id`: views of the decoded images, undefined for the files it left. */
  private decoded(id: number, decoded: Uint8Array): void {
    const call = this.decodings.get(id);
    if (!call) return;
    this.decodings.delete(id);
    this.updateRefs();
    const { height, width, channels } = call.format;
    const size = height * width * channels;
    const images: (Image | undefined)[] = new Array(call.count);
    for (let i = 0; i < call.count; i++) {
      images[i] = decoded[i] === 1 ? { height, width, channels, pixels: new Uint8Array(call.out, i * size, size) } : undefined;
    }
    call.resolve(images);
  }

  /** Rejects every unanswered decodeFiles call. */
  private rejectDecodings(error: Error): void {
    const calls = [...this.decodings.values()];
    this.decodings.clear();
    this.updateRefs();
    for (const call of calls) call.reject(error);
  }

  /**
   * Reads and decodes image files in a worker, into one SharedArrayBuffer: the plain 8-bit PNGs at `format`'s
   * size (decode-png-files.ts). Per file, its image (a view into that buffer), or undefined for a file the worker
   * left to the caller (any other file, or one it could not read: the caller's general path decodes it or reports
   * the error). With no workers nothing is decoded (all undefined). Keeps the inference thread free of file reading
   * and PNG decoding (measured: ~4% of it on the cifar-synth demo).
   */
  decodeFiles(files: readonly string[], format: PixelFormat): Promise<(Image | undefined)[]> {
    if (this.closed || this.failure) return Promise.reject(this.failure ?? new Error('the corruption pool is closed'));
    if (this.workers.length === 0 || files.length === 0) return Promise.resolve(files.map(() => undefined));
    const out = new SharedArrayBuffer(files.length * format.height * format.width * format.channels);
    const id = this.nextDecodeId++;
    const worker = this.workers[this.nextDecodeWorker++ % this.workers.length];
    const request: DecodeRequest = { kind: 'decode', id, files: [...files], format: { height: format.height, width: format.width, channels: format.channels }, out };
    return new Promise((resolve, reject) => {
      this.decodings.set(id, { count: files.length, format: request.format, out, resolve, reject });
      this.updateRefs();
      worker.postMessage(request);
    });
  }

  /** A worker failed: every unfinished task and all later work are rejected with the error. */
  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectDecodings(error);
    for (const task of [...this.pending.values()]) this.settle(task, undefined, error);
    this.queued = [];
    this.head = 0;
  }

  /** Takes the task for this thread: true when nobody had claimed it (it is then this thread's to run or drop). */
  private claim(task: Task): boolean {
    const slot = task.id % CLAIM_SLOTS;
    return Atomics.compareExchange(this.claims, slot, task.id, 0) === task.id;
  }

  /** The next task id whose claim slot is free (no open task in it). */
  private newTaskId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= 0x7fffffff ? 1 : id + 1;
      if (Atomics.load(this.claims, id % CLAIM_SLOTS) === 0) return id;
    }
  }

  /** Tasks the pool still holds in its queue (settled ones are dropped as they settle at its front). */
  get tasksHeld(): number {
    return this.queued.length - this.head;
  }

  /** False once the pool is closed or a worker failed: a long-lived owner then makes a new pool. */
  get usable(): boolean {
    return !this.closed && !this.failure;
  }

  /**
   * How many tasks `schedule` makes of a batch of `count` images: with workers, about two per thread (workers
   * and this one), so that whoever is free takes the next part and nobody waits long for a last big one.
   */
  tasksFor(count: number): number {
    return Math.max(0, Math.min(this.size > 0 ? 2 * (this.size + 1) : 1, count));
  }

  /**
   * Schedules the corruption of `images` (the samples `sampleIds`) with the job, split into `tasksFor` tasks.
   * Put the source images in shared memory first (`shareImages`) to avoid a copy. The batch is posted to every
   * worker at once; the first thread to claim a task runs it (workers in the order posted, this thread through
   * `help()`), so a worker never waits for this thread to hand out work. The promise settles when all tasks have
   * run; with no workers only `help()` runs them (see `corruptBatch`). Rejects with RunCancelled when `signal`
   * aborts. Optional targets in shared memory, which the caller may reuse once the promise has settled:
   * - `rows`: the thread that corrupts an image also preprocesses it for the model into row i of `rows.buffer`
   *   (image i of `images`), so that this thread only has to copy the batch;
   * - `out`: workers write the corrupted images into it, at the offsets the images have in their shared buffer
   *   (`shareImages`), instead of into a new buffer per task (the resolved images are then views into it).
   */
  schedule(
    images: readonly Image[],
    sampleIds: readonly number[],
    job: CorruptionJob,
    signal?: AbortSignal,
    targets: { readonly rows?: { readonly buffer: SharedArrayBuffer; readonly input: InputSpec }; readonly out?: SharedArrayBuffer } = {},
  ): Promise<Image[]> {
    const { rows, out } = targets;
    if (images.length !== sampleIds.length) return Promise.reject(new RangeError(`${images.length} images but ${sampleIds.length} sample ids`));
    if (this.closed || this.failure) return Promise.reject(this.failure ?? new Error('the corruption pool is closed'));
    if (signal?.aborted) return Promise.reject(new RunCancelled());
    const count = this.tasksFor(images.length);
    if (count === 0) return Promise.resolve([]);
    // One buffer for the batch (shared with the workers; no copy when the images already are), a slice per task.
    const packed = this.size > 0 ? (packedBatches.get(images) ?? packImages(images, true)) : undefined;
    let call!: Scheduled;
    const promise = new Promise<Image[]>((resolve, reject) => {
      call = { parts: new Array<Image[]>(count), remaining: count, settled: false, resolve, reject };
    });
    const tasks: Task[] = new Array(count);
    const bounds: number[] = new Array(count + 1);
    for (let t = 0; t <= count; t++) bounds[t] = Math.floor((t * images.length) / count);
    for (let t = 0; t < count; t++) {
      const from = bounds[t];
      const to = bounds[t + 1];
      tasks[t] = {
        id: this.newTaskId(),
        job,
        sampleIds: sampleIds.slice(from, to),
        packed: packed && { buffer: packed.buffer, dims: packed.dims.subarray(4 * from, 4 * to) },
        images: packed ? undefined : images.slice(from, to),
        rows: rows && { buffer: rows.buffer, input: rows.input, from },
        call,
        index: t,
        settled: false,
      };
      // Its claim slot holds its id while it is open (newTaskId skips slots in use).
      Atomics.store(this.claims, tasks[t].id % CLAIM_SLOTS, tasks[t].id);
    }
    this.dropSettledQueued();
    for (const task of tasks) {
      this.pending.set(task.id, task);
      this.queued.push(task);
    }
    this.updateRefs();
    if (this.workers.length > 0) {
      const request: CorruptRequest = { kind: 'corrupt', ...job, ids: tasks.map((task) => task.id), bounds, sampleIds, images: packed!, rows, out };
      for (const worker of this.workers) worker.postMessage(request);
    }
    if (signal) {
      const onAbort = () => {
        // Unclaimed tasks are withdrawn (no thread will start them); running ones finish unheard.
        for (const task of tasks) {
          this.claim(task);
          this.settle(task, undefined, new RunCancelled());
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      promise.then(done, done);
    }
    return promise;
  }

  /**
   * Forgets the settled tasks at the front of the queue (tasks settle about in order), so that the queue holds
   * only about the tasks in flight even when this thread never helps: a settled task still holds its images.
   */
  private dropSettledQueued(): void {
    while (this.head < this.queued.length && this.queued[this.head].settled) this.head++;
    if (this.head === this.queued.length) {
      this.queued = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.queued.length) {
      this.queued = this.queued.slice(this.head);
      this.head = 0;
    }
  }

  /** Claims the oldest open task and runs it in this thread; false when no task is open. */
  help(): boolean {
    if (this.closed) return false;
    while (this.head < this.queued.length) {
      const task = this.queued[this.head++];
      if (task.settled || !this.claim(task)) continue;
      this.dropSettledQueued();
      try {
        const sources = task.images ?? unpackImages(task.packed!);
        const { corruption, severity, preset, seed } = task.job;
        const out = sources.map((image, i) => applyCorruption(image, corruption, severity, preset, seed, task.sampleIds[i]));
        if (task.rows) fillRows(out, task.rows);
        this.settle(task, out);
      } catch (error) {
        this.settle(task, undefined, error instanceof Error ? error : new Error(String(error)));
      }
      return true;
    }
    this.queued = [];
    this.head = 0;
    return false;
  }

  /**
   * Waits for `promise` (a `schedule` result), running open tasks in this thread meanwhile unless `help` is
   * false; between tasks it yields to the event loop so that worker answers are taken in.
   */
  async wait<T>(promise: Promise<T>, options: CorruptOptions = {}): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await undefined;
    if (options.help !== false || this.size === 0) {
      // Answers that came while this thread was busy (a synchronous inference) are taken in first: the awaited
      // tasks are usually done by then, and running a later task here would only delay this thread and leave a
      // worker idle (measured: 145 of 152 waits of a run were over after this one turn).
      if (this.size > 0 && !settled) await yieldToEventLoop();
      while (!settled && !options.signal?.aborted && this.help()) await yieldToEventLoop();
    }
    return promise;
  }

  /** Rejects every unfinished task with `reason` (default RunCancelled) and stops the workers now. */
  async terminate(reason: Error = new RunCancelled()): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failure ??= reason;
    this.rejectDecodings(reason);
    for (const task of [...this.pending.values()]) this.settle(task, undefined, reason);
    this.queued = [];
    this.head = 0;
    await Promise.all(this.workers.map((worker) => worker.terminate().catch(() => undefined)));
  }

  /** Stops the workers (unfinished tasks are rejected). */
  close(): Promise<void> {
    return this.terminate(new Error('the corruption pool was closed'));
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The images with their pixels copied into one SharedArrayBuffer (a single allocation for the batch), so that
 * posting them to workers shares the memory instead of copying it for every task.
 */
export function shareImages(images: readonly Image[]): readonly Image[] {
  const packed = packImages(images, true);
  const shared = Object.freeze(unpackImages(packed));
  packedBatches.set(shared, packed);
  return shared;
}

/**
 * The packing of each array that shareImages made (frozen, so it cannot drift from it): a batch scheduled for
 * many jobs is packed once.
 */
const packedBatches = new WeakMap<readonly Image[], PackedImages>();

/**
 * Corrupts a batch: through the pool when one is given (this thread helps unless `help` is false), else in
 * this thread. Either way each image goes through applyCorruption seeded by (job.seed, job.corruption,
 * job.severity, its sample id): the result does not depend on the way.
 */
export async function corruptBatch(
  images: readonly Image[],
  sampleIds: readonly number[],
  job: CorruptionJob,
  options: CorruptOptions & { readonly pool?: CorruptionPool } = {},
): Promise<Image[]> {
  const { pool } = options;
  if (pool) return pool.wait(pool.schedule(images, sampleIds, job, options.signal), options);
  if (images.length !== sampleIds.length) throw new RangeError(`${images.length} images but ${sampleIds.length} sample ids`);
  if (options.signal?.aborted) throw new RunCancelled();
  return images.map((image, i) => applyCorruption(image, job.corruption, job.severity, job.preset, job.seed, sampleIds[i]));
}
