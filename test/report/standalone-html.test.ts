// renderStandaloneHtml and loadReportAssets without a browser: the escaping of the embedded JSON and the
// inlined assets, the CSP and its nonce, and the error when the report app is not built.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPORT_MODEL_VERSION, type ReportModel } from '../../src/shared/report-model';
import { embeddableJson, loadReportAssets, renderStandaloneHtml, reportAssetCandidates } from '../../src/server/engine/outputs/standalone-html';
import { HOSTILE } from '../fixtures/report/make-report-model';

const tiny: ReportModel = {
  version: REPORT_MODEL_VERSION,
  header: {
    title: HOSTILE.script,
    modelPath: HOSTILE.img,
    modelSha256: '00',
    dataSource: HOSTILE.comment,
    dataCount: 1,
    samples: 1,
    seed: 0,
    preset: 'cifar',
    kind: 'smoke',
    createdAt: '2025-01-01T00:00:00Z',
    toolVersion: '0.1.0',
    labels: [HOSTILE.separators, '<\/script>', '</SCRIPT >', '<!--', ']]>', '\u2028'],
  },
  summary: { cleanAccuracy: 1, meanCorruptionAccuracy: null, meanBenchmarkAccuracy: null, meanAllAccuracy: null, mCE: null, relativeMCE: null, normalisation: 'none' },
  conditions: [],
  calibration: [],
  gallery: [],
};

/** The text of the JSON block as the HTML parser would take it: up to the first `</script`. */
function jsonBlock(html: string): string {
  const start = html.indexOf('<script id="report-data" type="application/json">');
  assert.ok(start >= 0);
  const from = start + '<script id="report-data" type="application/json">'.length;
  return html.slice(from, html.toLowerCase().indexOf('</script', from));
}

test('the embedded JSON has no <, >, & or line separators and parses back to the same model', () => {
  const json = embeddableJson(tiny);
  assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(json), tiny);
  const html = renderStandaloneHtml(tiny, { js: 'console.log(1)', css: 'body{}' });
  assert.deepEqual(JSON.parse(jsonBlock(html)), tiny);
  // No model string appears raw anywhere in the file.
  for (const text of [HOSTILE.script, HOSTILE.img, HOSTILE.comment]) assert.ok(!html.includes(text), text);
});

test('one random nonce per file, in the CSP and on the inlined script and style', () => {
  const html = renderStandaloneHtml(tiny, { js: 'x()', css: 'a{}' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp);
  const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  assert.ok(nonce && nonce.length >= 24, csp);
  assert.equal(csp, `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; base-uri 'none'; form-action 'none'`);
  assert.ok(html.includes(`<script nonce="${nonce}">`));
  assert.ok(html.includes(`<style nonce="${nonce}">`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const other = renderStandaloneHtml(tiny, { js: 'x()', css: 'a{}' });
  assert.notEqual(/nonce-([^']+)/.exec(other)?.[1], nonce);
});

test('inlined JS and CSS cannot end their element early; source map references are dropped', () => {
  const js = 'const a = "</script><b>"; const b = "<!-- x";\n//# sourceMappingURL=report.js.map\n';
  const css = '.a::after{content:"</style>"}\n/*# sourceMappingURL=report.css.map */\n';
  const html = renderStandaloneHtml(tiny, { js, css });
  assert.equal(html.match(/<\/script/gi)?.length, 2);
  assert.equal(html.match(/<\/style/gi)?.length, 1);
  assert.ok(html.includes('const a = "<\\/script><b>"; const b = "<\\!-- x";'));
  assert.ok(!html.includes('sourceMappingURL'));
  // The escaped JS still means the same.
  assert.equal(new Function('return "<\\/script><b>" + "<\\!-- x"')(), '</script><b><!-- x');
});

test('loadReportAssets reads dist/media, or says to build', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-assets-'));
  try {
    // Bundled layout: <dir>/media/report.{js,css} next to the running bundle.
    fs.mkdirSync(path.join(dir, 'media'));
    fs.writeFileSync(path.join(dir, 'media', 'report.js'), 'js');
    fs.writeFileSync(path.join(dir, 'media', 'report.css'), 'css');
    assert.deepEqual(await loadReportAssets(dir), { js: 'js', css: 'css' });
    // Sources layout: walk up to package.json, then dist/media.
    const src = path.join(dir, 'pkg', 'src', 'server', 'engine', 'outputs');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(dir, 'pkg', 'package.json'), '{}');
    assert.deepEqual(reportAssetCandidates(src), [path.join(src, 'media'), path.join(dir, 'pkg', 'dist', 'media')]);
    await assert.rejects(loadReportAssets(src), (error: Error) => {
      assert.match(error.message, /The report app is not built: report\.js and report\.css were not found in .* Run 'npm run build'\./);
      return true;
    });
    fs.mkdirSync(path.join(dir, 'pkg', 'dist', 'media'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pkg', 'dist', 'media', 'report.js'), 'J');
    fs.writeFileSync(path.join(dir, 'pkg', 'dist', 'media', 'report.css'), 'C');
    assert.deepEqual(await loadReportAssets(src), { js: 'J', css: 'C' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
