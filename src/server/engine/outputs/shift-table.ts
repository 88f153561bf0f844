// The shift check as plain text for a terminal: per data set (and group) the headline metrics with their
// intervals, the gaps from the source, and each budget with its outcome.
import { SHIFT_METRICS, type ShiftMetric } from '../shift/metric-kernel';
import type { CheckResult, Interval, ShiftResults } from '../shift/shift-results';

const SHORT: Record<ShiftMetric, string> = {
  accuracy: 'acc',
  balancedAccuracy: 'bal.acc',
  macroF1: 'macroF1',
  auroc: 'AUROC',
  sensitivity: 'sens',
  specificity: 'spec',
  ece: 'ECE',
  brier: 'Brier',
  nll: 'NLL',
};

const PERCENT = new Set<ShiftMetric>(['accuracy', 'balancedAccuracy', 'macroF1', 'sensitivity', 'specificity']);

export function formatValue(metric: ShiftMetric, value: number | null): string {
  if (value === null) return '-';
  return PERCENT.has(metric) ? `${(value * 100).toFixed(1)}%` : value.toFixed(3);
}

function withInterval(metric: ShiftMetric, i: Interval): string {
  if (i.value === null) return '-';
  return i.low === null || i.high === null ? formatValue(metric, i.value) : `${formatValue(metric, i.value)} [${formatValue(metric, i.low)}, ${formatValue(metric, i.high)}]`;
}

/** A gap: percentage points for accuracy-like metrics, "6.4 pp [3.5, 9.2]". */
export function gapText(metric: ShiftMetric, i: Interval): string {
  if (i.value === null) return '-';
  const f = (v: number) => (PERCENT.has(metric) ? (v * 100).toFixed(1) : v.toFixed(3));
  const unit = PERCENT.has(metric) ? ' pp' : '';
  return i.low === null || i.high === null ? `${f(i.value)}${unit}` : `${f(i.value)}${unit} [${f(i.low)}, ${f(i.high)}]`;
}

/** "AUROC >= 0.850", "gap in acc <= 5.0 pp" */
export function describeBound(check: Pick<CheckResult, 'metric' | 'bound' | 'limit' | 'over'>): string {
  const over = check.over === 'all' ? '' : ` (${check.over})`;
  if (check.bound === 'maxGap') {
    const limit = PERCENT.has(check.metric) ? `${(check.limit * 100).toFixed(1)} pp` : check.limit.toFixed(3);
    return `gap in ${check.metric} <= ${limit}`;
  }
  return `${check.metric}${over} ${check.bound === 'min' ? '>=' : '<='} ${formatValue(check.metric, check.limit)}`;
}

export function formatShiftTable(shift: ShiftResults): string {
  const lines: string[] = [];
  const title = shift.frozenTest ? 'distribution shift: FINAL EVALUATION on the frozen test set' : 'distribution shift';
  lines.push(`${title} (${Math.round(shift.level * 100)}% bootstrap intervals, ${shift.resamples} resamples${shift.positiveClass ? `, positive class "${shift.positiveClass}"` : ''})`);
  const nameWidth = Math.max(16, ...shift.datasets.flatMap((d) => [d.name.length + 2, ...d.groups.map((g) => g.group.length + 4)]));
  const shown: ShiftMetric[] = ['accuracy', 'balancedAccuracy', 'auroc', 'ece'];
  const cell = (text: string) => text.padEnd(26);
  lines.push('data set'.padEnd(nameWidth) + 'role'.padEnd(16) + 'n'.padStart(7) + '  ' + shown.map((m) => cell(SHORT[m])).join(''));
  for (const d of shift.datasets) {
    lines.push(d.name.padEnd(nameWidth) + d.role.padEnd(16) + String(d.n).padStart(7) + '  ' + shown.map((m) => cell(withInterval(m, d.metrics[m]))).join(''));
    for (const g of d.groups) lines.push(`  ${g.group}`.padEnd(nameWidth) + ''.padEnd(16) + String(g.n).padStart(7) + '  ' + shown.map((m) => cell(withInterval(m, g.metrics[m]))).join(''));
  }
  const withGaps = shift.datasets.filter((d) => d.gaps);
  if (withGaps.length > 0) {
    lines.push('');
    lines.push('gap from the source (how much worse; positive = worse):');
    for (const d of withGaps) lines.push(`  ${d.name}: ` + shown.map((m) => `${SHORT[m]} ${gapText(m, d.gaps![m])}`).join(', '));
  }
  if (shift.checks.length > 0) {
    lines.push('');
    const failed = shift.checks.filter((c) => !c.passed).length;
    lines.push(failed === 0 ? `all ${shift.checks.length} shift check(s) pass` : `${failed} of ${shift.checks.length} shift check(s) fail:`);
    for (const c of shift.checks) {
      const value = c.value === null ? 'undefined' : withInterval(c.metric, c);
      lines.push(`  ${c.passed ? 'pass' : 'FAIL'}  ${c.dataset}: ${describeBound(c)}; now ${value}`);
    }
  }
  const omitted = SHIFT_METRICS.filter((m) => !shown.includes(m)).map((m) => SHORT[m]);
  lines.push('');
  lines.push(`(${omitted.join(', ')} and per-group intervals are in --json and --html)`);
  return lines.join('\n');
}
