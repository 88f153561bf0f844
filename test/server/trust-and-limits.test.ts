// Restricted mode and the smoke time limit, over a real LSP connection.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RunFullRequest, RunSmokeRequest } from '../../src/shared/protocol';
import { REPO_ROOT, messageOf, startServer, uriOf } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('in an untrusted workspace the config is checked but no model runs, and the reason is given', async () => {
  const folder = await copyWorkspace(DEMO);
  const configFile = path.join(folder, 'robustness.json');
  await fs.writeFile(configFile, (await fs.readFile(configFile, 'utf8')).replace('"seed": 0', '"seed": 0, "sed": 1'));
  const server = await startServer(folder, { trusted: false });
  cleanups.push(() => removeWorkspace(folder), () => server.stop());
  await server.waitForDiagnostics((all) => (all.get(uriOf(configFile)) ?? []).some((d) => d.code === 'config-unknown-key'), 10_000, 'config checks');
  const restricted = await server.waitForState((s) => s.state === 'restricted', 10_000);
  assert.match(restricted.state === 'restricted' ? restricted.message : '', /not trusted.*Manage Workspace Trust/);
  for (const type of [RunSmokeRequest.type, RunFullRequest.type]) {
    const response = await server.connection.sendRequest(type, {});
    assert.equal(response.status, 'failed');
    assert.match(response.status === 'failed' ? response.message : '', /not trusted/);
  }
  assert.ok(!server.states.some((s) => s.state === 'running' || s.state === 'finished'), 'nothing ran');
});

test('a smoke test past the time limit is stopped with advice on the samples', async () => {
  const folder = await copyWorkspace(DEMO);
  const configUri = uriOf(path.join(folder, 'robustness.json'));
  const server = await startServer(folder, { smokeTimeLimitMs: 1 });
  cleanups.push(() => removeWorkspace(folder), () => server.stop());
  await server.waitForDiagnostics((all) => (all.get(configUri) ?? []).some((d) => d.code === 'smoke-too-slow'), 30_000, 'smoke-too-slow');
  const d = (server.diagnostics.get(configUri) ?? []).find((x) => x.code === 'smoke-too-slow')!;
  assert.match(messageOf(d), /took longer than 0\.001 s.*lower "smoke\.samples"/);
  const text = await fs.readFile(path.join(folder, 'robustness.json'), 'utf8');
  assert.equal(text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character), '256', 'on smoke.samples');
  // The full suite has no such limit.
  const full = await server.connection.sendRequest(RunFullRequest.type, {});
  assert.equal(full.status, 'completed');
});
