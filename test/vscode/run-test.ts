/**
 * Standard @vscode/test-electron entry: runs the in-editor mocha suite (dist/test/vscode/suite/index.js, built
 * from test/vscode/suite/ by scripts/build-vscode-tests.mjs) in VS Code with this repository as the extension
 * under development.
 *
 *   npm run build && node scripts/build-vscode-tests.mjs && node --import tsx test/vscode/run-test.ts
 *
 * With internet, test-electron downloads desktop VS Code (VSCODE_TEST_VERSION, default "stable"; e.g. "1.91.0"
 * to test the engines.vscode floor) into .vscode-test/. Offline, pass --offline (or VSCODE_TEST_OFFLINE=1): the
 * executable is then test/vscode/offline-vscode, a stand-in that runs the same suite in code-server + headless
 * chromium (scripts/install-code-server.sh). VSCODE_EXECUTABLE_PATH selects any other VS Code binary.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const extensionTestsPath = path.join(root, 'dist', 'test', 'vscode', 'suite', 'index.js');
  if (!fs.existsSync(extensionTestsPath)) {
    throw new Error(`${extensionTestsPath} is missing: run node scripts/build-vscode-tests.mjs`);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing: run npm run build');
  }

  const offline = process.argv.includes('--offline') || process.env.VSCODE_TEST_OFFLINE === '1';
  const vscodeExecutablePath =
    process.env.VSCODE_EXECUTABLE_PATH || (offline ? path.join(root, 'test', 'vscode', 'offline-vscode') : undefined);

  // A throw-away workspace, so the tests never touch the examples.
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-vscode-tests-'));
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath,
      ...(vscodeExecutablePath ? { vscodeExecutablePath } : { version: process.env.VSCODE_TEST_VERSION ?? 'stable' }),
      launchArgs: [workspace, '--disable-telemetry'],
      extensionTestsEnv: { ROBUSTNESS_LENS_TESTS: '1' },
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
