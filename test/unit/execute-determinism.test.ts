// executePlan and corruptBatch give byte-identical results whatever the batch size and worker count; errors
// from worker threads arrive as the same InputError; abort stops a run promptly; pools close.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Config } from '../../src/server/engine/config/config';
import { loadConfigFile } from '../../src/server/engine/config/load-config';
import { readLabels } from '../../src/server/engine/data/labels';
import { openDataset } from '../../src/server/engine/data/open-dataset';
import { InputError } from '../../src/server/engine/errors';
import { loadClassifier, type ClassifierModel } from '../../src/server/engine/model/load-model';
import { applyCorruption, implementedCorruptions } from '../../src/server/engine/perturb/image/registry';
import { CorruptionPool, corruptBatch, shareImages, type CorruptionJob } from '../../src/server/engine/run/corruption-pool';
import { executePlan, RunCancelled, type Outcomes } from '../../src/server/engine/run/execute-plan';
import { chooseSamples, type Condition, type RunPlan } from '../../src/server/engine/run/plan';
import type { Image, ImageDataset, Sample } from '../../src/server/engine/types';
import { hashModel } from '../helpers/hash-model';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DEMO_CONFIG = path.join(REPO_ROOT, 'examples', 'fashion-mnist', 'robustness.json');

let config: Config;
let dataset: ImageDataset;
let model: ClassifierModel;
let samples: Sample[];

before(async () => {
  const loaded = await loadConfigFile(DEMO_CONFIG);
  assert.ok(loaded.config, 'the demo config parses');
  config = loaded.config;
  const labels = await readLabels(config.labels as string[] | string, config.dir);
  const data = config.data as Parameters<typeof openDataset>[0];
  dataset = await openDataset(data, config.dir, { height: config.input!.height, width: config.input!.width, channels: config.input!.channels, labels });
  model = await loadClassifier(config.model, config.input!, labels.length, { threads: 1 });
  samples = await dataset.read(chooseSamples(dataset.count, 48, 3));
});

after(async () => {
  await model?.close();
  await dataset?.close();
});

/** Every implemented corruption at two severities: whatever other helpers add is covered too. */
function allConditions(severities: readonly number[]): Condition[] {
  return implementedCorruptions().flatMap((c) => severities.map((severity) => ({ corruption: c.name, severity })));
}

function planOf(conditions: readonly Condition[], sampleIds: readonly number[], seed = 11): RunPlan {
  return { kind: 'full', seed, preset: 'cifar', sampleIds, conditions };
}

const bits = (outcomes: Outcomes) => ({ clean: Array.from(outcomes.clean), conditions: outcomes.conditions.map((c) => Array.from(c)) });

test('executePlan: identical outcomes for batch sizes 1, 7, 64 and workers 0, 1, 2, default', async () => {
  const plan = planOf(allConditions([2, 5]), chooseSamples(dataset.count, 40, 5));
  // The image-hash model makes outcomes a fingerprint of every corrupted image.
  const hashed = hashModel(model, config.input!);
  const reference = bits(await executePlan(plan, dataset, hashed, config.input!, { batchSize: 64, workers: 0 }));
  assert.ok(reference.conditions.some((c) => c.some((v) => v === 0)) && reference.conditions.some((c) => c.some((v) => v === 1)));
  for (const batchSize of [1, 7, 64]) {
    for (const workers of [0, 1, 2, undefined]) {
      const outcomes = bits(await executePlan(plan, dataset, hashed, config.input!, { batchSize, workers }));
      assert.deepEqual(outcomes, reference, `image-hash model: batch size ${batchSize}, ${workers ?? 'default'} workers`);
    }
  }
  // And the demo model itself.
  const demoReference = bits(await executePlan(plan, dataset, model, config.input!, { batchSize: 64, workers: 0 }));
  for (const [batchSize, workers] of [[1, 2], [7, 1], [64, 2]] as const) {
    assert.deepEqual(bits(await executePlan(plan, dataset, model, config.input!, { batchSize, workers })), demoReference, `demo model: batch size ${batchSize}, ${workers} workers`);
  }
});

test('examples: per condition the first misclassified and the first correct samples, misclassified first, same with workers', async () => {
  const plan = planOf(allConditions([3]), chooseSamples(dataset.count, 40, 5));
  const hashed = hashModel(model, config.input!);
  const inThread = await executePlan(plan, dataset, hashed, config.input!, { batchSize: 7, workers: 0, examplesPerCondition: 2 });
  const outcomes = [inThread.clean, ...inThread.conditions];
  inThread.examples.forEach((list, slot) => {
    // What the outcomes say the examples must be: the first two wrong and the first two right samples in plan
    // order, each kind listed by sample id.
    const byId = (a: number, b: number) => a - b;
    const wrong = plan.sampleIds.filter((_, i) => outcomes[slot][i] === 0).slice(0, 2).sort(byId);
    const right = plan.sampleIds.filter((_, i) => outcomes[slot][i] === 1).slice(0, 2).sort(byId);
    assert.deepEqual(list.map((e) => e.sampleId), [...wrong, ...right], `slot ${slot}`);
    for (const example of list) assert.equal(example.predicted === example.label, right.includes(example.sampleId));
  });
  assert.ok(inThread.examples.some((list) => list.length === 4), 'some condition has both kinds');
  const pooled = await executePlan(plan, dataset, hashed, config.input!, { batchSize: 64, workers: 1, examplesPerCondition: 2 });
  const summary = (o: Outcomes) => o.examples.map((list) => list.map((e) => [e.sampleId, e.label, e.predicted, Buffer.from(e.image.pixels).toString('base64')]));
  assert.deepEqual(summary(pooled), summary(inThread));
});

test('a default run that proves long starts its workers midway, with the same outcomes', async () => {
  const plan = planOf(allConditions([3]), chooseSamples(dataset.count, 80, 9));
  const hashed = hashModel(model, config.input!);
  // Slow inference makes the run long enough for the workers to start: 10 batches of 20 steps of >= 15 ms, so when
  // the third batch starts the other 8 are projected to take >= 2.4 s.
  const slow: ClassifierModel = { ...hashed, infer: async (batch, rows) => (await new Promise((r) => setTimeout(r, 15)), hashed.infer(batch, rows)) };
  let startedAt: number | undefined;
  const outcomes = await executePlan(plan, dataset, slow, config.input!, {
    batchSize: 8,
    onProgress: (p) => {
      if (startedAt === undefined && process.getActiveResourcesInfo().includes('MessagePort')) startedAt = p.done / p.total;
    },
  });
  assert.ok(startedAt !== undefined && startedAt > 0 && startedAt < 0.5, `workers started at ${startedAt}`);
  assert.deepEqual(bits(outcomes), bits(await executePlan(plan, dataset, hashed, config.input!, { workers: 0 })));
});

test('a default run that is only slow at first (a cold JIT) and short after that starts no workers', async () => {
  const plan = planOf(allConditions([3]), chooseSamples(dataset.count, 40, 9));
  const hashed = hashModel(model, config.input!);
  // The first batch's 20 steps take >= 30 ms each (600 ms, like a fresh process's first calls); later ones are fast.
  let calls = 0;
  const coldStart: ClassifierModel = { ...hashed, infer: async (batch, rows) => (calls++ < 20 && (await new Promise((r) => setTimeout(r, 30))), hashed.infer(batch, rows)) };
  let workersSeen = false;
  const outcomes = await executePlan(plan, dataset, coldStart, config.input!, {
    batchSize: 8,
    onProgress: () => {
      if (process.getActiveResourcesInfo().includes('MessagePort')) workersSeen = true;
    },
  });
  assert.ok(calls > 20, 'the run went past its first batch');
  assert.equal(workersSeen, false, 'no worker was started');
  assert.deepEqual(bits(outcomes), bits(await executePlan(plan, dataset, hashed, config.input!, { workers: 0 })));
});

test('executePlan with a fixed-batch model and workers gives the in-thread outcomes', async () => {
  const fixed: ClassifierModel = { ...hashModel(model, config.input!), fixedBatch: 5 };
  const plan = planOf(allConditions([3]), chooseSamples(dataset.count, 23, 8));
  const reference = bits(await executePlan(plan, dataset, fixed, config.input!, { workers: 0 }));
  assert.deepEqual(bits(await executePlan(plan, dataset, fixed, config.input!, { workers: 2 })), reference);
});

test('corruptBatch: the same bytes in this thread, through pools of 1, 2 and 3 workers, shared or not', async () => {
  const images = samples.map((s) => s.image);
  const ids = samples.map((s) => s.id);
  const pools = [CorruptionPool.create(1), CorruptionPool.create(2), CorruptionPool.create(3)];
  try {
    for (const pool of pools) assert.ok(pool, 'the worker entry is found when running from source');
    for (const { corruption, severity } of allConditions([1, 3, 5])) {
      const job: CorruptionJob = { corruption, severity, preset: 'cifar', seed: 7 };
      const direct = images.map((image, i) => applyCorruption(image, corruption, severity, 'cifar', 7, ids[i]));
      const inThread = await corruptBatch(images, ids, job);
      assert.deepEqual(inThread, direct);
      for (const pool of pools) {
        for (const [source, help] of [[images, false], [shareImages(images), false], [shareImages(images), true]] as const) {
          const out = await corruptBatch(source, ids, job, { pool, help });
          assert.equal(out.length, images.length);
          out.forEach((image, i) => {
            assert.equal(image.height, direct[i].height);
            assert.equal(image.width, direct[i].width);
            assert.equal(image.channels, direct[i].channels);
            assert.ok(Buffer.from(image.pixels).equals(Buffer.from(direct[i].pixels)), `${corruption} s${severity} sample ${ids[i]} (${pool!.size} workers)`);
          });
        }
      }
      // Sources are never written to.
      samples.forEach((s, i) => assert.equal(s.image.pixels, images[i].pixels));
    }
  } finally {
    await Promise.all(pools.map((p) => p?.close()));
  }
});

/** Bundles the worker as the build does (esbuild.mjs), into a temporary file, so the test sees today's sources. */
async function bundleWorker(): Promise<{ file: string; dispose: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-worker-'));
  const file = path.join(dir, 'corruption-worker.js');
  await esbuild.build({
    entryPoints: [path.join(REPO_ROOT, 'src', 'server', 'engine', 'run', 'corruption-worker.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['onnxruntime-node', 'sharp'],
    logLevel: 'silent',
  });
  return { file, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test('the bundled worker (as esbuild builds it) gives the same bytes', async () => {
  const bundle = await bundleWorker();
  const pool = CorruptionPool.create(2, { entry: { file: bundle.file } });
  assert.ok(pool);
  try {
    const images = samples.map((s) => s.image);
    const ids = samples.map((s) => s.id);
    for (const { corruption, severity } of allConditions([4])) {
      const job: CorruptionJob = { corruption, severity, preset: 'imagenet', seed: 3 };
      assert.deepEqual(await corruptBatch(shareImages(images), ids, job, { pool, help: false }), await corruptBatch(images, ids, job));
    }
  } finally {
    await pool.close();
    bundle.dispose();
  }
});

/** Runs `fn`, expecting an InputError; returns it. */
async function inputErrorOf(fn: () => Promise<unknown>): Promise<InputError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an InputError');
}

test('an InputError thrown in a worker arrives as the same InputError (message and details)', async () => {
  const ids = chooseSamples(dataset.count, 20, 1);
  for (const bad of [{ corruption: 'gausian_noise', severity: 3 }, { corruption: 'gaussian_noise', severity: 9 }]) {
    const plan = planOf([{ corruption: 'gaussian_blur', severity: 2 }, bad], ids);
    const inThread = await inputErrorOf(() => executePlan(plan, dataset, model, config.input!, { workers: 0 }));
    const fromWorker = await inputErrorOf(() => executePlan(plan, dataset, model, config.input!, { workers: 2, batchSize: 7 }));
    assert.equal(fromWorker.message, inThread.message);
    assert.deepEqual(fromWorker.details, inThread.details);
    assert.equal(fromWorker.describe(), inThread.describe());
  }
  // Straight from a worker thread (this thread not helping).
  const pool = CorruptionPool.create(1);
  assert.ok(pool);
  try {
    const images = samples.map((s) => s.image);
    const sampleIds = samples.map((s) => s.id);
    for (const job of [
      { corruption: 'gausian_noise', severity: 3, preset: 'cifar', seed: 0 },
      { corruption: 'contrast', severity: 0, preset: 'cifar', seed: 0 },
    ] as const) {
      const inThread = await inputErrorOf(() => corruptBatch(images, sampleIds, job));
      const fromWorker = await inputErrorOf(() => corruptBatch(images, sampleIds, job, { pool, help: false }));
      assert.equal(fromWorker.message, inThread.message);
      assert.deepEqual(fromWorker.details, inThread.details);
      assert.match(fromWorker.stack ?? '', /corruption worker thread/);
    }
  } finally {
    await pool.close();
  }
});

test('a pool kept across many batches holds only the tasks in flight, also when this thread never helps', async () => {
  const pool = CorruptionPool.create(2);
  assert.ok(pool);
  try {
    const images = shareImages(samples.map((s) => s.image));
    const ids = samples.map((s) => s.id);
    let most = 0;
    for (let b = 0; b < 60; b++) {
      const job: CorruptionJob = { corruption: b % 2 ? 'contrast' : 'brightness', severity: 1 + (b % 5), preset: 'cifar', seed: b };
      const pending = [corruptBatch(images, ids, job, { pool, help: false }), corruptBatch(images, ids, { ...job, seed: b + 1000 }, { pool, help: false })];
      most = Math.max(most, pool.tasksHeld);
      await Promise.all(pending);
    }
    // Two batches in flight at a time, each split into tasksFor(48) tasks; 120 batches went through.
    assert.ok(most <= 4 * pool.tasksFor(ids.length), `at most ${most} tasks held`);
    assert.ok(pool.tasksHeld <= 2 * pool.tasksFor(ids.length), `${pool.tasksHeld} tasks held after the last batch`);
  } finally {
    await pool.close();
  }
});

test('a pool of size 0 runs everything in this thread', async () => {
  const pool = CorruptionPool.create(0);
  assert.ok(pool);
  const images = samples.map((s) => s.image);
  const ids = samples.map((s) => s.id);
  const job: CorruptionJob = { corruption: 'gaussian_noise', severity: 2, preset: 'cifar', seed: 5 };
  assert.deepEqual(await corruptBatch(images, ids, job, { pool }), await corruptBatch(images, ids, job));
  await pool.close();
});

test('other errors thrown in a worker keep their type and message', async () => {
  const pool = CorruptionPool.create(1);
  assert.ok(pool);
  try {
    const broken: Image = { height: 2, width: 2, channels: 2 as 1, pixels: new Uint8Array(8) };
    const job: CorruptionJob = { corruption: 'gaussian_noise', severity: 1, preset: 'cifar', seed: 0 };
    const expected = await corruptBatch([broken], [0], job).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(expected instanceof Error);
    await assert.rejects(corruptBatch([broken], [0], job, { pool, help: false }), (e: Error) => e.constructor === expected.constructor && e.message === expected.message);
    // The pool still works after a task failed.
    const ok = await corruptBatch([samples[0].image], [samples[0].id], job, { pool, help: false });
    assert.equal(ok.length, 1);
  } finally {
    await pool.close();
  }
});

test('abort cancels a run promptly with RunCancelled, with and without workers', async () => {
  const plan = planOf(allConditions([1, 2, 3, 4, 5]), chooseSamples(dataset.count, 500, 2));
  for (const workers of [0, 2]) {
    const controller = new AbortController();
    let progressCalls = 0;
    const run = executePlan(plan, dataset, model, config.input!, {
      workers,
      batchSize: 16,
      signal: controller.signal,
      onProgress: () => {
        if (++progressCalls === 3) controller.abort();
      },
    });
    await assert.rejects(run, RunCancelled);
    assert.equal(progressCalls, 3, `no inference after the abort (${workers} workers)`);
  }
  // Aborted before it starts.
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(executePlan(plan, dataset, model, config.input!, { workers: 2, signal: controller.signal }), RunCancelled);
});

test('an abort while waiting for workers rejects at once, and pool tasks reject with RunCancelled', async () => {
  const pool = CorruptionPool.create(1);
  assert.ok(pool);
  try {
    const big: Image = { height: 224, width: 224, channels: 3, pixels: new Uint8Array(224 * 224 * 3).fill(128) };
    const controller = new AbortController();
    const job: CorruptionJob = { corruption: 'defocus_blur', severity: 5, preset: 'imagenet', seed: 0 };
    const pending = corruptBatch(shareImages(Array.from({ length: 40 }, () => big)), Array.from({ length: 40 }, (_, i) => i), job, { pool, help: false, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, RunCancelled);
  } finally {
    await pool.close();
  }
  await assert.rejects(corruptBatch([samples[0].image], [0], { corruption: 'contrast', severity: 1, preset: 'cifar', seed: 0 }, { pool }), /closed/);
});

test('no worker threads are left running after runs end, normally or not', async () => {
  const workersRunning = () => process.getActiveResourcesInfo().filter((r) => /Worker|MessagePort/.test(r)).length;
  const before = workersRunning();
  const plan = planOf(allConditions([3]), chooseSamples(dataset.count, 30, 4));
  await executePlan(plan, dataset, model, config.input!, { workers: 2 });
  await inputErrorOf(() => executePlan(planOf([{ corruption: 'nope', severity: 1 }], plan.sampleIds), dataset, model, config.input!, { workers: 2 }));
  assert.equal(workersRunning(), before);
});
