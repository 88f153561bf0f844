// The shift checks of robustness.json (shift.checks) and how this run fared: failed first, each marked by text
// ("failed" / "passed") as well as by colour.
import type { ReportShift, ReportShiftCheck } from '../../src/shared/report-model';
import { h } from './dom';
import { boundText, fillInterval, formatGap, formatValue, metricName, overName } from './shift-format';
import { sortableTable, type Column } from './tables';

function result(check: ReportShiftCheck): HTMLElement {
  return h(
    'span',
    { className: `rl-check-result ${check.passed ? 'rl-check-passed' : 'rl-check-failed'}` },
    h('span', { className: 'rl-check-icon', text: check.passed ? '✓' : '✗', attrs: { 'aria-hidden': 'true' } }),
    check.passed ? 'passed' : 'failed',
  );
}

export function checksTable(shift: ReportShift): HTMLElement | null {
  const { checks } = shift;
  if (checks.length === 0) return null;
  const columns: Column<ReportShiftCheck>[] = [
    { key: 'dataset', label: 'Data set', value: (c) => c.dataset },
    { key: 'metric', label: 'Metric', value: (c) => metricName(c.metric) },
    { key: 'over', label: 'Over', value: (c) => overName(c.over) },
    { key: 'bound', label: 'Bound', value: (c) => c.limit, text: (c) => boundText(c.metric, c.bound, c.limit), sortable: false },
    {
      key: 'value',
      label: 'Value',
      numeric: true,
      value: (c) => c.value,
      title: 'The value compared with the bound (for a gap: source minus this data set), with its interval',
      cell: (c, td) => {
        const format = c.bound === 'maxGap' ? (v: number | null) => formatGap(c.metric, v) : (v: number | null) => formatValue(c.metric, v);
        fillInterval(td, c.metric, { value: c.value, low: c.low, high: c.high }, format);
      },
    },
    { key: 'result', label: 'Result', value: (c) => (c.passed ? 1 : 0), cell: (c, td) => td.append(result(c)), firstDirection: 'ascending' },
  ];
  const failed = checks.filter((c) => !c.passed).length;
  const caption = failed === 0 ? `Checks: all ${checks.length} passed` : `Checks: ${failed} of ${checks.length} failed`;
  return sortableTable({
    caption,
    columns,
    rows: checks,
    className: 'rl-shift-checks',
    rowClass: (c) => (c.passed ? undefined : 'rl-row-bad'),
    // Failed first; the order of robustness.json within each.
    sort: { key: 'result', direction: 'ascending' },
  });
}
