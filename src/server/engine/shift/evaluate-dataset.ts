// One data set of the shift check, from the model's normalised probabilities to its results: every metric
// with a seeded bootstrap interval, the same per group, worst-group and group-average figures, ROC curves and
// reliability bins. The resampled metric values are kept (resamples x metrics) so that the gap from the source
// can take its interval from pairs of independent resamples (source resample r, target resample r).
//
// Streams: the data set's resamples come from stream "shift/<name>", each group's from "shift/<name>/group/<g>",
// so adding a data set or a group never changes another's interval.
import { addToBins, emptyBins, expectedCalibrationError } from '../metrics/calibration';
import { percentileInterval, resampleCounts } from './bootstrap';
import { LOWER_IS_BETTER, MetricKernel, SHIFT_METRICS, type KernelOptions, type ShiftMetric } from './metric-kernel';
import { rocPoints } from './roc-curve';
import { aurocBinary } from './metrics/auroc';
import type { ShiftRole } from '../config/shift-config';
import type { DatasetShiftResult, GroupResult, Interval, MetricIntervals, RocCurve } from './shift-results';

export interface ScoredDataset {
  readonly name: string;
  readonly role: ShiftRole;
  /** For messages and the results: the data file or folder, relative to the config folder. */
  readonly source: string;
  /** n x K rows, each a probability distribution. */
  readonly probabilities: Float64Array;
  readonly labels: Int32Array;
  readonly scores: 'probabilities' | 'logits';
  /** Per-sample group, when the data set has groups. */
  readonly groups?: readonly string[];
  /** Groups that exist even with no sample (e.g. an empty subfolder): reported with n = 0. */
  readonly declaredGroups?: readonly string[];
}

export interface BootstrapSettings {
  readonly seed: number;
  readonly resamples: number;
  readonly level: number;
}

export interface DatasetEvaluation {
  readonly result: DatasetShiftResult;
  /** Resampled metric values, resample-major (resamples x SHIFT_METRICS.length), NaN where undefined. */
  readonly resampled: Float64Array;
  /** Per group, the same. */
  readonly groupResampled: ReadonlyMap<string, Float64Array>;
}

const M = SHIFT_METRICS.length;

interface Bootstrapped {
  readonly point: Float64Array;
  readonly resampled: Float64Array;
}

function bootstrap(kernel: MetricKernel, settings: BootstrapSettings, stream: string): Bootstrapped {
  const point = new Float64Array(M);
  kernel.compute(null, point);
  const resampled = new Float64Array(settings.resamples * M).fill(Number.NaN);
  const out = new Float64Array(M);
  resampleCounts(kernel.n, { seed: settings.seed, resamples: settings.resamples, stream }, (counts, r) => {
    kernel.compute(counts, out);
    resampled.set(out, r * M);
  });
  return { point, resampled };
}

/** Column m of a resample-major matrix. */
function column(matrix: Float64Array, m: number): Float64Array {
  const rows = matrix.length / M;
  const values = new Float64Array(rows);
  for (let r = 0; r < rows; r++) values[r] = matrix[r * M + m];
  return values;
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

function intervals(point: Float64Array, resampled: Float64Array, level: number): MetricIntervals {
  const record = {} as Record<ShiftMetric, Interval>;
  SHIFT_METRICS.forEach((name, m) => {
    const value = orNull(point[m]);
    const { low, high } = value === null ? { low: null, high: null } : percentileInterval(column(resampled, m), level);
    record[name] = { value, low, high };
  });
  return record;
}

const EMPTY: MetricIntervals = Object.fromEntries(SHIFT_METRICS.map((name) => [name, { value: null, low: null, high: null }])) as unknown as MetricIntervals;

export function evaluateDataset(set: ScoredDataset, labelNames: readonly string[], options: KernelOptions, settings: BootstrapSettings): DatasetEvaluation {
  const K = labelNames.length;
  const n = set.labels.length;
  const kernel = new MetricKernel(set.probabilities, set.labels, K, options);
  const whole = bootstrap(kernel, settings, `shift/${set.name}`);
  const classCounts = new Array<number>(K).fill(0);
  for (let i = 0; i < n; i++) classCounts[set.labels[i]]++;

  const groups: GroupResult[] = [];
  const groupResampled = new Map<string, Float64Array>();
  const groupPoints = new Map<string, Float64Array>();
  if (set.groups) {
    const members = new Map<string, number[]>();
    for (const g of set.declaredGroups ?? []) members.set(g, []);
    set.groups.forEach((g, i) => {
      let list = members.get(g);
      if (!list) members.set(g, (list = []));
      list.push(i);
    });
    for (const [group, ids] of [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (ids.length === 0) {
        groups.push({ group, n: 0, metrics: EMPTY });
        continue;
      }
      const probabilities = new Float64Array(ids.length * K);
      const labels = new Int32Array(ids.length);
      ids.forEach((i, j) => {
        labels[j] = set.labels[i];
        probabilities.set(set.probabilities.subarray(i * K, (i + 1) * K), j * K);
      });
      const b = bootstrap(new MetricKernel(probabilities, labels, K, options), settings, `shift/${set.name}/group/${group}`);
      groups.push({ group, n: ids.length, metrics: intervals(b.point, b.resampled, settings.level) });
      groupResampled.set(group, b.resampled);
      groupPoints.set(group, b.point);
    }
  }

  const bins = emptyBins();
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (set.probabilities[i * K + k] > set.probabilities[i * K + best]) best = k;
    addToBins(bins, set.probabilities[i * K + best], best === set.labels[i]);
  }

  const result: DatasetShiftResult = {
    name: set.name,
    role: set.role,
    source: set.source,
    n,
    classCounts,
    scores: set.scores,
    metrics: intervals(whole.point, whole.resampled, settings.level),
    groups,
    ...(groupPoints.size > 0 ? groupSummaries(groupPoints, groupResampled, settings) : {}),
    roc: rocCurves(set, labelNames, options),
    calibration: { ece: n > 0 ? expectedCalibrationError(bins) : null, bins },
  };
  return { result, resampled: whole.resampled, groupResampled };
}

/** Worst group and group average per metric, each with the interval of that summary over resamples. */
function groupSummaries(points: ReadonlyMap<string, Float64Array>, resampled: ReadonlyMap<string, Float64Array>, settings: BootstrapSettings): Pick<DatasetShiftResult, 'worstGroup' | 'averageGroup'> {
  const worstGroup = {} as Record<ShiftMetric, Interval & { group: string | null }>;
  const averageGroup = {} as Record<ShiftMetric, Interval>;
  const names = [...points.keys()];
  SHIFT_METRICS.forEach((metric, m) => {
    const lower = LOWER_IS_BETTER.has(metric);
    const worse = (a: number, b: number) => (lower ? a > b : a < b);
    const summarise = (value: (group: string) => number) => {
      let worst = Number.NaN;
      let worstName: string | null = null;
      let sum = 0;
      let count = 0;
      for (const g of names) {
        const v = value(g);
        if (Number.isNaN(v)) continue;
        if (worstName === null || worse(v, worst)) {
          worst = v;
          worstName = g;
        }
        sum += v;
        count++;
      }
      return { worst, worstName, mean: count > 0 ? sum / count : Number.NaN };
    };
    const point = summarise((g) => points.get(g)![m]);
    const worstValues = new Float64Array(settings.resamples);
    const meanValues = new Float64Array(settings.resamples);
    for (let r = 0; r < settings.resamples; r++) {
      const s = summarise((g) => resampled.get(g)![r * M + m]);
      worstValues[r] = s.worst;
      meanValues[r] = s.mean;
    }
    const w = percentileInterval(worstValues, settings.level);
    const a = percentileInterval(meanValues, settings.level);
    worstGroup[metric] = Number.isNaN(point.worst) ? { value: null, low: null, high: null, group: null } : { value: point.worst, low: w.low, high: w.high, group: point.worstName };
    averageGroup[metric] = Number.isNaN(point.mean) ? { value: null, low: null, high: null } : { value: point.mean, low: a.low, high: a.high };
  });
  return { worstGroup, averageGroup };
}

/** ROC curves: the positive class's (two classes, or a configured positive class), else one per class (up to 20). */
function rocCurves(set: ScoredDataset, labelNames: readonly string[], options: KernelOptions): RocCurve[] {
  const K = labelNames.length;
  const n = set.labels.length;
  const positive = options.positiveClass ?? (K === 2 ? 1 : undefined);
  const classes = positive !== undefined ? [positive] : K <= 20 ? Array.from({ length: K }, (_, k) => k) : [];
  const curves: RocCurve[] = [];
  for (const k of classes) {
    const scores = new Float64Array(n);
    const flags = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = set.probabilities[i * K + k];
      flags[i] = set.labels[i] === k ? 1 : 0;
    }
    const points = rocPoints(scores, flags);
    if (!points) continue;
    curves.push({ label: labelNames[k], auc: aurocBinary(scores, flags), points });
  }
  return curves;
}

/** Source minus target (target minus source for lower-is-better metrics): how much worse the target is. */
export function gapIntervals(source: DatasetEvaluation, target: DatasetEvaluation, level: number): MetricIntervals {
  const record = {} as Record<ShiftMetric, Interval>;
  const resamples = Math.min(source.resampled.length, target.resampled.length) / M;
  SHIFT_METRICS.forEach((name, m) => {
    const sign = LOWER_IS_BETTER.has(name) ? -1 : 1;
    const s = source.result.metrics[name].value;
    const t = target.result.metrics[name].value;
    if (s === null || t === null) {
      record[name] = { value: null, low: null, high: null };
      return;
    }
    const values = new Float64Array(resamples);
    for (let r = 0; r < resamples; r++) values[r] = sign * (source.resampled[r * M + m] - target.resampled[r * M + m]);
    const { low, high } = percentileInterval(values, level);
    record[name] = { value: sign * (s - t), low, high };
  });
  return record;
}
