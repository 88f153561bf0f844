// Per group: every metric with its interval, and a forest plot of one chosen metric (a dot per group with its
// interval, a tick at the whole data set's value). Groups whose value is undefined are listed, not drawn.
import type { ReportShift, ReportShiftGroup } from '../../src/shared/report-model';
import { h, select } from './dom';
import { integer } from './format';
import { chart, Plot, redraw, type Build } from './plot';
import { intervalColumns } from './shift-datasets';
import { formatValue, intervalText, metricKeys, metricName, own } from './shift-format';
import { sortableTable } from './tables';
import type { Theme } from './theme';

/** More groups than this and the forest plot is left out (the table still lists them). */
const MAX_FOREST_ROWS = 60;

interface ForestRow {
  /** The row's index as text: its y key (names may repeat). */
  readonly key: string;
  readonly name: string;
  readonly value: number;
  readonly low: number | null;
  readonly high: number | null;
  /** The whole data set's value, when known. */
  readonly overall: number | null;
  readonly title: string;
}

const groupName = (g: ReportShiftGroup) => `${g.dataset} / ${g.group}`;

export function groupsTable(shift: ReportShift): HTMLElement {
  const keys = metricKeys(shift.metrics, shift.groups.map((g) => g.metrics));
  return sortableTable({
    caption: 'Per group',
    columns: [
      { key: 'dataset', label: 'Data set', value: (g: ReportShiftGroup) => g.dataset },
      { key: 'group', label: 'Group', value: (g: ReportShiftGroup) => g.group },
      { key: 'n', label: 'n', numeric: true, value: (g: ReportShiftGroup) => g.n, text: (g: ReportShiftGroup) => integer(g.n) },
      ...intervalColumns<ReportShiftGroup>(keys, (g) => g.metrics, formatValue),
    ],
    rows: shift.groups,
    className: 'rl-shift-groups',
    rowHeader: 'group',
  });
}

function forestRows(shift: ReportShift, key: string): { rows: ForestRow[]; undefinedGroups: string[] } {
  const rows: ForestRow[] = [];
  const undefinedGroups: string[] = [];
  shift.groups.forEach((g, i) => {
    const m = own(g.metrics, key);
    if (!m) return;
    if (m.value === null) {
      undefinedGroups.push(groupName(g));
      return;
    }
    const overall = own(shift.datasets.find((d) => d.name === g.dataset)?.metrics, key)?.value ?? null;
    const format = (v: number | null) => formatValue(key, v);
    rows.push({ key: String(i), name: groupName(g), value: m.value, low: m.low, high: m.high, overall, title: `${groupName(g)}: ${intervalText(key, m, format)}` });
  });
  return { rows, undefinedGroups };
}

function forest(shift: ReportShift, key: string): Build {
  const { rows } = forestRows(shift, key);
  const names = new Map(rows.map((r) => [r.key, r.name]));
  const format = (v: number) => formatValue(key, v);
  const intervals = rows.filter((r) => r.low !== null && r.high !== null);
  const overall = rows.filter((r) => r.overall !== null);
  return (theme: Theme, width: number) => ({
    width: Math.max(360, Math.min(width, 760)),
    ariaLabel: `${metricName(key)} per group, with intervals`,
    height: Math.max(1, rows.length) * 24 + 50,
    marginLeft: 180,
    marginRight: 20,
    style: { color: theme.foreground },
    x: { label: metricName(key), labelAnchor: 'center', labelArrow: 'none', grid: true, tickFormat: format },
    y: { domain: rows.map((r) => r.key), label: null, tickSize: 0, tickFormat: (k: string) => names.get(k) ?? '' },
    marks: [
      Plot.tickX(overall, { x: 'overall', y: 'key', stroke: theme.muted, strokeWidth: 2, className: 'rl-mark-dataset', title: (r: ForestRow) => `whole data set: ${format(r.overall!)}` }),
      Plot.link(intervals, { x1: 'low', x2: 'high', y1: 'key', y2: 'key', stroke: theme.blue, strokeWidth: 2 }),
      Plot.dot(rows, { x: 'value', y: 'key', fill: theme.blue, r: 3.5, title: (r: ForestRow) => r.title }),
    ],
  });
}

function omittedText(shift: ReportShift, key: string): string {
  const { undefinedGroups } = forestRows(shift, key);
  if (undefinedGroups.length === 0) return '';
  return `Not drawn (${metricName(key)} undefined): ${undefinedGroups.join(', ')}.`;
}

function forestFigure(shift: ReportShift, keys: readonly string[]): HTMLElement {
  let chosen = keys[0];
  const caption = h('figcaption');
  const omitted = h('p', { className: 'rl-note rl-shift-omitted' });
  const container = chart(forest(shift, chosen), 'rl-chart rl-forest');
  const describe = () => {
    caption.textContent = `${metricName(chosen)} per group, with intervals`;
    omitted.textContent = omittedText(shift, chosen);
    omitted.hidden = omitted.textContent === '';
  };
  describe();
  const control = select(
    'Metric',
    keys.map((key) => ({ value: key, text: metricName(key) })),
    chosen,
    (value) => {
      if (!keys.includes(value)) return;
      chosen = value;
      describe();
      redraw(container, forest(shift, chosen));
    },
  );
  const legend = h(
    'ul',
    { className: 'rl-legend' },
    h('li', {}, h('span', { className: 'rl-swatch rl-swatch-dot', attrs: { 'aria-hidden': 'true' } }), 'group, with its interval'),
    h('li', {}, h('span', { className: 'rl-swatch rl-swatch-tick', attrs: { 'aria-hidden': 'true' } }), 'whole data set'),
  );
  return h('figure', { className: 'rl-figure rl-shift-forest' }, caption, h('div', { className: 'rl-toolbar' }, control), container, legend, omitted);
}

export function renderGroups(shift: ReportShift): HTMLElement[] {
  if (shift.groups.length === 0) return [];
  const parts = [groupsTable(shift)];
  const keys = metricKeys(shift.metrics, shift.groups.map((g) => g.metrics));
  if (keys.length > 0 && shift.groups.length <= MAX_FOREST_ROWS) parts.push(forestFigure(shift, keys));
  return parts;
}
