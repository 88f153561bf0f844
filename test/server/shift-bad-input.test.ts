// Bad input of the shift check through the real server, on the tabular demo: a data problem is a diagnostic on
// the key to fix in robustness.json (a label column that does not exist), a config problem on its entry (a check
// naming an unknown data set), and the server keeps serving: fixing the config clears both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DidChangeWatchedFilesNotification, FileChangeType } from 'vscode-languageserver-protocol/node';
import { RunSmokeRequest } from '../../src/shared/protocol';
import { REPO_ROOT, messageOf, startServer, uriOf, type TestServer } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';

const DEMO = path.join(REPO_ROOT, 'examples', 'tabular-shift');
let folder: string;
let server: TestServer;
let configFile: string;
let original: string;

before(async () => {
  folder = await copyWorkspace(DEMO);
  configFile = path.join(folder, 'robustness.json');
  original = await fs.readFile(configFile, 'utf8');
  server = await startServer(folder, { runOnSave: false });
});

after(async () => {
  await server?.stop();
  await removeWorkspace(folder);
});

const diagnostics = () => server.diagnostics.get(uriOf(configFile)) ?? [];

async function rewrite(text: string): Promise<void> {
  await fs.writeFile(configFile, text);
  await server.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(configFile), type: FileChangeType.Changed }] });
}

test('a label column that does not exist is a diagnostic on "label" naming the closest column', async () => {
  const text = original.replace('"path": "data/target-dev.parquet", "label": "outcome"', '"path": "data/target-dev.parquet", "label": "Outcome"');
  assert.notEqual(text, original);
  await rewrite(text);
  await server.waitForDiagnostics(() => diagnostics().length === 0 || diagnostics().every((d) => d.code !== 'config-syntax'), 10_000);
  const response = await server.connection.sendRequest(RunSmokeRequest.type, {});
  assert.equal(response.status, 'failed');
  await server.waitForDiagnostics(() => diagnostics().some((d) => d.code === 'data-column-missing'), 30_000, 'the data diagnostic');
  const d = diagnostics().find((x) => x.code === 'data-column-missing')!;
  assert.match(messageOf(d), /"Outcome"/);
  assert.match(messageOf(d), /outcome/);
  const line = text.split('\n')[d.range.start.line];
  assert.match(line, /"target-dev":.*"label": "Outcome"/);
  assert.equal(text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character), '"Outcome"');
});

test('a check naming an unknown data set is a config diagnostic; fixing the config clears the diagnostics', async () => {
  await rewrite(original.replace('{ "dataset": "target-dev", "metric": "auroc", "min": 0.75 }', '{ "dataset": "target_dev", "metric": "auroc", "min": 0.75 }'));
  await server.waitForDiagnostics(() => diagnostics().some((d) => d.code === 'config-unknown-dataset'), 10_000, 'the config diagnostic');
  assert.match(messageOf(diagnostics().find((d) => d.code === 'config-unknown-dataset')!), /did you mean "target-dev"\?/);
  await rewrite(original);
  const response = await server.connection.sendRequest(RunSmokeRequest.type, {});
  assert.equal(response.status, 'completed', JSON.stringify(response));
  await server.waitForDiagnostics(() => diagnostics().every((d) => d.code === 'shift-check-failed'), 30_000, 'only the budget remains');
  assert.equal(diagnostics().length, 1, 'the demo fails one budget: the accuracy gap');
});
