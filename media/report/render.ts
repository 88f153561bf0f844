// Puts the report together: header, summary, sections, footer; or a message instead (no results, bad input).
import type { ReportModel } from '../../src/shared/report-model';
import { renderBaseline } from './baseline';
import { renderCalibration } from './calibration';
import { renderCorruptions } from './charts';
import { h } from './dom';
import { dateTime } from './format';
import { renderGallery } from './gallery';
import { renderHeader, renderSummary, type HeaderActions } from './header';
import { drawCharts, resetCharts } from './plot';
import { renderShift } from './shift';

export type ReportState = 'loading' | 'rendered' | 'empty' | 'error';

/** Marks the document's state (tests and benchmarks wait for it) and a performance mark when rendered. */
function setState(state: ReportState): void {
  document.documentElement.dataset.reportState = state;
  if (state === 'rendered') performance.mark('report-rendered');
}

function contents(sections: readonly HTMLElement[]): HTMLElement {
  const list = h('ul');
  for (const s of sections) {
    const title = s.querySelector('h2')?.textContent ?? s.id;
    const link = h('a', { text: title });
    link.href = `#${s.id}`;
    list.append(h('li', {}, link));
  }
  return h('nav', { className: 'rl-contents', attrs: { 'aria-label': 'Sections' } }, list);
}

export function renderReport(root: HTMLElement, model: ReportModel, actions: HeaderActions = {}): void {
  resetCharts();
  root.replaceChildren();
  document.title = `${model.header.title || 'Robustness report'} – Robustness Lens`;
  const sections = [model.summary ? renderCorruptions(model) : null, renderBaseline(model), renderCalibration(model), renderGallery(model), renderShift(model)].filter(
    (s): s is HTMLElement => s !== null,
  );
  // Attach first, then draw the charts: they take the theme from computed styles and their width from layout.
  const summary = renderSummary(model);
  root.append(renderHeader(model, actions), ...(summary ? [summary] : []), contents(sections), ...sections);
  root.append(
    h('footer', { className: 'rl-footer' }, `Robustness Lens ${model.header.toolVersion} · ${model.header.kind} run · ${dateTime(model.header.createdAt)} · sha256 `, h('code', { text: model.header.modelSha256 })),
  );
  drawCharts();
  setState('rendered');
}

export function renderMessage(root: HTMLElement, state: 'empty' | 'error' | 'loading', title: string, detail?: string, runFull?: () => void): void {
  resetCharts();
  let action: HTMLElement | null = null;
  if (runFull) {
    const button = h('button', { className: 'rl-button', text: 'Run full suite', attrs: { type: 'button' } });
    button.addEventListener('click', runFull);
    action = h('p', {}, button);
  }
  root.replaceChildren(
    h('div', { className: `rl-message rl-message-${state}`, attrs: { role: state === 'error' ? 'alert' : 'status' } }, h('h2', { text: title }), detail ? h('p', { className: 'rl-message-detail', text: detail }) : null, action),
  );
  setState(state);
}
