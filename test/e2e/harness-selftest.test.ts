/**
 * Proves the end-to-end harness against a real VS Code (code-server 4.100.3 = VS Code 1.100.3, offline):
 * a throw-away extension is loaded as "under development", a workspace file with invalid JSON gets a
 * diagnostic from VS Code's built-in JSON language server, palette commands run, notifications show.
 *
 * Needs: scripts/install-code-server.sh, apt packages chromium + ripgrep.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/code-server';
import {
  consoleErrors,
  notifications,
  openFile,
  openWorkbench,
  problemRows,
  runCommand,
  screenshot,
  waitForNotification,
  waitForProblem,
  withFailureScreenshot,
  type Workbench,
} from './harness/workbench';

const HELLO_EXTENSION_JS = `
const vscode = require('vscode');
exports.activate = function (context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('harness.hello', () => {
      vscode.window.showInformationMessage('hello from harness');
    }),
  );
};
exports.deactivate = function () {};
`;

function makeHelloExtension(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'harness-hello',
        displayName: 'Harness Hello',
        publisher: 'harness',
        version: '0.0.1',
        engines: { vscode: '^1.80.0' },
        main: './extension.js',
        activationEvents: [],
        contributes: { commands: [{ command: 'harness.hello', title: 'Hello', category: 'Harness' }] },
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(path.join(dir, 'extension.js'), HELLO_EXTENSION_JS);
}

describe('e2e harness self-test (code-server + chromium)', { timeout: 240_000 }, () => {
  let tmp: string;
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  let page: Page;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-harness-selftest-'));
    const workspace = path.join(tmp, 'workspace');
    fs.mkdirSync(workspace);
    fs.writeFileSync(path.join(workspace, 'broken.json'), '{ "a": 1,, }\n');
    fs.writeFileSync(path.join(workspace, 'README.txt'), 'harness self-test workspace\n');
    const extension = path.join(tmp, 'hello-extension');
    makeHelloExtension(extension);

    server = await startCodeServer({ workspaceFolder: workspace, extensionDevelopmentPath: extension });
    wb = await openWorkbench(server.url());
    page = wb.page;
  });

  after(async () => {
    try {
      await wb?.close();
    } finally {
      try {
        await server?.stop();
      } finally {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
  });

  it('opens a file through Quick Open and lists the JSON language server problem', async () => {
    await withFailureScreenshot(page, 'harness-selftest-problems', async () => {
      await openFile(page, 'broken.json');
      await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible' });
      const editorText = await page.locator('.monaco-editor .view-lines').first().innerText();
      assert.match(editorText.replace(/\u00a0/g, ' '), /"a": 1,,/);

      const hit = await waitForProblem(page, /expected/i, 60_000);
      const rows = await problemRows(page);
      const marker = rows.find((r) => r.text === hit);
      assert.ok(marker, `row ${hit} listed`);
      assert.equal(marker.kind, 'marker', JSON.stringify(rows));
      assert.equal(marker.severity, 'error', JSON.stringify(rows));
      assert.ok(
        rows.some((r) => r.kind === 'file' && r.text.includes('broken.json')),
        `file row for broken.json in ${JSON.stringify(rows)}`,
      );
      // The editor shows the squiggle too.
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'attached', timeout: 30_000 });
    }, server);
  });

  it('runs a built-in palette command with an observable effect (View: Toggle Minimap)', async () => {
    await withFailureScreenshot(page, 'harness-selftest-minimap', async () => {
      const minimap = page.locator('.editor-instance .monaco-editor .minimap').first();
      await minimap.waitFor({ state: 'visible', timeout: 30_000 });
      await runCommand(page, 'View: Toggle Minimap');
      await minimap.waitFor({ state: 'hidden', timeout: 30_000 });
      await runCommand(page, 'View: Toggle Minimap');
      await minimap.waitFor({ state: 'visible', timeout: 30_000 });
    }, server);
  });

  it('loads the extension under development and runs its command (Harness: Hello)', async () => {
    await withFailureScreenshot(page, 'harness-selftest-extension', async () => {
      await runCommand(page, 'Harness: Hello', 60_000);
      const text = await waitForNotification(page, 'hello from harness', 30_000);
      assert.match(text, /hello from harness/);
      assert.ok((await notifications(page)).some((t) => t.includes('hello from harness')));
      const shot = await screenshot(page, 'harness-selftest');
      assert.ok(fs.statSync(shot).size > 10_000, `screenshot ${shot} written`);
    }, server);
  });

  it('collected browser console errors without page crashes', () => {
    // Marketplace look-ups fail offline and are logged as console errors; uncaught page errors are not expected.
    const crashes = consoleErrors(page).filter((e) => e.startsWith('pageerror:'));
    assert.deepEqual(crashes, []);
  });
});
