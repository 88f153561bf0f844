// The baseline over a real LSP connection: written atomically even when the writer is killed mid-write; a
// baseline that no longer compares gives one info diagnostic and no regression; a drop beyond the budget is
// flagged only when it is significant; quick fixes are offered on regressions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CodeActionRequest, DiagnosticSeverity, type CodeAction } from 'vscode-languageserver-protocol/node';
import { AcceptBaselineRequest, RunSmokeRequest } from '../../src/shared/protocol';
import { decodeBits, encodeBits, type SuiteRun } from '../../src/server/engine/results/results';
import { REPO_ROOT, messageOf, startServer, uriOf, type TestServer } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');

let folder: string;
let server: TestServer;
let configFile: string;
let configUri: string;
let baselineFile: string;
let original: string;

before(async () => {
  folder = await copyWorkspace(DEMO);
  configFile = path.join(folder, 'robustness.json');
  configUri = uriOf(configFile);
  baselineFile = path.join(folder, '.robustness', 'baseline.json');
  original = await fs.readFile(configFile, 'utf8');
  server = await startServer(folder);
  await server.waitForState((s) => s.state === 'finished', 60_000);
  assert.equal((await server.connection.sendRequest(AcceptBaselineRequest.type, {})).status, 'written');
});

after(async () => {
  await server?.stop();
  await removeWorkspace(folder);
});

const readBaseline = async () => JSON.parse(await fs.readFile(baselineFile, 'utf8')) as SuiteRun;
const configDiagnostics = () => server.diagnostics.get(configUri) ?? [];

/** Re-runs the smoke test the way a changed file does, and waits for it to finish. */
async function rerun(): Promise<void> {
  const response = await server.connection.sendRequest(RunSmokeRequest.type, {});
  assert.equal(response.status, 'completed', JSON.stringify(response));
}

/** Rewrites the baseline's clean outcomes: `flips` samples that are wrong now become right in the baseline. */
async function baselineWithBetterClean(flips: number): Promise<void> {
  const baseline = await readBaseline();
  const n = baseline.samples.ids.length;
  const bits = decodeBits(baseline.samples.correct.clean, n);
  let flipped = 0;
  for (let i = 0; i < n && flipped < flips; i++) {
    if (!bits[i]) {
      bits[i] = 1;
      flipped++;
    }
  }
  assert.equal(flipped, flips, 'enough wrong samples to flip');
  const correct = bits.reduce((a, b) => a + b, 0);
  await fs.writeFile(
    baselineFile,
    JSON.stringify({ ...baseline, clean: { ...baseline.clean, correct, accuracy: correct / n }, samples: { ...baseline.samples, correct: { ...baseline.samples.correct, clean: encodeBits(bits) } } }),
  );
}

test('a drop beyond the budget that is not significant is not flagged', async () => {
  const saved = await fs.readFile(baselineFile);
  try {
    // With 16 samples (the demo model gets 15 right), one more right in the baseline is a 6.2 pp drop, but p = 0.5.
    await fs.writeFile(configFile, original.replace('"samples": 256', '"samples": 16'));
    await rerun();
    assert.equal((await server.connection.sendRequest(AcceptBaselineRequest.type, {})).status, 'written');
    await baselineWithBetterClean(1);
    await rerun();
    assert.deepEqual(configDiagnostics().map((d) => d.code), [], 'a tiny drop on few samples is not a regression');
  } finally {
    await fs.writeFile(configFile, original);
    await fs.writeFile(baselineFile, saved);
  }
});

test('a significant drop beyond the budget is flagged with its p-value, and quick fixes are offered', async () => {
  const saved = await fs.readFile(baselineFile);
  try {
  await baselineWithBetterClean(20); // 20 of 256: -7.8 pp, p < 0.001
  await rerun();
  const regression = configDiagnostics().find((d) => d.code === 'accuracy-regression');
  assert.ok(regression, JSON.stringify(configDiagnostics()));
  assert.match(messageOf(regression), /^clean: accuracy \d+\.\d% \(baseline \d+\.\d%, -7\.8 pp, budget 2 pp, p < 0\.001\) on 256 samples$/);
  assert.equal(regression.severity, DiagnosticSeverity.Warning);
  assert.match(String(regression.codeDescription?.href), /docs\/diagnostics\.md#accuracy-regression$/);
  const actions = (await server.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri: configUri },
    range: regression.range,
    context: { diagnostics: [regression] },
  })) as CodeAction[];
  assert.deepEqual(
    actions.map((a) => [a.title, a.command?.command, a.command?.arguments?.[0]]),
    [
      ['Accept the latest results as the new baseline', 'robustnessLens.acceptBaseline', uriOf(folder)],
      ['Open the report', 'robustnessLens.openReport', uriOf(folder)],
      ['Run the full suite', 'robustnessLens.runFull', uriOf(folder)],
    ],
  );
  // "budgets.severity": "error" shows regressions as errors.
  await fs.writeFile(configFile, original.replace('"accuracyDrop": 0.02', '"accuracyDrop": 0.02, "severity": "error"'));
  await rerun();
  assert.equal(configDiagnostics().find((d) => d.code === 'accuracy-regression')?.severity, DiagnosticSeverity.Error);
  } finally {
    await fs.writeFile(configFile, original);
    await fs.writeFile(baselineFile, saved);
  }
});

test('a baseline that no longer compares gives one info diagnostic and no regression', async () => {
  await fs.writeFile(configFile, original.replace('"seed": 0', '"seed": 1'));
  await rerun();
  const diagnostics = configDiagnostics();
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
  assert.equal(diagnostics[0].code, 'baseline-not-comparable');
  assert.equal(diagnostics[0].severity, DiagnosticSeverity.Information);
  assert.match(messageOf(diagnostics[0]), /seed 0, this run seed 1/);
  await fs.writeFile(configFile, original);
  await rerun();
  assert.deepEqual(configDiagnostics(), []);
});

test('the baseline path is configurable', async () => {
  await fs.writeFile(configFile, original.replace('"seed": 0', '"seed": 0, "baseline": "baselines/smoke.json"'));
  await rerun();
  assert.equal((await server.connection.sendRequest(AcceptBaselineRequest.type, {})).status, 'written');
  const moved = JSON.parse(await fs.readFile(path.join(folder, 'baselines', 'smoke.json'), 'utf8')) as SuiteRun;
  assert.equal(moved.kind, 'smoke');
  await fs.writeFile(configFile, original);
  await rerun();
});

test('the baseline is never half-written, even when the writer is killed mid-write', async () => {
  const template = await readBaseline();
  const target = path.join(folder, 'killed', 'baseline.json');
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, JSON.stringify(template));
  for (let attempt = 0; attempt < 5; attempt++) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test', 'helpers', 'write-baseline-forever.ts'), target, JSON.stringify(template)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Let it finish a few writes, then kill it at an arbitrary point of the next one.
    let writes = 0;
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk) => (writes += String(chunk).split('\n').length - 1) >= 2 + attempt && resolve()));
    await new Promise((r) => setTimeout(r, 7 * attempt));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const text = await fs.readFile(target, 'utf8');
    const parsed = JSON.parse(text) as SuiteRun; // throws if half-written
    assert.equal(parsed.schemaVersion, template.schemaVersion);
    assert.ok(parsed.labels.length === 200_000, 'a whole baseline from one of the writes');
  }
});
