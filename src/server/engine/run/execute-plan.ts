// Executes a run plan: for each batch of samples, read -> corrupt -> preprocess -> infer, and count
// per-sample outcomes for the clean images and every (corruption, severity).
//
// Pipelined: the work is a sequence of steps (batch b, then 'clean' and each condition of the plan). Worker
// threads (corruption-pool.ts) corrupt the next steps while this thread preprocesses and runs inference (one
// onnxruntime session) on the current one; when this thread would wait for a step's images it runs queued
// corruption tasks itself instead. The next batch is read while the current one is processed (with workers, they
// also read and decode an image folder's plain PNGs: see ImageDataset.read's decoder). At most
// 2 x (workers + 1) corrupted steps are scheduled ahead, so memory depends on the batch size and worker count,
// never on the number of samples: per sample only its outcome bits are kept. With `workers: 0` everything runs in
// this thread; by default a run starts in this thread and starts its workers only if it turns out long
// (worker-start.ts).
// Every corrupted image is seeded by (run seed, corruption, severity, sample id), so outcomes are identical
// whatever the batch size and worker count.
import { CorruptedImageCache } from './corrupted-image-cache';
import type { InputSpec } from '../config/config';
import type { ClassifierModel } from '../model/load-model';
import { preprocessBatch } from '../model/preprocess';
import { InputError } from '../errors';
import type { Image, ImageDataset, Sample } from '../types';
import { RunCancelled } from './cancelled';
import { addToBins, emptyBins, topProbability, type CalibrationBins } from '../metrics/calibration';
import { CorruptionPool, defaultWorkerCount, shareImages } from './corruption-pool';
import type { RunPlan } from './plan';
import { WorkerStart } from './worker-start';

export { RunCancelled } from './cancelled';

/** Images per inference batch when the options do not say. */
export const DEFAULT_BATCH_SIZE = 64;

export interface Progress {
  /** Units of work done and in all (one unit = one image through the model). */
  readonly done: number;
  readonly total: number;
  readonly message: string;
}

export interface ExecuteOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  /** Images per inference batch (default 64). Results do not depend on it. */
  readonly batchSize?: number;
  /**
   * Worker threads that corrupt images while this thread runs inference; 0 corrupts in this thread. Default:
   * min(cores - 1, 4), at least 1, started only once the run proves long enough to win back their start-up
   * (see worker-start.ts); an explicit count starts at once. Results do not depend on it. The workers live for
   * this run only.
   */
  readonly workers?: number;
  /**
   * A pool to use instead of starting workers (`workers` is then ignored); the caller closes it. For callers
   * that run many plans: its workers stay warm (JIT, caches) across runs, which a per-run pool never is.
   */
  readonly pool?: CorruptionPool;
  /**
   * Pre-generated corrupted images (CIFAR-10-C, ImageNet-C) to read instead of corrupting: the samples of
   * plan.conditions[condition] with the given ids.
   */
  readonly pregenerated?: (condition: number, ids: readonly number[]) => Promise<Sample[]>;
  /** Misclassified and correct examples to keep per condition, each (default 2). */
  readonly examplesPerCondition?: number;
  /**
   * Corrupted images kept across runs (the server's; see corrupted-image-cache.ts), under a scope that names the
   * data: conditions whose images are all there skip corrupting. Results do not depend on it.
   */
  readonly cache?: { readonly store: CorruptedImageCache; readonly scope: string };
}

/** Per-sample correctness (1/0) for 'clean' and for each condition, in plan.sampleIds order. */
export interface Outcomes {
  readonly clean: Uint8Array;
  readonly conditions: readonly Uint8Array[];
  /** Calibration of the top-class confidence: index 0 clean, then one per condition. */
  readonly calibration: readonly CalibrationBins[];
  /** A few example inputs with their predictions (misclassified ones kept first): index 0 clean, then per condition. */
  readonly examples: readonly Example[][];
}

/** One example input as the model saw it (after corruption), with its label and the prediction. */
export interface Example {
  readonly sampleId: number;
  readonly label: number;
  readonly predicted: number;
  readonly image: Image;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RunCancelled();
}

const ignore = () => undefined;

/** Index of the largest score of each row; throws on NaN scores. */
function predictions(scores: Float32Array, rows: number, classes: number, model: ClassifierModel, what: string, samples: readonly Sample[]): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      const s = scores[r * classes + c];
      if (Number.isNaN(s)) {
        throw new InputError(`the model output NaN for sample ${samples[r].id} (${what})`, {
          kind: 'model',
          code: 'model-nan-output',
          file: model.path,
          place: `output "${model.outputName}"`,
          configPath: ['model'],
          fix: 'check the model for numerical problems (division by zero, log of 0) and that "input" scale/mean/std match its training preprocessing',
        });
      }
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/** The images of pre-generated samples, checked to be the clean samples' counterparts (same ids and labels). */
function matchingImages(corrupted: readonly Sample[], clean: readonly Sample[], condition: { corruption: string; severity: number }): Image[] {
  return corrupted.map((sample, i) => {
    if (sample.id !== clean[i].id || sample.label !== clean[i].label) {
      throw new InputError(
        `${condition.corruption} severity ${condition.severity}: sample ${clean[i].id} has label ${sample.label} in the corrupted data but ${clean[i].label} in the clean data`,
        {
          kind: 'data',
          code: 'pregenerated-label-mismatch',
          configPath: ['data', 'clean'],
          fix: 'use the clean data the corrupted set was made from, in the same order (e.g. the CIFAR-10 test set for CIFAR-10-C)',
        },
      );
    }
    return sample.image;
  });
}

/** One batch of samples, read and (when workers corrupt) copied into shared memory. */
interface Batch {
  readonly start: number;
  readonly samples: Sample[];
  readonly images: readonly Image[];
  readonly ids: number[];
}

/** One step of the pipeline: the clean images of a batch (condition -1) or one condition of it. */
interface Step {
  readonly batch: Batch;
  readonly condition: number;
  /** The corrupted images, scheduled in `pool`. */
  readonly corrupted?: Promise<Image[]>;
  readonly pool?: CorruptionPool;
  /** Whether it is scheduled in the pool (counts toward the steps ahead). */
  readonly scheduled: boolean;
  /** Where to keep the corrupted images once made (absent when they came from the cache or from files). */
  readonly cachePrefix?: string;
  /** The corrupted images preprocessed for the model by the threads that corrupted them (shared memory). */
  readonly rows?: Float32Array;
  /** The buffer the workers write the corrupted images into (the images are views into it until it is reused). */
  readonly out?: SharedArrayBuffer;
}

/**
 * Images of at most this many values get preprocessed by the thread that corrupts them (into shared rows), which
 * takes ~5 us per 32x32 image off this thread, the one that runs inference. Larger images are preprocessed here:
 * their corruption costs far more than their preprocessing, and float rows would quadruple the memory in flight.
 */
const WORKER_ROWS_MAX_VALUES = 64 * 64 * 3;

export async function executePlan(plan: RunPlan, dataset: ImageDataset, model: ClassifierModel, input: InputSpec, options: ExecuteOptions = {}): Promise<Outcomes> {
  const { signal, onProgress } = options;
  throwIfAborted(signal);
  const batchSize = model.fixedBatch ?? Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const n = plan.sampleIds.length;
  const conditionCount = plan.conditions.length;
  const clean = new Uint8Array(n);
  const conditions = plan.conditions.map(() => new Uint8Array(n));
  const total = n * (1 + conditionCount);
  const started = Date.now();
  let done = 0;
  let scratch: Float32Array | undefined;

  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 0)) {
    throw new RangeError(`workers must be a non-negative integer, got ${options.workers}`);
  }
  const pregenerated = options.pregenerated;
  const cache = pregenerated ? undefined : options.cache;
  const corrupting = conditionCount > 0 && n > 0 && !pregenerated;
  // Pools this run starts (and closes): size 0 = this thread only, also the fallback when no worker script is found.
  const ownPools: CorruptionPool[] = [];
  const startPool = (size: number) => {
    const created = (size > 0 ? CorruptionPool.create(size) : undefined) ?? CorruptionPool.create(0)!;
    ownPools.push(created);
    return created;
  };
  let pool = options.pool ?? startPool(corrupting && options.workers !== undefined ? options.workers : 0);
  // Default worker count: start them later, when the run proves long enough (see worker-start.ts).
  const autoWorkers = !options.pool && options.workers === undefined && corrupting ? defaultWorkerCount() : 0;
  const workerStart = autoWorkers > 0 ? new WorkerStart(Math.ceil(n / batchSize)) : undefined;
  // Abort stops our own workers at once (their unfinished tasks reject with RunCancelled).
  const onAbort = () => {
    for (const own of ownPools) void own.terminate(new RunCancelled());
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const calibration = [clean, ...conditions].map(() => emptyBins());
  const examples: Example[][] = [clean, ...conditions].map(() => []);
  const examplesWanted = Math.max(0, options.examplesPerCondition ?? 2);
  // Examples kept so far per slot: [misclassified, correct] (checked per image, so kept allocation-free).
  const examplesKept = examples.map(() => [0, 0]);
  const keepExample = (slot: number, sample: Sample, predicted: number, image: Image) => {
    const right = predicted === sample.label;
    const kept = examplesKept[slot];
    if (kept[+right] >= examplesWanted) return;
    kept[+right]++;
    const list = examples[slot];
    // A copy: batch buffers are reused and shared with workers.
    list.push({ sampleId: sample.id, label: sample.label, predicted, image: { ...image, pixels: Uint8Array.from(image.pixels) } });
    list.sort((a, b) => Number(a.predicted === a.label) - Number(b.predicted === b.label) || a.sampleId - b.sampleId);
  };
  const perImage = input.height * input.width * input.channels;
  const inputKey = JSON.stringify(input);
  /** `rows` rows of scratch memory (this thread's, as onnxruntime takes no shared memory). */
  const scratchRows = (rows: number): Float32Array => {
    if (!scratch || scratch.length < rows * perImage) scratch = new Float32Array(rows * perImage);
    return scratch.length === rows * perImage ? scratch : scratch.subarray(0, rows * perImage);
  };
  /**
   * The batch as the model's input (a model with a fixed batch size gets padded batches: the first image repeated):
   * from kept tensors of the cache group when all are there, else from the rows the corrupting threads made, else
   * preprocessed here; kept in the cache group when there is one.
   */
  const inputBatch = (images: readonly Image[], ids: readonly number[], rows: number, group: string | undefined, made: Float32Array | undefined): Float32Array => {
    const kept = group !== undefined ? cache!.store.getTensors(group, inputKey, ids) : undefined;
    if (kept) {
      const batch = scratchRows(rows);
      for (let r = 0; r < rows; r++) batch.set(kept[r < kept.length ? r : 0], r * perImage);
      return batch;
    }
    let batch: Float32Array;
    if (made) {
      batch = scratchRows(rows);
      batch.set(made);
      for (let r = images.length; r < rows; r++) batch.copyWithin(r * perImage, 0, perImage);
    } else {
      const padded = rows > images.length ? [...images, ...Array.from({ length: rows - images.length }, () => images[0])] : images;
      batch = preprocessBatch(padded, input, scratch);
      if (!scratch || batch.length > scratch.length) scratch = batch;
    }
    if (group !== undefined) cache!.store.setTensors(group, inputKey, ids, batch, perImage);
    return batch;
  };
  const infer = async (images: readonly Image[], samples: readonly Sample[], what: string, into: Uint8Array, start: number, slot: number, group: string | undefined, made: Float32Array | undefined) => {
    const count = images.length;
    const rows = model.fixedBatch ?? count;
    const batch = inputBatch(
      images,
      samples.map((s) => s.id),
      rows,
      group,
      made,
    );
    const scores = await model.infer(batch, rows);
    const predicted = predictions(scores, count, model.classCount, model, what, samples);
    for (let i = 0; i < count; i++) {
      const right = predicted[i] === samples[i].label;
      into[start + i] = right ? 1 : 0;
      addToBins(calibration[slot], topProbability(scores, i * model.classCount, model.classCount), right);
      if (examplesWanted > 0) keepExample(slot, samples[i], predicted[i], images[i]);
    }
    done += count;
    onProgress?.({ done, total, message: what });
    throwIfAborted(signal);
  };

  // Reading: one batch ahead.
  const batchCount = Math.ceil(n / batchSize);
  let batchesRead = 0;
  const readNext = () => {
    if (batchesRead >= batchCount) return undefined;
    const start = batchesRead++ * batchSize;
    const ids = plan.sampleIds.slice(start, start + batchSize);
    const cleanPrefix = cache && CorruptedImageCache.cleanPrefix(cache.scope);
    const kept = cleanPrefix !== undefined ? cache!.store.getSamples(cleanPrefix, ids) : undefined;
    const promise = kept
      ? Promise.resolve(kept)
      : dataset.read(ids, pool.size > 0 ? { decoder: pool } : undefined).then((samples) => {
          if (cleanPrefix !== undefined) cache!.store.setSamples(cleanPrefix, samples);
          return samples;
        });
    promise.catch(ignore);
    return { start, promise };
  };
  let ahead = readNext();
  const openBatch = async (): Promise<Batch | undefined> => {
    const current = ahead;
    if (!current) return undefined;
    const samples = await current.promise;
    ahead = readNext();
    const images = samples.map((s) => s.image);
    const ids = samples.map((s) => s.id);
    return { start: current.start, samples, ids, images: pool.size > 0 ? shareImages(images) : images };
  };

  // Shared memory for the steps in flight (model rows, corrupted images), reused once a step is inferred:
  // allocating it per step leaves garbage that V8 counts too little to collect in time (measured: peak memory
  // growing with the number of samples).
  const freeRows: SharedArrayBuffer[] = [];
  const takeRows = (count: number): Float32Array => new Float32Array(freeRows.pop() ?? new SharedArrayBuffer(batchSize * perImage * 4), 0, count * perImage);
  const freeOut: SharedArrayBuffer[] = [];
  const takeOut = (): SharedArrayBuffer => freeOut.pop() ?? new SharedArrayBuffer(batchSize * perImage);

  // Steps in flight: with workers, keep corruption steps scheduled ahead of the step being inferred, about two per
  // thread, so that the workers always have tasks in their ports while this thread infers, and this thread can
  // take open tasks when it would otherwise wait. In-thread: one step.
  const queue: Step[] = [];
  let stepsAhead = 0;
  let open: Batch | undefined;
  let nextCondition = conditionCount;
  let exhausted = false;
  const fill = async () => {
    const maxStepsAhead = pool.size > 0 ? 2 * (pool.size + 1) : 0;
    while (!exhausted && (queue.length === 0 || stepsAhead < maxStepsAhead)) {
      if (!open || nextCondition >= conditionCount) {
        open = await openBatch();
        if (!open) {
          exhausted = true;
          return;
        }
        nextCondition = -1;
      }
      const condition = nextCondition++;
      if (condition < 0) {
        queue.push({ batch: open, condition, scheduled: false });
        continue;
      }
      if (pregenerated) {
        const batch = open;
        const read = pregenerated(condition, batch.ids).then((samples) => matchingImages(samples, batch.samples, plan.conditions[condition]));
        read.catch(ignore);
        queue.push({ batch, condition, corrupted: read, scheduled: false });
        continue;
      }
      const { corruption, severity } = plan.conditions[condition];
      const cachePrefix = cache ? CorruptedImageCache.prefix(cache.scope, { corruption, severity, preset: plan.preset, seed: plan.seed }) : undefined;
      const cached = cachePrefix !== undefined ? cache!.store.getAll(cachePrefix, open.ids) : undefined;
      if (cached) {
        queue.push({ batch: open, condition, corrupted: Promise.resolve(cached), scheduled: false });
        continue;
      }
      const rows = pool.size > 0 && perImage <= WORKER_ROWS_MAX_VALUES ? takeRows(open.images.length) : undefined;
      const job = { corruption, severity, preset: plan.preset, seed: plan.seed };
      const out = pool.size > 0 ? takeOut() : undefined;
      const corrupted = pool.schedule(open.images, open.ids, job, signal, { rows: rows && { buffer: rows.buffer as SharedArrayBuffer, input }, out });
      corrupted.catch(ignore); // awaited in order later; never an unhandled rejection meanwhile
      stepsAhead++;
      queue.push({ batch: open, condition, corrupted, pool, scheduled: true, cachePrefix, rows, out });
    }
  };

  try {
    await fill();
    while (queue.length > 0) {
      throwIfAborted(signal);
      const step = queue.shift()!;
      const { batch, condition } = step;
      let images: readonly Image[];
      let what: string;
      if (condition < 0) {
        images = batch.images;
        what = 'clean';
      } else {
        const { corruption, severity } = plan.conditions[condition];
        what = `${corruption} s${severity}`;
        // This thread runs queued corruption tasks itself until this step's images are there.
        images = step.pool ? await step.pool.wait(step.corrupted!, { signal }) : await step.corrupted!;
        if (step.scheduled) stepsAhead--;
        if (step.cachePrefix !== undefined) cache!.store.setAll(step.cachePrefix, batch.ids, images);
      }
      if (workerStart?.atStep(Date.now() - started, done, total, Math.round(batch.start / batchSize), condition < 0)) pool = startPool(autoWorkers);
      // Give the workers their next tasks before this thread gets busy with inference.
      await fill();
      throwIfAborted(signal);
      // The cache group of these images (their preprocessed rows are kept there too).
      const group = !cache
        ? undefined
        : condition < 0
          ? CorruptedImageCache.cleanPrefix(cache.scope)
          : CorruptedImageCache.prefix(cache.scope, { ...plan.conditions[condition], preset: plan.preset, seed: plan.seed });
      await infer(images, batch.samples, what, condition < 0 ? clean : conditions[condition], batch.start, condition + 1, group, step.rows);
      if (step.rows) freeRows.push(step.rows.buffer as SharedArrayBuffer);
      if (step.out) freeOut.push(step.out);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const step of queue) step.corrupted?.catch(ignore);
    await Promise.all(ownPools.map((own) => own.close()));
  }
  return { clean, conditions, calibration, examples };
}
