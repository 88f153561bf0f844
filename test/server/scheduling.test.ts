// Scheduling over a real LSP connection: a save storm gives at most two runs and the diagnostics of the last
// state; several workspace folders work independently.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, DidSaveTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import { REPO_ROOT, startServer, uriOf, type TestServer } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runsStarted = (server: TestServer) => server.states.filter((s) => s.state === 'running' && s.percent === 0).length;

test('100 saves in 5 s give at most 2 runs, and the diagnostics reflect the last state', async () => {
  const folder = await copyWorkspace(DEMO);
  const server = await startServer(folder, { debounceMs: 300 });
  cleanups.push(() => removeWorkspace(folder), () => server.stop());
  await server.waitForState((s) => s.state === 'finished', 60_000);
  const before = runsStarted(server);
  const configFile = path.join(folder, 'robustness.json');
  const configUri = uriOf(configFile);
  const original = await fs.readFile(configFile, 'utf8');
  await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: configUri, languageId: 'jsonc', version: 1, text: original } });
  for (let i = 0; i < 100; i++) {
    // Alternate between a missing model and the real one; the last save names the missing one.
    const text = i % 2 === 1 ? original.replace('models/classifier.onnx', 'models/missing.onnx') : original;
    await server.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: configUri, version: i + 2 }, contentChanges: [{ text }] });
    await fs.writeFile(configFile, text);
    await server.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri: configUri } });
    await sleep(50);
  }
  await server.waitForDiagnostics((all) => (all.get(configUri) ?? []).some((d) => d.code === 'model-missing'), 30_000, 'the last state: model-missing');
  await sleep(1000); // nothing else may start afterwards
  const runs = runsStarted(server) - before;
  assert.ok(runs <= 2, `${runs} runs started for 100 saves`);
  assert.ok((server.diagnostics.get(configUri) ?? []).every((d) => d.code === 'model-missing'), 'only the last state shows');
});

test('several workspace folders work independently', async () => {
  const good = await copyWorkspace(DEMO);
  const broken = await copyWorkspace(DEMO);
  await fs.writeFile(path.join(broken, 'robustness.json'), (await fs.readFile(path.join(broken, 'robustness.json'), 'utf8')).replace('"seed": 0', '"seed": 0,,'));
  const server = await startServer([good, broken]);
  cleanups.push(() => removeWorkspace(good), () => removeWorkspace(broken), () => server.stop());
  const brokenUri = uriOf(path.join(broken, 'robustness.json'));
  await server.waitForDiagnostics((all) => (all.get(brokenUri) ?? []).some((d) => d.code === 'config-syntax'), 30_000, 'the broken folder');
  const finished = await server.waitForState((s) => s.state === 'finished', 60_000);
  assert.equal(finished.state === 'finished' && finished.summary.folderUri, uriOf(good), 'the good folder ran');
  assert.equal((server.diagnostics.get(uriOf(path.join(good, 'robustness.json'))) ?? []).length, 0, 'no diagnostics leak into the good folder');
});
