// Untrusted strings (labels, a corruption name, paths, the title, reasons, shift data set / group / positive-class
// names, image URLs) that would run script if they ever became markup. They must show as literal text, in the
// standalone file (with its CSP) and in a page without any CSP (so that a mistake in the app, not only the
// policy, would be caught).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ReportModel } from '../../src/shared/report-model';
import { renderStandaloneHtml, type ReportAssets } from '../../src/server/engine/outputs/standalone-html';
import { launchReportBrowser, openHtml, type ReportBrowser, type WatchedPage } from '../fixtures/report/browser';
import { HOSTILE, makeReportModel } from '../fixtures/report/make-report-model';
import { reportAssets } from '../fixtures/report/report-assets';
import { postToWebview, webviewPageHtml } from '../fixtures/report/webview-page';

const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'test-results');

let assets: ReportAssets;
let model: ReportModel;
let browser: ReportBrowser;

before(async () => {
  assets = (await reportAssets()).assets;
  model = await makeReportModel({ hostile: true, shift: true, maxThumbnails: 12 });
  browser = await launchReportBrowser();
});

after(async () => {
  await browser?.close();
});

/** Opens every disclosure and lists every corruption in the gallery, so all text is in the document. */
async function revealAll(page: Page): Promise<void> {
  await page.evaluate(`document.querySelectorAll('details').forEach((d) => { d.open = true; })`);
}

async function assertInert(watched: WatchedPage, where: string): Promise<void> {
  const { page } = watched;
  await revealAll(page);
  // Give onerror / onload handlers (if any had been created) a chance to run.
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined', `${where}: injected script ran`);
  assert.deepEqual(watched.dialogs, [], `${where}: a dialog opened`);
  assert.deepEqual(watched.consoleErrors, [], `${where}: console errors`);
  assert.deepEqual(await watched.violations(), [], `${where}: CSP violations`);
  // No element or attribute came from a payload.
  assert.equal(await page.locator('iframe, img[src="x"], #report script, #report style, svg[onload], [onerror], [onload]').count(), 0, `${where}: markup from a payload`);
  // Payload images are not loaded: placeholders instead.
  assert.equal(await page.locator('.rl-thumb-missing').count(), 2, `${where}: the javascript: and svg images are placeholders`);
  assert.ok((await page.locator('.rl-gallery img').evaluateAll((images) => images.map((i) => (i as unknown as { src: string }).src))).every((src) => src.startsWith('data:image/png;base64,')));

  // The text shows literally wherever it goes.
  assert.equal(await page.locator('h1').textContent(), `Report ${HOSTILE.script}`);
  assert.equal(await page.title(), `Report ${HOSTILE.script} – Robustness Lens`);
  assert.equal(await page.locator('.rl-meta code.rl-path').first().textContent(), `models/${HOSTILE.img}.onnx`);
  assert.ok((await page.getByText(`data/${HOSTILE.iframe}`, { exact: true }).count()) >= 1);
  assert.ok((await page.getByText(HOSTILE.svg, { exact: true }).count()) >= 1, 'the normalisation text');
  // The hostile corruption name: table row headers, heatmap tick label, legend, gallery filter option.
  const displayed = HOSTILE.svg.replace(/_/g, ' ');
  assert.ok((await page.locator('table.rl-corruption-table tbody th', { hasText: displayed }).count()) === 1);
  assert.ok((await page.locator('#rl-heatmap g[aria-label="y-axis tick label"] text', { hasText: displayed }).count()) === 1);
  assert.ok((await page.locator('.rl-legend li', { hasText: displayed }).count()) === 1);
  assert.ok((await page.locator('#rl-gallery option', { hasText: displayed }).count()) === 1);
  // Labels and predictions in the gallery.
  for (const text of [HOSTILE.img, HOSTILE.script, HOSTILE.iframe, HOSTILE.comment]) {
    assert.ok((await page.locator('.rl-gallery', { hasText: text }).count()) === 1, `${where}: gallery shows ${text}`);
  }
  // Baseline file.
  assert.ok((await page.locator('#rl-baseline code', { hasText: `.robustness/${HOSTILE.script}.json` }).count()) === 1);
  // Shift: a data set named HOSTILE.script (also the positive class), groups named HOSTILE.img in each data set.
  assert.equal(await page.locator('.rl-shift-positive').textContent(), HOSTILE.script);
  assert.equal(await page.locator('table.rl-shift-datasets tbody th', { hasText: HOSTILE.script }).count(), 1);
  assert.equal(await page.locator('table.rl-shift-checks tbody th', { hasText: HOSTILE.script }).count(), 1);
  assert.equal(await page.locator('table.rl-shift-gaps tbody th', { hasText: HOSTILE.script }).count(), 1);
  assert.equal(await page.locator('table.rl-shift-groups tbody th', { hasText: HOSTILE.img }).count(), 3);
  assert.ok((await page.locator('table.rl-shift-group-summary .rl-shift-group-name', { hasText: `(${HOSTILE.img})` }).count()) >= 1);
  // The ROC curve's caption names the positive class; its legend and the reliability caption the data set.
  assert.equal(await page.locator('.rl-roc-figure figcaption').textContent(), `ROC curves, positive class ${HOSTILE.script}: one per data set`);
  assert.equal(await page.locator('.rl-roc-legend .rl-roc-name', { hasText: HOSTILE.script }).count(), 1);
  assert.equal(await page.locator('.rl-shift-reliability figcaption .rl-shift-figure-name', { hasText: HOSTILE.script }).count(), 1);
  // SVG text and accessible names: the forest plot's tick labels, the charts' aria-labels.
  assert.ok((await page.locator('#rl-shift svg text', { hasText: `shapes-field-dev / ${HOSTILE.img}` }).count()) >= 1);
  assert.equal(await page.locator('.rl-roc-figure svg.rl-plot').first().getAttribute('aria-label'), `ROC curves of the positive class ${HOSTILE.script}, one line per data set`);
  assert.equal(await page.locator('.rl-shift-reliability svg.rl-plot').nth(2).getAttribute('aria-label'), `Reliability diagram: ${HOSTILE.script}`);
}

test('standalone file (with its CSP): hostile strings stay text', async () => {
  const watched = await browser.newPage();
  const html = renderStandaloneHtml(model, assets);
  // The JSON block cannot be closed early: the only </script> closings are the two real ones.
  assert.equal(html.match(/<\/script/gi)?.length, 2);
  await openHtml(watched, browser.dir, 'hostile.html', html);
  await assertInert(watched, 'standalone');
  await watched.page.screenshot({ path: path.join(RESULTS_DIR, 'report-hostile.png'), fullPage: false });
});

test('page without any CSP (webview host stub): hostile strings stay text', async () => {
  const watched = await browser.newPage();
  await openHtml(watched, browser.dir, 'hostile-webview.html', webviewPageHtml(assets, { csp: false }), 'loading');
  await postToWebview(watched.page, { type: 'report', model });
  await watched.page.waitForSelector('html[data-report-state="rendered"]');
  await assertInert(watched, 'no CSP');
  // Sorting and filtering re-create rows and thumbnails from the same strings: still text.
  await watched.page.locator('table.rl-corruption-table thead button', { hasText: 'Corruption' }).click();
  await watched.page.locator('#rl-gallery select').selectOption(HOSTILE.svg);
  assert.equal(await watched.page.locator('.rl-gallery .rl-thumb').count(), 1);
  await watched.page.waitForTimeout(200);
  assert.equal(await watched.page.evaluate('typeof window.__pwned'), 'undefined');
  assert.deepEqual(watched.dialogs, []);
});

test('an empty message with a hostile reason shows it as text', async () => {
  const watched = await browser.newPage();
  await openHtml(watched, browser.dir, 'hostile-empty.html', webviewPageHtml(assets, { csp: false }), 'loading');
  await postToWebview(watched.page, { type: 'empty', reason: HOSTILE.img });
  await watched.page.waitForSelector('html[data-report-state="empty"]');
  assert.equal(await watched.page.locator('.rl-message p.rl-message-detail').textContent(), HOSTILE.img);
  await watched.page.waitForTimeout(200);
  assert.equal(await watched.page.evaluate('typeof window.__pwned'), 'undefined');
  assert.deepEqual(watched.dialogs, []);
});
