// End to end in a real VS Code on the tabular shift demo (CSV and Parquet data, a logistic-regression ONNX model):
// the failed shift budget shows in the Problems panel at start; "Robustness: Final Evaluation on Frozen Test Set"
// asks first (cancelling evaluates nothing), then evaluates the frozen set and appends to the log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './harness/code-server';
import { demoInEditor } from './harness/demo-in-editor';
import { openFile, runCommand, screenshot, showProblems, waitForNotification, waitForProblem, withFailureScreenshot } from './harness/workbench';

const DEMO = path.join(REPO_ROOT, 'examples', 'tabular-shift');
const GAP = /target-dev: the gap in accuracy from the source is \d+\.\d pp \[\d+\.\d, \d+\.\d\]; budget gap in accuracy <= 5\.0 pp/;

async function logLines(folder: string): Promise<number> {
  const text = await fs.readFile(path.join(folder, '.robustness', 'frozen-test-log.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim()).length;
}

describe('the tabular shift demo in a real VS Code', { timeout: 300_000 }, () => {
  const demo = demoInEditor(DEMO);

  it('shows the failed shift budget, and the final evaluation runs only once confirmed', async () => {
    const { page } = demo.workbench();
    const folder = demo.folder();
    await withFailureScreenshot(
      page,
      'shift-final',
      async () => {
        await openFile(page, 'robustness.json');
        await showProblems(page);
        await waitForProblem(page, GAP, 90_000);
        await screenshot(page, 'shift-budget-problem');

        // Cancel at the confirmation: nothing is evaluated or logged.
        await runCommand(page, 'Robustness: Final Evaluation on Frozen Test Set');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        assert.match(await dialog.innerText(), /frozen-test-log\.jsonl/);
        await screenshot(page, 'shift-final-confirm');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
        assert.equal(await logLines(folder), 0, 'cancelled: no final evaluation');

        // Confirm: the frozen set is evaluated and logged.
        await runCommand(page, 'Robustness: Final Evaluation on Frozen Test Set');
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        await dialog.locator('.monaco-button', { hasText: 'Evaluate the Frozen Test Set' }).click();
        await waitForNotification(page, /Robustness final run finished, shift check on 3 data set\(s\)/, 90_000);
        assert.equal(await logLines(folder), 1);
        const entry = JSON.parse((await fs.readFile(path.join(folder, '.robustness', 'frozen-test-log.jsonl'), 'utf8')).trim());
        assert.deepEqual(entry.datasets.map((d: { name: string }) => d.name), ['source', 'target-dev', 'target-test']);
      },
      demo.server(),
    );
  });
});
