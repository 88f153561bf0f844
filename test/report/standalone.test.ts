// The report app in its standalone host: the HTML file the CLI writes (renderStandaloneHtml), opened by file://
// in headless chromium. Header, charts, heatmap, sorting by mouse and keyboard, gallery, calibration, shift,
// no network, no CSP violations; screenshots in test-results/report-*.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ReportModel } from '../../src/shared/report-model';
import { renderStandaloneHtml, type ReportAssets } from '../../src/server/engine/outputs/standalone-html';
import { launchReportBrowser, openHtml, type ReportBrowser, type WatchedPage } from '../fixtures/report/browser';
import { makeReportModel } from '../fixtures/report/make-report-model';
import { reportAssets } from '../fixtures/report/report-assets';

const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'test-results');

let assets: ReportAssets;
let model: ReportModel;
let html: string;
let browser: ReportBrowser;
let watched: WatchedPage;
let url: string;

const displayName = (name: string) => name.replace(/_/g, ' ');

before(async () => {
  const built = await reportAssets();
  assets = built.assets;
  console.log(`report app: ${built.origin}`);
  model = await makeReportModel({ thumbnailsPerCondition: 4, maxThumbnails: 30 });
  html = renderStandaloneHtml(model, assets);
  browser = await launchReportBrowser();
  watched = await browser.newPage();
  url = await openHtml(watched, browser.dir, 'report.html', html);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
});

test('the header shows the title, model, data and headline numbers', async () => {
  const { page } = watched;
  assert.equal(await page.locator('h1').textContent(), 'resnet20-cifar: full suite');
  assert.equal(await page.title(), 'resnet20-cifar: full suite – Robustness Lens');
  const meta = await page.locator('.rl-meta').innerText();
  for (const text of ['models/resnet20-cifar10.onnx', '3f7a9c2be41d', 'data/cifar10-test (imagefolder)', '1,000 of 10,000', 'cifar', '2025-11-28 10:21 UTC']) {
    assert.ok(meta.includes(text), `header shows ${text}: ${meta}`);
  }
  const cards = await page.locator('.rl-card').allInnerTexts();
  assert.ok(cards.some((c) => c.includes('CLEAN ACCURACY') && c.includes('93.4%')), cards.join(' | '));
  assert.ok(cards.some((c) => c.includes('REGRESSIONS') && c.includes('2')), cards.join(' | '));
  assert.deepEqual(await page.locator('.rl-contents a').allTextContents(), ['Accuracy under corruption', 'Against the baseline', 'Calibration', 'Examples']);
});

test('the heatmap has one cell (and one label) per corruption and severity', async () => {
  const { page } = watched;
  assert.equal(model.conditions.length, 95);
  assert.equal(await page.locator('#rl-heatmap g[aria-label="cell"] rect').count(), 95);
  assert.equal(await page.locator('#rl-heatmap g[aria-label="text"] text').count(), 95);
  // Rows are the corruptions (display names as tick labels), columns s1..s5.
  const ticks = await page.locator('#rl-heatmap g[aria-label="y-axis tick label"] text').allTextContents();
  assert.equal(ticks.length, 19);
  assert.ok(ticks.includes('jpeg compression'));
  assert.deepEqual(await page.locator('#rl-heatmap g[aria-label="x-axis tick label"] text').allTextContents(), ['s1', 's2', 's3', 's4', 's5']);
  // Each cell has a native tooltip with the exact figure.
  const first = model.conditions[0];
  const title = await page.locator('#rl-heatmap g[aria-label="cell"] rect title').first().textContent();
  assert.equal(title, `${displayName(first.corruption)} s${first.severity}: ${(first.accuracy * 100).toFixed(1)}% (n = ${first.n})`);
});

test('the accuracy charts draw one line per corruption, in four families', async () => {
  const { page } = watched;
  assert.equal(await page.locator('#rl-corruptions .rl-family').count(), 4);
  assert.equal(await page.locator('#rl-corruptions .rl-family g[aria-label="line"] path').count(), 19);
  assert.deepEqual(await page.locator('#rl-corruptions .rl-family figcaption').allTextContents(), ['Noise', 'Blur', 'Weather', 'Digital']);
  assert.equal(await page.locator('#rl-corruptions .rl-family .rl-legend li').count(), 19);
  // Each line has 6 points: clean, then s1..s5.
  const d = await page.locator('#rl-corruptions .rl-family g[aria-label="line"] path').first().getAttribute('d');
  assert.equal((d ?? '').match(/[ML]/g)?.length, 6);
});

async function rowNames(table: string): Promise<string[]> {
  return watched.page.locator(`table.${table} tbody th`).allTextContents();
}

async function columnValues(table: string, index: number): Promise<number[]> {
  const texts = await watched.page.locator(`table.${table} tbody tr > :nth-child(${index})`).allTextContents();
  return texts.map((t) => Number.parseFloat(t.replace('\u2212', '-')));
}

test('a table sorts by clicking a header and by Enter / Space on its button', async () => {
  const { page } = watched;
  const table = 'rl-corruption-table';
  const header = (label: string) => page.locator(`table.${table} thead th`, { has: page.locator('button', { hasText: label }) });
  const button = (label: string) => page.locator(`table.${table} thead button`, { hasText: label });

  // Initially by mean accuracy, ascending (worst first).
  assert.equal(await header('Mean accuracy').getAttribute('aria-sort'), 'ascending');
  const initial = await rowNames(table);
  const means = await columnValues(table, 2);
  assert.deepEqual(means, [...means].sort((a, b) => a - b));

  // Click: by name, ascending; click again: descending.
  await button('Corruption').click();
  const byName = await rowNames(table);
  assert.notDeepEqual(byName, initial);
  assert.deepEqual(byName, [...byName].sort((a, b) => a.localeCompare(b, 'en')));
  assert.equal(await header('Corruption').getAttribute('aria-sort'), 'ascending');
  assert.equal(await header('Mean accuracy').getAttribute('aria-sort'), null);
  await button('Corruption').click();
  assert.deepEqual(await rowNames(table), [...byName].reverse());
  assert.equal(await header('Corruption').getAttribute('aria-sort'), 'descending');

  // Keyboard: Enter on a focused header button sorts (numbers first descending), Space reverses.
  await button('Mean accuracy').focus();
  await page.keyboard.press('Enter');
  assert.equal(await header('Mean accuracy').getAttribute('aria-sort'), 'descending');
  const descending = await columnValues(table, 2);
  assert.deepEqual(descending, [...descending].sort((a, b) => b - a));
  assert.notDeepEqual(await rowNames(table), byName.slice().reverse());
  await page.keyboard.press('Space');
  assert.equal(await header('Mean accuracy').getAttribute('aria-sort'), 'ascending');
  assert.deepEqual(await rowNames(table), initial);
  // The live region says what happened.
  assert.match((await page.locator(`table.${table} ~ [role="status"]`).textContent()) ?? '', /Sorted by Mean accuracy, ascending/);
});

test('the baseline section lists the regressions and outlines them on the change heatmap', async () => {
  const { page } = watched;
  const caption = await page.locator('table.rl-regression-table caption').textContent();
  assert.equal(caption, '2 regressions, 1 drop over budget but not significant');
  assert.equal(await page.locator('table.rl-regression-table tbody tr.rl-row-bad').count(), 2);
  assert.equal(await page.locator('table.rl-regression-table tbody tr.rl-row-warn').count(), 1);
  assert.deepEqual(await rowNames('rl-regression-table'), ['gaussian noise s3', 'glass blur s4', 'contrast s5']);
  assert.equal(await page.locator('#rl-change-heatmap g.rl-mark-regression rect').count(), 2);
  assert.equal(await page.locator('#rl-change-heatmap g.rl-mark-over-budget rect').count(), 1);
  // The full change table is behind a disclosure, regressions highlighted.
  await page.locator('#rl-baseline details > summary').click();
  assert.equal(await page.locator('table.rl-change-table tbody tr').count(), 95);
  assert.equal(await page.locator('table.rl-change-table tbody tr.rl-row-bad').count(), 2);
});

test('calibration: choosing a condition redraws the reliability diagram', async () => {
  const { page } = watched;
  const caption = page.locator('.rl-calibration-figure figcaption');
  assert.match((await caption.textContent()) ?? '', /^Reliability: clean \(ECE 0\.\d{3}\)$/);
  const bars = page.locator('.rl-reliability g.rl-mark-accuracy rect');
  assert.ok((await bars.count()) > 0);
  await page.locator('#rl-calibration select').selectOption('gaussian_noise');
  assert.match((await caption.textContent()) ?? '', /^Reliability: gaussian noise \(ECE 0\.\d{3}\)$/);
  // The clean curve is drawn for comparison once another condition is chosen.
  assert.equal(await page.locator('.rl-reliability g.rl-mark-clean path').count(), 1);
  // The ECE table: one row per condition; its condition buttons choose too.
  assert.equal(await page.locator('table.rl-ece-table tbody tr').count(), 20);
  await page.locator('table.rl-ece-table tbody button', { hasText: /^contrast$/ }).click();
  assert.match((await caption.textContent()) ?? '', /^Reliability: contrast /);
  assert.equal(await page.locator('#rl-calibration select').inputValue(), 'contrast');
});

test('the gallery shows misclassified examples first and filters by corruption', async () => {
  const { page } = watched;
  const thumbs = page.locator('.rl-gallery .rl-thumb');
  assert.equal(await thumbs.count(), model.gallery.length);
  const classes = await thumbs.evaluateAll((elements) => elements.map((e) => (e as unknown as { className: string }).className));
  const firstCorrect = classes.findIndex((c) => c.includes('rl-thumb-correct'));
  const wrong = model.gallery.filter((g) => !g.correct).length;
  assert.ok(wrong > 0);
  assert.equal(firstCorrect, wrong, 'all misclassified thumbnails come first');
  assert.ok(classes.slice(wrong).every((c) => c.includes('rl-thumb-correct')));
  // Every image is a data: URL that loaded.
  const loaded = await page.locator('.rl-gallery img').evaluateAll((images) => images.every((i) => (i as unknown as { complete: boolean; naturalWidth: number }).complete && (i as unknown as { naturalWidth: number }).naturalWidth === 96));
  assert.ok(loaded);

  const corruption = model.gallery.find((g) => g.corruption !== 'clean')!.corruption;
  await page.locator('#rl-gallery select').selectOption(corruption);
  const expected = model.gallery.filter((g) => g.corruption === corruption).length;
  assert.equal(await thumbs.count(), expected);
  assert.ok((await page.locator('.rl-thumb-condition').allTextContents()).every((t) => t.startsWith(displayName(corruption))));
  await page.locator('#rl-gallery select').selectOption('');
  await page.locator('#rl-gallery input[type="checkbox"]').check();
  assert.equal(await thumbs.count(), wrong);
  await page.locator('#rl-gallery input[type="checkbox"]').uncheck();
});

test('the standalone page makes no request but for its own file, and breaks no CSP rule', async () => {
  assert.deepEqual(
    watched.requests.filter((r) => !r.startsWith('data:')),
    [url],
  );
  assert.deepEqual(await watched.violations(), []);
  assert.deepEqual(watched.consoleErrors, []);
  assert.deepEqual(watched.dialogs, []);
});

test('screenshots: light, dark and a narrow (editor-beside) window', async () => {
  await watched.page.locator('#rl-calibration select').selectOption('gaussian_noise');
  await watched.page.evaluate('window.scrollTo(0, 0)');
  await watched.page.screenshot({ path: path.join(RESULTS_DIR, 'report-light.png'), fullPage: true });

  const dark = await browser.newPage({ colorScheme: 'dark' });
  await openHtml(dark, browser.dir, 'report.html', html);
  await dark.page.screenshot({ path: path.join(RESULTS_DIR, 'report-dark.png'), fullPage: true });
  // Charts take the dark palette: the dashed clean line and axis text are light.
  const background = await dark.page.evaluate('getComputedStyle(document.body).backgroundColor');
  assert.equal(background, 'rgb(13, 17, 23)');

  const narrow = await browser.newPage({ width: 760, height: 900 });
  await openHtml(narrow, browser.dir, 'report.html', html);
  await narrow.page.screenshot({ path: path.join(RESULTS_DIR, 'report-narrow.png'), fullPage: true });
  // The charts were drawn to fit: no chart wider than its container.
  const overflow = await narrow.page.evaluate(`[...document.querySelectorAll('.rl-chart')].filter((c) => c.firstElementChild && c.firstElementChild.getBoundingClientRect().width > c.getBoundingClientRect().width + 1).length`);
  assert.equal(overflow, 0);
  for (const page of [dark, narrow]) assert.deepEqual(page.consoleErrors, []);
});

test('the shift section appears only with model.shift (its parts: test/report/shift.test.ts)', async () => {
  assert.equal(await watched.page.locator('#rl-shift').count(), 0);
  const shifted = await makeReportModel({ shift: true, maxThumbnails: 4 });
  const withShift = await browser.newPage();
  await openHtml(withShift, browser.dir, 'shift.html', renderStandaloneHtml(shifted, assets));
  const { page } = withShift;
  assert.equal(await page.locator('#rl-shift').count(), 1);
  assert.equal((await page.locator('.rl-contents a').allTextContents()).at(-1), 'Distribution shift');
  assert.deepEqual(await page.locator('table.rl-shift-datasets tbody th').allTextContents(), ['shapes-lab-heldout', 'shapes-field-dev', 'shapes-field-test']);
  const first = await page.locator('table.rl-shift-datasets tbody tr').first().innerText();
  const { accuracy, auroc } = shifted.shift!.datasets[0].metrics;
  assert.ok(first.includes(`${(accuracy.value! * 100).toFixed(1)}% [${(accuracy.low! * 100).toFixed(1)}%, ${(accuracy.high! * 100).toFixed(1)}%]`), first);
  assert.ok(first.includes(`${auroc.value!.toFixed(3)} [${auroc.low!.toFixed(3)}, ${auroc.high!.toFixed(3)}]`), first);
  assert.equal(await page.locator('table.rl-shift-groups tbody tr').count(), 9);
  assert.equal(await page.locator('#rl-shift .rl-shift-forest g[aria-label="dot"] circle').count(), 9);
  await page.locator('#rl-shift').screenshot({ path: path.join(RESULTS_DIR, 'report-shift.png') });
  assert.deepEqual(withShift.consoleErrors, []);
  assert.deepEqual(await withShift.violations(), []);
});
