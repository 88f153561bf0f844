// The shift check of a run: every data set the run may see through the model, its metrics with intervals,
// the gaps from the source, and the budgets (shift.checks).
//
// Frozen test discipline: smoke and full runs never open a "target-test" data set, and checks on one are left
// out of their results; only the final evaluation (`frozen: true`, the "Final Evaluation on Frozen Test Set"
// command or `robustness-lens run --final`) evaluates it.
import type { Config } from '../config/config';
import type { ShiftCheckSpec, ShiftSpec } from '../config/shift-config';
import { InputError } from '../errors';
import { evaluateDataset, gapIntervals, type DatasetEvaluation } from './evaluate-dataset';
import { scoreDataset, type ModelSource } from './score-dataset';
import type { CheckResult, DatasetShiftResult, Interval, ShiftResults } from './shift-results';

export interface ShiftRunOptions {
  readonly kind: 'smoke' | 'full' | 'final';
  readonly seed: number;
  readonly labels: readonly string[];
  readonly models: ModelSource;
  readonly signal?: AbortSignal;
  /** Data sets scored so far, of all, and the current one's progress. */
  readonly onProgress?: (message: string, fraction: number) => void;
}

/** The label index of shift.positiveClass (a name or an index), or undefined when not set. */
export function resolvePositiveClass(shift: ShiftSpec, labels: readonly string[]): number | undefined {
  const value = shift.positiveClass;
  if (value === undefined) return undefined;
  const index = typeof value === 'number' ? value : labels.indexOf(value);
  if (index < 0 || index >= labels.length) {
    const shown = labels.slice(0, 8).map((l) => `"${l}"`).join(', ');
    throw new InputError(`"shift.positiveClass" is ${JSON.stringify(value)}, which is not one of the ${labels.length} labels`, {
      kind: 'config',
      code: 'config-positive-class',
      configPath: ['shift', 'positiveClass'],
      fix: `use a label name (${shown}${labels.length > 8 ? ', ...' : ''}) or an index from 0 to ${labels.length - 1}`,
    });
  }
  return index;
}

export async function runShift(config: Config, shift: ShiftSpec, options: ShiftRunOptions): Promise<ShiftResults> {
  const frozen = options.kind === 'final';
  const datasets = shift.datasets.filter((d) => frozen || d.role !== 'target-test');
  const positiveClass = resolvePositiveClass(shift, options.labels);
  const settings = { seed: options.seed, resamples: options.kind === 'smoke' ? shift.smokeResamples : shift.resamples, level: shift.level };
  const evaluations = new Map<string, DatasetEvaluation>();
  for (const [d, spec] of datasets.entries()) {
    const scored = await scoreDataset(spec, config.input, options.models, {
      dir: config.dir,
      labels: options.labels,
      scores: shift.scores,
      signal: options.signal,
      onProgress: (done, total) => options.onProgress?.(`shift: ${spec.name}`, (d + done / Math.max(1, total)) / datasets.length),
    });
    evaluations.set(spec.name, evaluateDataset(scored, options.labels, { positiveClass, threshold: shift.threshold }, settings));
  }
  const source = datasets.find((d) => d.role === 'source-heldout');
  const sourceEvaluation = source ? evaluations.get(source.name) : undefined;
  const results: DatasetShiftResult[] = datasets.map((spec) => {
    const evaluation = evaluations.get(spec.name)!;
    if (!sourceEvaluation || spec.name === source?.name) return evaluation.result;
    return { ...evaluation.result, gaps: gapIntervals(sourceEvaluation, evaluation, shift.level) };
  });
  const checks = shift.checks.filter((c) => results.some((r) => r.name === c.dataset)).map((c) => checkResult(c, results.find((r) => r.name === c.dataset)!));
  return {
    level: shift.level,
    resamples: settings.resamples,
    positiveClass: positiveClass === undefined ? (options.labels.length === 2 ? options.labels[1] : null) : options.labels[positiveClass],
    threshold: shift.threshold ?? null,
    frozenTest: frozen,
    datasets: results,
    checks,
  };
}

/** The value a check bounds, with its interval. */
function checkedValue(check: ShiftCheckSpec, result: DatasetShiftResult): Interval {
  if (check.bound === 'maxGap') return result.gaps?.[check.metric] ?? { value: null, low: null, high: null };
  if (check.over === 'worst-group') return result.worstGroup?.[check.metric] ?? { value: null, low: null, high: null };
  if (check.over === 'average-group') return result.averageGroup?.[check.metric] ?? { value: null, low: null, high: null };
  return result.metrics[check.metric];
}

function checkResult(check: ShiftCheckSpec, result: DatasetShiftResult): CheckResult {
  const { value, low, high } = checkedValue(check, result);
  const passed = value !== null && (check.bound === 'min' ? value >= check.limit : value <= check.limit);
  return { index: check.index, dataset: check.dataset, metric: check.metric, over: check.over, bound: check.bound, limit: check.limit, value, low, high, passed };
}
