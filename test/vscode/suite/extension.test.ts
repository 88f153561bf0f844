/**
 * In-editor tests: run in VS Code's extension host (desktop via @vscode/test-electron, or code-server via
 * test/e2e/in-editor-suite.test.ts). Bundled to dist/test/vscode/suite/ by scripts/build-vscode-tests.mjs.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from 'mocha';

const EXTENSION_ID = 'robustness-lens.robustness-lens';
const COMMANDS = ['robustnessLens.runSmoke', 'robustnessLens.runFull', 'robustnessLens.acceptBaseline'];

suite('Robustness Lens extension', () => {
  test(`is installed as ${EXTENSION_ID}`, () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} not found`);
    assert.equal(extension.packageJSON.publisher, 'robustness-lens');
    assert.equal(extension.packageJSON.name, 'robustness-lens');
  });

  test('activates', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} not found`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  test('registers its commands', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    await extension.activate();
    const commands = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((c) => !commands.has(c));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
  });
});
