// Calibration: the reliability diagram of one chosen condition (accuracy per confidence bin against the
// diagonal, the gap to the bin's mean confidence shaded, clean shown for comparison) and the ECE table.
import type { ReportCalibration, ReportModel } from '../../src/shared/report-model';
import { h, section, select } from './dom';
import { displayName, fixed, integer } from './format';
import { chart, Plot, redraw, type Build } from './plot';
import { reliabilityMarks } from './reliability-marks';
import { sortableTable, type Column } from './tables';

const label = (condition: string) => (condition === 'clean' ? 'clean' : displayName(condition));

function overconfidence(c: ReportCalibration): number | null {
  const total = c.bins.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return null;
  return c.bins.reduce((sum, b) => sum + b.count * (b.meanConfidence - b.accuracy), 0) / total;
}

function reliability(chosen: ReportCalibration, clean: ReportCalibration | undefined): Build {
  const bins = chosen.bins.filter((b) => b.count > 0);
  const reference = clean && clean !== chosen ? clean.bins.filter((b) => b.count > 0) : [];
  return (theme, width) => ({
    width: Math.max(280, Math.min(width, 460)),
    height: Math.max(280, Math.min(width, 460)) - 40,
    ariaLabel: `Reliability diagram: ${label(chosen.condition)}`,
    marginLeft: 46,
    marginBottom: 40,
    style: { color: theme.foreground },
    x: { domain: [0, 1], label: 'Confidence', labelAnchor: 'center', labelArrow: 'none', tickFormat: (v: number) => `${Math.round(v * 100)}%` },
    y: { domain: [0, 1], label: 'Accuracy', labelArrow: 'none', grid: true, tickFormat: (v: number) => `${Math.round(v * 100)}%` },
    marks: [
      ...reliabilityMarks(bins, theme),
      Plot.line(
        reference.map((b) => ({ x: (b.lower + b.upper) / 2, y: b.accuracy })),
        { x: 'x', y: 'y', stroke: theme.muted, strokeDasharray: '2,3', strokeWidth: 1.5, marker: 'circle-stroke', className: 'rl-mark-clean' },
      ),
    ],
  });
}

function counts(chosen: ReportCalibration): Build {
  return (theme, width) => ({
    width: Math.max(280, Math.min(width, 460)),
    height: 90,
    marginLeft: 46,
    marginTop: 6,
    marginBottom: 24,
    style: { color: theme.foreground },
    x: { domain: [0, 1], axis: 'bottom', tickFormat: (v: number) => `${Math.round(v * 100)}%`, label: null },
    y: { label: null, ticks: 2, tickFormat: (v: number) => (v >= 1000 ? `${v / 1000}k` : `${v}`) },
    marks: [Plot.rectY(chosen.bins, { x1: 'lower', x2: 'upper', y: 'count', fill: theme.muted, fillOpacity: 0.6, inset: 0.5 }), Plot.ruleY([0], { stroke: theme.grid })],
  });
}

export function renderCalibration(model: ReportModel): HTMLElement | null {
  const calibrations = model.calibration;
  if (calibrations.length === 0) return null;
  const clean = calibrations.find((c) => c.condition === 'clean');
  let chosen = clean ?? calibrations[0];
  const title = h('figcaption');
  const setTitle = () => (title.textContent = `Reliability: ${label(chosen.condition)} (ECE ${fixed(chosen.ece)})`);
  setTitle();
  const diagram = chart(reliability(chosen, clean), 'rl-chart rl-reliability');
  const histogram = chart(counts(chosen), 'rl-chart rl-counts');
  const choose = (condition: string) => {
    const found = calibrations.find((c) => c.condition === condition);
    if (!found) return;
    chosen = found;
    control.querySelector('select')!.value = condition;
    setTitle();
    redraw(diagram, reliability(chosen, clean));
    redraw(histogram, counts(chosen));
  };
  const control = select(
    'Condition',
    calibrations.map((c) => ({ value: c.condition, text: label(c.condition) })),
    chosen.condition,
    choose,
  );
  const legend = h(
    'ul',
    { className: 'rl-legend' },
    h('li', {}, h('span', { className: 'rl-swatch rl-swatch-blue', attrs: { 'aria-hidden': 'true' } }), 'accuracy per confidence bin'),
    h('li', {}, h('span', { className: 'rl-swatch rl-swatch-gap', attrs: { 'aria-hidden': 'true' } }), 'gap to mean confidence'),
    clean && h('li', {}, h('span', { className: 'rl-swatch rl-swatch-line', attrs: { 'aria-hidden': 'true' } }), 'clean, for comparison'),
    h('li', {}, h('span', { className: 'rl-swatch rl-swatch-count', attrs: { 'aria-hidden': 'true' } }), 'predictions per bin (below)'),
  );
  const figure = h('figure', { className: 'rl-figure rl-calibration-figure' }, title, diagram, histogram, legend);

  const columns: Column<ReportCalibration>[] = [
    {
      key: 'condition',
      label: 'Condition',
      value: (c) => c.condition,
      cell: (c, td) => {
        const button = h('button', { className: 'rl-link', text: label(c.condition), attrs: { type: 'button' } });
        button.addEventListener('click', () => choose(c.condition));
        td.append(button);
      },
    },
    { key: 'ece', label: 'ECE', numeric: true, value: (c) => c.ece, text: (c) => fixed(c.ece) },
    { key: 'over', label: 'Over-confidence', numeric: true, value: overconfidence, text: (c) => fixed(overconfidence(c)), title: 'Mean confidence minus accuracy, weighted by bin counts' },
    { key: 'count', label: 'Predictions', numeric: true, value: (c) => c.bins.reduce((s, b) => s + b.count, 0), text: (c) => integer(c.bins.reduce((s, b) => s + b.count, 0)) },
  ];
  const table = sortableTable({ caption: 'Expected calibration error (15 confidence bins)', columns, rows: calibrations, className: 'rl-ece-table', sort: { key: 'ece', direction: 'descending' } });
  return section(
    'rl-calibration',
    'Calibration',
    h('p', { className: 'rl-note', text: 'A calibrated model is right as often as it is confident: bars on the diagonal. Bars below it are over-confident.' }),
    h('div', { className: 'rl-toolbar' }, control),
    h('div', { className: 'rl-split' }, figure, h('div', { className: 'rl-split-side' }, table)),
  );
}
