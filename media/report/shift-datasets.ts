// Per data set: every metric with its interval; the gaps (source minus each target) with theirs; and, over each
// data set's groups, the worst group and the unweighted average.
import type { ReportInterval, ReportShift, ReportShiftDataset } from '../../src/shared/report-model';
import { h } from './dom';
import { integer } from './format';
import { dash, fillInterval, formatGap, formatValue, metricKeys, metricName, NOT_REPORTED, own, undefinedReason } from './shift-format';
import { sortableTable, type Column } from './tables';

type Dataset = ReportShiftDataset;

/** One column per metric: value and [low, high] from `pick(row)[key]`. */
export function intervalColumns<R>(keys: readonly string[], pick: (row: R) => Readonly<Record<string, ReportInterval>> | undefined, format: (key: string, value: number | null) => string, prefix = 'metric'): Column<R>[] {
  return keys.map((key) => ({
    key: `${prefix}:${key}`,
    label: metricName(key),
    numeric: true,
    value: (row: R) => own(pick(row), key)?.value ?? null,
    cell: (row: R, td: HTMLTableCellElement) => fillInterval(td, key, own(pick(row), key), (v) => format(key, v)),
  }));
}

function identity(): Column<Dataset>[] {
  return [
    { key: 'name', label: 'Data set', value: (d) => d.name },
    { key: 'role', label: 'Role', value: (d) => d.role },
    { key: 'n', label: 'n', numeric: true, value: (d) => d.n, text: (d) => integer(d.n) },
  ];
}

export function datasetsTable(shift: ReportShift): HTMLElement {
  const keys = metricKeys(shift.metrics, shift.datasets.map((d) => d.metrics));
  return sortableTable({
    caption: 'Per data set',
    columns: [...identity(), ...intervalColumns<Dataset>(keys, (d) => d.metrics, formatValue)],
    rows: shift.datasets,
    className: 'rl-shift-datasets',
  });
}

/** Source minus each target data set, per metric: positive is worse on the target for accuracy-like metrics. */
export function gapsTable(shift: ReportShift): HTMLElement | null {
  const rows = shift.datasets.filter((d) => d.gaps !== undefined && Object.keys(d.gaps).length > 0);
  if (rows.length === 0) return null;
  const keys = metricKeys(shift.metrics, rows.map((d) => d.gaps));
  const sources = shift.datasets.filter((d) => d.role === 'source-heldout').map((d) => d.name);
  const caption = sources.length === 1 ? `Gap: source (${sources[0]}) minus target` : 'Gap: source minus target';
  return sortableTable({
    caption,
    columns: [
      { key: 'name', label: 'Target', value: (d: Dataset) => d.name },
      { key: 'role', label: 'Role', value: (d: Dataset) => d.role },
      ...intervalColumns<Dataset>(keys, (d) => d.gaps, formatGap, 'gap'),
    ],
    rows,
    className: 'rl-shift-gaps',
  });
}

/** Worst group (value and which group) and the unweighted average over groups, per metric. */
export function groupSummaryTable(shift: ReportShift): HTMLElement | null {
  const rows = shift.datasets.filter((d) => d.worstGroup !== undefined || d.averageGroup !== undefined);
  if (rows.length === 0) return null;
  const keys = metricKeys(shift.metrics, rows.flatMap((d) => [d.worstGroup, d.averageGroup]));
  const columns: Column<Dataset>[] = [
    { key: 'name', label: 'Data set', value: (d) => d.name },
    ...keys.map(
      (key): Column<Dataset> => ({
        key: `worst:${key}`,
        label: metricName(key),
        numeric: true,
        value: (d) => own(d.worstGroup, key)?.value ?? null,
        cell: (d, td) => {
          const worst = own(d.worstGroup, key);
          const line = h('span', { className: 'rl-shift-worst' });
          if (worst) line.append(h('span', { className: 'rl-value', text: formatValue(key, worst.value) }), ' ', h('span', { className: 'rl-shift-group-name', text: `(${worst.group})` }));
          else line.append(dash(d.worstGroup ? undefinedReason(key) : NOT_REPORTED));
          const average = own(d.averageGroup, key);
          td.append(line, h('span', { className: 'rl-shift-average' }, 'avg ', average === undefined ? dash(d.averageGroup ? undefinedReason(key) : NOT_REPORTED) : formatValue(key, average)));
        },
      }),
    ),
  ];
  return sortableTable({ caption: 'Over groups: worst group and average (unweighted)', columns, rows, className: 'rl-shift-group-summary' });
}
