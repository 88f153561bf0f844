// Bad input through the real server: problems in robustness.json and in the model become diagnostics
// at the exact range, and the server keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import {
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  DiagnosticSeverity,
  FileChangeType,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import { RunSmokeRequest } from '../../src/shared/protocol';
import { REPO_ROOT, messageOf, startServer, uriOf, type TestServer } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');

let folder: string;
let server: TestServer;
let configFile: string;
let configUri: string;
let original: string;
let version = 1;

before(async () => {
  folder = await copyWorkspace(DEMO);
  configFile = path.join(folder, 'robustness.json');
  configUri = uriOf(configFile);
  original = await fs.readFile(configFile, 'utf8');
  server = await startServer(folder, { runOnSave: true });
  await server.waitForState((s) => s.state === 'finished' || s.state === 'failed', 60_000);
  await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: configUri, languageId: 'jsonc', version, text: original },
  });
});

after(async () => {
  await server?.stop();
  await removeWorkspace(folder);
});

/** Replaces the open document's text (unsaved), as typing in the editor does. */
async function edit(text: string): Promise<void> {
  version += 1;
  await server.connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: configUri, version },
    contentChanges: [{ text }],
  });
}

/** Writes the text to disk and tells the server it was saved. */
async function save(text: string): Promise<void> {
  await edit(text);
  await fs.writeFile(configFile, text);
  await server.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri: configUri } });
}

const textOf = (text: string, d: Diagnostic) => {
  const lines = text.split('\n');
  return lines[d.range.start.line].slice(d.range.start.character, d.range.start.line === d.range.end.line ? d.range.end.character : undefined);
};

const configDiagnostics = () => server.diagnostics.get(configUri) ?? [];

test('malformed JSON is reported while typing, at the fault', async () => {
  const text = original.replace('"seed": 0', '"seed": 0,,');
  await edit(text);
  await server.waitForDiagnostics(() => configDiagnostics().some((d) => d.code === 'config-syntax'), 10_000, 'a syntax error');
  const d = configDiagnostics().find((x) => x.code === 'config-syntax')!;
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.equal(textOf(text, d), ',');
  assert.match(messageOf(d), /JSON syntax error/);
});

test('fixing the text clears the diagnostic', async () => {
  await edit(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 10_000, 'no diagnostics');
});

test('an unknown key is a warning on the key; a wrong type is an error on the value', async () => {
  const text = original.replace('"seed": 0', '"seed": "zero", "sed": 1');
  await edit(text);
  await server.waitForDiagnostics(() => configDiagnostics().length >= 2, 10_000, 'two problems');
  const unknown = configDiagnostics().find((d) => d.code === 'config-unknown-key')!;
  assert.equal(unknown.severity, DiagnosticSeverity.Warning);
  assert.equal(textOf(text, unknown), '"sed"');
  assert.match(messageOf(unknown), /Did you mean "seed"/);
  const wrong = configDiagnostics().find((d) => d.code === 'config-wrong-value')!;
  assert.equal(wrong.severity, DiagnosticSeverity.Error);
  assert.equal(textOf(text, wrong), '"zero"');
  await edit(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 10_000, 'no diagnostics');
});

test('a missing model file is an error on "model" naming the fix', async () => {
  const text = original.replace('models/classifier.onnx', 'models/missing.onnx');
  await save(text);
  await server.waitForDiagnostics(() => configDiagnostics().some((d) => d.code === 'model-missing'), 30_000, 'model-missing');
  const d = configDiagnostics().find((x) => x.code === 'model-missing')!;
  assert.equal(textOf(text, d), '"models/missing.onnx"');
  assert.match(messageOf(d), /missing\.onnx.*not found.*Fix: check "model"/);
  await save(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 30_000, 'no diagnostics');
});

test('a model file that is not ONNX is an error on "model", mirrored on the file, and the server keeps serving', async () => {
  const modelFile = path.join(folder, 'models', 'classifier.onnx');
  const good = await fs.readFile(modelFile);
  await fs.writeFile(modelFile, 'this is not an ONNX model\n');
  await server.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(modelFile), type: FileChangeType.Changed }] });
  const onModel = () => server.diagnostics.get(uriOf(modelFile)) ?? [];
  await server.waitForDiagnostics(
    () => configDiagnostics().some((d) => d.code === 'model-not-onnx') && onModel().some((x) => x.code === 'model-not-onnx'),
    30_000,
    'model-not-onnx on the config and the model',
  );
  const d = configDiagnostics().find((x) => x.code === 'model-not-onnx')!;
  assert.equal(textOf(original, d), '"models/classifier.onnx"');
  assert.match(messageOf(d), /not a usable ONNX model/);
  assert.equal(onModel()[0].relatedInformation?.[0].location.uri, configUri, 'the mirror points back at the config');
  const response = await server.connection.sendRequest(RunSmokeRequest.type, {});
  assert.equal(response.status, 'failed');
  assert.equal(server.process.exitCode, null, 'the server is still running');
  await fs.writeFile(modelFile, good);
  await server.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(modelFile), type: FileChangeType.Changed }] });
  await server.waitForDiagnostics(() => configDiagnostics().length === 0 && (server.diagnostics.get(uriOf(modelFile)) ?? []).length === 0, 30_000, 'cleared');
});

test('a data file whose shape disagrees with the config is an error on the data key', async () => {
  const text = original.replace('"size": [28, 28]', '"size": [32, 32]');
  await save(text);
  await server.waitForDiagnostics(() => configDiagnostics().some((d) => d.severity === DiagnosticSeverity.Error), 30_000, 'an error');
  const d = configDiagnostics().find((x) => x.severity === DiagnosticSeverity.Error)!;
  assert.equal(d.code, 'data-size-mismatch');
  assert.equal(textOf(text, d), '"data/x.npy"');
  await save(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 30_000, 'no diagnostics');
});

test('an unknown corruption is an error on its entry suggesting the closest name', async () => {
  const text = original.replace('"gaussian_blur"]', '"gausian_blur"]');
  await edit(text);
  await server.waitForDiagnostics(() => configDiagnostics().some((d) => d.code === 'unknown-corruption'), 10_000, 'unknown-corruption');
  const d = configDiagnostics().find((x) => x.code === 'unknown-corruption')!;
  assert.equal(textOf(text, d), '"gausian_blur"');
  assert.match(messageOf(d), /Did you mean "gaussian_blur"\?/);
  await edit(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 10_000, 'no diagnostics');
});

test('a severity out of 1..5 is an error on the value', async () => {
  const text = original.replace('"severities": [3]', '"severities": [7]');
  await edit(text);
  await server.waitForDiagnostics(() => configDiagnostics().some((d) => d.severity === DiagnosticSeverity.Error), 10_000, 'an error');
  const d = configDiagnostics().find((x) => x.severity === DiagnosticSeverity.Error)!;
  assert.equal(textOf(text, d), '7');
  assert.match(messageOf(d), /must be <= 5/);
  await edit(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 10_000, 'no diagnostics');
});

test('a CIFAR-10-C folder that lacks files is an error on data.path naming them', async () => {
  const folderC = path.join(folder, 'CIFAR-10-C');
  await fs.mkdir(folderC, { recursive: true });
  await fs.writeFile(path.join(folderC, 'labels.npy'), await fs.readFile(path.join(folder, 'data', 'y.npy')));
  const text = original.replace(
    '"data": { "format": "npy", "x": "data/x.npy", "y": "data/y.npy" }',
    '"data": { "format": "cifar10-c", "path": "CIFAR-10-C", "clean": { "format": "npy", "x": "data/x.npy", "y": "data/y.npy" } }',
  );
  assert.notEqual(text, original);
  await save(text);
  await server.waitForDiagnostics(() => configDiagnostics().some((d) => d.code === 'pregenerated-missing'), 30_000, 'pregenerated-missing');
  const d = configDiagnostics().find((x) => x.code === 'pregenerated-missing')!;
  assert.equal(textOf(text, d), '"CIFAR-10-C"');
  assert.match(messageOf(d), /lacks gaussian_noise\.npy, gaussian_blur\.npy/);
  await save(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 30_000, 'no diagnostics');
});

test('unreadable images in an image folder are one error on data.path: the first named with its place, the others counted', async () => {
  const images = path.join(folder, 'imgs');
  const grey = (value: number) => sharp(Buffer.alloc(28 * 28, value), { raw: { width: 28, height: 28, channels: 1 } }).png();
  await fs.mkdir(path.join(images, 'Trouser'), { recursive: true });
  await fs.mkdir(path.join(images, 'Dress'), { recursive: true });
  await grey(40).toFile(path.join(images, 'Trouser', 'a.png'));
  await fs.writeFile(path.join(images, 'Trouser', 'b.png'), 'not a PNG');
  await grey(200).toFile(path.join(images, 'Dress', 'c.png'));
  await fs.writeFile(path.join(images, 'Dress', 'd.png'), 'not a PNG either');
  const text = original.replace('"data": { "format": "npy", "x": "data/x.npy", "y": "data/y.npy" }', '"data": { "format": "imagefolder", "path": "imgs" }');
  assert.notEqual(text, original);
  await save(text);
  await server.waitForDiagnostics(() => configDiagnostics().some((d) => d.code === 'data-image-unreadable'), 30_000, 'data-image-unreadable');
  const d = configDiagnostics().find((x) => x.code === 'data-image-unreadable')!;
  assert.equal(d.severity, DiagnosticSeverity.Error);
  assert.equal(textOf(text, d), '"imgs"');
  assert.match(messageOf(d), /cannot read the image b\.png: .*; 1 more of the 4 images read with it cannot be read either: d\.png/);
  assert.match(messageOf(d), /sample 1 \(label 'Trouser'\)/);
  assert.equal(server.process.exitCode, null, 'the server is still running');
  await save(original);
  await server.waitForDiagnostics(() => configDiagnostics().length === 0, 30_000, 'no diagnostics');
});
