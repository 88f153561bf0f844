// parseConfig: the minimal form of the contract works; syntax, type and unknown-key problems are
// reported at the exact range of the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, rangeOfPath, closest } from '../../src/server/engine/config/parse-config';

const MINIMAL = `{
  // comments are allowed
  "model": "models/classifier.onnx",
  "input": { "layout": "NCHW", "size": [28, 28], "channels": 1, "scale": 255, "mean": [0], "std": [1] },
  "labels": ["t-shirt", "trouser", "pullover"],
  "data": { "format": "npy", "x": "data/x.npy", "y": "data/y.npy" },
  "smoke": { "samples": 256, "corruptions": ["gaussian_noise", "gaussian_blur"], "severities": [3] },
  "full": { "corruptions": "all", "severities": [1, 2, 3, 4, 5] },
  "budgets": { "accuracyDrop": 0.02 },
  "seed": 0
}`;

const FILE = '/work/demo/robustness.json';
const textAt = (text: string, p: { offset: number; length: number }) => text.slice(p.offset, p.offset + p.length);

test('the minimal contract form parses with defaults resolved', () => {
  const { config, problems } = parseConfig(MINIMAL, FILE);
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.equal(config.model, '/work/demo/models/classifier.onnx');
  assert.equal(config.dir, '/work/demo');
  assert.deepEqual(config.input!, { layout: 'NCHW', height: 28, width: 28, channels: 1, scale: 255, mean: [0], std: [1] });
  assert.deepEqual(config.smoke, { samples: 256, corruptions: ['gaussian_noise', 'gaussian_blur'], severities: [3] });
  assert.equal(config.full.corruptions.length, 19, '"all" is the 19 corruptions');
  assert.equal(config.full.samples, undefined);
  assert.equal(config.budgets.accuracyDrop, 0.02);
  assert.equal(config.preset, 'auto');
});

test('optional sections take their defaults; one mean/std value is repeated per channel', () => {
  const text = JSON.stringify({
    model: 'm.onnx',
    input: { layout: 'NHWC', size: [32, 32], channels: 3, mean: [0.5], std: [0.25] },
    labels: 'labels.txt',
    data: { format: 'imagefolder', path: 'data/test' },
  });
  const { config, problems } = parseConfig(text, FILE);
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.deepEqual(config.input!.mean, [0.5, 0.5, 0.5]);
  assert.deepEqual(config.input!.std, [0.25, 0.25, 0.25]);
  assert.equal(config.input!.scale, 255);
  assert.deepEqual(config.smoke, { samples: 256, corruptions: ['gaussian_noise', 'gaussian_blur'], severities: [3] });
  assert.deepEqual(config.full.severities, [1, 2, 3, 4, 5]);
  assert.equal(config.seed, 0);
  assert.deepEqual(config.data, { format: 'imagefolder', path: 'data/test' });
});

test('malformed JSON is a syntax error at the place of the fault', () => {
  const text = MINIMAL.replace('"seed": 0', '"seed": 0,,');
  const { config, problems } = parseConfig(text, FILE);
  assert.equal(config, undefined);
  assert.ok(problems.length >= 1);
  assert.equal(problems[0].code, 'config-syntax');
  assert.equal(problems[0].severity, 'error');
  assert.equal(problems[0].offset, text.indexOf(',,') + 1, 'points at the second comma');
});

test('an empty file says it needs an object', () => {
  const { config, problems } = parseConfig('', FILE);
  assert.equal(config, undefined);
  assert.equal(problems[0].code, 'config-syntax');
});

test('a wrong type is an error on the value', () => {
  const text = MINIMAL.replace('"samples": 256', '"samples": "many"');
  const { config, problems } = parseConfig(text, FILE);
  assert.equal(config, undefined);
  const problem = problems.find((p) => p.code === 'config-wrong-value');
  assert.ok(problem, JSON.stringify(problems));
  assert.equal(textAt(text, problem), '"many"');
  assert.match(problem.message, /smoke\.samples/);
});

test('an unknown key is a warning on the key with a suggestion, and the config still loads', () => {
  const text = MINIMAL.replace('"seed": 0', '"seed": 0, "budget": 1');
  const { config, problems } = parseConfig(text, FILE);
  assert.ok(config, 'unknown keys do not stop the config');
  assert.equal(problems.length, 1);
  assert.equal(problems[0].severity, 'warning');
  assert.equal(problems[0].code, 'config-unknown-key');
  assert.equal(textAt(text, problems[0]), '"budget"');
  assert.match(problems[0].message, /Did you mean "budgets"\?/);
});

test('an unknown corruption is an error on its entry with the closest name', () => {
  const text = MINIMAL.replace('"gaussian_blur"]', '"gausian_blur"]');
  const { config, problems } = parseConfig(text, FILE);
  assert.equal(config, undefined);
  const problem = problems.find((p) => p.code === 'unknown-corruption');
  assert.ok(problem, JSON.stringify(problems));
  assert.equal(textAt(text, problem), '"gausian_blur"');
  assert.match(problem.message, /Did you mean "gaussian_blur"\?/);
});

test('a missing required key names what to add', () => {
  const text = MINIMAL.replace('"model": "models/classifier.onnx",', '');
  const { config, problems } = parseConfig(text, FILE);
  assert.equal(config, undefined);
  const problem = problems.find((p) => p.code === 'config-missing-key');
  assert.ok(problem);
  assert.match(problem.message, /needs "model"/);
});

test('a data section with an unknown format names both formats', () => {
  const text = MINIMAL.replace('"format": "npy"', '"format": "csv"');
  const { config, problems } = parseConfig(text, FILE);
  assert.equal(config, undefined);
  assert.ok(problems.some((p) => /"npy"/.test(p.message) && /"imagefolder"/.test(p.message)), JSON.stringify(problems));
});

test('severities out of 1..5 are errors on the value', () => {
  const text = MINIMAL.replace('"severities": [3]', '"severities": [6]');
  const { config, problems } = parseConfig(text, FILE);
  assert.equal(config, undefined);
  const problem = problems.find((p) => p.code === 'config-wrong-value');
  assert.ok(problem);
  assert.equal(textAt(text, problem), '6');
});

test('mean with a count that fits neither 1 nor the channels is an error on mean', () => {
  const text = MINIMAL.replace('"mean": [0]', '"mean": [0, 0]');
  const { config, problems } = parseConfig(text, FILE);
  assert.equal(config, undefined);
  assert.equal(problems.length, 1);
  assert.equal(textAt(text, problems[0]), '[0, 0]');
});

test('rangeOfPath falls back to the nearest existing parent', () => {
  const { tree } = parseConfig(MINIMAL, FILE);
  assert.equal(textAt(MINIMAL, rangeOfPath(tree, ['data', 'x'])), '"data/x.npy"');
  assert.equal(textAt(MINIMAL, rangeOfPath(tree, ['data', 'missing'])).startsWith('{ "format"'), true);
  assert.equal(textAt(MINIMAL, rangeOfPath(tree, ['model'], true)), '"model"');
});

test('closest suggests near names only', () => {
  assert.equal(closest('gausian_noise', ['gaussian_noise', 'shot_noise']), 'gaussian_noise');
  assert.equal(closest('xyz', ['gaussian_noise', 'shot_noise']), undefined);
});
