// End to end in a real VS Code (code-server + Chromium): open the Fashion-MNIST demo, save a config
// change that points at a weaker model, see the regression diagnostics in the Problems panel, accept the
// results as the baseline from the palette and see them clear, then run the full suite from the palette.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './harness/code-server';
import { demoInEditor } from './harness/demo-in-editor';
import {
  openFile,
  problemRows,
  runCommand,
  screenshot,
  showProblems,
  waitForNoProblem,
  waitForNotification,
  waitForProblem,
  withFailureScreenshot,
} from './harness/workbench';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');
const WEAK_MODEL = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'grey28-linear.onnx');
const REGRESSION = /gaussian_noise s3: accuracy \d+\.\d% \(baseline \d+\.\d%, -\d+(\.\d)? pp, budget 2 pp, p < 0\.001\)/;

describe('the demo workspace in a real VS Code', { timeout: 300_000 }, () => {
  // A baseline of the demo model, as a user would have committed it; and a weaker model beside it.
  const demo = demoInEditor(DEMO, { baseline: true, prepare: (folder) => fs.copyFile(WEAK_MODEL, path.join(folder, 'models', 'weak.onnx')) });

  it('saving the config with a weaker model shows the regression; accepting the baseline clears it', async () => {
    const { page } = demo.workbench();
    await withFailureScreenshot(
      page,
      'demo-regression',
      async () => {
        await openFile(page, 'robustness.json');
        await showProblems(page);
        // Edit in the editor and save, as a user does.
        const editor = page.locator('.monaco-editor .view-lines').first();
        await editor.click();
        await page.keyboard.press('Control+H');
        const find = page.locator('.find-widget textarea[aria-label="Find"], .find-widget .input[aria-label="Find"]').first();
        await find.waitFor({ state: 'visible', timeout: 10_000 });
        await find.fill('classifier.onnx');
        const replace = page.locator('.find-widget textarea[aria-label="Replace"], .find-widget .input[aria-label="Replace"]').first();
        await replace.fill('weak.onnx');
        await page.keyboard.press('Control+Alt+Enter');
        await page.keyboard.press('Escape');
        await editor.click();
        const saved = Date.now();
        await page.keyboard.press('Control+S');
        const row = await waitForProblem(page, REGRESSION, 60_000);
        const seconds = (Date.now() - saved) / 1000;
        process.stdout.write(`# save to regression diagnostic in the Problems panel: ${seconds.toFixed(2)} s\n`);
        assert.match(row, /robustness/);
        const rows = await problemRows(page);
        const texts = rows.map((r) => r.text).join('\n');
        assert.match(texts, /clean: accuracy/, 'the clean accuracy regressed too');
        assert.match(texts, /weak\.onnx/, 'mirrored on the model file');
        await screenshot(page, 'demo-regression');

        await runCommand(page, 'Robustness: Accept Results as Baseline');
        await waitForNotification(page, /baseline written to \.robustness\/baseline\.json/, 30_000);
        await waitForNoProblem(page, REGRESSION, 30_000);
      },
      demo.server(),
    );
  });

  it('Run Full Suite shows progress and reports the results', async () => {
    const { page } = demo.workbench();
    await withFailureScreenshot(
      page,
      'demo-full-suite',
      async () => {
        await runCommand(page, 'Robustness: Run Full Suite');
        const text = await waitForNotification(page, /Robustness full run finished: clean accuracy \d+\.\d%, mean corruption accuracy \d+\.\d%/, 120_000);
        assert.match(text, /clean accuracy/);
        await screenshot(page, 'demo-full-suite');
      },
      demo.server(),
    );
  });
});
