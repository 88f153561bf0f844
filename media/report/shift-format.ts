// Formatting for the distribution-shift section: metric names, values (accuracy-like metrics as percentages,
// the others with 3 decimals), source-minus-target gaps, the bounds of checks, and the en dash (with a title
// that says why) wherever a value or an interval is undefined.
import type { ReportInterval } from '../../src/shared/report-model';
import { h } from './dom';
import { fixed, percent, points } from './format';

export const DASH = '–';

/** Metrics whose values are fractions of examples (or means of such fractions): shown as percentages. */
const PERCENT_METRICS: ReadonlySet<string> = new Set(['accuracy', 'balancedAccuracy', 'macroF1', 'sensitivity', 'specificity']);
/** Metrics where a smaller value is better (the others: larger is better). */
const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['ece', 'brier', 'nll']);

const NAMES: Readonly<Record<string, string>> = {
  accuracy: 'Accuracy',
  balancedAccuracy: 'Balanced accuracy',
  macroF1: 'Macro-F1',
  auroc: 'AUROC',
  sensitivity: 'Sensitivity',
  specificity: 'Specificity',
  brier: 'Brier score',
  nll: 'NLL',
  ece: 'ECE',
};

const OVER: Readonly<Record<string, string>> = {
  all: 'whole data set',
  'worst-group': 'worst group',
  'average-group': 'average over groups',
};

/** record[key] when it is the record's own entry (never an inherited one such as 'constructor'). */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

export function metricName(key: string): string {
  return own(NAMES, key) ?? key;
}

export function overName(over: string): string {
  return own(OVER, over) ?? over;
}

export function isPercentMetric(key: string): boolean {
  return PERCENT_METRICS.has(key);
}

export function lowerIsBetter(key: string): boolean {
  return LOWER_IS_BETTER.has(key);
}

/** A metric's value: "91.2%" or "0.913"; the dash for null. */
export function formatValue(key: string, value: number | null | undefined): string {
  return isPercentMetric(key) ? percent(value) : fixed(value);
}

/** A signed difference: "+6.6 pp" for percentage metrics, "+0.041" / "−0.012" for the others. */
export function formatGap(key: string, value: number | null | undefined): string {
  if (isPercentMetric(key)) return points(value);
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const text = Math.abs(value).toFixed(3);
  if (Number(text) === 0) return text;
  return `${value < 0 ? '\u2212' : '+'}${text}`;
}

/** The size of an allowed gap: "5.0 pp" or "0.050". */
function formatGapSize(key: string, value: number): string {
  return isPercentMetric(key) ? `${(value * 100).toFixed(1)} pp` : fixed(value);
}

/** A check's bound, readable: ">= 0.850", "<= 10.0%", "gap <= 5.0 pp". */
export function boundText(key: string, bound: string, limit: number): string {
  if (bound === 'min') return `>= ${formatValue(key, limit)}`;
  if (bound === 'max') return `<= ${formatValue(key, limit)}`;
  return `gap <= ${formatGapSize(key, limit)}`;
}

/** Why a metric has no value. The model does not say, so the most common cause for the metric is named. */
export function undefinedReason(key: string): string {
  if (key === 'auroc') return 'undefined: only one class present (AUROC needs positive and negative examples)';
  if (key === 'sensitivity') return 'undefined: no positive examples in this data';
  if (key === 'specificity') return 'undefined: no negative examples in this data';
  return 'undefined: not defined for this data';
}

export const NO_INTERVAL = 'no interval: not defined for this data (too few usable bootstrap resamples)';
export const NOT_REPORTED = 'not reported for this data';

/** The en dash with a tooltip (an <abbr>, whose title screen readers can read too). */
export function dash(title: string): HTMLElement {
  return h('abbr', { className: 'rl-undefined', text: DASH, attrs: { title } });
}

/**
 * Fills a cell with a value and its interval in brackets: "91.2% [90.0%, 92.4%]". A null value becomes the dash
 * (with the reason as its title) and no interval; null bounds become dashes in the brackets.
 */
export function fillInterval(target: HTMLElement, key: string, interval: ReportInterval | undefined, format: (value: number | null) => string): void {
  if (!interval) {
    target.append(dash(NOT_REPORTED));
    return;
  }
  if (interval.value === null) {
    target.append(dash(undefinedReason(key)));
    return;
  }
  target.append(h('span', { className: 'rl-value', text: format(interval.value) }));
  if (interval.low === null || interval.high === null) {
    const bracket = h('span', { className: 'rl-interval' }, ' [', dash(NO_INTERVAL), ']');
    target.append(bracket);
    return;
  }
  target.append(h('span', { className: 'rl-interval', text: ` [${format(interval.low)}, ${format(interval.high)}]` }));
}

/** The same as text (for SVG titles and tooltips). */
export function intervalText(key: string, interval: ReportInterval, format: (value: number | null) => string): string {
  if (interval.value === null) return `${DASH} (${undefinedReason(key)})`;
  if (interval.low === null || interval.high === null) return `${format(interval.value)} (no interval)`;
  return `${format(interval.value)} [${format(interval.low)}, ${format(interval.high)}]`;
}

/** "95% bootstrap intervals" from 0.95. */
export function levelText(level: number): string {
  return `${Number((level * 100).toFixed(1))}%`;
}

/** The metric keys to show, in the model's display order, then any a row has that the order leaves out. */
export function metricKeys(order: readonly string[], records: readonly (Readonly<Record<string, unknown>> | undefined)[]): string[] {
  const present = new Set(records.flatMap((r) => (r ? Object.keys(r) : [])));
  const listed = order.filter((key) => present.has(key));
  return [...new Set([...listed, ...[...present].filter((key) => !order.includes(key))])];
}
