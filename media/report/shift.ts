// Distribution shift: per-data-set and per-group metrics with their intervals, and a forest plot of the
// groups' first metric. Rendered only when the model has a shift section.
import type { ReportInterval, ReportModel, ReportShift } from '../../src/shared/report-model';
import { h, section } from './dom';
import { fixed, percent } from './format';
import { chart, Plot } from './plot';
import { sortableTable, type Column } from './tables';
import type { Theme } from './theme';

type Row = { readonly metrics: Readonly<Record<string, ReportInterval>> };
type GroupRow = ReportShift['groups'][number];

function metricKeys(rows: readonly Row[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
}

/** Accuracy-like metrics (names and values in [0, 1]) as percentages, others with 3 decimals. */
function formatter(key: string, rows: readonly Row[]): (value: number) => string {
  const asPercent = /acc|rate|recall|precision|f1/i.test(key) && rows.every((r) => !r.metrics[key] || (r.metrics[key].low >= 0 && r.metrics[key].high <= 1));
  return asPercent ? (v) => percent(v) : (v) => fixed(v);
}

function metricColumns<R extends Row>(keys: readonly string[], rows: readonly R[]): Column<R>[] {
  return keys.map((key) => {
    const format = formatter(key, rows);
    return {
      key: `metric:${key}`,
      label: key,
      numeric: true,
      value: (r: R) => r.metrics[key]?.value ?? null,
      cell: (r: R, td: HTMLTableCellElement) => {
        const m = r.metrics[key];
        if (!m) {
          td.textContent = '–';
          return;
        }
        td.append(h('span', { text: format(m.value) }), h('span', { className: 'rl-interval', text: ` [${format(m.low)}, ${format(m.high)}]` }));
      },
    };
  });
}

function forest(groups: readonly GroupRow[], key: string): HTMLElement {
  const rows = groups.filter((g) => g.metrics[key]).map((g) => ({ name: `${g.dataset} / ${g.group}`, ...g.metrics[key] }));
  const format = formatter(key, groups);
  const build = (theme: Theme, width: number): Plot.PlotOptions => ({
    width: Math.max(360, Math.min(width, 760)),
    ariaLabel: `${key} per group, with intervals`,
    height: rows.length * 24 + 50,
    marginLeft: 180,
    marginRight: 20,
    style: { color: theme.foreground },
    x: { label: key, labelAnchor: 'center', labelArrow: 'none', grid: true, tickFormat: format },
    y: { domain: rows.map((r) => r.name), label: null, tickSize: 0 },
    marks: [
      Plot.link(rows, { x1: 'low', x2: 'high', y1: 'name', y2: 'name', stroke: theme.blue, strokeWidth: 2 }),
      Plot.dot(rows, { x: 'value', y: 'name', fill: theme.blue, r: 3.5, title: (r: (typeof rows)[number]) => `${r.name}: ${format(r.value)} [${format(r.low)}, ${format(r.high)}]` }),
    ],
  });
  return h('figure', { className: 'rl-figure' }, h('figcaption', { text: `${key} per group, with intervals` }), chart(build));
}

export function renderShift(model: ReportModel): HTMLElement | null {
  const shift = model.shift;
  if (!shift) return null;
  const parts: HTMLElement[] = [];
  if (shift.datasets.length > 0) {
    const columns: Column<ReportShift['datasets'][number]>[] = [
      { key: 'name', label: 'Data set', value: (d) => d.name },
      { key: 'role', label: 'Role', value: (d) => d.role },
      ...metricColumns(metricKeys(shift.datasets), shift.datasets),
    ];
    parts.push(sortableTable({ caption: 'Per data set', columns, rows: shift.datasets, className: 'rl-shift-datasets' }));
  }
  if (shift.groups.length > 0) {
    const keys = metricKeys(shift.groups);
    const columns: Column<GroupRow>[] = [
      { key: 'dataset', label: 'Data set', value: (g) => g.dataset },
      { key: 'group', label: 'Group', value: (g) => g.group },
      ...metricColumns(keys, shift.groups),
    ];
    parts.push(sortableTable({ caption: 'Per group', columns, rows: shift.groups, className: 'rl-shift-groups', rowHeader: 'group' }));
    if (keys.length > 0 && shift.groups.length <= 60) parts.push(forest(shift.groups, keys[0]));
  }
  if (parts.length === 0) parts.push(h('p', { className: 'rl-note', text: 'The shift check produced no metrics.' }));
  return section('rl-shift', 'Distribution shift', h('p', { className: 'rl-note', text: 'Values with their intervals in brackets.' }), ...parts);
}
