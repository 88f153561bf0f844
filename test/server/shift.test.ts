// The shift check through the real server over LSP: failed budgets become diagnostics on their entry in
// robustness.json; the final evaluation request evaluates the frozen test set, appends to the log, and past the
// allowed number of evaluations a warning appears on the frozen set's role; smoke runs never touch it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity, DidChangeWatchedFilesNotification, FileChangeType } from 'vscode-languageserver-protocol/node';
import { RunFinalRequest, RunSmokeRequest } from '../../src/shared/protocol';
import { startServer, uriOf, type TestServer } from '../helpers/lsp-client';
import { removeWorkspace } from '../helpers/workspace';
import { makeShiftWorkspace, shiftSection, writeShiftConfig } from '../helpers/shift-workspace';

let folder: string;
let server: TestServer;
let configFile: string;
let configUri: string;

/** The text at a diagnostic's range (single-line ranges, as the server gives for these entries' first line). */
async function lineOf(line: number): Promise<string> {
  return (await fs.readFile(configFile, 'utf8')).split('\n')[line];
}

before(async () => {
  folder = await makeShiftWorkspace();
  configFile = await writeShiftConfig(folder, shiftSection({ frozenTest: { maxEvaluations: 1 } }));
  configUri = uriOf(configFile);
  server = await startServer(folder, { runOnSave: true });
  await server.waitForState((s) => s.state === 'finished' || s.state === 'failed', 60_000);
});

after(async () => {
  await server?.stop();
  await removeWorkspace(folder);
});

test('the smoke test runs the shift check; a failed budget is a warning on its check entry', async () => {
  const response = await server.connection.sendRequest(RunSmokeRequest.type, {});
  assert.equal(response.status, 'completed', JSON.stringify(response));
  if (response.status !== 'completed') return;
  assert.equal(response.summary.cleanAccuracy, null, 'no corruption suite in this config');
  assert.equal(response.summary.shiftDatasets, 3, 'source, copy and contrast; never the frozen fog set');
  assert.equal(response.summary.shiftChecksFailed, 1);
  const diagnostics = (server.diagnostics.get(configUri) ?? []).filter((d) => d.code === 'shift-check-failed');
  assert.equal(diagnostics.length, 1);
  const [d] = diagnostics;
  assert.equal(d.severity, DiagnosticSeverity.Warning);
  assert.match(String(d.message), /^contrast: the gap in accuracy from the source is \d+\.\d pp \[\d+\.\d, \d+\.\d\]; budget gap in accuracy <= 1\.0 pp \(target-dev, 500 samples, 95% interval\)$/);
  assert.match(await lineOf(d.range.start.line), /"dataset": "contrast"|\{/);
  // The range covers the first check (index 0) of shift.checks.
  const text = await fs.readFile(configFile, 'utf8');
  const checksAt = text.indexOf('"checks"');
  const firstCheckLine = text.slice(0, text.indexOf('{', checksAt)).split('\n').length - 1;
  assert.equal(d.range.start.line, firstCheckLine);
  assert.equal(await fs.stat(path.join(folder, '.robustness', 'frozen-test-log.jsonl')).catch(() => null), null, 'no final evaluation, no log');
});

test('the final evaluation request evaluates the frozen set, logs it, and warns once used too often', async () => {
  const first = await server.connection.sendRequest(RunFinalRequest.type, {});
  assert.equal(first.status, 'completed', JSON.stringify(first));
  if (first.status !== 'completed') return;
  assert.equal(first.summary.kind, 'final');
  assert.equal(first.summary.shiftDatasets, 4);
  assert.equal(first.summary.shiftChecksFailed, 2, 'the fog check runs now, and fails');
  const log = path.join(folder, '.robustness', 'frozen-test-log.jsonl');
  assert.equal((await fs.readFile(log, 'utf8')).trim().split('\n').length, 1);
  assert.equal((server.diagnostics.get(configUri) ?? []).filter((d) => d.code === 'frozen-test-overused').length, 0, 'one evaluation is allowed');

  const second = await server.connection.sendRequest(RunFinalRequest.type, {});
  assert.equal(second.status, 'completed');
  assert.equal((await fs.readFile(log, 'utf8')).trim().split('\n').length, 2);
  const warnings = (server.diagnostics.get(configUri) ?? []).filter((d) => d.code === 'frozen-test-overused');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].severity, DiagnosticSeverity.Warning);
  assert.match(String(warnings[0].message), /evaluated 2 times \(allowed: 1, see \.robustness\/frozen-test-log\.jsonl\)/);
  assert.match(await lineOf(warnings[0].range.start.line), /"role": "target-test"/);

  // The warning stays after a smoke run (it comes from the log, not from the run).
  await server.connection.sendRequest(RunSmokeRequest.type, {});
  assert.equal((server.diagnostics.get(configUri) ?? []).filter((d) => d.code === 'frozen-test-overused').length, 1);
  assert.equal((await fs.readFile(log, 'utf8')).trim().split('\n').length, 2, 'smoke runs do not log');
});

test('a changed target-dev file starts a smoke test; a changed frozen test file does not', async () => {
  const runs = () => server.states.filter((s) => s.state === 'running' && s.percent === 0).length;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1500)); // past the 300 ms debounce
  const notify = (file: string) => server.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(path.join(folder, file)), type: FileChangeType.Changed }] });
  const before = runs();
  await notify('data/fog.npy');
  await settle();
  assert.equal(runs(), before, 'the frozen test set is not watched: changing it must not make anyone look at it');
  await notify('data/contrast.npy');
  await server.waitForState((s) => s.state === 'finished', 60_000);
  assert.equal(runs(), before + 1);
});
