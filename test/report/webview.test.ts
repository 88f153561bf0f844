// The report app in a simulated VS Code webview: acquireVsCodeApi() is stubbed (recording postMessage and
// setState); the app posts 'ready', renders {type:'report'} messages, keeps the model as webview state and
// restores it, shows {type:'empty'} reasons, and turns malformed messages into an error text without throwing.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ReportModel } from '../../src/shared/report-model';
import type { ReportAssets } from '../../src/server/engine/outputs/standalone-html';
import { launchReportBrowser, openHtml, type ReportBrowser, type WatchedPage } from '../fixtures/report/browser';
import { makeReportModel } from '../fixtures/report/make-report-model';
import { reportAssets } from '../fixtures/report/report-assets';
import { postToWebview, vscodeCalls, webviewPageHtml } from '../fixtures/report/webview-page';

const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'test-results');

let assets: ReportAssets;
let model: ReportModel;
let shifted: ReportModel;
let browser: ReportBrowser;

before(async () => {
  assets = (await reportAssets()).assets;
  model = await makeReportModel({ maxThumbnails: 12 });
  shifted = await makeReportModel({ shift: true, maxThumbnails: 2 });
  browser = await launchReportBrowser();
});

after(async () => {
  await browser?.close();
});

async function openWebview(state?: unknown, expected = 'loading'): Promise<WatchedPage> {
  const watched = await browser.newPage({ width: 1000 });
  await openHtml(watched, browser.dir, 'webview.html', webviewPageHtml(assets, { csp: true, state }), expected);
  return watched;
}

const rendered = (watched: WatchedPage) => watched.page.waitForSelector('html[data-report-state="rendered"]', { timeout: 10_000 });

test('posts ready, renders a report message and keeps the model as webview state', async () => {
  const watched = await openWebview();
  const { page } = watched;
  assert.equal(await page.evaluate('document.documentElement.dataset.reportHost'), 'webview');
  assert.equal(await page.locator('.rl-message h2').textContent(), 'Waiting for results…');
  assert.deepEqual(await vscodeCalls(page), [{ method: 'postMessage', message: { type: 'ready' } }]);

  await postToWebview(page, { type: 'report', model });
  await rendered(watched);
  assert.equal(await page.locator('h1').textContent(), model.header.title);
  assert.equal(await page.locator('#rl-heatmap g[aria-label="cell"] rect').count(), 95);
  const calls = await vscodeCalls(page);
  assert.equal(calls.length, 2);
  assert.equal(calls[1].method, 'setState');
  assert.deepEqual(calls[1].state, JSON.parse(JSON.stringify(model)));
  await page.screenshot({ path: path.join(RESULTS_DIR, 'report-webview.png') });

  // The header's buttons ask the extension for a full run and for accepting the baseline.
  await page.getByRole('button', { name: 'Run full suite' }).click();
  await page.getByRole('button', { name: 'Accept as baseline' }).click();
  assert.deepEqual(
    (await vscodeCalls(page)).slice(2).map((c) => c.message),
    [{ type: 'runFull' }, { type: 'acceptBaseline' }],
  );
  assert.deepEqual(watched.consoleErrors, []);
  assert.deepEqual(await watched.violations(), []);
});

test('restores the model from webview state before any message arrives', async () => {
  const watched = await openWebview(model, 'rendered');
  assert.equal(await watched.page.locator('h1').textContent(), model.header.title);
  // Still says it is ready, so the extension can send fresher results.
  assert.deepEqual((await vscodeCalls(watched.page)).map((c) => c.message?.type), ['ready']);
  // Without a baseline there is nothing to accept.
  await postToWebview(watched.page, { type: 'report', model: { ...model, baseline: undefined } });
  await rendered(watched);
  assert.equal(await watched.page.getByRole('button', { name: 'Accept as baseline' }).count(), 0);
  assert.equal(await watched.page.getByRole('button', { name: 'Run full suite' }).count(), 1);
});

test('a state that is not a valid model is ignored', async () => {
  const watched = await openWebview({ version: 1, header: 'nope' }, 'loading');
  assert.equal(await watched.page.locator('.rl-message h2').textContent(), 'Waiting for results…');
  assert.deepEqual(watched.consoleErrors, []);
});

test('an empty message shows its reason and clears the state', async () => {
  const watched = await openWebview();
  await postToWebview(watched.page, { type: 'empty', reason: 'No results yet: run the smoke test (save robustness.json).' });
  await watched.page.waitForSelector('html[data-report-state="empty"]');
  assert.equal(await watched.page.locator('.rl-message h2').textContent(), 'No results yet.');
  assert.equal(await watched.page.locator('.rl-message p.rl-message-detail').textContent(), 'No results yet: run the smoke test (save robustness.json).');
  assert.equal(await watched.page.locator('.rl-message button').textContent(), 'Run full suite', 'the empty state offers the full suite');
  const calls = await vscodeCalls(watched.page);
  assert.deepEqual(calls.at(-1), { method: 'setState', state: null });
});

test('malformed messages show an error text and throw nothing', async () => {
  const watched = await openWebview();
  const { page } = watched;
  const broken: [unknown, RegExp][] = [
    [null, /^message: expected an object, got null$/],
    ['report', /^message: expected an object, got string$/],
    [{ type: 'explode' }, /^message\.type: expected 'report' or 'empty', got 'explode'$/],
    [{ type: 'report' }, /^model: expected an object, got undefined$/],
    [{ type: 'report', model: { ...model, version: 99 } }, /^model\.version: this report app reads version 1, got 99$/],
    [{ type: 'report', model: { ...model, conditions: [{ ...model.conditions[0], accuracy: '84%' }] } }, /^model\.conditions\[0\]\.accuracy: expected a finite number, got string$/],
    [{ type: 'report', model: { ...model, header: { ...model.header, labels: [1, 2] } } }, /^model\.header\.labels\[0\]: expected a string, got number$/],
    [{ type: 'report', model: { ...model, gallery: [{ ...model.gallery[0], correct: 'yes' }] } }, /^model\.gallery\[0\]\.correct: expected a boolean, got string$/],
    [{ type: 'report', model: { ...model, baseline: { ...model.baseline, regressions: {} } } }, /^model\.baseline\.regressions: expected an array, got object$/],
    [{ type: 'empty', reason: 42 }, /^message\.reason: expected a string, got number$/],
  ];
  for (const [message, expected] of broken) {
    await postToWebview(page, message);
    await page.waitForSelector('html[data-report-state="error"]');
    assert.equal(await page.locator('.rl-message h2').textContent(), 'The report received a message it cannot read.');
    assert.match((await page.locator('.rl-message p.rl-message-detail').textContent()) ?? '', expected);
    assert.equal(await page.locator('.rl-message').getAttribute('role'), 'alert');
  }
  // A valid message afterwards renders normally; the bad ones were never stored as state.
  await postToWebview(page, { type: 'report', model });
  await rendered(watched);
  assert.deepEqual((await vscodeCalls(page)).filter((c) => c.method === 'setState').length, 1);
  assert.deepEqual(watched.consoleErrors, []);
});

test('a malformed shift section is refused with the path of what is wrong; a valid one with nulls renders', async () => {
  const watched = await openWebview();
  const { page } = watched;
  const shift = shifted.shift!;
  const [source, dev, test] = shift.datasets;
  const withShift = (changes: object) => ({ type: 'report', model: { ...shifted, shift: { ...shift, ...changes } } });
  const withDataset = (index: number, changes: object) => withShift({ datasets: shift.datasets.map((d, i) => (i === index ? { ...d, ...changes } : d)) });
  const broken: [unknown, RegExp][] = [
    [withShift({ metrics: 'accuracy' }), /^model\.shift\.metrics: expected an array, got string$/],
    [withShift({ level: 95 }), /^model\.shift\.level: expected a confidence level between 0 and 1 \(0\.95\), got 95$/],
    [withShift({ frozenTest: undefined }), /^model\.shift\.frozenTest: expected a boolean, got undefined$/],
    [withShift({ positiveClass: 3 }), /^model\.shift\.positiveClass: expected a string, got number$/],
    [withDataset(0, { metrics: { ...source.metrics, accuracy: { value: 0.9, low: 0.8 } } }), /^model\.shift\.datasets\[0\]\.metrics\.accuracy\.high: expected a finite number or null, got undefined$/],
    [withDataset(0, { metrics: { ...source.metrics, auroc: { value: 'n/a', low: null, high: null } } }), /^model\.shift\.datasets\[0\]\.metrics\.auroc\.value: expected a finite number or null, got string$/],
    [withDataset(2, { gaps: { ...test.gaps, ece: null } }), /^model\.shift\.datasets\[2\]\.gaps\.ece: expected an object, got null$/],
    [withDataset(1, { worstGroup: { ...dev.worstGroup, accuracy: { group: 7, value: 0.7 } } }), /^model\.shift\.datasets\[1\]\.worstGroup\.accuracy\.group: expected a string, got number$/],
    [withDataset(1, { averageGroup: { ...dev.averageGroup, nll: null } }), /^model\.shift\.datasets\[1\]\.averageGroup\.nll: expected a finite number, got null$/],
    [withDataset(1, { roc: [{ ...dev.roc[0], points: [[0, 0], [0.5], [1, 1]] }] }), /^model\.shift\.datasets\[1\]\.roc\[0\]\.points\[1\]: expected a \[false positive rate, true positive rate\] pair, got 1 entry$/],
    [withDataset(1, { roc: [{ ...dev.roc[0], points: [[0, 0], { x: 1, y: 1 }] }] }), /^model\.shift\.datasets\[1\]\.roc\[0\]\.points\[1\]: expected a \[false positive rate, true positive rate\] pair, got object$/],
    [withDataset(1, { roc: [{ ...dev.roc[0], label: null }] }), /^model\.shift\.datasets\[1\]\.roc\[0\]\.label: expected a string, got null$/],
    [withDataset(0, { calibration: { ece: '0.05', bins: [] } }), /^model\.shift\.datasets\[0\]\.calibration\.ece: expected a finite number or null, got string$/],
    [withDataset(0, { calibration: { ece: 0.05, bins: [{ ...source.calibration.bins[0], count: '12' }] } }), /^model\.shift\.datasets\[0\]\.calibration\.bins\[0\]\.count: expected a finite number, got string$/],
    [withShift({ groups: [{ ...shift.groups[0], n: undefined }] }), /^model\.shift\.groups\[0\]\.n: expected a finite number, got undefined$/],
    [withShift({ checks: shift.checks.map((c, i) => (i === 2 ? { ...c, bound: 'between' } : c)) }), /^model\.shift\.checks\[2\]\.bound: expected 'min', 'max' or 'maxGap', got 'between'$/],
    [withShift({ checks: [{ ...shift.checks[0], passed: 'no' }] }), /^model\.shift\.checks\[0\]\.passed: expected a boolean, got string$/],
  ];
  for (const [message, expected] of broken) {
    await postToWebview(page, message);
    await page.waitForSelector('html[data-report-state="error"]');
    assert.equal(await page.locator('.rl-message h2').textContent(), 'The report received a message it cannot read.');
    assert.match((await page.locator('.rl-message p.rl-message-detail').textContent()) ?? '', expected);
  }
  // The fixture's shift section (with null AUROC and sensitivity in one group) is valid, and renders under the
  // webview's CSP.
  await postToWebview(page, { type: 'report', model: shifted });
  await rendered(watched);
  assert.equal(await page.locator('#rl-shift table.rl-shift-checks tbody tr').count(), 3);
  assert.equal(await page.locator('#rl-shift .rl-roc-figure g.rl-mark-roc path').count(), 3);
  assert.deepEqual((await vscodeCalls(page)).filter((c) => c.method === 'setState').length, 1);
  assert.deepEqual(watched.consoleErrors, []);
  assert.deepEqual(await watched.violations(), []);
});
