// The shift check end to end on real data and a real onnxruntime session: the Fashion-MNIST demo's images as
// the held-out source, the same images under a contrast shift as target-dev and under fog as the frozen
// target-test set. Checks the figures' meaning (identical data has a gap of exactly 0; a real shift has a gap
// whose interval excludes 0), groups from a side file, budgets, the frozen test discipline and determinism.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/lsp-client';
import { removeWorkspace } from '../helpers/workspace';
import { GROUPS_CSV, makeShiftWorkspace, shiftSection, writeShiftConfig } from '../helpers/shift-workspace';
import { loadConfigFile } from '../../src/server/engine/config/load-config';
import { evaluate } from '../../src/server/engine/run/evaluate';
import { isInputError } from '../../src/server/engine/errors';
import { hasSuite, type Results } from '../../src/server/engine/results/results';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let folder: string;
const writeConfig = (shift: Record<string, unknown>, withData = false) => writeShiftConfig(folder, shift, withData);

async function run(kind: 'smoke' | 'full' | 'final'): Promise<Results> {
  const loaded = await loadConfigFile(path.join(folder, 'robustness.json'));
  assert.ok(loaded.config, JSON.stringify(loaded.problems));
  return evaluate(loaded.config, kind, { workers: 0 });
}

before(async () => {
  folder = await makeShiftWorkspace();
  await writeConfig(shiftSection());
});

after(async () => {
  await removeWorkspace(folder);
});

test('a full run evaluates source and target-dev sets with intervals, never the frozen test set', async () => {
  const results = await run('full');
  assert.equal(results.clean, undefined, 'no "data": no corruption suite');
  const shift = results.shift!;
  assert.deepEqual(shift.datasets.map((d) => d.name), ['source', 'copy', 'contrast']);
  assert.equal(shift.frozenTest, false);
  assert.equal(shift.resamples, 200);
  const source = shift.datasets[0];
  assert.equal(source.n, 500);
  const accuracy = source.metrics.accuracy;
  assert.ok(accuracy.value! > 0.8 && accuracy.low! < accuracy.value! && accuracy.value! < accuracy.high!, JSON.stringify(accuracy));
  assert.ok(accuracy.high! - accuracy.low! < 0.1, 'a 95% interval on 500 samples is a few points wide');
  // Ten classes, no positive class: one-vs-rest AUROC, no sensitivity / specificity.
  assert.ok(source.metrics.auroc.value! > 0.9);
  assert.equal(source.metrics.sensitivity.value, null);
  assert.equal(source.roc.length, 10, 'one-vs-rest ROC curve per class');
  // The same data as the source: its gap is exactly 0; the contrast shift's gap is positive, interval above 0.
  assert.equal(shift.datasets[1].gaps!.accuracy.value, 0);
  const gap = shift.datasets[2].gaps!.accuracy;
  assert.ok(gap.value! > 0.05 && gap.low! > 0, `contrast severity 4 costs accuracy: ${JSON.stringify(gap)}`);
  assert.ok(shift.datasets[2].gaps!.nll.value! > 0, 'lower-is-better metrics: a positive gap means worse');
});

test('groups from a side file: per-group metrics, worst group and group average', async () => {
  const contrast = (await run('full')).shift!.datasets[2];
  assert.deepEqual(contrast.groups.map((g) => [g.group, g.n]), [['first-half', 250], ['second-half', 250]]);
  const worst = contrast.worstGroup!.accuracy;
  const values = contrast.groups.map((g) => g.metrics.accuracy.value!);
  assert.equal(worst.value, Math.min(...values));
  assert.equal(worst.group, contrast.groups[values.indexOf(Math.min(...values))].group);
  assert.ok(Math.abs(contrast.averageGroup!.accuracy.value! - (values[0] + values[1]) / 2) < 1e-12);
});

test('checks: a gap budget and a worst-group budget, each passed or failed by the figures', async () => {
  const { checks } = (await run('full')).shift!;
  assert.deepEqual(checks.map((c) => [c.index, c.dataset, c.bound, c.passed]), [
    [0, 'contrast', 'maxGap', false],
    [1, 'copy', 'min', true],
    [2, 'contrast', 'min', true],
  ], 'the check on the frozen set is not part of a full run');
});

test('the same seed gives the same intervals; another seed other intervals but the same values', async () => {
  const a = (await run('full')).shift!;
  const b = (await run('full')).shift!;
  assert.deepEqual(b.datasets, a.datasets);
  const loaded = await loadConfigFile(path.join(folder, 'robustness.json'));
  const c = (await evaluate(loaded.config!, 'full', { workers: 0, seed: 5 })).shift!;
  assert.equal(c.datasets[0].metrics.accuracy.value, a.datasets[0].metrics.accuracy.value);
  assert.notDeepEqual(c.datasets[0].metrics.accuracy, a.datasets[0].metrics.accuracy);
});

test('the smoke test uses fewer resamples and runs the corruption suite too when there is "data"', async () => {
  await writeConfig(shiftSection(), true);
  try {
    const results = await run('smoke');
    assert.equal(results.shift!.resamples, 200, 'smokeResamples default');
    assert.equal(results.clean!.n, 64);
    assert.equal(hasSuite(results) && results.corruptions.length, 1);
  } finally {
    await writeConfig(shiftSection());
  }
});

test('the final evaluation includes the frozen test set; the CLI logs each one and warns past the limit', async () => {
  const results = await run('final');
  assert.equal(results.shift!.frozenTest, true);
  assert.deepEqual(results.shift!.datasets.map((d) => d.name), ['source', 'copy', 'contrast', 'fog']);
  assert.equal(results.shift!.checks.find((c) => c.dataset === 'fog')?.passed, false);

  await writeConfig(shiftSection({ frozenTest: { maxEvaluations: 1 } }));
  const log = path.join(folder, '.robustness', 'frozen-test-log.jsonl');
  const first = spawnSync(process.execPath, [CLI, 'run', '--final'], { cwd: folder, encoding: 'utf8' });
  assert.equal(first.status, 1, 'failed checks exit 1');
  assert.match(first.stdout, /FINAL EVALUATION on the frozen test set/);
  assert.match(first.stderr, /final evaluation 1 logged/);
  assert.doesNotMatch(first.stderr, /warning/);
  const second = spawnSync(process.execPath, [CLI, 'run', '--final'], { cwd: folder, encoding: 'utf8' });
  assert.match(second.stderr, /warning: the frozen test set has now been evaluated 2 times \(allowed: 1\)/);
  const lines = (await fs.readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.match(lines[0].model.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(lines[0].datasets.map((d: { name: string }) => d.name), ['source', 'copy', 'contrast', 'fog']);
  assert.equal(typeof lines[0].datasets[3].metrics.accuracy, 'number');
  // A full run through the CLI does not touch the log.
  spawnSync(process.execPath, [CLI, 'run', '--full'], { cwd: folder, encoding: 'utf8' });
  assert.equal((await fs.readFile(log, 'utf8')).trim().split('\n').length, 2);
  await writeConfig(shiftSection());
});

test('bad input: a group file row naming no sample, and a positive class that is not a label', async () => {
  await fs.writeFile(path.join(folder, 'data', 'groups.csv'), 'sample,group\n0,a\n7000,b\n');
  try {
    await assert.rejects(run('full'), (error: unknown) => {
      assert.ok(isInputError(error));
      assert.equal(error.details.code, 'data-groups-unmatched');
      assert.match(error.message, /row 2 names the sample "7000"/);
      assert.equal(error.details.place, 'line 3');
      assert.deepEqual(error.details.configPath, ['shift', 'datasets', 'contrast', 'groups', 'file']);
      return true;
    });
  } finally {
    await fs.writeFile(path.join(folder, 'data', 'groups.csv'), GROUPS_CSV);
  }
  await writeConfig(shiftSection({ positiveClass: 'Sneakers' }));
  try {
    await assert.rejects(run('full'), (error: unknown) => {
      assert.ok(isInputError(error));
      assert.equal(error.details.code, 'config-positive-class');
      assert.deepEqual(error.details.configPath, ['shift', 'positiveClass']);
      assert.match(error.describe(), /"T-shirt\/top"/);
      return true;
    });
  } finally {
    await writeConfig(shiftSection());
  }
});

test('a model with a fixed batch size gets the same figures as the same weights with a free batch', async () => {
  const fixtures = path.join(REPO_ROOT, 'test', 'fixtures', 'models');
  const section = { datasets: { source: { role: 'source-heldout', data: { format: 'npy', x: 'data/x.npy', y: 'data/y.npy' } } }, bootstrap: { resamples: 20 } };
  const figures = async (model: string) => {
    const file = await writeConfig(section);
    const config = JSON.parse(await fs.readFile(file, 'utf8'));
    await fs.writeFile(file, JSON.stringify({ ...config, model }));
    return (await run('full')).shift!.datasets[0].metrics;
  };
  try {
    const free = await figures(path.join(fixtures, 'grey28-linear.onnx'));
    const fixed = await figures(path.join(fixtures, 'fixed-batch.onnx'));
    assert.deepEqual(fixed, free);
  } finally {
    await writeConfig(shiftSection());
  }
});
