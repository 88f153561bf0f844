// Change against the baseline: the drops over budget first (regressions when also significant, warnings when
// not), the change of every condition as a diverging heatmap with those cells outlined, and the change table.
import type { ReportBaseline, ReportModel, ReportRegression } from '../../src/shared/report-model';
import { corruptionsOf } from './charts';
import { h, section } from './dom';
import { groupByFamily } from './families';
import { conditionName, displayName, percent, points, pValue } from './format';
import { chart, Plot } from './plot';
import { sortableTable, type Column } from './tables';
import { textOn, type Theme } from './theme';

type Change = ReportBaseline['changes'][number];

const key = (corruption: string, severity: number) => `${severity}\u0000${corruption}`;

function regressionTable(regressions: readonly ReportRegression[]): HTMLElement {
  const columns: Column<ReportRegression>[] = [
    { key: 'condition', label: 'Condition', value: (r) => conditionName(r.corruption, r.severity) },
    { key: 'baseline', label: 'Baseline', numeric: true, value: (r) => r.baseline, text: (r) => percent(r.baseline) },
    { key: 'current', label: 'Now', numeric: true, value: (r) => r.current, text: (r) => percent(r.current) },
    { key: 'drop', label: 'Drop', numeric: true, value: (r) => r.drop, text: (r) => points(-r.drop) },
    { key: 'budget', label: 'Budget', numeric: true, value: (r) => r.budget, text: (r) => `${(r.budget * 100).toFixed(1)} pp` },
    { key: 'p', label: 'Significance', numeric: true, value: (r) => r.p, text: (r) => pValue(r.p), firstDirection: 'ascending' },
  ];
  const significant = regressions.filter((r) => r.significant).length;
  const other = regressions.length - significant;
  return sortableTable({
    caption: `${significant} regression${significant === 1 ? '' : 's'}${other > 0 ? `, ${other} drop${other === 1 ? '' : 's'} over budget but not significant` : ''}`,
    columns,
    rows: regressions,
    className: 'rl-regression-table',
    rowClass: (r) => (r.significant ? 'rl-row-bad' : 'rl-row-warn'),
    sort: { key: 'drop', direction: 'descending' },
  });
}

function changeHeatmap(baseline: ReportBaseline): HTMLElement {
  const corruptions = groupByFamily(corruptionsOf(baseline.changes)).flatMap((g) => g.corruptions);
  const severities = [...new Set(baseline.changes.map((c) => c.severity))].sort((a, b) => a - b);
  const regressed = new Set(baseline.regressions.filter((r) => r.significant).map((r) => key(r.corruption, r.severity)));
  const overBudget = new Set(baseline.regressions.filter((r) => !r.significant).map((r) => key(r.corruption, r.severity)));
  const extent = Math.max(0.01, ...baseline.changes.map((c) => Math.abs(c.current - c.baseline)));
  const build = (theme: Theme, width: number): Plot.PlotOptions => {
    // Diverging through the card colour, so that "no change" is quiet in light and dark themes alike.
    const colorOptions = { type: 'linear' as const, domain: [-extent, 0, extent], range: [theme.red, theme.surface, theme.blue], interpolate: 'lab' as const };
    const colour = Plot.scale({ color: colorOptions });
    return {
      width: Math.max(360, Math.min(width, 680)),
      height: corruptions.length * 22 + 58,
      ariaLabel: 'Change in accuracy against the baseline by corruption and severity',
      marginLeft: 128,
      marginTop: 8,
      marginBottom: 40,
      padding: 0.06,
      style: { color: theme.foreground },
      x: { domain: severities, tickFormat: (s: number) => `s${s}`, label: 'Severity', labelAnchor: 'center', labelArrow: 'none', tickSize: 0 },
      y: { domain: corruptions, tickFormat: displayName, label: null, tickSize: 0 },
      color: { ...colorOptions, legend: true, label: 'Change (pp)', tickFormat: (v: number) => `${v > 0 ? '+' : ''}${(v * 100).toFixed(0)}` },
      marks: [
        Plot.cell(baseline.changes, {
          x: 'severity',
          y: 'corruption',
          fill: (c: Change) => c.current - c.baseline,
          stroke: theme.grid,
          strokeOpacity: 0.7,
          rx: 2,
          title: (c: Change) => `${conditionName(c.corruption, c.severity)}: ${percent(c.baseline)} → ${percent(c.current)} (${points(c.current - c.baseline)})`,
        }),
        Plot.cell(
          baseline.changes.filter((c) => regressed.has(key(c.corruption, c.severity))),
          { x: 'severity', y: 'corruption', fill: 'none', stroke: theme.foreground, strokeWidth: 2.5, rx: 2, className: 'rl-mark-regression' },
        ),
        Plot.cell(
          baseline.changes.filter((c) => overBudget.has(key(c.corruption, c.severity))),
          { x: 'severity', y: 'corruption', fill: 'none', stroke: theme.foreground, strokeWidth: 1.5, strokeDasharray: '3,2', rx: 2, className: 'rl-mark-over-budget' },
        ),
        Plot.text(baseline.changes, {
          x: 'severity',
          y: 'corruption',
          text: (c: Change) => ((c.current - c.baseline) * 100).toFixed(1),
          fill: (c: Change) => textOn(String(colour.apply(c.current - c.baseline))),
          fontSize: 11,
          fontVariant: 'tabular-nums',
          pointerEvents: 'none',
        }),
      ],
    };
  };
  return h(
    'figure',
    { className: 'rl-figure rl-heatmap', attrs: { id: 'rl-change-heatmap' } },
    h('figcaption', { text: 'Change in accuracy (pp)' }),
    chart(build),
    h(
      'ul',
      { className: 'rl-legend' },
      h('li', {}, h('span', { className: 'rl-swatch rl-swatch-outline', attrs: { 'aria-hidden': 'true' } }), 'regression (over budget, significant)'),
      h('li', {}, h('span', { className: 'rl-swatch rl-swatch-dashed', attrs: { 'aria-hidden': 'true' } }), 'over budget, not significant'),
    ),
  );
}

function changeTable(baseline: ReportBaseline): HTMLElement {
  const regressed = new Set(baseline.regressions.filter((r) => r.significant).map((r) => key(r.corruption, r.severity)));
  const overBudget = new Set(baseline.regressions.filter((r) => !r.significant).map((r) => key(r.corruption, r.severity)));
  const columns: Column<Change>[] = [
    { key: 'corruption', label: 'Corruption', value: (c) => c.corruption, text: (c) => displayName(c.corruption) },
    { key: 'severity', label: 'Severity', numeric: true, value: (c) => c.severity, firstDirection: 'ascending' },
    { key: 'baseline', label: 'Baseline', numeric: true, value: (c) => c.baseline, text: (c) => percent(c.baseline) },
    { key: 'current', label: 'Now', numeric: true, value: (c) => c.current, text: (c) => percent(c.current) },
    { key: 'change', label: 'Change', numeric: true, value: (c) => c.current - c.baseline, text: (c) => points(c.current - c.baseline), firstDirection: 'ascending' },
  ];
  return sortableTable({
    caption: 'Every condition against the baseline (shared samples)',
    columns,
    rows: baseline.changes,
    className: 'rl-change-table',
    rowClass: (c) => (regressed.has(key(c.corruption, c.severity)) ? 'rl-row-bad' : overBudget.has(key(c.corruption, c.severity)) ? 'rl-row-warn' : undefined),
    sort: { key: 'change', direction: 'ascending' },
  });
}

export function renderBaseline(model: ReportModel): HTMLElement | null {
  const baseline = model.baseline;
  if (!baseline) return null;
  const file = h('p', { className: 'rl-note' }, 'Compared with ', h('code', { className: 'rl-path', text: baseline.file }), '.');
  if (!baseline.comparable) {
    return section(
      'rl-baseline',
      'Against the baseline',
      file,
      h('p', { className: 'rl-callout rl-callout-warn', attrs: { role: 'note' } }, h('strong', { text: 'Not comparable. ' }), baseline.reason ?? 'The baseline was made under other settings.'),
    );
  }
  const verdict =
    baseline.regressions.length === 0
      ? h('p', { className: 'rl-callout rl-callout-good', attrs: { role: 'note' }, text: 'No drops over budget: every condition is within its budget of the baseline.' })
      : regressionTable(baseline.regressions);
  if (baseline.changes.length === 0) return section('rl-baseline', 'Against the baseline', file, verdict);
  return section(
    'rl-baseline',
    'Against the baseline',
    file,
    h('div', { className: 'rl-split' }, changeHeatmap(baseline), h('div', { className: 'rl-split-side' }, verdict)),
    h('details', { className: 'rl-details' }, h('summary', { text: `All ${baseline.changes.length} changes` }), changeTable(baseline)),
  );
}
