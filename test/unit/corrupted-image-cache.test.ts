// Corrupted images kept across runs: a second run of the same plan takes every corrupted image from the cache
// and gives byte-identical outcomes and examples (checked with a model whose prediction hashes its exact input);
// another seed or data fingerprint misses; the cache holds at most maxBytes, dropping the least recently used
// data set and condition first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../src/server/engine/config/config';
import { loadConfigFile } from '../../src/server/engine/config/load-config';
import { readLabels } from '../../src/server/engine/data/labels';
import { openDataset } from '../../src/server/engine/data/open-dataset';
import { loadClassifier, type ClassifierModel } from '../../src/server/engine/model/load-model';
import { CorruptedImageCache, dataFingerprint } from '../../src/server/engine/run/corrupted-image-cache';
import { executePlan, type Outcomes } from '../../src/server/engine/run/execute-plan';
import { chooseSamples, type RunPlan } from '../../src/server/engine/run/plan';
import type { ImageDataset } from '../../src/server/engine/types';
import { REPO_ROOT } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';
import { hashModel } from '../helpers/hash-model';

const DEMO_CONFIG = path.join(REPO_ROOT, 'examples', 'fashion-mnist', 'robustness.json');
let config: Config;
let dataset: ImageDataset;
let model: ClassifierModel;

before(async () => {
  const loaded = await loadConfigFile(DEMO_CONFIG);
  config = loaded.config!;
  const labels = await readLabels(config.labels as string[] | string, config.dir);
  dataset = await openDataset(config.data as Parameters<typeof openDataset>[0], config.dir, { height: 28, width: 28, channels: 1, labels });
  model = await loadClassifier(config.model, config.input!, labels.length, { threads: 1 });
});

after(async () => {
  await model?.close();
  await dataset?.close();
});

const plan = (seed: number): RunPlan => ({
  kind: 'smoke',
  seed,
  preset: 'cifar',
  sampleIds: chooseSamples(dataset.count, 100, seed),
  conditions: [
    { corruption: 'gaussian_noise', severity: 3 },
    { corruption: 'glass_blur', severity: 2 },
    { corruption: 'spatter', severity: 4 },
  ],
});
const summary = (o: Outcomes) => ({ clean: Array.from(o.clean), conditions: o.conditions.map((c) => Array.from(c)), examples: o.examples.map((list) => list.map((e) => [e.sampleId, e.predicted, createHash('sha256').update(e.image.pixels).digest('hex')])) });

test('a second run takes every corrupted image from the cache and gives identical outcomes and examples', async () => {
  const hashed = hashModel(model, config.input!);
  const store = new CorruptedImageCache();
  const cache = { store, scope: 'fashion' };
  const uncached = await executePlan(plan(1), dataset, hashed, config.input!, { workers: 0 });
  const first = await executePlan(plan(1), dataset, hashed, config.input!, { workers: 1, cache });
  assert.equal(store.hits, 0);
  assert.equal(store.size, 400, '100 clean samples and 100 x 3 corrupted images kept');
  assert.equal(store.bytes, 400 * 28 * 28 * 5, 'each as uint8 pixels and as the float32 input tensor');
  const second = await executePlan(plan(1), dataset, hashed, config.input!, { workers: 0, cache });
  assert.equal(store.hits, 400, 'every image came from the cache: nothing read, nothing corrupted, nothing preprocessed');
  assert.deepEqual(summary(first), summary(uncached));
  assert.deepEqual(summary(second), summary(uncached));
  // Another seed (other samples, other noise) or another data scope shares nothing.
  await executePlan(plan(2), dataset, hashed, config.input!, { workers: 0, cache });
  await executePlan(plan(1), dataset, hashed, config.input!, { workers: 0, cache: { store, scope: 'other data' } });
  assert.equal(store.hits, 400);
});

test('with a fixed-batch model (padded batches) kept tensors give the same outcomes', async () => {
  const fixed = { ...hashModel(model, config.input!), fixedBatch: 7 };
  const smallPlan = { ...plan(3), sampleIds: chooseSamples(dataset.count, 30, 3) };
  const reference = summary(await executePlan(smallPlan, dataset, fixed, config.input!, { workers: 0 }));
  const cache = { store: new CorruptedImageCache(), scope: 'fashion' };
  assert.deepEqual(summary(await executePlan(smallPlan, dataset, fixed, config.input!, { workers: 0, cache })), reference);
  assert.deepEqual(summary(await executePlan(smallPlan, dataset, fixed, config.input!, { workers: 0, cache })), reference);
  assert.equal(cache.store.hits, 120);
});

test('tensors are kept for one input description per group: another one replaces them', () => {
  const store = new CorruptedImageCache();
  store.setTensors('g', 'input A', [1, 2], new Float32Array([1, 2, 3, 4]), 2);
  assert.deepEqual(store.getTensors('g', 'input A', [2, 1])!.map((t) => Array.from(t)), [[3, 4], [1, 2]]);
  assert.equal(store.getTensors('g', 'input B', [1]), undefined);
  store.setTensors('g', 'input B', [1], new Float32Array([9, 9]), 2);
  assert.equal(store.getTensors('g', 'input A', [1]), undefined);
  assert.equal(store.bytes, 8, 'the replaced tensors no longer count');
});

test('the cache holds at most maxBytes, dropping the least recently used data set and condition first', () => {
  const image = (v: number) => ({ height: 2, width: 2, channels: 1, pixels: new Uint8Array(4).fill(v) });
  const store = new CorruptedImageCache(12);
  store.setAll('a', [1], [image(1)]);
  store.setAll('b', [1], [image(2)]);
  assert.ok(store.getAll('a', [1])); // a is now more recent than b
  store.setAll('c', [1], [image(3)]);
  assert.equal(store.bytes, 12);
  store.setAll('d', [1], [image(4)]);
  assert.equal(store.bytes, 12);
  assert.equal(store.getAll('b', [1]), undefined, 'the least recently used went first');
  assert.deepEqual(['a', 'c', 'd'].map((k) => store.getAll(k, [1])![0].pixels[0]), [1, 3, 4]);
  const source = image(9);
  store.setAll('e', [1], [source]);
  source.pixels.fill(0);
  assert.equal(store.getAll('e', [1])![0].pixels[0], 9, 'a copy is kept, not the caller buffer');
  store.setSamples('clean', [{ id: 5, label: 7, image: image(5) }]);
  assert.deepEqual(store.getSamples('clean', [5])!.map((s) => [s.id, s.label, s.image.pixels[0]]), [[5, 7, 5]]);
});

test('the data fingerprint changes when an npy file is rewritten', async () => {
  const folder = await copyWorkspace(path.dirname(DEMO_CONFIG));
  try {
    const data = { format: 'npy' as const, x: 'data/x.npy', y: 'data/y.npy' };
    const before = await dataFingerprint(data, folder, 500);
    assert.equal(await dataFingerprint(data, folder, 500), before);
    const x = path.join(folder, 'data', 'x.npy');
    await fs.writeFile(x, await fs.readFile(x));
    await fs.utimes(x, new Date(), new Date(Date.now() + 5000));
    assert.notEqual(await dataFingerprint(data, folder, 500), before);
  } finally {
    await removeWorkspace(folder);
  }
});
