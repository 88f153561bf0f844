// Reliability diagrams per data set, as small multiples: accuracy per confidence bin against the diagonal, the
// gap to the bin's mean confidence shaded (as the calibration section draws them), the ECE in the caption.
import type { ReportShift, ReportShiftDataset } from '../../src/shared/report-model';
import { h } from './dom';
import { fixed } from './format';
import { chart, type Build } from './plot';
import { percentTick, reliabilityMarks } from './reliability-marks';
import { dash, DASH } from './shift-format';
import type { Theme } from './theme';

function build(dataset: ReportShiftDataset): Build {
  const bins = dataset.calibration.bins.filter((b) => b.count > 0);
  const ece = dataset.calibration.ece;
  return (theme: Theme, width: number) => {
    const side = Math.max(220, Math.min(width, 320));
    return {
      width: side,
      height: side - 30,
      ariaLabel: `Reliability diagram: ${dataset.name}`,
      ariaDescription: `Expected calibration error ${ece === null ? `${DASH} (undefined)` : fixed(ece)}; ${bins.length} non-empty confidence bins.`,
      marginLeft: 42,
      marginRight: 10,
      marginBottom: 36,
      style: { color: theme.foreground },
      x: { domain: [0, 1], label: 'Confidence', labelAnchor: 'center', labelArrow: 'none', ticks: 5, tickFormat: percentTick },
      y: { domain: [0, 1], label: 'Accuracy', labelArrow: 'none', grid: true, ticks: 5, tickFormat: percentTick },
      marks: reliabilityMarks(bins, theme),
    };
  };
}

function caption(dataset: ReportShiftDataset): HTMLElement {
  const ece = dataset.calibration.ece;
  return h(
    'figcaption',
    {},
    h('span', { className: 'rl-shift-figure-name', text: dataset.name }),
    ' (ECE ',
    ece === null ? dash('undefined: no predictions with a confidence in this data') : h('span', { className: 'rl-value', text: fixed(ece) }),
    ')',
  );
}

function figure(dataset: ReportShiftDataset): HTMLElement {
  const empty = dataset.calibration.bins.every((b) => b.count === 0);
  return h(
    'figure',
    { className: 'rl-figure rl-shift-reliability' },
    caption(dataset),
    empty ? h('p', { className: 'rl-note', text: 'No predictions to bin.' }) : chart(build(dataset), 'rl-chart rl-reliability'),
  );
}

export function renderShiftReliability(shift: ReportShift): HTMLElement | null {
  const datasets = shift.datasets.filter((d) => d.calibration.bins.length > 0 || d.calibration.ece !== null);
  if (datasets.length === 0) return null;
  const legend = h(
    'ul',
    { className: 'rl-legend' },
    h('li', {}, h('span', { className: 'rl-swatch rl-swatch-blue', attrs: { 'aria-hidden': 'true' } }), 'accuracy per confidence bin'),
    h('li', {}, h('span', { className: 'rl-swatch rl-swatch-gap', attrs: { 'aria-hidden': 'true' } }), 'gap to mean confidence'),
  );
  return h('div', { className: 'rl-shift-calibration' }, h('div', { className: 'rl-shift-grid' }, ...datasets.map(figure)), legend);
}
