// The "shift" section of robustness.json, after schema validation: resolves defaults and checks what the
// schema cannot: a role used twice where once is allowed, checks naming unknown data sets (with the closest
// name), gap checks without a source, group checks on data sets without groups, and group sources that do not
// fit the data format. Problems go to `report` with the JSON path to mark.
import * as path from 'node:path';
import type { ConfigPath } from '../errors';
import { isShiftMetric } from '../shift/metric-kernel';
import {
  DEFAULT_FROZEN_LOG,
  DEFAULT_LEVEL,
  DEFAULT_MAX_FROZEN_EVALUATIONS,
  DEFAULT_RESAMPLES,
  DEFAULT_SMOKE_RESAMPLES,
  isTabular,
  type GroupSpec,
  type ShiftBound,
  type ShiftCheckSpec,
  type ShiftDatasetSpec,
  type ShiftOver,
  type ShiftSpec,
} from './shift-config';

export interface ShiftParseContext {
  readonly dir: string;
  /** Reports an error at a JSON path. */
  error(at: ConfigPath, code: string, message: string): void;
  closest(name: string, candidates: readonly string[]): string | undefined;
}

/** The shift section as validated by the schema (shapes are known to be right). */
type RawShift = Record<string, any>;

export function parseShift(raw: RawShift, context: ShiftParseContext): ShiftSpec {
  const datasets: ShiftDatasetSpec[] = [];
  let source: string | undefined;
  for (const [name, value] of Object.entries(raw.datasets as Record<string, any>)) {
    const at = ['shift', 'datasets', name];
    if (value.role === 'source-heldout') {
      if (source !== undefined) {
        context.error([...at, 'role'], 'config-role-twice', `"${name}" and "${source}" both have the role "source-heldout"; there can be one held-out source set (the gaps are measured from it). Make one of them "target-dev".`);
      } else source = name;
    }
    const groups = value.groups as GroupSpec | undefined;
    if (groups && 'from' in groups && value.data.format !== 'imagefolder') {
      context.error([...at, 'groups'], 'config-groups-source', `groups {"from": "subfolder"} needs an image folder, but "${name}" is ${value.data.format} data; use {"column": ...} for a table or {"file": ...} for a side file.`);
    }
    if (groups && 'column' in groups && !isTabular(value.data)) {
      context.error([...at, 'groups'], 'config-groups-source', `groups {"column": ...} needs a CSV or Parquet table, but "${name}" is ${value.data.format} data; use {"file": ...} with a CSV of sample,group.`);
    }
    datasets.push({ name, role: value.role, data: value.data, groups });
  }

  const names = datasets.map((d) => d.name);
  const checks: ShiftCheckSpec[] = [];
  (raw.checks as any[] | undefined)?.forEach((check, index) => {
    const at = ['shift', 'checks', index];
    const dataset = datasets.find((d) => d.name === check.dataset);
    if (!dataset) {
      const guess = context.closest(check.dataset, names);
      context.error([...at, 'dataset'], 'config-unknown-dataset', `no data set is named "${check.dataset}" in shift.datasets${guess ? `; did you mean "${guess}"?` : ` (there are: ${names.map((n) => `"${n}"`).join(', ')})`}`);
      return;
    }
    if (!isShiftMetric(check.metric)) return; // the schema reported it
    const bound: ShiftBound = 'min' in check ? 'min' : 'max' in check ? 'max' : 'maxGap';
    const over: ShiftOver = check.over ?? 'all';
    if (bound === 'maxGap') {
      if (source === undefined) {
        context.error([...at, 'maxGap'], 'config-gap-without-source', `a gap is measured from the "source-heldout" data set, and shift.datasets has none; give one data set the role "source-heldout", or use "min"/"max".`);
        return;
      }
      if (over !== 'all') {
        context.error([...at, 'over'], 'config-gap-over-groups', `gaps are measured between whole data sets; drop "over" from this check, or bound the ${over} value with "min"/"max".`);
        return;
      }
      if (dataset.name === source) {
        context.error([...at, 'dataset'], 'config-gap-on-source', `"${dataset.name}" is the source-heldout set itself, so its gap is always 0; bound a target data set's gap, or use "min"/"max".`);
        return;
      }
    }
    if (over !== 'all' && !dataset.groups) {
      context.error([...at, 'over'], 'config-no-groups', `"over": "${over}" needs groups, and "${dataset.name}" has none; add "groups" to shift.datasets.${dataset.name}, or drop "over".`);
      return;
    }
    checks.push({ index, dataset: dataset.name, metric: check.metric, over, bound, limit: check[bound] as number });
  });

  return {
    datasets,
    positiveClass: raw.positiveClass,
    threshold: raw.threshold,
    scores: raw.scores ?? 'auto',
    resamples: raw.bootstrap?.resamples ?? DEFAULT_RESAMPLES,
    smokeResamples: raw.bootstrap?.smokeResamples ?? DEFAULT_SMOKE_RESAMPLES,
    level: raw.bootstrap?.level ?? DEFAULT_LEVEL,
    checks,
    maxFrozenEvaluations: raw.frozenTest?.maxEvaluations ?? DEFAULT_MAX_FROZEN_EVALUATIONS,
    frozenLog: path.resolve(context.dir, raw.frozenTest?.log ?? DEFAULT_FROZEN_LOG),
    severity: raw.severity ?? 'warning',
  };
}
