// Writes the report as one self-contained HTML file: the report app (dist/media/report.js + report.css, built
// from media/report/) inlined, and the report model embedded as JSON that the app reads. Nothing is fetched.
//
// Content-Security-Policy (a <meta> element, so it travels with the file):
//   default-src 'none'; script-src 'nonce-N'; style-src 'nonce-N'; img-src data:; base-uri 'none'; form-action 'none'
// Only our inlined <script> and <style> run/apply. style-src needs no 'unsafe-inline': Plot puts a <style>
// element inside each SVG it builds, but the app removes it before the SVG is attached (report.css carries the
// same rules), and the inline styles the app and Plot do set go through the CSSOM (element.style.x = ...), which
// CSP does not govern. Thumbnails are data: URLs. The JSON block is data (type="application/json"), not script,
// so CSP does not apply to it; it is escaped so that no string in it can end the element.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReportModel } from '../../../shared/report-model';

export interface ReportAssets {
  readonly js: string;
  readonly css: string;
}

/**
 * JSON for a <script type="application/json"> element: `<`, `>` and `&` as \u escapes (so `</script>` or
 * `<!--` in a label cannot end or change the element), and U+2028 / U+2029 escaped as well (valid JSON either
 * way; escaped for any consumer that treats the text as JavaScript). JSON.parse gives back the same strings.
 */
export function embeddableJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Drops a trailing source map reference (the map is not inlined and must not be fetched). */
function withoutSourceMap(code: string): string {
  return code.replace(/\n?\/\/# sourceMappingURL=[^\n]*\s*$/, '').replace(/\n?\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '');
}

/**
 * Our own bundle, made safe to inline: `</script` (or `</style`) cannot end the element early and `<!--` cannot
 * switch the HTML parser into its escaped script state. In JavaScript and CSS strings `<\/` equals `</`.
 */
function inlineScript(code: string): string {
  return withoutSourceMap(code).replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function inlineStyle(css: string): string {
  return withoutSourceMap(css).replace(/<\/(style)/gi, '<\\/$1');
}

export function renderStandaloneHtml(model: ReportModel, assets: ReportAssets): string {
  const nonce = randomBytes(18).toString('base64');
  const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  // The title is static: the app sets document.title from the model (as text). No model string is written
  // into the HTML except inside the escaped JSON.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Robustness Lens">
<title>Robustness report</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">
${inlineStyle(assets.css)}
</style>
</head>
<body>
<main id="report"><p>Loading the report…</p><noscript>This report needs JavaScript.</noscript></main>
<script id="report-data" type="application/json">${embeddableJson(model)}</script>
<script nonce="${nonce}">
${inlineScript(assets.js)}
</script>
</body>
</html>
`;
}

/** Where the built report app can be: next to the running bundle (dist/media), or dist/media of the repository. */
export function reportAssetCandidates(from = __dirname): string[] {
  const candidates = [path.join(from, 'media')];
  // Running from sources (tsx): walk up to the package root.
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      candidates.push(path.join(dir, 'dist', 'media'));
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return candidates;
}

/** Reads dist/media/report.js and report.css; a clear error when they have not been built. */
export async function loadReportAssets(from = __dirname): Promise<ReportAssets> {
  const candidates = reportAssetCandidates(from);
  for (const dir of candidates) {
    const jsFile = path.join(dir, 'report.js');
    const cssFile = path.join(dir, 'report.css');
    if (fs.existsSync(jsFile) && fs.existsSync(cssFile)) {
      const [js, css] = await Promise.all([fs.promises.readFile(jsFile, 'utf8'), fs.promises.readFile(cssFile, 'utf8')]);
      return { js, css };
    }
  }
  throw new Error(`The report app is not built: report.js and report.css were not found in ${candidates.join(' or ')}. Run 'npm run build'.`);
}
