// The "shift" section of robustness.json: defaults, tabular-only configs, and each mistake as an error at the
// exact place with the fix (unknown data set names in checks, a role used twice, gap checks without a source,
// group checks without groups, group sources that do not fit the data, a missing "input" for images).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/server/engine/config/parse-config';

const FILE = '/work/demo/robustness.json';

function configText(shift: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'm.onnx', labels: ['no', 'yes'], shift, ...extra }, null, 2);
}

const TABLES = {
  hospitalA: { role: 'source-heldout', data: { format: 'csv', path: 'a.csv', label: 'outcome' } },
  hospitalB: { role: 'target-dev', data: { format: 'parquet', path: 'b.parquet', label: 'outcome' }, groups: { column: 'site' } },
  hospitalC: { role: 'target-test', data: { format: 'csv', path: 'c.csv', label: 'outcome', features: ['age', 'bp'] } },
};

function only(text: string) {
  const parsed = parseConfig(text, FILE);
  return { ...parsed, errors: parsed.problems.filter((p) => p.severity === 'error') };
}

const at = (text: string, p: { offset: number; length: number }) => text.slice(p.offset, p.offset + p.length);

test('a tabular config needs neither "input" nor "data"; defaults are resolved', () => {
  const { config, problems } = parseConfig(configText({ datasets: TABLES, checks: [{ dataset: 'hospitalB', metric: 'auroc', min: 0.8 }] }), FILE);
  assert.deepEqual(problems, []);
  assert.ok(config?.shift);
  assert.equal(config.input, undefined);
  assert.equal(config.data, undefined);
  const shift = config.shift;
  assert.deepEqual(shift.datasets.map((d) => [d.name, d.role]), [['hospitalA', 'source-heldout'], ['hospitalB', 'target-dev'], ['hospitalC', 'target-test']]);
  assert.deepEqual(shift.datasets[1].groups, { column: 'site' });
  assert.equal(shift.resamples, 1000);
  assert.equal(shift.smokeResamples, 200);
  assert.equal(shift.level, 0.95);
  assert.equal(shift.maxFrozenEvaluations, 3);
  assert.equal(shift.frozenLog, '/work/demo/.robustness/frozen-test-log.jsonl');
  assert.deepEqual(shift.checks, [{ index: 0, dataset: 'hospitalB', metric: 'auroc', over: 'all', bound: 'min', limit: 0.8 }]);
});

test('a check naming an unknown data set is an error on its name with the closest name', () => {
  const text = configText({ datasets: TABLES, checks: [{ dataset: 'hospitalb', metric: 'accuracy', min: 0.7 }] });
  const { config, errors } = only(text);
  assert.equal(config, undefined);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'config-unknown-dataset');
  assert.match(errors[0].message, /no data set is named "hospitalb".*did you mean "hospitalB"\?/);
  assert.equal(at(text, errors[0]), '"dataset"');
});

test('"source-heldout" used twice is an error on the second role', () => {
  const text = configText({ datasets: { ...TABLES, hospitalB: { ...TABLES.hospitalB, role: 'source-heldout' } } });
  const { errors } = only(text);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'config-role-twice');
  assert.match(errors[0].message, /"hospitalB" and "hospitalA" both have the role "source-heldout"/);
  assert.deepEqual(errors[0].path, ['shift', 'datasets', 'hospitalB', 'role']);
});

test('gap checks need a source and a target; group checks need groups', () => {
  const noSource = { hospitalB: TABLES.hospitalB, hospitalC: TABLES.hospitalC };
  let result = only(configText({ datasets: noSource, checks: [{ dataset: 'hospitalB', metric: 'accuracy', maxGap: 0.05 }] }));
  assert.equal(result.errors[0]?.code, 'config-gap-without-source');
  result = only(configText({ datasets: TABLES, checks: [{ dataset: 'hospitalA', metric: 'accuracy', maxGap: 0.05 }] }));
  assert.equal(result.errors[0]?.code, 'config-gap-on-source');
  result = only(configText({ datasets: TABLES, checks: [{ dataset: 'hospitalC', metric: 'accuracy', over: 'worst-group', min: 0.6 }] }));
  assert.equal(result.errors[0]?.code, 'config-no-groups');
  assert.match(result.errors[0].message, /"hospitalC" has none; add "groups"/);
  result = only(configText({ datasets: TABLES, checks: [{ dataset: 'hospitalB', metric: 'accuracy', over: 'worst-group', maxGap: 0.1 }] }));
  assert.equal(result.errors[0]?.code, 'config-gap-over-groups');
});

test('a check needs exactly one bound and a known metric (schema)', () => {
  let result = only(configText({ datasets: TABLES, checks: [{ dataset: 'hospitalB', metric: 'accuracy' }] }));
  assert.ok(result.errors.length > 0);
  result = only(configText({ datasets: TABLES, checks: [{ dataset: 'hospitalB', metric: 'auc', min: 0.8 }] }));
  assert.ok(result.errors.some((e) => /auroc/.test(e.message)), JSON.stringify(result.errors));
});

test('group sources must fit the data: a column needs a table, subfolders need an image folder', () => {
  const images = { role: 'target-dev', data: { format: 'npy', x: 'x.npy', y: 'y.npy' }, groups: { column: 'site' } };
  const input = { input: { layout: 'NCHW', size: [28, 28], channels: 1 } };
  let result = only(configText({ datasets: { images } }, input));
  assert.equal(result.errors[0]?.code, 'config-groups-source');
  result = only(configText({ datasets: { table: { ...TABLES.hospitalA, groups: { from: 'subfolder' } } } }));
  assert.equal(result.errors[0]?.code, 'config-groups-source');
});

test('image data without "input", and a config with neither "data" nor "shift", are errors saying what to add', () => {
  let result = only(configText({ datasets: { images: { role: 'target-dev', data: { format: 'imagefolder', path: 'imgs' } } } }));
  assert.equal(result.errors.length, 1);
  assert.match(result.errors[0].message, /image data needs "input"/);
  result = only(JSON.stringify({ model: 'm.onnx', labels: ['a', 'b'] }));
  assert.match(result.errors[0].message, /needs "data" .* "shift"/);
});
