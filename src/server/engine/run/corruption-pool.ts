// Corrupts batches of images in parallel: a small pool of worker threads (corruption-worker.ts) plus the calling
// thread, which helps with queued work whenever it would otherwise wait. `corruptBatch` is the one way the
// evaluation loop corrupts a batch.
//
// - A batch is split into one task per worker (contiguous chunks). Tasks wait in a FIFO queue; each worker has
//   at most two tasks posted (one running, one queued in its port), so it never idles while the main thread is
//   busy in a (synchronous) inference, and the rest of the queue stays available to the main thread: `help()`
//   runs the oldest queued task in this thread. A pool of size 0 has no threads at all: everything runs through
//   `help()` (the evaluation loop's in-thread mode).
// - Source pixels go to the workers in one SharedArrayBuffer per batch (`shareImages`): every worker and every
//   condition of the batch reads the same memory, nothing is copied per task. Corrupted images come back packed
//   in one SharedArrayBuffer per task, never transferred: a transfer detaches a buffer, which makes V8 guard every
//   typed-array access of that thread from then on (1.7x slower loops). (One buffer per message: posting 64
//   typed arrays costs ~20x more.)
// - Each image is corrupted by applyCorruption seeded by (run seed, corruption, severity, sample id), so the
//   output is byte-identical whatever the chunking, the worker count, who ran a task, or the batch size.
// - Errors thrown in a worker come back as the same error (an InputError keeps kind, code, file, place,
//   configPath and fix). A worker that dies rejects its tasks; the pool then refuses new work.
// - An aborted signal rejects that call's tasks with RunCancelled at once; `terminate()` rejects every
//   unfinished task and stops the threads. Idle workers are unref'd, so a pool that someone forgot to close
//   cannot keep the process alive.
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
import { fromWireError, packImages, unpackImages, type CorruptionJob, type CorruptReply, type CorruptRequest, type PackedImages } from './corruption-protocol';

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

/** Tasks posted to one worker at a time: one running and one waiting in its port. */
const WORKER_DEPTH = 2;

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

interface Task {
  readonly id: number;
  readonly job: CorruptionJob;
  readonly sampleIds: readonly number[];
  /** The source images: packed (shared with the workers), or as given when the pool has no workers. */
  readonly packed: PackedImages | undefined;
  readonly images: readonly Image[] | undefined;
  readonly resolve: (images: Image[]) => void;
  readonly reject: (error: Error) => void;
  /** The worker it was posted to. */
  slot?: Slot;
  settled: boolean;
}

interface Slot {
  readonly worker: Worker;
  readonly posted: Map<number, Task>;
}

export class CorruptionPool {
  private readonly slots: Slot[] = [];
  /** Tasks not posted yet, oldest first (`head` is the index of the oldest). */
  private queued: Task[] = [];
  private head = 0;
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  private constructor(readonly size: number, entry: WorkerEntry | undefined) {
    for (let i = 0; i < size; i++) this.slots.push(this.start(entry!));
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

  private start(entry: WorkerEntry): Slot {
    const worker = 'file' in entry ? new Worker(entry.file, { execArgv: [] }) : new Worker(entry.code, { eval: true, execArgv: [] });
    const slot: Slot = { worker, posted: new Map() };
    worker.unref();
    worker.on('message', (reply: CorruptReply) => {
      const task = slot.posted.get(reply.id);
      if (!task) return; // abandoned (its caller was aborted)
      slot.posted.delete(reply.id);
      if (slot.posted.size === 0) worker.unref();
      if (reply.ok) this.settle(task, unpackImages(reply.images));
      else this.settle(task, undefined, fromWireError(reply.error));
      this.dispatch();
    });
    worker.on('error', (error) => this.fail(slot, error));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(slot, new Error(`a corruption worker thread stopped unexpectedly (exit code ${code})`));
    });
    return slot;
  }

  private settle(task: Task, images: Image[] | undefined, error?: Error): void {
    if (task.settled) return;
    task.settled = true;
    if (error) task.reject(error);
    else task.resolve(images!);
  }

  /** A worker failed: its tasks, the queued ones and all later work are rejected with the error. */
  private fail(slot: Slot, error: Error): void {
    this.failure ??= error;
    for (const task of slot.posted.values()) this.settle(task, undefined, error);
    slot.posted.clear();
    for (const task of this.takeQueued()) this.settle(task, undefined, error);
  }

  private takeQueued(): Task[] {
    const tasks = this.queued.slice(this.head);
    this.queued = [];
    this.head = 0;
    return tasks;
  }

  /** The oldest queued task that is still wanted, or undefined. */
  private nextQueued(): Task | undefined {
    while (this.head < this.queued.length) {
      const task = this.queued[this.head++];
      if (!task.settled) {
        if (this.head > 1024 && this.head * 2 > this.queued.length) {
          this.queued = this.queued.slice(this.head);
          this.head = 0;
        }
        return task;
      }
    }
    this.queued = [];
    this.head = 0;
    return undefined;
  }

  /** Posts queued tasks to the workers with room (fewest posted first). */
  private dispatch(): void {
    if (this.closed || this.failure) return;
    for (;;) {
      let slot: Slot | undefined;
      for (const s of this.slots) if (s.posted.size < WORKER_DEPTH && (!slot || s.posted.size < slot.posted.size)) slot = s;
      if (!slot) return;
      const task = this.nextQueued();
      if (!task) return;
      task.slot = slot;
      slot.posted.set(task.id, task);
      if (slot.posted.size === 1) slot.worker.ref();
      const request: CorruptRequest = { id: task.id, ...task.job, sampleIds: task.sampleIds, images: task.packed! };
      slot.worker.postMessage(request);
    }
  }

  /** False once the pool is closed or a worker failed: a long-lived owner then makes a new pool. */
  get usable(): boolean {
    return !this.closed && !this.failure;
  }

  /** How many tasks `schedule` makes of a batch of `count` images. */
  tasksFor(count: number): number {
    return Math.max(0, Math.min(Math.max(this.size, 1), count));
  }

  /**
   * Schedules the corruption of `images` (the samples `sampleIds`) with the job, split into `tasksFor` tasks.
   * Put the source images in shared memory first (`shareImages`) to avoid a copy. The promise settles when
   * workers or `help()` have run every task; with no workers only `help()` runs them (see `corruptBatch`).
   * Rejects with RunCancelled when `signal` aborts.
   */
  schedule(images: readonly Image[], sampleIds: readonly number[], job: CorruptionJob, signal?: AbortSignal): Promise<Image[]> {
    if (images.length !== sampleIds.length) return Promise.reject(new RangeError(`${images.length} images but ${sampleIds.length} sample ids`));
    if (this.closed || this.failure) return Promise.reject(this.failure ?? new Error('the corruption pool is closed'));
    if (signal?.aborted) return Promise.reject(new RunCancelled());
    const count = this.tasksFor(images.length);
    if (count === 0) return Promise.resolve([]);
    // One buffer for the batch (shared with the workers; no copy when the images already are), a slice per task.
    const packed = this.size > 0 ? packImages(images, true) : undefined;
    const tasks: Task[] = [];
    const parts: Promise<Image[]>[] = [];
    for (let t = 0; t < count; t++) {
      const from = Math.floor((t * images.length) / count);
      const to = Math.floor(((t + 1) * images.length) / count);
      parts.push(
        new Promise<Image[]>((resolve, reject) => {
          tasks.push({
            id: this.nextId++,
            job,
            sampleIds: sampleIds.slice(from, to),
            packed: packed && { buffer: packed.buffer, dims: packed.dims.slice(4 * from, 4 * to) },
            images: packed ? undefined : images.slice(from, to),
            resolve,
            reject,
            settled: false,
          });
        }),
      );
    }
    for (const task of tasks) this.queued.push(task);
    if (signal) {
      const onAbort = () => {
        for (const task of tasks) {
          if (task.slot && task.slot.posted.delete(task.id) && task.slot.posted.size === 0) task.slot.worker.unref();
          this.settle(task, undefined, new RunCancelled());
        }
        this.dispatch();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      Promise.all(parts).then(done, done);
    }
    this.dispatch();
    const all = Promise.all(parts).then((chunks) => (chunks.length === 1 ? chunks[0] : chunks.flat()));
    // Later parts may reject after Promise.all has settled on the first rejection: keep them handled.
    for (const part of parts) part.catch(() => undefined);
    return all;
  }

  /** Runs the oldest queued task in this thread; false when nothing is queued. */
  help(): boolean {
    if (this.closed) return false;
    const task = this.nextQueued();
    if (!task) return false;
    try {
      const sources = task.images ?? unpackImages(task.packed!);
      const { corruption, severity, preset, seed } = task.job;
      const out = sources.map((image, i) => applyCorruption(image, corruption, severity, preset, seed, task.sampleIds[i]));
      this.settle(task, out);
    } catch (error) {
      this.settle(task, undefined, error instanceof Error ? error : new Error(String(error)));
    }
    return true;
  }

  /**
   * Waits for `promise` (a `schedule` result), running queued tasks in this thread meanwhile unless `help` is
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
      while (!settled && !options.signal?.aborted && this.help()) await yieldToEventLoop();
    }
    return promise;
  }

  /** Rejects every unfinished task with `reason` (default RunCancelled) and stops the workers now. */
  async terminate(reason: Error = new RunCancelled()): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failure ??= reason;
    for (const slot of this.slots) {
      for (const task of slot.posted.values()) this.settle(task, undefined, reason);
      slot.posted.clear();
    }
    for (const task of this.takeQueued()) this.settle(task, undefined, reason);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate().catch(() => undefined)));
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
export function shareImages(images: readonly Image[]): Image[] {
  return unpackImages(packImages(images, true));
}

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
