// The report's shift section (src/shared/report-model.ts ReportShift) from the shift results: metrics in
// SHIFT_METRICS order, intervals, gaps, group summaries, ROC curves and reliability bins.
import type { ReportInterval, ReportShift } from '../../../shared/report-model';
import { SHIFT_METRICS } from '../shift/metric-kernel';
import type { Interval, ShiftResults } from '../shift/shift-results';
import { reliability } from './report-model';

type Intervals = Readonly<Record<string, Interval>>;

function intervals(record: Intervals): Record<string, ReportInterval> {
  return Object.fromEntries(SHIFT_METRICS.map((m) => [m, { value: record[m].value, low: record[m].low, high: record[m].high }]));
}

export function buildShiftReport(shift: ShiftResults): ReportShift {
  return {
    metrics: [...SHIFT_METRICS],
    level: shift.level,
    resamples: shift.resamples,
    ...(shift.positiveClass !== null ? { positiveClass: shift.positiveClass } : {}),
    frozenTest: shift.frozenTest,
    datasets: shift.datasets.map((d) => ({
      name: d.name,
      role: d.role,
      n: d.n,
      metrics: intervals(d.metrics),
      ...(d.gaps ? { gaps: intervals(d.gaps) } : {}),
      ...(d.worstGroup
        ? {
            worstGroup: Object.fromEntries(
              SHIFT_METRICS.flatMap((m) => {
                const w = d.worstGroup![m];
                return w.value === null || w.group === null ? [] : [[m, { group: w.group, value: w.value }]];
              }),
            ),
          }
        : {}),
      ...(d.averageGroup ? { averageGroup: Object.fromEntries(SHIFT_METRICS.flatMap((m) => (d.averageGroup![m].value === null ? [] : [[m, d.averageGroup![m].value as number]]))) } : {}),
      roc: d.roc.map((c) => ({ label: c.label, auc: c.auc, points: c.points })),
      calibration: { ece: d.calibration.ece, bins: reliability(d.calibration.bins) },
    })),
    groups: shift.datasets.flatMap((d) => d.groups.map((g) => ({ dataset: d.name, group: g.group, n: g.n, metrics: intervals(g.metrics) }))),
    checks: shift.checks.map((c) => ({ dataset: c.dataset, metric: c.metric, over: c.over, bound: c.bound, limit: c.limit, value: c.value, low: c.low, high: c.high, passed: c.passed })),
  };
}
