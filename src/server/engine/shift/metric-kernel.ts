// Every shift metric of one labelled, scored data set, computed for the full data and for bootstrap resamples
// given as multiplicity weights (bootstrap.ts resampleCounts): a resample is a weight per sample, so one pass
// over the data gives all the metrics of that resample, and nothing is copied or re-sorted per resample.
//
// Per-sample facts are computed once (predicted class, correctness, top-class confidence and its calibration
// bin, Brier and log losses, "predicted positive"); AUROC uses an order of the samples by score fixed once,
// with tied scores in one block, so a weighted Mann-Whitney count is one pass: each positive of weight w scores
// w x (weight of negatives below + half the weight of negatives tied with it).
//
// Definitions (the same as the single-shot functions in metrics/, which are the tested oracle):
// - accuracy: weighted share of correct arg-max predictions (ties to the lowest class);
// - balancedAccuracy: mean recall over the classes present in the labels;
// - macroF1: mean F1 over classes present in labels or predictions, F1 = 0 where precision + recall = 0;
// - auroc: two classes: the positive class's probability against the labels; more: one-vs-rest macro
//   average over classes with both positives and negatives; null when no class has both;
// - sensitivity / specificity of the positive class (predicted positive: probability >= threshold, or the
//   arg-max when no threshold is set); null without positives / negatives; null for > 2 classes with no
//   positive class configured;
// - ece: 15 equal-width bins of the top-class confidence (metrics/calibration.ts);
// - brier: mean over samples of sum_k (p_k - onehot_k)^2 (0..2); nll: mean -ln max(p_true, 1e-15).
import { binOf, CALIBRATION_BINS } from '../metrics/calibration';
import { NLL_EPSILON } from './metrics/nll';

export const SHIFT_METRICS = ['accuracy', 'balancedAccuracy', 'macroF1', 'auroc', 'sensitivity', 'specificity', 'ece', 'brier', 'nll'] as const;
export type ShiftMetric = (typeof SHIFT_METRICS)[number];

/** Metrics where a smaller value is better; a "gap" is always how much worse the target is. */
export const LOWER_IS_BETTER: ReadonlySet<ShiftMetric> = new Set<ShiftMetric>(['ece', 'brier', 'nll']);

export function isShiftMetric(name: string): name is ShiftMetric {
  return (SHIFT_METRICS as readonly string[]).includes(name);
}

export interface KernelOptions {
  /** The class read as positive for sensitivity, specificity and (with 2 classes) AUROC. */
  readonly positiveClass: number | undefined;
  /** Probability of the positive class from which a sample is predicted positive; undefined: the arg-max. */
  readonly threshold: number | undefined;
}

/** One AUROC problem: samples sorted by score with tie blocks, and which samples are positive. */
interface RankedScores {
  readonly order: Uint32Array;
  /** blockEnd[j] for j = start of a tie block: one past its last position in `order`. */
  readonly blockEnd: Uint32Array;
  readonly positive: Uint8Array;
}

export class MetricKernel {
  readonly n: number;
  readonly classes: number;
  private readonly labels: Int32Array;
  private readonly predicted: Int32Array;
  private readonly correct: Uint8Array;
  private readonly confidence: Float64Array;
  private readonly bin: Uint8Array;
  private readonly brierLoss: Float64Array;
  private readonly logLoss: Float64Array;
  private readonly positiveClass: number | undefined;
  private readonly predictedPositive: Uint8Array | undefined;
  private readonly ranked: readonly RankedScores[];
  // Scratch tallies, reused by every compute().
  private readonly support: Float64Array;
  private readonly hits: Float64Array;
  private readonly predictedCount: Float64Array;
  private readonly binCount = new Float64Array(CALIBRATION_BINS);
  private readonly binConfidence = new Float64Array(CALIBRATION_BINS);
  private readonly binCorrect = new Float64Array(CALIBRATION_BINS);

  /** `probabilities`: n x K rows that are distributions (already normalised); labels in 0..K-1. */
  constructor(probabilities: Float64Array, labels: Int32Array, K: number, options: KernelOptions) {
    const n = labels.length;
    if (probabilities.length !== n * K) throw new RangeError(`probabilities hold ${probabilities.length} values; expected ${n} x ${K}`);
    this.n = n;
    this.classes = K;
    this.labels = labels;
    this.predicted = new Int32Array(n);
    this.correct = new Uint8Array(n);
    this.confidence = new Float64Array(n);
    this.bin = new Uint8Array(n);
    this.brierLoss = new Float64Array(n);
    this.logLoss = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (!(y >= 0 && y < K)) throw new RangeError(`label ${y} at sample ${i} is outside 0..${K - 1}`);
      const row = i * K;
      let best = 0;
      let brier = 0;
      for (let k = 0; k < K; k++) {
        const p = probabilities[row + k];
        if (p > probabilities[row + best]) best = k;
        const d = p - (k === y ? 1 : 0);
        brier += d * d;
      }
      this.predicted[i] = best;
      this.correct[i] = best === y ? 1 : 0;
      this.confidence[i] = probabilities[row + best];
      this.bin[i] = binOf(probabilities[row + best]);
      this.brierLoss[i] = brier;
      this.logLoss[i] = -Math.log(Math.min(1, Math.max(NLL_EPSILON, probabilities[row + y])));
    }
    const positive = options.positiveClass ?? (K === 2 ? 1 : undefined);
    this.positiveClass = positive;
    if (positive !== undefined) {
      const flags = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        flags[i] = options.threshold === undefined ? (this.predicted[i] === positive ? 1 : 0) : probabilities[i * K + positive] >= options.threshold ? 1 : 0;
      }
      this.predictedPositive = flags;
    }
    const aurocClasses = K === 2 ? [positive ?? 1] : Array.from({ length: K }, (_, k) => k);
    this.ranked = aurocClasses.map((k) => rankScores(probabilities, labels, K, k));
    this.support = new Float64Array(K);
    this.hits = new Float64Array(K);
    this.predictedCount = new Float64Array(K);
  }

  /** True when sample i's arg-max prediction is right. */
  isCorrect(i: number): boolean {
    return this.correct[i] === 1;
  }

  /**
   * All metrics (in SHIFT_METRICS order) into `out`, NaN where undefined, for sample weights `weights`
   * (null: every sample once). Weights of 0 leave a sample out.
   */
  compute(weights: Uint32Array | null, out: Float64Array): void {
    const { n, classes: K, labels, predicted, correct, confidence, bin, brierLoss, logLoss, predictedPositive, support, hits, predictedCount, binCount, binConfidence, binCorrect } = this;
    const positive = this.positiveClass;
    support.fill(0);
    hits.fill(0);
    predictedCount.fill(0);
    binCount.fill(0);
    binConfidence.fill(0);
    binCorrect.fill(0);
    let total = 0;
    let right = 0;
    let brier = 0;
    let nll = 0;
    let tp = 0;
    let fn = 0;
    let tn = 0;
    let fp = 0;
    for (let i = 0; i < n; i++) {
      const w = weights === null ? 1 : weights[i];
      if (w === 0) continue;
      const y = labels[i];
      const c = correct[i];
      total += w;
      right += w * c;
      support[y] += w;
      hits[y] += w * c;
      predictedCount[predicted[i]] += w;
      const b = bin[i];
      binCount[b] += w;
      binConfidence[b] += w * confidence[i];
      binCorrect[b] += w * c;
      brier += w * brierLoss[i];
      nll += w * logLoss[i];
      if (predictedPositive !== undefined) {
        const isPositive = y === positive;
        if (predictedPositive[i] === 1) {
          if (isPositive) tp += w;
          else fp += w;
        } else if (isPositive) fn += w;
        else tn += w;
      }
    }
    if (total === 0) {
      out.fill(Number.NaN);
      return;
    }
    let recallSum = 0;
    let recallClasses = 0;
    let f1Sum = 0;
    let f1Classes = 0;
    for (let k = 0; k < K; k++) {
      if (support[k] > 0) {
        recallSum += hits[k] / support[k];
        recallClasses++;
      }
      if (support[k] > 0 || predictedCount[k] > 0) {
        f1Classes++;
        const precision = predictedCount[k] > 0 ? hits[k] / predictedCount[k] : 0;
        const recall = support[k] > 0 ? hits[k] / support[k] : 0;
        if (precision + recall > 0) f1Sum += (2 * precision * recall) / (precision + recall);
      }
    }
    let ece = 0;
    for (let b = 0; b < CALIBRATION_BINS; b++) {
      const count = binCount[b];
      if (count > 0) ece += (count / total) * Math.abs(binCorrect[b] / count - binConfidence[b] / count);
    }
    out[0] = right / total;
    out[1] = recallSum / recallClasses;
    out[2] = f1Sum / f1Classes;
    out[3] = this.auroc(weights);
    out[4] = predictedPositive !== undefined && tp + fn > 0 ? tp / (tp + fn) : Number.NaN;
    out[5] = predictedPositive !== undefined && tn + fp > 0 ? tn / (tn + fp) : Number.NaN;
    out[6] = ece;
    out[7] = brier / total;
    out[8] = nll / total;
  }

  /** Binary AUROC of the positive class, or the one-vs-rest macro average; NaN when undefined. */
  private auroc(weights: Uint32Array | null): number {
    let sum = 0;
    let defined = 0;
    for (const ranked of this.ranked) {
      const auc = weightedAuroc(ranked, weights);
      if (!Number.isNaN(auc)) {
        sum += auc;
        defined++;
      }
    }
    return defined === 0 ? Number.NaN : sum / defined;
  }

  /** The full-data metrics as a record, null where undefined. */
  metrics(): Record<ShiftMetric, number | null> {
    const out = new Float64Array(SHIFT_METRICS.length);
    this.compute(null, out);
    return metricRecord(out);
  }
}

/** A metrics vector (SHIFT_METRICS order, NaN = undefined) as a record with nulls. */
export function metricRecord(values: ArrayLike<number>): Record<ShiftMetric, number | null> {
  const record = {} as Record<ShiftMetric, number | null>;
  SHIFT_METRICS.forEach((name, m) => (record[name] = Number.isNaN(values[m]) ? null : values[m]));
  return record;
}

function rankScores(probabilities: Float64Array, labels: Int32Array, K: number, k: number): RankedScores {
  const n = labels.length;
  const scores = new Float64Array(n);
  const positive = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    scores[i] = probabilities[i * K + k];
    positive[i] = labels[i] === k ? 1 : 0;
  }
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const blockEnd = new Uint32Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    blockEnd[start] = end;
    start = end;
  }
  return { order, blockEnd, positive };
}

/** Weighted Mann-Whitney AUROC over one ranking; NaN when either class has no weight. */
function weightedAuroc(ranked: RankedScores, weights: Uint32Array | null): number {
  const { order, blockEnd, positive } = ranked;
  const n = order.length;
  let negativesBelow = 0;
  let pairs = 0;
  let positives = 0;
  for (let start = 0; start < n; ) {
    const end = blockEnd[start];
    let blockPositive = 0;
    let blockNegative = 0;
    for (let j = start; j < end; j++) {
      const i = order[j];
      const w = weights === null ? 1 : weights[i];
      if (positive[i] === 1) blockPositive += w;
      else blockNegative += w;
    }
    pairs += blockPositive * (negativesBelow + 0.5 * blockNegative);
    negativesBelow += blockNegative;
    positives += blockPositive;
    start = end;
  }
  const negatives = negativesBelow;
  return positives === 0 || negatives === 0 ? Number.NaN : pairs / (positives * negatives);
}
