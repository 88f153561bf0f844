// The distribution-shift section in headless chromium, from the fixture's shift section (3 data sets, gaps,
// groups with worst / average, a binary ROC curve per data set, reliability bins, 3 checks with one failed, and
// AUROC / sensitivity undefined in one group): the header line and frozen-test banner, the checks (failed
// first), the per-data-set tables, the ROC chart, the reliability diagrams, the groups and the forest plot; the
// dash for undefined values; small multiples for one-vs-rest ROC curves (with hostile class names); a shift
// section with none of the optional parts. Screenshots in test-results/report-shift-*.png.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ReportInterval, ReportModel, ReportShift } from '../../src/shared/report-model';
import { renderStandaloneHtml, type ReportAssets } from '../../src/server/engine/outputs/standalone-html';
import { launchReportBrowser, openHtml, type ReportBrowser, type WatchedPage } from '../fixtures/report/browser';
import { HOSTILE, makeReportModel } from '../fixtures/report/make-report-model';
import { reportAssets } from '../fixtures/report/report-assets';
import { postToWebview, webviewPageHtml } from '../fixtures/report/webview-page';

const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'test-results');

let assets: ReportAssets;
let model: ReportModel;
let shift: ReportShift;
let browser: ReportBrowser;
let watched: WatchedPage;

// The report's formats, written out independently.
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const dec = (v: number) => v.toFixed(3);
const pp = (v: number) => `${v < 0 ? '\u2212' : '+'}${Math.abs(v * 100).toFixed(1)} pp`;
const signed = (v: number) => `${v < 0 ? '\u2212' : '+'}${Math.abs(v).toFixed(3)}`;
const withInterval = (m: ReportInterval, f: (v: number) => string) => `${f(m.value!)} [${f(m.low!)}, ${f(m.high!)}]`;

before(async () => {
  assets = (await reportAssets()).assets;
  model = await makeReportModel({ shift: true, maxThumbnails: 4 });
  shift = model.shift!;
  browser = await launchReportBrowser();
  watched = await browser.newPage();
  await openHtml(watched, browser.dir, 'shift.html', renderStandaloneHtml(model, assets));
});

after(async () => {
  await browser?.close();
});

const cellText = (table: string, row: number, column: number) => watched.page.locator(`table.${table} tbody tr`).nth(row).locator('> *').nth(column).innerText();

test('the fixture is what the section is tested with', () => {
  assert.deepEqual(
    shift.datasets.map((d) => d.role),
    ['source-heldout', 'target-dev', 'target-test'],
  );
  assert.equal(shift.checks.filter((c) => !c.passed).length, 1);
  assert.equal(shift.checks.at(-1)!.passed, false, 'the failed check is not first in the model');
  assert.ok(shift.datasets.every((d) => d.roc.length === 1 && d.roc[0].points.length >= 100 && d.roc[0].points.length <= 400));
  const undefinedGroup = shift.groups.find((g) => g.metrics.auroc.value === null);
  assert.ok(undefinedGroup, 'one group has an undefined AUROC');
});

test('the header line gives the interval level, resamples and positive class; the frozen-test banner shows', async () => {
  const { page } = watched;
  assert.ok((await page.locator('.rl-contents a').allTextContents()).includes('Distribution shift'));
  assert.equal(await page.locator('#rl-shift .rl-shift-context').innerText(), '95% bootstrap intervals, 1,000 resamples. Values with their intervals in brackets. Positive class: circle.');
  const banner = page.locator('#rl-shift .rl-callout-frozen');
  assert.equal(await banner.count(), 1);
  assert.match(await banner.innerText(), /^Final evaluation on the frozen test set\./);
  assert.equal(await banner.getAttribute('role'), 'note');
  // The parts, in order.
  assert.deepEqual(await page.locator('#rl-shift h3').allTextContents(), ['Checks', 'Data sets', 'ROC curves', 'Reliability', 'Groups']);
});

test('checks: the failed one first, marked by text as well as colour; bounds readable', async () => {
  const { page } = watched;
  const table = 'rl-shift-checks';
  assert.equal(await page.locator(`table.${table} caption`).textContent(), 'Checks: 1 of 3 failed');
  const rows = page.locator(`table.${table} tbody tr`);
  assert.equal(await rows.count(), 3);
  assert.equal(await rows.first().getAttribute('class'), 'rl-row-bad');
  const failed = shift.checks.find((c) => !c.passed)!;
  assert.equal(await cellText(table, 0, 0), failed.dataset);
  assert.equal(await cellText(table, 0, 1), 'Accuracy');
  assert.equal(await cellText(table, 0, 2), 'whole data set');
  assert.equal(await cellText(table, 0, 3), 'gap <= 5.0 pp');
  assert.equal(await cellText(table, 0, 4), withInterval(failed, pp));
  assert.match(await cellText(table, 0, 5), /failed$/);
  assert.equal(await rows.first().locator('.rl-check-result.rl-check-failed').count(), 1);
  // The passed ones follow, in robustness.json's order.
  assert.deepEqual(await page.locator(`table.${table} tbody tr:not(.rl-row-bad) > :nth-child(4)`).allTextContents(), ['>= 0.800', '<= 0.100']);
  assert.deepEqual(await page.locator(`table.${table} tbody tr:not(.rl-row-bad) > :nth-child(3)`).allTextContents(), ['whole data set', 'worst group']);
  assert.equal(await page.locator(`table.${table} .rl-check-passed`).count(), 2);
  assert.ok((await page.locator(`table.${table} .rl-check-passed`).allTextContents()).every((t) => t.endsWith('passed')));
  assert.equal(await cellText(table, 1, 4), withInterval(shift.checks[0], dec));
  assert.equal(await page.locator(`table.${table} thead th`, { hasText: 'Result' }).getAttribute('aria-sort'), 'ascending');
  // Sorting by result the other way puts it last; back again, first.
  await page.locator(`table.${table} thead button`, { hasText: 'Result' }).click();
  assert.equal(await rows.last().getAttribute('class'), 'rl-row-bad');
  await page.locator(`table.${table} thead button`, { hasText: 'Result' }).click();
  assert.equal(await rows.first().getAttribute('class'), 'rl-row-bad');
});

test('per data set: name, role, n and a column per metric in order, each with its interval', async () => {
  const { page } = watched;
  const table = 'rl-shift-datasets';
  assert.deepEqual(await page.locator(`table.${table} thead th`).allInnerTexts(), [
    'Data set', 'Role', 'n', 'Accuracy', 'Balanced accuracy', 'Macro-F1', 'AUROC', 'Sensitivity', 'Specificity', 'ECE', 'Brier score', 'NLL',
  ]);
  assert.deepEqual(await page.locator(`table.${table} tbody th`).allTextContents(), shift.datasets.map((d) => d.name));
  const source = shift.datasets[0];
  assert.equal(await cellText(table, 0, 1), 'source-heldout');
  assert.equal(await cellText(table, 0, 2), '1,500');
  const formats = [pct, pct, pct, dec, pct, pct, dec, dec, dec];
  for (const [i, key] of shift.metrics.entries()) {
    assert.equal(await cellText(table, 0, 3 + i), withInterval(source.metrics[key], formats[i]), key);
  }
  assert.equal(await cellText(table, 2, 3), withInterval(shift.datasets[2].metrics.accuracy, pct));
});

test('gaps: source minus each target with intervals; worst group (with its name) and average over groups', async () => {
  const { page } = watched;
  assert.equal(await page.locator('table.rl-shift-gaps caption').textContent(), 'Gap: source (shapes-lab-heldout) minus target');
  assert.deepEqual(await page.locator('table.rl-shift-gaps tbody th').allTextContents(), ['shapes-field-dev', 'shapes-field-test']);
  const test = shift.datasets[2];
  assert.equal(await cellText('rl-shift-gaps', 1, 2), withInterval(test.gaps!.accuracy, pp));
  assert.equal(await cellText('rl-shift-gaps', 1, 5), withInterval(test.gaps!.auroc, signed));
  assert.equal(await cellText('rl-shift-gaps', 1, 8), withInterval(test.gaps!.ece, signed));
  assert.ok((await cellText('rl-shift-gaps', 1, 8)).startsWith('\u2212'), 'ECE is lower on the source');

  const dev = shift.datasets[1];
  const summary = 'rl-shift-group-summary';
  assert.equal(await page.locator(`table.${summary} tbody tr`).count(), 3);
  const accuracy = await cellText(summary, 1, 1);
  assert.equal(accuracy.replace(/\s+/g, ' '), `${pct(dev.worstGroup!.accuracy.value)} (${dev.worstGroup!.accuracy.group}) avg ${pct(dev.averageGroup!.accuracy)}`);
  const auroc = await cellText(summary, 1, 4);
  assert.equal(auroc.replace(/\s+/g, ' '), `${dec(dev.worstGroup!.auroc.value)} (${dev.worstGroup!.auroc.group}) avg ${dec(dev.averageGroup!.auroc)}`);
  assert.notEqual(dev.worstGroup!.auroc.group, 'low-light', 'the group without AUROC is not the worst');
});

test('ROC: one chart, a line per data set, the diagonal, and each AUC in the legend', async () => {
  const { page } = watched;
  const figure = page.locator('#rl-shift .rl-shift-roc figure');
  assert.equal(await figure.count(), 1);
  assert.equal(await figure.locator('figcaption').textContent(), 'ROC curves, positive class circle: one per data set');
  const svg = figure.locator('svg.rl-plot').first();
  assert.equal(await svg.getAttribute('aria-label'), 'ROC curves of the positive class circle, one line per data set');
  assert.match((await svg.getAttribute('aria-description')) ?? '', /shapes-lab-heldout: AUC 0\.\d{3}; shapes-field-dev: AUC 0\.\d{3}; shapes-field-test: AUC 0\.\d{3}/);
  const lines = figure.locator('g.rl-mark-roc path');
  assert.equal(await lines.count(), 3);
  for (const [i, d] of shift.datasets.entries()) {
    const vertices = ((await lines.nth(i).getAttribute('d')) ?? '').match(/[ML]/g)?.length;
    assert.equal(vertices, d.roc[0].points.length, `${d.name}: one vertex per ROC point`);
  }
  assert.equal(await figure.locator('g.rl-mark-chance path').count(), 1, 'the diagonal');
  const legend = await figure.locator('.rl-roc-legend li').allInnerTexts();
  assert.deepEqual(
    legend.map((t) => t.replace(/\s+/g, ' ')),
    shift.datasets.map((d) => `${d.name} AUC ${dec(d.roc[0].auc!)}`),
  );
  // Distinct colours, shown in the legend swatches too.
  const strokes = await Promise.all([0, 1, 2].map((i) => lines.nth(i).getAttribute('stroke')));
  assert.equal(new Set(strokes).size, 3);
  const swatches = await figure
    .locator('.rl-roc-legend .rl-swatch')
    .evaluateAll((spans) => spans.map((s) => (globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } }).getComputedStyle(s).backgroundColor));
  assert.deepEqual(swatches, strokes);
});

test('reliability: one diagram per data set, with its ECE in the caption', async () => {
  const { page } = watched;
  const figures = page.locator('#rl-shift .rl-shift-reliability');
  assert.equal(await figures.count(), 3);
  assert.deepEqual(
    await figures.locator('figcaption').allTextContents(),
    shift.datasets.map((d) => `${d.name} (ECE ${dec(d.calibration.ece!)})`),
  );
  for (const [i, d] of shift.datasets.entries()) {
    assert.equal(await figures.nth(i).locator('g.rl-mark-accuracy rect').count(), d.calibration.bins.filter((b) => b.count > 0).length);
    assert.equal(await figures.nth(i).locator('svg.rl-plot').first().getAttribute('aria-label'), `Reliability diagram: ${d.name}`);
  }
});

test('an undefined metric shows as a dash that says why, in the group table, and is left out of the forest plot', async () => {
  const { page } = watched;
  const table = 'rl-shift-groups';
  assert.equal(await page.locator(`table.${table} tbody tr`).count(), shift.groups.length);
  const index = shift.groups.findIndex((g) => g.metrics.auroc.value === null);
  const row = page.locator(`table.${table} tbody tr`).nth(index);
  assert.equal(await row.locator('> *').nth(1).innerText(), 'low-light');
  assert.equal(await row.locator('> *').nth(2).innerText(), `${shift.groups[index].n}`);
  // AUROC (column 3 + 3) and sensitivity (3 + 4): the en dash alone, with a title.
  const aurocCell = row.locator('> *').nth(6);
  assert.equal(await aurocCell.innerText(), '–');
  assert.match((await aurocCell.locator('abbr.rl-undefined').getAttribute('title')) ?? '', /^undefined: only one class present/);
  const sensitivityCell = row.locator('> *').nth(7);
  assert.equal(await sensitivityCell.innerText(), '–');
  assert.match((await sensitivityCell.locator('abbr').getAttribute('title')) ?? '', /^undefined: no positive examples/);
  // Everything else in the row has a value.
  assert.equal(await row.locator('abbr.rl-undefined').count(), 2);
  assert.equal(await page.locator(`table.${table} abbr.rl-undefined`).count(), 2);
  // Sorting by AUROC keeps the undefined row last both ways.
  const button = page.locator(`table.${table} thead button`, { hasText: 'AUROC' });
  await button.click();
  assert.equal(await page.locator(`table.${table} tbody tr`).last().locator('abbr').count(), 2);
  await button.click();
  assert.equal(await page.locator(`table.${table} tbody tr`).last().locator('abbr').count(), 2);

  // The forest plot: accuracy first (every group), then AUROC without the undefined group, which is named.
  const forest = page.locator('#rl-shift .rl-shift-forest');
  assert.equal(await forest.locator('figcaption').textContent(), 'Accuracy per group, with intervals');
  assert.equal(await forest.locator('g[aria-label="dot"] circle').count(), shift.groups.length);
  assert.equal(await forest.locator('g.rl-mark-dataset line').count(), shift.groups.length, 'a tick at the whole data set');
  assert.equal(await forest.locator('.rl-shift-omitted').isHidden(), true);
  await forest.locator('select').selectOption('auroc');
  assert.equal(await forest.locator('figcaption').textContent(), 'AUROC per group, with intervals');
  assert.equal(await forest.locator('g[aria-label="dot"] circle').count(), shift.groups.length - 1);
  assert.equal(await forest.locator('g[aria-label="link"] line, g[aria-label="link"] path').count(), shift.groups.length - 1);
  assert.equal(await forest.locator('.rl-shift-omitted').textContent(), 'Not drawn (AUROC undefined): shapes-field-dev / low-light.');
  const ticks = await forest.locator('g[aria-label="y-axis tick label"] text').allTextContents();
  assert.ok(!ticks.includes('shapes-field-dev / low-light'));
  assert.equal(ticks.length, shift.groups.length - 1);
  await page.locator('#rl-shift').screenshot({ path: path.join(RESULTS_DIR, 'report-shift-light.png') });
  await forest.locator('select').selectOption('accuracy');
});

test('one-vs-rest ROC curves: small multiples, a line per class; hostile class names stay text', async () => {
  const labels = [HOSTILE.img, HOSTILE.script, HOSTILE.svg, HOSTILE.iframe, 'square', 'ring', 'cross', 'triangle'];
  const multi: ReportModel = {
    ...model,
    shift: {
      ...shift,
      positiveClass: undefined,
      datasets: shift.datasets.map((d, i) => ({
        ...d,
        roc: labels.map((label, k) =>
          // The last class is missing from the last data set: no curve, AUC undefined.
          i === 2 && k === labels.length - 1 ? { label, auc: null, points: [] } : { label, auc: 0.8 + k / 100, points: d.roc[0].points.map(([x, y]) => [x, Math.min(1, y * (0.9 + k / 80))] as [number, number]) },
        ),
      })),
    },
  };
  const page = await browser.newPage();
  await openHtml(page, browser.dir, 'shift-ovr.html', webviewPageHtml(assets, { csp: false }), 'loading');
  await postToWebview(page.page, { type: 'report', model: multi });
  await page.page.waitForSelector('html[data-report-state="rendered"]');
  const figures = page.page.locator('#rl-shift .rl-roc-multiple');
  assert.equal(await figures.count(), 3);
  assert.deepEqual(
    await figures.locator('figcaption').allTextContents(),
    shift.datasets.map((d) => `${d.name}: one-vs-rest ROC per class`),
  );
  assert.equal(await figures.nth(0).locator('g.rl-mark-roc path').count(), 8);
  assert.equal(await figures.nth(2).locator('g.rl-mark-roc path').count(), 7);
  assert.equal(await figures.nth(0).locator('g.rl-mark-chance path').count(), 1);
  assert.deepEqual(await figures.nth(0).locator('.rl-roc-name').allTextContents(), labels);
  // Beyond the 6 colours, curves are dashed (and so are their swatches).
  assert.equal(await figures.nth(0).locator('.rl-swatch.rl-swatch-dash-1').count(), 2);
  const marks = figures.nth(0).locator('g.rl-mark-roc');
  assert.deepEqual(await Promise.all([0, 1].map((i) => marks.nth(i).getAttribute('stroke-dasharray'))), [null, '6,3']);
  // The missing curve: AUC as a dash with its reason.
  const last = figures.nth(2).locator('.rl-roc-legend li').last();
  assert.match(await last.innerText(), /triangle\s*AUC –\s*\(no curve\)/);
  assert.match((await last.locator('abbr').getAttribute('title')) ?? '', /only one class present/);
  await page.page.locator('#rl-shift .rl-shift-roc').screenshot({ path: path.join(RESULTS_DIR, 'report-shift-ovr.png') });
  // No positive class: the header line does not name one.
  assert.doesNotMatch(await page.page.locator('.rl-shift-context').innerText(), /Positive class/);
  await page.page.waitForTimeout(200);
  assert.equal(await page.page.evaluate('typeof window.__pwned'), 'undefined');
  assert.deepEqual(page.dialogs, []);
  assert.equal(await page.page.locator('#rl-shift iframe, #rl-shift img, #rl-shift script, [onerror], [onload]').count(), 0);
  assert.deepEqual(page.consoleErrors, []);
});

test('a shift section with no checks, groups, curves, bins or resamples shows what there is', async () => {
  const bare: ReportModel = {
    ...model,
    shift: {
      metrics: ['accuracy', 'auroc'],
      level: 0.9,
      resamples: 0,
      frozenTest: false,
      checks: [],
      groups: [],
      datasets: [
        { name: 'only-one-class', role: 'target-dev', n: 40, metrics: { accuracy: { value: 0.75, low: null, high: null }, auroc: { value: null, low: null, high: null } }, roc: [], calibration: { ece: null, bins: [] } },
      ],
    },
  };
  const page = await browser.newPage();
  await openHtml(page, browser.dir, 'shift-bare.html', renderStandaloneHtml(bare, assets));
  const section = page.page.locator('#rl-shift');
  assert.equal(await section.locator('.rl-shift-context').innerText(), 'No bootstrap resamples: values without intervals.');
  assert.equal(await section.locator('.rl-callout-frozen').count(), 0);
  assert.deepEqual(await section.locator('h3').allTextContents(), ['Data sets']);
  assert.equal(await section.locator('table').count(), 1);
  assert.equal(await section.locator('svg').count(), 0);
  assert.equal(await section.locator('table.rl-shift-datasets tbody tr td').nth(2).innerText(), '75.0% [–]');
  assert.match((await section.locator('table.rl-shift-datasets tbody tr td').nth(2).locator('abbr').getAttribute('title')) ?? '', /^no interval/);
  assert.equal(await section.locator('table.rl-shift-datasets tbody tr td').nth(3).innerText(), '–');
  assert.deepEqual(page.consoleErrors, []);
  assert.deepEqual(await page.violations(), []);
});

test('dark theme, and the page breaks no CSP rule and logs no error', async () => {
  const dark = await browser.newPage({ colorScheme: 'dark' });
  await openHtml(dark, browser.dir, 'shift.html', renderStandaloneHtml(model, assets));
  await dark.page.locator('#rl-shift').screenshot({ path: path.join(RESULTS_DIR, 'report-shift-dark.png') });
  for (const page of [watched, dark]) {
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(await page.violations(), []);
    assert.deepEqual(page.dialogs, []);
  }
});

test('a run with only a shift check (no corruption suite) renders the header and the shift section alone', async () => {
  const { summary: _summary, ...rest } = model;
  const shiftOnly: ReportModel = { ...rest, conditions: [], calibration: [], gallery: [], baseline: undefined };
  const page = await browser.newPage();
  await openHtml(page, browser.dir, 'shift-only.html', renderStandaloneHtml(shiftOnly, assets));
  assert.equal(await page.page.locator('html').getAttribute('data-report-state'), 'rendered');
  assert.equal(await page.page.locator('#rl-shift').count(), 1);
  assert.equal(await page.page.locator('.rl-summary').count(), 0, 'no corruption summary cards');
  assert.equal(await page.page.locator('#rl-corruptions').count(), 0, 'no corruption charts');
  assert.ok((await page.page.locator('table.rl-shift-datasets tbody tr').count()) === 3);
});
