// The report's header: title, what was evaluated (model, data, seed, preset), and the headline numbers.
import type { ReportModel } from '../../src/shared/report-model';
import { h } from './dom';
import { conditionName, dateTime, integer, percent, points } from './format';

export interface HeaderActions {
  readonly runFull?: () => void;
  readonly acceptBaseline?: () => void;
}

function metaItem(term: string, ...value: (Node | string)[]): HTMLDivElement {
  return h('div', { className: 'rl-meta-item' }, h('dt', { text: term }), h('dd', {}, ...value));
}

function card(label: string, value: string, detail: string, tone?: 'good' | 'bad' | 'warn'): HTMLDivElement {
  return h(
    'div',
    { className: `rl-card${tone ? ` rl-card-${tone}` : ''}` },
    h('div', { className: 'rl-card-label', text: label }),
    h('div', { className: 'rl-card-value', text: value }),
    h('div', { className: 'rl-card-detail', text: detail }),
  );
}

export function renderHeader(model: ReportModel, actions: HeaderActions = {}): HTMLElement {
  const { header } = model;
  const title = h('div', { className: 'rl-title-row' }, h('h1', { text: header.title || 'Robustness report' }), h('span', { className: 'rl-badge', text: `${header.kind} run` }));
  const buttons = h('div', { className: 'rl-actions' });
  if (actions.runFull) {
    const button = h('button', { className: 'rl-button', text: 'Run full suite', attrs: { type: 'button' } });
    button.addEventListener('click', actions.runFull);
    buttons.append(button);
  }
  if (actions.acceptBaseline) {
    const button = h('button', { className: 'rl-button rl-button-secondary', text: 'Accept as baseline', attrs: { type: 'button' } });
    button.addEventListener('click', actions.acceptBaseline);
    buttons.append(button);
  }
  if (buttons.childElementCount > 0) title.append(buttons);

  const sha = h('code', { className: 'rl-sha', text: header.modelSha256.slice(0, 12) });
  sha.title = header.modelSha256;
  const meta = h(
    'dl',
    { className: 'rl-meta' },
    metaItem('Model', h('code', { className: 'rl-path', text: header.modelPath })),
    metaItem('SHA-256', sha),
    metaItem('Data', h('code', { className: 'rl-path', text: header.dataSource })),
    metaItem('Samples', `${integer(header.samples)} of ${integer(header.dataCount)}`),
    metaItem('Classes', `${header.labels.length}`),
    metaItem('Preset', header.preset),
    metaItem('Seed', `${header.seed}`),
    metaItem('Created', dateTime(header.createdAt)),
  );
  return h('header', { className: 'rl-header' }, title, meta);
}

export function renderSummary(model: ReportModel): HTMLElement | null {
  const { summary, conditions } = model;
  if (!summary) return null; // a run with only a shift check
  const clean = summary.cleanAccuracy;
  const cards = h('div', { className: 'rl-cards', attrs: { role: 'list' } });
  const add = (element: HTMLElement) => {
    element.setAttribute('role', 'listitem');
    cards.append(element);
  };
  add(card('Clean accuracy', percent(clean), `${integer(model.header.samples)} samples`));
  const meanCorrupt = summary.meanCorruptionAccuracy;
  add(card('Under corruption', percent(meanCorrupt), meanCorrupt === null ? 'no corruptions ran' : `mean accuracy, ${points(meanCorrupt - clean)} vs clean`, meanCorrupt !== null && clean - meanCorrupt > 0.2 ? 'warn' : undefined));
  if (summary.mCE !== null) add(card('mCE', percent(summary.mCE), summary.normalisation));
  if (summary.relativeMCE !== null) add(card('Relative mCE', percent(summary.relativeMCE), 'degradation relative to clean, normalised'));
  if (conditions.length > 0) {
    const worst = conditions.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    add(card('Worst condition', percent(worst.accuracy), conditionName(worst.corruption, worst.severity), 'bad'));
  }
  if (model.baseline) {
    const { regressions, comparable } = model.baseline;
    const significant = regressions.filter((r) => r.significant).length;
    const other = regressions.length - significant;
    const detail = other > 0 ? `+ ${other} over budget, not significant` : significant === 0 ? 'none against the baseline' : 'over budget and significant';
    if (!comparable) add(card('Baseline', 'not comparable', model.baseline.reason ?? 'see the baseline section', 'warn'));
    else add(card('Regressions', `${significant}`, detail, significant > 0 ? 'bad' : other > 0 ? 'warn' : 'good'));
  }
  // Without an mCE, say why (the normalisation text explains what it would need).
  const why = summary.mCE === null && conditions.length > 0 ? h('p', { className: 'rl-note rl-summary-note', text: `No mCE: ${summary.normalisation}` }) : null;
  return h('section', { className: 'rl-summary', attrs: { 'aria-label': 'Summary' } }, cards, why);
}
