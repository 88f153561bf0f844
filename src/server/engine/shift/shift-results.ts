// The distribution-shift part of the results file (Results.shift): per data set and per group, every metric
// with its bootstrap percentile interval, the gap from the source to each target, worst-group and group
// average figures, ROC curves, reliability bins, and the outcome of each budget in shift.checks.
// Documented field by field in docs/results-format.md.
import type { CalibrationBins } from '../metrics/calibration';
import type { ShiftMetric } from './metric-kernel';
import type { ShiftCheckSpec, ShiftRole } from '../config/shift-config';

/** A value with its percentile interval; null where undefined (e.g. AUROC on a one-class set). */
export interface Interval {
  readonly value: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

export type MetricIntervals = Readonly<Record<ShiftMetric, Interval>>;

export interface RocCurve {
  /** The class read as positive. */
  readonly label: string;
  readonly auc: number | null;
  /** [false positive rate, true positive rate] pairs from (0, 0) to (1, 1), at most ROC_POINTS of them. */
  readonly points: readonly (readonly [number, number])[];
}

export interface GroupResult {
  readonly group: string;
  readonly n: number;
  readonly metrics: MetricIntervals;
}

export interface DatasetShiftResult {
  readonly name: string;
  readonly role: ShiftRole;
  /** The data file or folder, relative to the config folder. */
  readonly source: string;
  readonly n: number;
  /** Samples per class (label order). */
  readonly classCounts: readonly number[];
  /** How the model's scores were read: as probabilities, or as logits (softmax). */
  readonly scores: 'probabilities' | 'logits';
  readonly metrics: MetricIntervals;
  /** How much worse than the source (source minus target; target minus source for ece, brier, nll). */
  readonly gaps?: MetricIntervals;
  readonly groups: readonly GroupResult[];
  /** Per metric: the worst group's value, which group, and the interval of the worst over resamples. */
  readonly worstGroup?: Readonly<Record<ShiftMetric, Interval & { readonly group: string | null }>>;
  /** Per metric: the unweighted mean over groups with a defined value, with its interval. */
  readonly averageGroup?: MetricIntervals;
  readonly roc: readonly RocCurve[];
  readonly calibration: { readonly ece: number | null; readonly bins: CalibrationBins };
}

/** A budget of shift.checks and how the run fared: the value it bounds, with its interval. */
export interface CheckResult extends ShiftCheckSpec {
  readonly value: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** False when the value breaks the bound, or is undefined. */
  readonly passed: boolean;
}

export interface ShiftResults {
  /** Confidence level of every interval, and bootstrap resamples drawn per data set and group. */
  readonly level: number;
  readonly resamples: number;
  readonly positiveClass: string | null;
  readonly threshold: number | null;
  /** True for the final evaluation, which includes the frozen target-test sets. */
  readonly frozenTest: boolean;
  readonly datasets: readonly DatasetShiftResult[];
  readonly checks: readonly CheckResult[];
}
