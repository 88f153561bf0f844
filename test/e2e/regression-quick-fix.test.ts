// End to end in a real VS Code: in the RGB demo, replace the model by a more fragile one; the regression shows in
// the Problems panel (on the config and mirrored on the model); the quick fix "Accept the latest results as the
// new baseline" clears it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './harness/code-server';
import { demoInEditor } from './harness/demo-in-editor';
import { openFile, problemRows, screenshot, showProblems, waitForNoProblem, waitForProblem, withFailureScreenshot } from './harness/workbench';

const DEMO = path.join(REPO_ROOT, 'examples', 'cifar-synth');
const FRAGILE = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'cifar-synth-fragile.onnx');
const REGRESSION = /gaussian_noise s3: accuracy \d+\.\d% \(baseline \d+\.\d%, -\d+(\.\d)? pp, budget 2 pp, p < 0\.001\)/;

describe('a more fragile model in a real VS Code', { timeout: 300_000 }, () => {
  const demo = demoInEditor(DEMO, { baseline: true });

  it('shows the regression, and the quick fix accepts the new baseline', async () => {
    const { page } = demo.workbench();
    const folder = demo.folder();
    await withFailureScreenshot(
      page,
      'quick-fix',
      async () => {
        await openFile(page, 'robustness.json');
        await showProblems(page);
        const replaced = Date.now();
        await fs.copyFile(FRAGILE, path.join(folder, 'models', 'classifier.onnx'));
        await waitForProblem(page, REGRESSION, 90_000);
        process.stdout.write(`# model replaced to regression diagnostic in the Problems panel: ${((Date.now() - replaced) / 1000).toFixed(2)} s\n`);
        const rows = (await problemRows(page)).map((r) => r.text).join('\n');
        assert.match(rows, /classifier\.onnx/, 'mirrored on the model file');
        await screenshot(page, 'quick-fix-regression');

        // The cursor to the first problem of the file, then the quick fix menu.
        await page.locator('.monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+Home');
        await page.keyboard.press('F8');
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+.');
        const action = page.locator('.action-widget .monaco-list-row', { hasText: 'Accept the latest results as the new baseline' }).first();
        await action.waitFor({ state: 'visible', timeout: 20_000 });
        await screenshot(page, 'quick-fix-menu');
        // The menu is keyboard-driven (a pointer block covers it): move the focus to the action, then Enter.
        for (let i = 0; i < 6; i++) {
          const focused = (await page.locator('.action-widget .monaco-list-row.focused').first().textContent()) ?? '';
          if (focused.includes('Accept the latest results as the new baseline')) break;
          await page.keyboard.press('ArrowDown');
        }
        await page.keyboard.press('Enter');
        await waitForNoProblem(page, REGRESSION, 60_000);
        const baseline = JSON.parse(await fs.readFile(path.join(folder, '.robustness', 'baseline.json'), 'utf8'));
        assert.ok(baseline.clean.accuracy > 0, 'the baseline now holds the fragile model results');
      },
      demo.server(),
    );
  });
});
