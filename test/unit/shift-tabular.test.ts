// The tabular demo through the shift check (CSV and Parquet, groups from a column, a scikit-learn-layout ONNX
// model), and its bad input as errors that point at the data set's entry: a missing label column, a feature count
// the model does not take, a group column that does not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';
import { loadConfigFile } from '../../src/server/engine/config/load-config';
import { evaluate } from '../../src/server/engine/run/evaluate';
import { isInputError, type InputError } from '../../src/server/engine/errors';

const DEMO = path.join(REPO_ROOT, 'examples', 'tabular-shift');
let folder: string;
let original: string;

before(async () => {
  folder = await copyWorkspace(DEMO);
  original = await fs.readFile(path.join(folder, 'robustness.json'), 'utf8');
});

after(async () => {
  await removeWorkspace(folder);
});

async function runWith(edit: (config: any) => void, kind: 'full' | 'final' = 'full') {
  const config = JSON.parse(original.replace(/^\/\/.*$/gm, ''));
  edit(config);
  await fs.writeFile(path.join(folder, 'robustness.json'), JSON.stringify(config));
  const loaded = await loadConfigFile(path.join(folder, 'robustness.json'));
  assert.ok(loaded.config, JSON.stringify(loaded.problems));
  return evaluate(loaded.config, kind);
}

async function rejectsWith(edit: (config: any) => void, check: (error: InputError) => void): Promise<void> {
  await assert.rejects(runWith(edit), (error: unknown) => {
    assert.ok(isInputError(error), String(error));
    check(error);
    return true;
  });
}

test('the demo: sites as groups, binary metrics for "high", the target-dev gap, and the frozen set left alone', async () => {
  const results = await runWith(() => undefined);
  const shift = results.shift!;
  assert.equal(shift.positiveClass, 'high');
  assert.deepEqual(shift.datasets.map((d) => [d.name, d.n]), [['source', 2000], ['target-dev', 1500]]);
  const [source, dev] = shift.datasets;
  assert.deepEqual(source.groups.map((g) => g.group), ['clinic-a', 'clinic-b', 'clinic-c']);
  assert.deepEqual(dev.groups.map((g) => g.group), ['clinic-a', 'clinic-b', 'clinic-c', 'clinic-d'], 'clinic d appears only in the target');
  assert.equal(source.roc.length, 1, 'one ROC curve, for the positive class');
  assert.equal(source.roc[0].auc, source.metrics.auroc.value);
  assert.ok(source.metrics.sensitivity.value! > 0 && source.metrics.specificity.value! > 0);
  assert.equal(source.scores, 'probabilities', 'scikit-learn layout: the "probabilities" output');
  // MODEL.md: 77.6% on source-heldout, 71.2% on target-dev.
  assert.ok(Math.abs(source.metrics.accuracy.value! - 0.776) < 0.001);
  assert.ok(Math.abs(dev.metrics.accuracy.value! - 0.712) < 0.001);
  assert.ok(dev.gaps!.accuracy.low! > 0, 'the covariate and label shift cost accuracy, and the interval says so');
});

test('the final evaluation adds the frozen test set; CSV and Parquet give the same figures', async () => {
  const csv = (await runWith(() => undefined, 'final')).shift!;
  assert.equal(csv.datasets.length, 3);
  const parquet = (await runWith((c) => (c.shift.datasets['target-test'].data = { format: 'parquet', path: 'data/target-test.parquet', label: 'outcome' }), 'final')).shift!;
  assert.deepEqual(parquet.datasets[2].metrics, csv.datasets[2].metrics);
});

test('bad input: a missing label column, a feature count the model does not take, an unknown group column', async () => {
  await rejectsWith(
    (c) => (c.shift.datasets['target-dev'].data.label = 'Outcome'),
    (error) => {
      assert.equal(error.details.code, 'data-column-missing');
      assert.match(error.message, /"Outcome"/);
      assert.match(error.describe(), /outcome/);
      assert.deepEqual(error.details.configPath, ['shift', 'datasets', 'target-dev', 'data', 'label']);
    },
  );
  await rejectsWith(
    (c) => (c.shift.datasets.source.data.features = ['age', 'bmi', 'systolic_bp']),
    (error) => {
      assert.match(error.message, /8 features/);
      assert.deepEqual(error.details.configPath, ['shift', 'datasets', 'source', 'data', 'features']);
    },
  );
  await rejectsWith(
    (c) => (c.shift.datasets.source.groups = { column: 'clinic' }),
    (error) => {
      assert.equal(error.details.code, 'data-column-missing');
      assert.deepEqual(error.details.configPath, ['shift', 'datasets', 'source', 'groups', 'column']);
    },
  );
  await rejectsWith(
    (c) => (c.labels = ['low', 'medium', 'high']),
    (error) => assert.equal(error.details.code, 'model-label-count'),
  );
});
