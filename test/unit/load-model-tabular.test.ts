// Tests of loading tabular classifiers with real onnxruntime-node sessions: the scikit-learn layout
// (outputs "label" and "probabilities"), output selection, numpy's probabilities, and the errors for
// ZipMap outputs, label-only models, feature-count and input-type mismatches. Also checks that image
// models still load as before.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { InputSpec } from '../../src/server/engine/config/config';
import { InputError } from '../../src/server/engine/errors';
import { loadClassifier, type ClassifierModel, type TabularInput } from '../../src/server/engine/model/load-model';
import { openTabularDataset } from '../../src/server/engine/data/tabular/tabular-dataset';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const model = (name: string) => path.join(FIXTURES, 'models', name);
const TABULAR = path.join(FIXTURES, 'tabular');
const DATA_PATH = ['shift', 'datasets', 'clinic-b', 'data'] as const;

interface Expected {
  readonly data: string;
  readonly features: string[];
  readonly labels: string[];
  readonly probabilities: number[][];
  readonly predicted: number[];
}

async function expected(name: string): Promise<Expected> {
  const all = JSON.parse(await fs.readFile(path.join(TABULAR, 'expected-probabilities.json'), 'utf8'));
  return all[name] as Expected;
}

const tabular = (features: number, extra: Partial<TabularInput> = {}): TabularInput => ({ kind: 'tabular', features, ...extra });

async function withModel<T>(file: string, input: TabularInput | InputSpec, labels: number, use: (m: ClassifierModel) => Promise<T>): Promise<T> {
  const m = await loadClassifier(file, input, labels, { threads: 1 });
  try {
    return await use(m);
  } finally {
    await m.close();
  }
}

/** Asserts a model InputError with this code, config path, place; message + fix must match `pattern`. */
async function rejectsWith(promise: Promise<unknown>, file: string, code: string, place: string, configPath: readonly (string | number)[], pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.details.kind, 'model');
    assert.equal(error.details.code, code, error.message);
    assert.equal(error.details.file, file);
    assert.equal(error.details.place, place);
    assert.deepEqual(error.details.configPath, configPath);
    assert.ok(error.details.fix && error.details.fix.length > 0, 'has a fix');
    assert.match(`${error.message}. Fix: ${error.details.fix}`, pattern);
    return true;
  });
}

/** Checks `scores` [n x K] against numpy's probabilities: rows sum to 1, values within 1e-5, same argmax. */
function assertMatchesNumpy(scores: Float32Array, want: Expected) {
  const K = want.labels.length;
  assert.equal(scores.length, want.probabilities.length * K);
  want.probabilities.forEach((row, r) => {
    const got = Array.from(scores.subarray(r * K, r * K + K));
    const sum = got.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `row ${r} sums to ${sum}`);
    got.forEach((p, k) => assert.ok(Math.abs(p - row[k]) < 1e-5, `row ${r} class ${k}: ${p} vs numpy ${row[k]}`));
    assert.equal(got.indexOf(Math.max(...got)), want.predicted[r], `row ${r} argmax`);
  });
}

describe('loadClassifier: tabular models', () => {
  it('loads the scikit-learn layout, picks "probabilities" and gives numpy\'s probabilities (binary, CSV data)', async () => {
    const want = await expected('tabular-binary.onnx');
    const ds = await openTabularDataset({ format: 'csv', path: want.data, label: 'outcome', group: 'site' }, TABULAR, { labels: want.labels, configPath: DATA_PATH, features: 8 });
    assert.deepEqual(ds.featureNames, want.features);
    await withModel(model('tabular-binary.onnx'), tabular(ds.featureCount), 2, async (m) => {
      assert.equal(m.inputName, 'float_input');
      assert.equal(m.outputName, 'probabilities');
      assert.equal(m.fixedBatch, undefined);
      assert.equal(m.classCount, 2);
      assertMatchesNumpy(await m.infer(ds.features, ds.count), want);
      // Batches of any size give the same rows.
      const one = await m.infer(ds.features.slice(8 * 5, 8 * 6), 1);
      const all = await m.infer(ds.features, ds.count);
      assert.deepEqual(Array.from(one), Array.from(all.subarray(10, 12)));
    });
  });

  it('gives numpy\'s probabilities for a 3-class softmax model (Parquet data)', async () => {
    const want = await expected('tabular-3class.onnx');
    const ds = await openTabularDataset({ format: 'parquet', path: 'three-class-45.parquet', label: 'class' }, TABULAR, { labels: want.labels, configPath: DATA_PATH });
    await withModel(model('tabular-3class.onnx'), tabular(ds.featureCount), 3, async (m) => {
      assert.equal(m.outputName, 'probabilities');
      assertMatchesNumpy(await m.infer(ds.features, ds.count), want);
    });
  });

  it('prefers an output named "probabilities" over an earlier [batch, K] output, and fetches only it', async () => {
    const want = await expected('tabular-binary.onnx');
    const ds = await openTabularDataset({ format: 'csv', path: want.data, label: 'outcome', group: 'site' }, TABULAR, { labels: want.labels, configPath: DATA_PATH });
    await withModel(model('tabular-logits-first.onnx'), tabular(8), 2, async (m) => {
      assert.equal(m.outputName, 'probabilities');
      assertMatchesNumpy(await m.infer(ds.features, ds.count), want);
    });
  });

  it('a ZipMap output (skl2onnx zipmap=True): tells to export with zipmap=False, naming the output', async () => {
    const file = model('tabular-zipmap.onnx');
    await rejectsWith(
      loadClassifier(file, tabular(8), 2),
      file,
      'model-output-mismatch',
      'output "output_probability"',
      ['model'],
      /the model output "output_probability" is not a tensor \(a sequence or map, as scikit-learn's ZipMap makes\)\. Fix: export with zipmap=False/,
    );
  });

  it('a model that outputs only labels: says class probabilities are needed', async () => {
    const file = model('tabular-label-only.onnx');
    await rejectsWith(
      loadClassifier(file, tabular(8), 2),
      file,
      'model-output-mismatch',
      'output "label"',
      ['model'],
      /outputs only class labels \("label" \(int64 \[.*\]\)\), but Robustness Lens needs class probabilities or scores \[batch, 2\].*zipmap/,
    );
  });

  it('a feature-count mismatch names both counts and the data\'s columns, at the given config key', async () => {
    const file = model('tabular-binary.onnx');
    const names = ['site_code', 'age', 'bmi', 'systolic_bp', 'cholesterol', 'glucose', 'heart_rate', 'smoker', 'exercise_hours'];
    await rejectsWith(
      loadClassifier(file, tabular(9, { featureNames: names, configPath: [...DATA_PATH, 'features'] }), 2),
      file,
      'model-input-mismatch',
      'input "float_input"',
      [...DATA_PATH, 'features'],
      /the model takes 8 features \(input "float_input" \[\?, 8\]\) but the data gives 9: "site_code", "age", .*"exercise_hours"\. Fix: list in "features" the 8 columns the model was trained on/,
    );
    await rejectsWith(loadClassifier(file, tabular(7), 2), file, 'model-input-mismatch', 'input "float_input"', ['model'], /the model takes 8 features .* but the data gives 7\./);
  });

  it('a float64 input: tells to export with FloatTensorType', async () => {
    const file = model('tabular-double-input.onnx');
    await rejectsWith(loadClassifier(file, tabular(8), 2), file, 'model-input-mismatch', 'input "double_input"', ['model'], /input "double_input" is float64 \(double\); a float32 \[batch, 8\] feature table is expected.*FloatTensorType/);
  });

  it('an image model given tabular data, and a tabular model given an image config', async () => {
    const image = model('grey28-linear.onnx');
    await rejectsWith(loadClassifier(image, tabular(8), 10), image, 'model-input-mismatch', 'input "input"', ['model'], /has shape \[.+, 1, 28, 28\], not a feature table \[batch, 8\]/);
    const file = model('tabular-binary.onnx');
    const grey: InputSpec = { layout: 'NCHW', height: 28, width: 28, channels: 1, scale: 1 / 255, mean: [0], std: [1] };
    await rejectsWith(loadClassifier(file, grey, 2), file, 'model-input-mismatch', 'input "float_input"', ['input'], /not a 4-dimensional image batch/);
  });

  it('a label count different from the probabilities\' width', async () => {
    const file = model('tabular-binary.onnx');
    await rejectsWith(loadClassifier(file, tabular(8), 3), file, 'model-label-count', 'output "probabilities"', ['labels'], /the model gives 2 scores per row but robustness\.json lists 3 labels/);
  });

  it('rejects a batch of the wrong length', async () => {
    await withModel(model('tabular-binary.onnx'), tabular(8), 2, async (m) => {
      await assert.rejects(m.infer(new Float32Array(15), 2), RangeError);
    });
  });
});

describe('loadClassifier: image models still load as before', () => {
  const grey: InputSpec = { layout: 'NCHW', height: 28, width: 28, channels: 1, scale: 1 / 255, mean: [0], std: [1] };

  it('picks the "logits" output and runs a batch', async () => {
    await withModel(model('grey28-linear.onnx'), grey, 10, async (m) => {
      assert.equal(m.outputName, 'logits');
      const scores = await m.infer(new Float32Array(2 * 28 * 28).fill(0.5), 2);
      assert.equal(scores.length, 20);
    });
    await withModel(model('fixed-batch.onnx'), grey, 10, async (m) => assert.equal(m.fixedBatch, 1));
  });

  it('keeps the label-count message for images', async () => {
    const file = model('five-classes.onnx');
    await rejectsWith(loadClassifier(file, grey, 10), file, 'model-label-count', 'output "logits"', ['labels'], /gives 5 scores per image but robustness\.json lists 10 labels\. Fix: list exactly 5 labels/);
  });
});
