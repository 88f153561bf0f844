// Executes a run plan: for each batch of samples, read -> corrupt -> preprocess -> infer, and count
// per-sample outcomes for the clean images and every (corruption, severity).
import type { InputSpec } from '../config/config';
import type { ClassifierModel } from '../model/load-model';
import { preprocessBatch } from '../model/preprocess';
import { applyCorruption } from '../perturb/image/registry';
import { InputError } from '../errors';
import type { Image, ImageDataset, Sample } from '../types';
import type { RunPlan } from './plan';

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
}

/** Per-sample correctness (1/0) for 'clean' and for each condition, in plan.sampleIds order. */
export interface Outcomes {
  readonly clean: Uint8Array;
  readonly conditions: readonly Uint8Array[];
}

export class RunCancelled extends Error {
  constructor() {
    super('the run was cancelled');
    this.name = 'RunCancelled';
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RunCancelled();
}

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

export async function executePlan(plan: RunPlan, dataset: ImageDataset, model: ClassifierModel, input: InputSpec, options: ExecuteOptions = {}): Promise<Outcomes> {
  const { signal, onProgress } = options;
  const batchSize = model.fixedBatch ?? Math.max(1, options.batchSize ?? 64);
  const n = plan.sampleIds.length;
  const clean = new Uint8Array(n);
  const conditions = plan.conditions.map(() => new Uint8Array(n));
  const total = n * (1 + plan.conditions.length);
  let done = 0;
  let scratch: Float32Array | undefined;

  const infer = async (images: readonly Image[], samples: readonly Sample[], what: string, into: Uint8Array, start: number) => {
    const count = images.length;
    // A model with a fixed batch size gets padded batches.
    const rows = model.fixedBatch ?? count;
    const padded = rows > count ? [...images, ...Array.from({ length: rows - count }, () => images[0])] : images;
    const batch = preprocessBatch(padded, input, scratch);
    if (!scratch || batch.length > scratch.length) scratch = batch;
    const scores = await model.infer(batch, rows);
    const predicted = predictions(scores, count, model.classCount, model, what, samples);
    for (let i = 0; i < count; i++) into[start + i] = predicted[i] === samples[i].label ? 1 : 0;
    done += count;
    onProgress?.({ done, total, message: what });
    throwIfAborted(signal);
  };

  for (let start = 0; start < n; start += batchSize) {
    throwIfAborted(signal);
    const ids = plan.sampleIds.slice(start, start + batchSize);
    const samples = await dataset.read(ids);
    const images = samples.map((s) => s.image);
    await infer(images, samples, 'clean', clean, start);
    for (let k = 0; k < plan.conditions.length; k++) {
      const { corruption, severity } = plan.conditions[k];
      const corrupted = samples.map((s) => applyCorruption(s.image, corruption, severity, plan.preset, plan.seed, s.id));
      await infer(corrupted, samples, `${corruption} s${severity}`, conditions[k], start);
    }
  }
  return { clean, conditions };
}
