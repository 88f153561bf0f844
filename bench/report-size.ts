// Bench (report): the standalone HTML report of a full run (19 corruptions x 5 severities, 1,000 images, 4
// thumbnails per condition: 384 96-px PNGs) — its size (target < 5 MB) and its render time in headless
// chromium, from navigation start to the report fully rendered (the app's 'report-rendered' performance mark;
// also when the visible thumbnails have decoded), median of 5 page loads after one warm-up (target < 1 s).
//
//   node --import tsx bench/report-size.ts        (or benchReportSize(log) from bench/run-all.ts)
import * as os from 'node:os';
import { renderStandaloneHtml } from '../src/server/engine/outputs/standalone-html';
import { launchReportBrowser, openHtml } from '../test/fixtures/report/browser';
import { makeReportModel } from '../test/fixtures/report/make-report-model';
import { buildReportAssets, reportAssets } from '../test/fixtures/report/report-assets';
import { fmt, median, startedAs } from './common';

const SIZE_TARGET = 5 * 2 ** 20;
const RENDER_TARGET_MS = 1000;
const RUNS = 5;

const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 2)} MiB`;
const kib = (bytes: number) => `${fmt(bytes / 2 ** 10, 0)} KiB`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

export interface ReportBenchResult {
  readonly bytes: number;
  readonly renderMs: number;
  readonly imagesMs: number;
}

export async function benchReportSize(log: (line: string) => void): Promise<ReportBenchResult> {
  const started = performance.now();
  const model = await makeReportModel({ samples: 1000, dataCount: 1000, thumbnailsPerCondition: 4 });
  const modelSeconds = (performance.now() - started) / 1000;
  const { assets, origin } = await reportAssets();
  const html = renderStandaloneHtml(model, assets);
  const bytes = Buffer.byteLength(html);
  const json = Buffer.byteLength(JSON.stringify(model));
  const images = model.gallery.reduce((sum, g) => sum + g.image.length, 0);
  const minified = await buildReportAssets({ minify: true });

  log(`model: ${model.conditions.length} conditions, ${model.header.samples} images, ${model.gallery.length} thumbnails (96 px PNG), ${model.calibration.length} reliability diagrams; made in ${fmt(modelSeconds, 1)} s`);
  log(`report app: ${origin}`);
  log(`HTML ${mib(bytes)}: model JSON ${mib(json)} (thumbnails ${mib(images)}, ${kib(images / model.gallery.length)} each), app JS ${kib(Buffer.byteLength(assets.js))}, CSS ${kib(Buffer.byteLength(assets.css))}`);
  log(`  (with the --production app: JS ${kib(Buffer.byteLength(minified.js))}, CSS ${kib(Buffer.byteLength(minified.css))})`);
  log(`${verdict(bytes < SIZE_TARGET)} size ${mib(bytes)} (target < ${mib(SIZE_TARGET)})`);

  const browser = await launchReportBrowser();
  const rendered: number[] = [];
  const decoded: number[] = [];
  try {
    for (let run = 0; run <= RUNS; run++) {
      const watched = await browser.newPage();
      await openHtml(watched, browser.dir, 'report.html', html);
      // Both measured from navigation start (performance.timeOrigin).
      const mark = (await watched.page.evaluate(`performance.getEntriesByName('report-rendered')[0].startTime`)) as number;
      const images = (await watched.page.evaluate(
        `Promise.all([...document.images].map((i) => i.decode().catch(() => undefined))).then(() => performance.now())`,
      )) as number;
      if (watched.consoleErrors.length > 0) throw new Error(`the report logged errors: ${watched.consoleErrors.join('; ')}`);
      await watched.page.context().close();
      if (run === 0) continue; // warm-up
      rendered.push(mark);
      decoded.push(images);
    }
  } finally {
    await browser.close();
  }
  const renderMs = median(rendered);
  const imagesMs = median(decoded);
  log(`render (navigation start to report rendered), ${RUNS} loads: ${rendered.map((t) => fmt(t, 0)).join(', ')} ms; visible thumbnails decoded: median ${fmt(imagesMs, 0)} ms`);
  log(`${verdict(renderMs < RENDER_TARGET_MS)} render ${fmt(renderMs, 0)} ms median (target < ${RENDER_TARGET_MS} ms; ${os.availableParallelism?.() ?? os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)})`);
  return { bytes, renderMs, imagesMs };
}

export async function main(): Promise<void> {
  await benchReportSize((line) => console.log(line));
}

if (startedAs('report-size')) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
