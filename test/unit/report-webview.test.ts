// The report webview's host-side pure parts: the page's CSP and nonce, and the validation of webview messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, createNonce, reportHtml } from '../../src/extension/report/report-html';
import { describeMessage, parseWebviewMessage } from '../../src/extension/report/report-messages';

const CSP_SOURCE = 'https://*.vscode-cdn.net';

test('the nonce is 128 random bits, new each time', () => {
  const nonces = new Set(Array.from({ length: 100 }, createNonce));
  assert.equal(nonces.size, 100);
  for (const nonce of nonces) assert.equal(Buffer.from(nonce, 'base64').length, 16);
});

test('the CSP allows nothing but the nonce script, extension style sheets, and extension or data: images', () => {
  const csp = contentSecurityPolicy(CSP_SOURCE, 'abc');
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'nonce-abc'"]);
  assert.deepEqual(directives.get('style-src'), [CSP_SOURCE]);
  assert.deepEqual(directives.get('img-src'), [CSP_SOURCE, 'data:']);
  assert.deepEqual([...directives.keys()].sort(), ['default-src', 'img-src', 'script-src', 'style-src']);
  assert.ok(!csp.includes('unsafe-eval'));
  assert.ok(!csp.includes('unsafe-inline'));
});

test('the page loads one script, with the nonce, and one style sheet, and holds no data', () => {
  const nonce = createNonce();
  const html = reportHtml({
    cspSource: CSP_SOURCE,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/report.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/report.css',
    nonce,
  });
  assert.equal(html.match(/<script\b/g)?.length, 1);
  assert.ok(html.includes(`<script nonce="${nonce.replace(/&/g, '&amp;')}" src="https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/report.js"></script>`));
  assert.ok(html.includes('<link rel="stylesheet" href="https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/report.css">'));
  assert.ok(html.includes(`http-equiv="Content-Security-Policy" content="default-src 'none';`));
  assert.ok(html.includes('<main id="report"></main>'), 'the element the report app renders into');
});

test('attribute values are escaped', () => {
  const html = reportHtml({ cspSource: CSP_SOURCE, scriptUri: 'x"><script>alert(1)</script>', styleUri: 'y', nonce: 'n' });
  assert.equal(html.match(/<script\b/g)?.length, 1);
  assert.ok(html.includes('x&quot;&gt;&lt;script&gt;'));
});

test('webview messages: exactly the union is accepted', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'runFull' }), { type: 'runFull' });
  assert.deepEqual(parseWebviewMessage({ type: 'acceptBaseline' }), { type: 'acceptBaseline' });
  for (const bad of [
    undefined,
    null,
    'ready',
    42,
    [],
    ['ready'],
    {},
    { type: 'Ready' },
    { type: 'runSmoke' },
    { type: 'toString' },
    { type: 'constructor' },
    { type: 1 },
    { type: 'runFull', command: 'workbench.action.terminal.new' },
    Object.create({ type: 'ready' }),
  ]) {
    assert.equal(parseWebviewMessage(bad), undefined, `accepted ${describeMessage(bad)}`);
  }
});

test('rejected messages are described briefly for the log', () => {
  assert.equal(describeMessage({ type: 'bogus' }), '{"type":"bogus"}');
  assert.equal(describeMessage(undefined), 'undefined');
  const long = describeMessage({ type: 'x'.repeat(10_000) });
  assert.ok(long.length < 260 && long.endsWith('(10011 characters)'), long);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(describeMessage(cyclic), '[object Object]');
  assert.ok(!describeMessage({ a: 'line\nbreak' }).includes('\n'));
});
