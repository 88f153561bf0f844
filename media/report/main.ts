// The report app's entry. It runs in two hosts:
//  - a VS Code webview: acquireVsCodeApi() exists. The app restores the last model from the webview state,
//    posts {type:'ready'}, and renders each valid {type:'report'} / {type:'empty'} message the extension posts.
//  - a standalone HTML file written by the CLI: the model is the JSON text of <script id="report-data">.
// Everything that arrives is validated before it is rendered; untrusted strings only ever become text nodes.
import './report.css';
import type { ReportModel, WebviewToHostMessage } from '../../src/shared/report-model';
import type { HeaderActions } from './header';
import { rethemeCharts } from './plot';
import { renderMessage, renderReport } from './render';
import { watchTheme } from './theme';
import { validateHostMessage, validateReportModel } from './validate';

interface VsCodeApi {
  postMessage(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare const acquireVsCodeApi: undefined | (() => VsCodeApi);

function rootElement(): HTMLElement {
  const existing = document.getElementById('report');
  if (existing) return existing;
  const main = document.createElement('main');
  main.id = 'report';
  document.body.append(main);
  return main;
}

function safely(root: HTMLElement, render: () => void): void {
  try {
    render();
  } catch (error) {
    console.error(error);
    renderMessage(root, 'error', 'The report could not be shown.', error instanceof Error ? error.message : String(error));
  }
}

function startWebview(vscode: VsCodeApi, root: HTMLElement): void {
  const actions: HeaderActions = {
    runFull: () => vscode.postMessage({ type: 'runFull' }),
    acceptBaseline: () => vscode.postMessage({ type: 'acceptBaseline' }),
  };
  const show = (model: ReportModel) => safely(root, () => renderReport(root, model, { runFull: actions.runFull, acceptBaseline: model.baseline ? actions.acceptBaseline : undefined }));

  const restored = vscode.getState();
  const previous = restored === undefined || restored === null ? undefined : validateReportModel(restored);
  if (previous?.ok) show(previous.value);
  else renderMessage(root, 'loading', 'Waiting for results…');

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const checked = validateHostMessage(event.data);
    if (!checked.ok) {
      renderMessage(root, 'error', 'The report received a message it cannot read.', checked.error);
      return;
    }
    const message = checked.value;
    if (message.type === 'report') {
      vscode.setState(message.model);
      show(message.model);
    } else {
      vscode.setState(null);
      safely(root, () => renderMessage(root, 'empty', 'No results yet.', message.reason, actions.runFull));
    }
  });
  vscode.postMessage({ type: 'ready' });
}

function startStandalone(root: HTMLElement): void {
  const element = document.getElementById('report-data');
  if (!element) {
    renderMessage(root, 'error', 'This page has no report data.');
    return;
  }
  let data: unknown;
  try {
    data = JSON.parse(element.textContent ?? '');
  } catch (error) {
    renderMessage(root, 'error', 'The report data is not valid JSON.', error instanceof Error ? error.message : String(error));
    return;
  }
  const checked = validateReportModel(data);
  if (!checked.ok) {
    renderMessage(root, 'error', 'The report data has an unexpected shape.', checked.error);
    return;
  }
  safely(root, () => renderReport(root, checked.value));
}

function start(): void {
  const root = rootElement();
  watchTheme(rethemeCharts);
  if (typeof acquireVsCodeApi === 'function') {
    document.documentElement.dataset.reportHost = 'webview';
    startWebview(acquireVsCodeApi(), root);
  } else {
    document.documentElement.dataset.reportHost = 'standalone';
    startStandalone(root);
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
