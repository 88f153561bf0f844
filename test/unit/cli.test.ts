// The built CLI (dist/cli.js) on the demo and on bad input: exit codes 0/1/2, the table, the results
// JSON, and errors that name the file, the place and the fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

function cli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let folder: string;
let config: string;
let original: string;

before(async () => {
  folder = await copyWorkspace(DEMO);
  config = path.join(folder, 'robustness.json');
  original = await fs.readFile(config, 'utf8');
});

after(async () => {
  await removeWorkspace(folder);
});

test('run --smoke prints a table, writes the results JSON and exits 0', async () => {
  const { code, stdout, stderr } = cli(['run', '--smoke', '--json', 'out/results.json'], folder);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /clean\s+\d+\.\d%/);
  assert.match(stdout, /gaussian_noise\s+\d+\.\d%/);
  assert.match(stdout, /gaussian_blur\s+\d+\.\d%/);
  const results = JSON.parse(await fs.readFile(path.join(folder, 'out', 'results.json'), 'utf8'));
  assert.equal(results.schemaVersion, 1);
  assert.match(results.model.sha256, /^[0-9a-f]{64}$/);
  assert.equal(results.seed, 0);
  assert.equal(results.clean.n, 256);
  assert.ok(results.clean.accuracy > 0.8);
  assert.deepEqual(
    results.corruptions.map((c: { corruption: string; severity: number; n: number }) => [c.corruption, c.severity, c.n]),
    [
      ['gaussian_noise', 3, 256],
      ['gaussian_blur', 3, 256],
    ],
  );
});

test('run --html writes one self-contained report file', async () => {
  const { code, stdout, stderr } = cli(['run', '--smoke', '--html', 'out/report.html'], folder);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /wrote report to out\/report\.html/);
  const html = await fs.readFile(path.join(folder, 'out', 'report.html'), 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  assert.match(html, /<script id="report-data" type="application\/json">/);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=["']?https?:/, 'nothing loaded from elsewhere');
  const data = html.slice(html.indexOf('<script id="report-data"'));
  assert.match(data, /models\/classifier\.onnx/);
  assert.match(data, /data:image\/png;base64,/, 'thumbnails embedded');
});

test('the same seed gives the same results; another seed other samples', async () => {
  const a = cli(['run', '--smoke', '--json', 'a.json'], folder);
  const b = cli(['run', '--smoke', '--json', 'b.json'], folder);
  const c = cli(['run', '--smoke', '--seed', '7', '--json', 'c.json'], folder);
  assert.equal(a.code, 0);
  assert.equal(b.code, 0);
  assert.equal(c.code, 0);
  const read = async (f: string) => JSON.parse(await fs.readFile(path.join(folder, f), 'utf8'));
  const [ra, rb, rc] = await Promise.all([read('a.json'), read('b.json'), read('c.json')]);
  assert.deepEqual(ra.samples, rb.samples);
  assert.deepEqual(ra.corruptions, rb.corruptions);
  assert.equal(rc.seed, 7);
  assert.notDeepEqual(rc.samples.ids, ra.samples.ids);
});

test('--write-baseline then a weaker model exits 1 and names the regression', async () => {
  const written = cli(['run', '--smoke', '--write-baseline'], folder);
  assert.equal(written.code, 0, written.stderr);
  assert.ok(JSON.parse(await fs.readFile(path.join(folder, '.robustness', 'baseline.json'), 'utf8')).clean.n === 256);
  const again = cli(['run', '--smoke'], folder);
  assert.equal(again.code, 0, 'same model: no regression');
  assert.match(again.stdout, /no regressions/);
  const model = path.join(folder, 'models', 'classifier.onnx');
  const good = await fs.readFile(model);
  await fs.copyFile(path.join(FIXTURES, 'models', 'grey28-linear.onnx'), model);
  try {
    const worse = cli(['run', '--smoke'], folder);
    assert.equal(worse.code, 1, worse.stderr);
    assert.match(worse.stdout, /clean: accuracy \d+\.\d% \(baseline \d+\.\d%, -\d+(\.\d)? pp, budget 2 pp, p < 0\.001\)/);
  } finally {
    await fs.writeFile(model, good);
  }
});

test('usage errors exit 2 with the usage', () => {
  const unknown = cli(['fly'], folder);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "fly"/);
  const flag = cli(['run', '--bogus'], folder);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /Usage:/);
  const both = cli(['run', '--smoke', '--full'], folder);
  assert.equal(both.code, 2);
  const seed = cli(['run', '--seed', 'x'], folder);
  assert.equal(seed.code, 2);
  assert.match(seed.stderr, /--seed needs a non-negative integer/);
});

test('a missing config exits 2 and says how to make one', async () => {
  const { code, stderr } = cli(['run', '--config', 'nowhere/robustness.json'], folder);
  assert.equal(code, 2);
  assert.match(stderr, /nowhere\/robustness\.json: configuration file not found\. Fix: create robustness\.json/);
});

/** Writes a variant of the demo config and runs the CLI on it. */
async function runVariant(change: (text: string) => string, extra: string[] = []) {
  const file = path.join(folder, 'variant.json');
  await fs.writeFile(file, change(original));
  return cli(['run', '--smoke', '--config', file, ...extra], folder);
}

const fixtureModel = (name: string) => path.join(FIXTURES, 'models', name);
const fixtureData = (name: string) => path.join(FIXTURES, 'data', name);
const withModel = (name: string) => (t: string) => t.replace('"models/classifier.onnx"', JSON.stringify(fixtureModel(name)));
const withData = (x: string, y: string) => (t: string) => t.replace('"data/x.npy"', JSON.stringify(fixtureData(x))).replace('"data/y.npy"', JSON.stringify(fixtureData(y)));

const badInputs: { name: string; change: (t: string) => string; expect: RegExp }[] = [
  { name: 'malformed JSON', change: (t) => t.replace('"seed": 0', '"seed": 0,,'), expect: /variant\.json:\d+:\d+: error: JSON syntax error/ },
  { name: 'a wrong type', change: (t) => t.replace('"seed": 0', '"seed": "zero"'), expect: /variant\.json:\d+:\d+: error: "seed" must be integer/ },
  { name: 'a missing model file', change: (t) => t.replace('models/classifier.onnx', 'models/none.onnx'), expect: /none\.onnx: model file not found\. Fix: check "model"/ },
  { name: 'a file that is not ONNX', change: withModel('not-onnx.onnx'), expect: /not-onnx\.onnx.*not a usable ONNX model.*Fix: point "model" at an \.onnx file/ },
  { name: 'a model whose input does not fit', change: withModel('wrong-input-size.onnx'), expect: /wrong-input-size\.onnx \(input "input"\): the model takes input \[.*3, 64, 64\].*Fix: set "input\.size" to \[64, 64\] and "input\.channels" to 3/ },
  { name: 'a label count different from the output width', change: withModel('five-classes.onnx'), expect: /five-classes\.onnx.*gives 5 scores per image but robustness\.json lists 10 labels.*Fix: list exactly 5 labels/ },
  { name: 'NaN outputs', change: withModel('nan-output.onnx'), expect: /nan-output\.onnx.*the model output NaN for sample \d+ \(clean\).*Fix: check the model/ },
  { name: 'labels out of range', change: withData('x16.npy', 'y16-out-of-range.npy'), expect: /y16-out-of-range\.npy.*12.*Fix:/ },
  { name: 'an empty data set', change: withData('empty-x.npy', 'empty-y.npy'), expect: /empty-x\.npy.*Fix:/ },
  { name: 'a data file whose shape disagrees with the config', change: withData('x16-rgb32.npy', 'y16.npy'), expect: /x16-rgb32\.npy.*Fix:/ },
  { name: 'a label count different from the images', change: withData('x16.npy', 'y15.npy'), expect: /y15\.npy.*Fix:/ },
];

for (const { name, change, expect } of badInputs) {
  test(`bad input: ${name} exits 2 naming the file, place and fix`, async () => {
    const { code, stderr } = await runVariant(change);
    assert.equal(code, 2, `exit code; stderr: ${stderr}`);
    assert.match(stderr, expect);
    assert.doesNotMatch(stderr, /internal error/);
  });
}

test('the fixed-batch model (batch of 1) runs', async () => {
  await fs.rm(path.join(folder, '.robustness'), { recursive: true, force: true });
  const { code, stderr, stdout } = await runVariant(withModel('fixed-batch.onnx'));
  assert.equal(code, 0, stderr);
  assert.match(stdout, /clean\s+\d+\.\d%/);
});

test('unreadable images in an image folder exit 2: the first named with its place and fix, the others read with it counted', async () => {
  const synth = await copyWorkspace(path.join(REPO_ROOT, 'examples', 'cifar-synth'));
  try {
    const ring = path.join(synth, 'data', 'test', 'ring');
    for (const name of (await fs.readdir(ring)).slice(0, 10)) await fs.writeFile(path.join(ring, name), `not a PNG: ${name}`);
    const { code, stderr } = cli(['run', '--smoke'], synth);
    assert.equal(code, 2, `exit code; stderr: ${stderr}`);
    assert.match(stderr, /ring[\\/]\d{4}\.png \(sample \d+ \(label 'ring'\)\): cannot read the image \d{4}\.png: .*; \d+ more of the \d+ images read with it cannot be read either: \d{4}\.png/);
    assert.match(stderr, /Fix: the file is corrupt or not really a PNG\/JPEG/);
    assert.doesNotMatch(stderr, /internal error/);
  } finally {
    await removeWorkspace(synth);
  }
});
