/**
 * Mocha entry run inside VS Code's extension host (`extensionTestsPath`), by @vscode/test-electron in desktop
 * VS Code or by test/e2e/in-editor-suite.test.ts in code-server. The extension host loads JavaScript:
 * scripts/build-vscode-tests.mjs bundles this file and test/vscode/suite/*.test.ts into dist/test/vscode/suite/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // Reporters print with format strings (console.log('%s%s', …)); in code-server the extension host forwards
  // console arguments joined by spaces, unformatted. Format here so that every host shows readable lines.
  Mocha.reporters.Base.consoleLog = (...data: unknown[]) => console.log(util.format(...data));
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    // The extension starts a language server on activation; leave room on slow machines.
    timeout: Number(process.env.ROBUSTNESS_LENS_TEST_TIMEOUT_MS ?? 120_000),
    reporter: 'spec',
  });
  const grep = process.env.ROBUSTNESS_LENS_TEST_GREP;
  if (grep) mocha.grep(grep);

  // The compiled test files sit next to the compiled index.js.
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) throw new Error(`no *.test.js files in ${__dirname}: run node scripts/build-vscode-tests.mjs`);
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  await new Promise<void>((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} in-editor test(s) failed`));
        else resolve();
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
