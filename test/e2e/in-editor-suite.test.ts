/**
 * Runs the in-editor mocha suite (test/vscode/suite/, the same one @vscode/test-electron runs in desktop VS Code)
 * inside code-server's extension host, with the repository loaded as the extension under development, and
 * asserts that it exits with 0. The suite's output arrives through window.codeAutomationLog.
 *
 * Needs: `npm run build` (dist/extension.js), scripts/install-code-server.sh, apt packages chromium + ripgrep.
 * The suite itself is bundled here by scripts/build-vscode-tests.mjs.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, startCodeServer, type CodeServer } from './harness/code-server';
import { RESULTS_DIR, runExtensionTests } from './harness/workbench';

const SUITE_INDEX = path.join(REPO_ROOT, 'dist', 'test', 'vscode', 'suite', 'index.js');
const EXTENSION_MAIN = path.join(REPO_ROOT, 'dist', 'extension.js');

/** Workbench chatter that is not the suite's output (kept in the saved log, left out of the test report). */
const NOISE = [
  /open-vsx\.org|ENOTFOUND|ERR_NAME_NOT_RESOLVED/,
  /^\[\w+\]\s+at .*workbench\.js:\d+/,
  /connection token|Creating a socket|Service Worker|ChatSessionStore|builtin extensions cache/,
];

describe('in-editor suite in code-server (test/vscode/suite)', { timeout: 600_000 }, () => {
  let workspace: string;
  let server: CodeServer | undefined;

  before(async () => {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-vscode-tests.mjs')], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
    assert.ok(fs.existsSync(SUITE_INDEX), `${SUITE_INDEX} was not built`);
    assert.ok(
      fs.existsSync(EXTENSION_MAIN),
      `${EXTENSION_MAIN} is missing: run \`npm run build\` before the in-editor suite`,
    );
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-in-editor-'));
    server = await startCodeServer({
      workspaceFolder: workspace,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: SUITE_INDEX,
    });
  });

  after(async () => {
    try {
      await server?.stop();
    } finally {
      if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('passes in the extension host (exit code 0)', async (t) => {
    assert.ok(server);
    const result = await runExtensionTests(server, { timeoutMs: 540_000 });
    const report = result.log
      .filter((l) => !NOISE.some((re) => re.test(l)))
      .map((l) => l.replace(/^\[info\] /, ''))
      .filter((l) => l.trim() !== '');
    for (const line of report) t.diagnostic(line);
    if (result.exitCode !== 0) {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      fs.writeFileSync(path.join(RESULTS_DIR, 'in-editor-suite-automation.log'), result.log.join('\n') + '\n');
      fs.writeFileSync(path.join(RESULTS_DIR, 'in-editor-suite-console.log'), result.console.join('\n') + '\n');
      server.collectLogs(RESULTS_DIR, 'in-editor-suite');
    }
    assert.equal(
      result.exitCode,
      0,
      `in-editor suite failed (exit ${result.exitCode}); logs in ${RESULTS_DIR}/in-editor-suite-*:\n${report.join('\n')}`,
    );
  });
});
