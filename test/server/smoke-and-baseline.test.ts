// The server over a real LSP connection on the Fashion-MNIST demo: smoke test on start, run requests,
// accepting a baseline, a regression after the model is replaced, and cancelling a full run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DidChangeWatchedFilesNotification, FileChangeType, DiagnosticSeverity, CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import { AcceptBaselineRequest, ReportRequest, RunFullRequest, RunSmokeRequest } from '../../src/shared/protocol';
import { REPO_ROOT, messageOf, startServer, uriOf, type TestServer } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');
const WEAK_MODEL = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'grey28-linear.onnx');

let folder: string;
let server: TestServer;
let configUri: string;
let modelFile: string;

before(async () => {
  folder = await copyWorkspace(DEMO);
  configUri = uriOf(path.join(folder, 'robustness.json'));
  modelFile = path.join(folder, 'models', 'classifier.onnx');
  server = await startServer(folder);
});

after(async () => {
  await server?.stop();
  await removeWorkspace(folder);
});

test('the smoke test runs when the server starts and reports a summary', async () => {
  const state = await server.waitForState((s) => s.state === 'finished' || s.state === 'failed', 60_000);
  assert.equal(state.state, 'finished', JSON.stringify(state));
  if (state.state !== 'finished') return;
  assert.equal(state.summary.kind, 'smoke');
  assert.equal(state.summary.samples, 256);
  assert.equal(state.summary.conditions, 2, 'gaussian_noise and gaussian_blur at severity 3');
  assert.ok((state.summary.cleanAccuracy ?? 0) > 0.8, `the demo model is ~90% accurate, got ${state.summary.cleanAccuracy}`);
  assert.equal(server.diagnostics.get(configUri)?.length ?? 0, 0, 'a valid config has no diagnostics');
});

test('Run Smoke Test answers with the results and sends progress', async () => {
  const response = await server.connection.sendRequest(RunSmokeRequest.type, { runId: 'smoke-1' });
  assert.equal(response.status, 'completed');
  if (response.status !== 'completed') return;
  assert.equal(response.summary.samples, 256);
  const progress = server.progress.filter((p) => p.runId === 'smoke-1');
  assert.ok(progress.length > 0, 'progress notifications arrive');
  assert.equal(progress.at(-1)!.done, progress.at(-1)!.total, 'the last progress is complete');
});

test('the report request gives the report model of the latest results', async () => {
  const model = await server.connection.sendRequest(ReportRequest.type, {});
  assert.ok(model);
  assert.equal(model.header.modelPath, 'models/classifier.onnx');
  assert.equal(model.header.samples, 256);
  assert.deepEqual(model.conditions.map((c) => `${c.corruption}/${c.severity}`), ['gaussian_noise/3', 'gaussian_blur/3']);
  assert.ok(model.conditions.every((c) => c.ece !== undefined && c.ece >= 0 && c.ece <= 1));
  assert.deepEqual(model.calibration.map((c) => c.condition), ['clean', 'gaussian_noise', 'gaussian_blur']);
  assert.equal(model.calibration[0].bins.reduce((a, b) => a + b.count, 0), 256, 'every sample in one bin');
  assert.ok(model.gallery.length >= 3 && model.gallery.length <= 12, `${model.gallery.length} gallery items`);
  assert.ok(model.gallery.every((g) => g.image.startsWith('data:image/png;base64,')));
  assert.equal(model.gallery[0].correct, false, 'misclassified first');
});

test('accepting a baseline writes .robustness/baseline.json', async () => {
  const response = await server.connection.sendRequest(AcceptBaselineRequest.type, {});
  assert.equal(response.status, 'written');
  const baseline = JSON.parse(await fs.readFile(path.join(folder, '.robustness', 'baseline.json'), 'utf8'));
  assert.equal(baseline.schemaVersion, 1);
  assert.equal(baseline.kind, 'smoke');
  assert.equal(baseline.samples.ids.length, 256);
  assert.equal(baseline.comparison, undefined, 'the baseline holds results only');
  const leftovers = (await fs.readdir(path.join(folder, '.robustness'))).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, [], 'no temporary files are left behind');
});

test('replacing the model by a weaker one gives regression diagnostics on the config and the model', async () => {
  await fs.copyFile(WEAK_MODEL, modelFile);
  await server.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
    changes: [{ uri: uriOf(modelFile), type: FileChangeType.Changed }],
  });
  await server.waitForDiagnostics(
    (all) => [configUri, uriOf(modelFile)].every((uri) => (all.get(uri) ?? []).some((d) => d.code === 'accuracy-regression')),
    60_000,
    'regressions on the config and the model',
  );
  const onConfig = server.diagnostics.get(configUri)!;
  const config = await fs.readFile(path.join(folder, 'robustness.json'), 'utf8');
  const lines = config.split('\n');
  const noise = onConfig.find((d) => messageOf(d).startsWith('gaussian_noise s3'));
  assert.ok(noise, `a gaussian_noise diagnostic, got: ${onConfig.map(messageOf).join(' | ')}`);
  assert.equal(noise.severity, DiagnosticSeverity.Warning);
  assert.match(messageOf(noise), /accuracy \d+\.\d% \(baseline \d+\.\d%, -\d+(\.\d)? pp, budget 2 pp, p < 0\.001\)/);
  const line = lines[noise.range.start.line];
  assert.equal(line.slice(noise.range.start.character, noise.range.end.character), '"gaussian_noise"', 'the diagnostic sits on the corruption in the config');
  assert.equal(noise.relatedInformation?.[0].location.uri, uriOf(modelFile));
  const clean = onConfig.find((d) => messageOf(d).startsWith('clean'));
  assert.ok(clean, 'the clean accuracy regressed too');
  const onModel = server.diagnostics.get(uriOf(modelFile)) ?? [];
  assert.ok(onModel.some((d) => d.code === 'accuracy-regression'), 'mirrored on the model file');
});

test('accepting the new results clears the regressions', async () => {
  const response = await server.connection.sendRequest(AcceptBaselineRequest.type, {});
  assert.equal(response.status, 'written');
  await server.waitForDiagnostics((all) => (all.get(configUri) ?? []).length === 0 && (all.get(uriOf(modelFile)) ?? []).length === 0, 10_000, 'cleared diagnostics');
});

test('cancelling a full run stops it and the server keeps serving', async () => {
  const source = new CancellationTokenSource();
  const before = server.progress.length;
  const pending = server.connection.sendRequest(RunFullRequest.type, { runId: 'full-cancel' }, source.token);
  while (!server.progress.slice(before).some((p) => p.runId === 'full-cancel')) await new Promise((r) => setTimeout(r, 5));
  source.cancel();
  const response = await pending.catch((error) => ({ status: 'rejected', error }));
  // The client may see the request rejected as cancelled, or the server's own 'cancelled' answer.
  assert.ok(response.status === 'cancelled' || response.status === 'rejected', JSON.stringify(response));
  const progress = server.progress.filter((p) => p.runId === 'full-cancel');
  assert.ok(progress.at(-1)!.done < progress.at(-1)!.total, 'the full run stopped before its end');
  const next = await server.connection.sendRequest(RunSmokeRequest.type, {});
  assert.equal(next.status, 'completed', 'a later run works');
});
