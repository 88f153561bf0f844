// The resolved "shift" section of robustness.json: named data sets with roles, optional groups, the metric
// options, the bootstrap, the budgets (checks) and the frozen test discipline.
import type { CleanDataSpec } from './config';
import type { ShiftMetric } from '../shift/metric-kernel';

/**
 * source-heldout: held-out data from the training distribution (at most one; the gaps are measured from it);
 * target-dev: shifted data the team may look at while developing; target-test: shifted data kept frozen, only
 * evaluated by the final evaluation command.
 */
export const SHIFT_ROLES = ['source-heldout', 'target-dev', 'target-test'] as const;
export type ShiftRole = (typeof SHIFT_ROLES)[number];

/** A table of features for tabular models. */
export interface TabularDataSpec {
  readonly format: 'csv' | 'parquet';
  readonly path: string;
  /** The label column. */
  readonly label: string;
  /** Feature columns in the model's order (default: every column but the label and group columns). */
  readonly features?: readonly string[];
}

export type ShiftDataSpec = CleanDataSpec | TabularDataSpec;

export function isTabular(data: ShiftDataSpec): data is TabularDataSpec {
  return data.format === 'csv' || data.format === 'parquet';
}

/** Where per-sample group labels come from. */
export type GroupSpec =
  /** Image folders laid out <group>/<label>/<image>. */
  | { readonly from: 'subfolder' }
  /** A column of the table. */
  | { readonly column: string }
  /** A CSV side file with a header and two columns: the sample (row index, or image path relative to the folder) and its group. */
  | { readonly file: string };

export interface ShiftDatasetSpec {
  readonly name: string;
  readonly role: ShiftRole;
  readonly data: ShiftDataSpec;
  readonly groups: GroupSpec | undefined;
}

export type ShiftOver = 'all' | 'worst-group' | 'average-group';
export type ShiftBound = 'min' | 'max' | 'maxGap';

/** One budget: a metric on a data set (or its worst group, or group average) must stay within a limit. */
export interface ShiftCheckSpec {
  /** Position in shift.checks (the diagnostic goes there). */
  readonly index: number;
  readonly dataset: string;
  readonly metric: ShiftMetric;
  readonly over: ShiftOver;
  readonly bound: ShiftBound;
  readonly limit: number;
}

export interface ShiftSpec {
  readonly datasets: readonly ShiftDatasetSpec[];
  /** The positive class as written (a label name or index); resolved against the labels at evaluation. */
  readonly positiveClass: string | number | undefined;
  readonly threshold: number | undefined;
  /** How model outputs are read: 'auto' decides per data set (probabilities when every row is one). */
  readonly scores: 'auto' | 'probabilities' | 'logits';
  readonly resamples: number;
  /** Resamples in the smoke test on save (fewer, for speed). */
  readonly smokeResamples: number;
  readonly level: number;
  readonly checks: readonly ShiftCheckSpec[];
  /** How many final evaluations of the frozen test sets are allowed before a warning. */
  readonly maxFrozenEvaluations: number;
  /** Absolute path of the frozen test log (.robustness/frozen-test-log.jsonl). */
  readonly frozenLog: string;
  /** How failed checks show in the Problems panel. */
  readonly severity: 'warning' | 'error';
}

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_SMOKE_RESAMPLES = 200;
export const DEFAULT_LEVEL = 0.95;
export const DEFAULT_MAX_FROZEN_EVALUATIONS = 3;
export const DEFAULT_FROZEN_LOG = '.robustness/frozen-test-log.jsonl';
