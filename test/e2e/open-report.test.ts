// End to end in a real VS Code (code-server + Chromium): "Robustness: Open Report" shows the latest results of the
// Fashion-MNIST demo in the report webview, so does the language status item's link; the report's "Run full suite"
// button brings the full results in; the panel comes back after a window reload (the serializer). With
// no results yet, the panel says so, and its button runs the full suite, after which the panel shows the results.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { REPO_ROOT, type CodeServer } from './harness/code-server';
import { demoInEditor } from './harness/demo-in-editor';
import { consoleErrors, notifications, openFile, runCommand, screenshot, waitForNotification, withFailureScreenshot } from './harness/workbench';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');
/** The demo's model, as robustness.json names it: the report header's modelPath. */
const MODEL_PATH = 'models/classifier.onnx';
const REPORT_TAB = '.tabs-container .tab[aria-label^="Robustness Report"]';

const MODEL_PATH_PATTERN = new RegExp(MODEL_PATH.replace(/\./g, '\\.'));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Console errors of the page and its frames (the webview's included) that report a refused resource. */
function cspViolations(page: Page): string[] {
  return consoleErrors(page).filter((e) => /Content Security Policy|Refused to (load|apply|execute|evaluate)/i.test(e));
}

/** The report app's document: the webview's outer iframe, then its #active-frame (notes/REAL-VSCODE.md). */
function reportFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
}

/** Polls the webview's text until it matches; the error names what the webview showed last. */
async function waitForWebviewText(page: Page, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await reportFrame(page)
      .locator('body')
      .innerText({ timeout: 1000 })
      .catch(() => last);
    if (pattern.test(last)) return last;
    await sleep(250);
  }
  throw new Error(`the report webview did not show ${pattern} within ${timeoutMs} ms; it showed: ${JSON.stringify(last.slice(0, 500))}`);
}

/**
 * Posts messages to the extension as the report app would (acquireVsCodeApi().postMessage), from the webview's outer
 * frame: its '__vscode_post_message__' is what acquireVsCodeApi calls (VS Code 1.100, webview/browser/pre/index.html).
 * The app itself has already acquired the API, which may be acquired once only.
 */
async function postFromWebview(page: Page, messages: unknown[]): Promise<void> {
  const outer = page.frames().find((f) => f.url().includes('/webview/browser/pre/index.html') && f.name() !== 'active-frame');
  assert.ok(outer, 'the webview frame');
  await outer.evaluate((list) => {
    const post = (globalThis as unknown as Record<string, (command: string, data: unknown) => void>)['__vscode_post_message__'];
    for (const message of list) post('onmessage', { message });
  }, messages);
}

/** The extension's log ("Robustness Lens" output channel) as written so far. */
function extensionLog(server: CodeServer): string {
  const logs = path.join(server.userDataDir, 'logs');
  const files = fs.existsSync(logs) ? (fs.readdirSync(logs, { recursive: true }) as string[]).filter((f) => f.endsWith('Robustness Lens.log')) : [];
  return files.map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('\n');
}

describe('Robustness: Open Report in a real VS Code', { timeout: 300_000 }, () => {
  const demo = demoInEditor(DEMO);

  it('shows the latest results of the folder, and the panel is restored after a reload', async () => {
    const { page } = demo.workbench();
    await withFailureScreenshot(
      page,
      'open-report',
      async () => {
        // As a user would: the config open (the workbench has settled), then a smoke test, then the report.
        await openFile(page, 'robustness.json');
        await runCommand(page, 'Robustness: Run Smoke Test Now');
        // A smoke test the server schedules itself (on start-up, on file events) supersedes a running one, so this
        // run may end 'cancelled'; the newer run's results then reach the panel, which refreshes on every finished run.
        await waitForNotification(page, /Robustness smoke run (finished: clean accuracy \d+\.\d%|cancelled)/, 90_000);

        const opened = Date.now();
        await runCommand(page, 'Robustness: Open Report');
        await page.locator(REPORT_TAB).first().waitFor({ state: 'visible', timeout: 20_000 });
        const text = await waitForWebviewText(page, MODEL_PATH_PATTERN, 90_000);
        process.stdout.write(`# Open Report to the model path in the webview: ${((Date.now() - opened) / 1000).toFixed(2)} s\n`);
        assert.ok(!/no results yet/i.test(text), 'the report, not the empty state');
        await sleep(1000); // let the charts draw
        await screenshot(page, 'open-report');
        assert.deepEqual(cspViolations(page), [], 'the report renders within its Content Security Policy');

        // Opening it again reveals the same panel rather than making a second one.
        await runCommand(page, 'Robustness: Open Report');
        await waitForWebviewText(page, MODEL_PATH_PATTERN, 30_000);
        assert.equal(await page.locator(REPORT_TAB).count(), 1, 'one report panel');

        // Closed, it opens again from the language status item of robustness.json, whose link is now "Open Report".
        await page.locator(`${REPORT_TAB} .codicon-close`).first().click();
        await page.locator(REPORT_TAB).first().waitFor({ state: 'detached', timeout: 10_000 });
        await openFile(page, 'robustness.json');
        await page.locator('[id="status.languageStatus"]').first().click();
        await page.locator('.monaco-hover a.monaco-link', { hasText: 'Open Report' }).first().click({ timeout: 10_000 });
        await waitForWebviewText(page, MODEL_PATH_PATTERN, 30_000);

        // The report's own "Run full suite" button: the run's 'finished' state brings the full results into the panel.
        await reportFrame(page).locator('button, vscode-button', { hasText: /full suite/i }).first().click({ timeout: 10_000 });
        await waitForNotification(page, /Robustness full run finished/, 240_000);
        await waitForWebviewText(page, /full run/i, 30_000);
        await screenshot(page, 'open-report-full-run');

        // A window reload: the serializer restores the panel, which shows the results again (the model the webview
        // saved, or the server's answer once its smoke test on start-up finished).
        // "Developer: Reload Window" goes through the workbench's shutdown, which saves the open editors (a bare
        // page reload right after opening the panel may come before they were saved).
        const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: 30_000 });
        await runCommand(page, 'Developer: Reload Window');
        await navigated;
        await page.locator('#workbench\\.parts\\.statusbar').first().waitFor({ state: 'visible', timeout: 60_000 });
        await page.locator(REPORT_TAB).first().waitFor({ state: 'visible', timeout: 30_000 });
        await waitForWebviewText(page, MODEL_PATH_PATTERN, 90_000);
        assert.equal(await page.locator(REPORT_TAB).count(), 1, 'one report panel after the reload');
        await screenshot(page, 'open-report-restored');
      },
      demo.server(),
    );
  });
});

/** A copy of the demo with no smoke test on start-up: it has no results until someone runs something. */
const demoWithoutResults = () => demoInEditor(DEMO, { userSettings: { 'robustnessLens.runOnSave': false } });

describe('Robustness: Open Report with no results yet', { timeout: 300_000 }, () => {
  const demo = demoWithoutResults();

  it('says so, ignores messages outside the protocol, and a run that finishes while it is hidden shows once it is back', async () => {
    const { page } = demo.workbench();
    await withFailureScreenshot(
      page,
      'open-report-hidden',
      async () => {
        await runCommand(page, 'Robustness: Open Report');
        await waitForWebviewText(page, /no results yet/i, 60_000);
        await screenshot(page, 'open-report-empty');

        // Messages outside the protocol are ignored and logged, whatever they carry.
        await postFromWebview(page, [{ type: 'bogus' }, { type: 'runFull', command: 'workbench.action.terminal.new' }, 'runFull']);
        const deadline = Date.now() + 10_000;
        let log = '';
        while (Date.now() < deadline && (log.match(/ignored an unknown message/g) ?? []).length < 3) {
          await sleep(250);
          log = extensionLog(demo.server());
        }
        assert.match(log, /ignored an unknown message from the webview: \{"type":"bogus"\}/);
        assert.match(log, /ignored an unknown message from the webview: \{"type":"runFull","command":"workbench.action.terminal.new"\}/);
        assert.match(log, /ignored an unknown message from the webview: "runFull"/);
        assert.ok(!(await notifications(page)).some((n) => /full suite/i.test(n)), 'no run started');

        // The config opens in the panel's group and hides it: the webview's page goes (no retainContextWhenHidden).
        await openFile(page, 'robustness.json');
        assert.equal(await page.locator('.tabs-container .tab.active[aria-label^="Robustness Report"]').count(), 0, 'the report is hidden');
        await page.locator('iframe.webview.ready').first().waitFor({ state: 'hidden', timeout: 10_000 });
        await runCommand(page, 'Robustness: Run Smoke Test Now');
        await waitForNotification(page, /Robustness smoke run finished/, 90_000);
        // Shown again, the page says 'ready' and gets the model the panel asked for while it was hidden.
        await page.locator(REPORT_TAB).first().click();
        await waitForWebviewText(page, MODEL_PATH_PATTERN, 30_000);
        await screenshot(page, 'open-report-shown-again');
      },
      demo.server(),
    );
  });
});

describe('Robustness: Open Report, the empty state\'s button', { timeout: 300_000 }, () => {
  const demo = demoWithoutResults();

  it('runs the full suite, after which the panel shows the results', async () => {
    const { page } = demo.workbench();
    await withFailureScreenshot(
      page,
      'open-report-empty',
      async () => {
        await runCommand(page, 'Robustness: Open Report');
        await waitForWebviewText(page, /no results yet/i, 60_000);
        const button = reportFrame(page).locator('button, vscode-button', { hasText: /full suite/i }).first();
        await button.click({ timeout: 10_000 }).catch((error: Error) => {
          throw new Error(`the report's empty state has no "Run full suite" button (media/report/): ${error.message}`);
        });
        await waitForNotification(page, /Robustness full run finished/, 240_000);
        // The server's 'finished' state makes the panel ask for the new model.
        await waitForWebviewText(page, MODEL_PATH_PATTERN, 30_000);
        await screenshot(page, 'open-report-after-full-run');
      },
      demo.server(),
    );
  });
});
