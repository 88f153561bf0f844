// The HTML page of the report webview: a strict Content Security Policy, one nonce'd script and one style sheet,
// both from dist/media (the only local resource root). The page holds no data: the model arrives by message
// (src/extension/report/report-panel.ts), and the app (media/report/main.ts) renders it into <main id="report">
// with textContent only.
// Pure: takes the webview's URIs and CSP source as strings, so it is unit-tested without VS Code.
import { randomBytes } from 'node:crypto';

export interface ReportHtmlOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** `webview.asWebviewUri(dist/media/report.js)`, as a string. */
  readonly scriptUri: string;
  /** `webview.asWebviewUri(dist/media/report.css)`, as a string. */
  readonly styleUri: string;
  /** A fresh nonce per page load (createNonce()). */
  readonly nonce: string;
}

/** 128 random bits from the OS CSPRNG, base64 (never Math.random: the nonce is what keeps other scripts out). */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The policy: nothing by default; images from the extension and data: URLs (the gallery's PNGs are data: URLs
 * made by the server); scripts only with this page's nonce; style sheets only from the extension.
 *
 * style-src has neither 'unsafe-inline' nor a nonce, on purpose. @observablehq/plot adds a <style> element to each
 * SVG it makes; the report app (media/report/plot.ts) removes it before the SVG is attached and carries the same
 * rules in report.css, and it sets computed styles through the CSSOM (element.style.x = ..., which CSP does not
 * govern). No style attribute or <style> element is needed, so none is allowed. Should the app ever need one,
 * give it this page's nonce (style-src 'nonce-...') rather than 'unsafe-inline'.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `img-src ${cspSource} data:`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`].join('; ');
}

export function reportHtml(options: ReportHtmlOptions): string {
  const { cspSource, scriptUri, styleUri, nonce } = options;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(contentSecurityPolicy(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attribute(styleUri)}">
<title>Robustness Report</title>
</head>
<body>
<main id="report"></main>
<script nonce="${attribute(nonce)}" src="${attribute(scriptUri)}"></script>
</body>
</html>
`;
}

/** Escapes a value for a double-quoted HTML attribute. */
function attribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
