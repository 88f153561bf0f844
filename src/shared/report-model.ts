// The report model: everything the report app (media/) renders, as plain JSON-safe data. The server builds
// it from results; the webview receives it by message, the standalone HTML file embeds it. Every string in it
// may come from a model, data or config and is untrusted: the app sets them with textContent only.

export const REPORT_MODEL_VERSION = 1;

export interface ReportModel {
  readonly version: number;
  readonly header: ReportHeader;
  /** The corruption suite's headline figures; absent for a run with only a shift check. */
  readonly summary?: ReportSummary;
  /** One row per corruption and severity that ran. */
  readonly conditions: readonly ReportCondition[];
  /** Calibration of the clean predictions and under each corruption (all severities pooled). */
  readonly calibration: readonly ReportCalibration[];
  /** Example inputs, misclassified first. */
  readonly gallery: readonly GalleryItem[];
  /** Against the baseline, when there is one. */
  readonly baseline?: ReportBaseline;
  /** Distribution-shift results (per data set and per group), when a shift check ran. */
  readonly shift?: ReportShift;
}

export interface ReportHeader {
  readonly title: string;
  readonly modelPath: string;
  readonly modelSha256: string;
  readonly dataSource: string;
  readonly dataCount: number;
  readonly samples: number;
  readonly seed: number;
  readonly preset: string;
  readonly kind: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly toolVersion: string;
  readonly labels: readonly string[];
}

export interface ReportSummary {
  readonly cleanAccuracy: number;
  readonly meanCorruptionAccuracy: number | null;
  readonly meanBenchmarkAccuracy: number | null;
  readonly meanAllAccuracy: number | null;
  readonly mCE: number | null;
  readonly relativeMCE: number | null;
  readonly normalisation: string;
}

export interface ReportCondition {
  readonly corruption: string;
  readonly severity: number;
  readonly accuracy: number;
  readonly n: number;
  /** Expected calibration error (15 equal-width confidence bins), when confidences were recorded. */
  readonly ece?: number;
}

export interface ReliabilityBin {
  /** Bin bounds of the top-class confidence. */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanConfidence: number;
  readonly accuracy: number;
}

export interface ReportCalibration {
  /** 'clean' or a corruption name. */
  readonly condition: string;
  readonly ece: number;
  readonly bins: readonly ReliabilityBin[];
}

export interface GalleryItem {
  /** 'clean' or a corruption name. */
  readonly corruption: string;
  /** 0 for clean. */
  readonly severity: number;
  readonly sampleId: number;
  readonly label: string;
  readonly prediction: string;
  readonly correct: boolean;
  /** A PNG as a data: URL, made by the server. */
  readonly image: string;
}

export interface ReportRegression {
  readonly corruption: string;
  readonly severity: number;
  readonly baseline: number;
  readonly current: number;
  readonly drop: number;
  readonly budget: number;
  readonly p: number;
  readonly significant: boolean;
}

export interface ReportBaseline {
  readonly file: string;
  readonly comparable: boolean;
  readonly reason?: string;
  /** Per condition: accuracy now and in the baseline, on the shared samples. */
  readonly changes: readonly { readonly corruption: string; readonly severity: number; readonly baseline: number; readonly current: number }[];
  readonly regressions: readonly ReportRegression[];
}

/** The distribution-shift check: one model on several labelled data sets (and groups within them). */
export interface ReportShift {
  /** Metric keys in display order (see SHIFT_METRICS in the engine): accuracy, balancedAccuracy, ... */
  readonly metrics: readonly string[];
  /** Confidence level of the intervals (0.95) and the number of bootstrap resamples behind them. */
  readonly level: number;
  readonly resamples: number;
  /** The class that counts as positive for sensitivity, specificity and the binary ROC curve, when set. */
  readonly positiveClass?: string;
  readonly datasets: readonly ReportShiftDataset[];
  readonly groups: readonly ReportShiftGroup[];
  /** The budgets of robustness.json's shift.checks and how this run fared. */
  readonly checks: readonly ReportShiftCheck[];
  /** True when this run evaluated the frozen target-test set(s) (the final evaluation). */
  readonly frozenTest: boolean;
}

export interface ReportShiftDataset {
  readonly name: string;
  /** 'source-heldout', 'target-dev' or 'target-test'. */
  readonly role: string;
  readonly n: number;
  readonly metrics: Readonly<Record<string, ReportInterval>>;
  /** Source minus this data set, per metric, with an interval (absent for the source itself or without one). */
  readonly gaps?: Readonly<Record<string, ReportInterval>>;
  /** Over the data set's groups: the worst value per metric (and which group) and the unweighted mean. */
  readonly worstGroup?: Readonly<Record<string, { readonly group: string; readonly value: number }>>;
  readonly averageGroup?: Readonly<Record<string, number>>;
  /** ROC curves: one for the positive class (binary), or one-vs-rest per class. */
  readonly roc: readonly ReportRocCurve[];
  /** Reliability of the top-class confidence (15 equal-width bins) and its ECE. */
  readonly calibration: { readonly ece: number | null; readonly bins: readonly ReliabilityBin[] };
}

export interface ReportRocCurve {
  /** The class treated as positive. */
  readonly label: string;
  readonly auc: number | null;
  /** [false positive rate, true positive rate] from (0, 0) to (1, 1), thinned to at most a few hundred points. */
  readonly points: readonly (readonly [number, number])[];
}

export interface ReportShiftGroup {
  readonly dataset: string;
  readonly group: string;
  readonly n: number;
  readonly metrics: Readonly<Record<string, ReportInterval>>;
}

export interface ReportShiftCheck {
  readonly dataset: string;
  readonly metric: string;
  /** 'all' (the whole data set), 'worst-group' or 'average-group'. */
  readonly over: string;
  /** 'min' / 'max' bound the value; 'maxGap' bounds source minus target. */
  readonly bound: 'min' | 'max' | 'maxGap';
  readonly limit: number;
  /** The value compared with the limit (null when undefined, e.g. AUROC of a one-class set) and its interval. */
  readonly value: number | null;
  readonly low: number | null;
  readonly high: number | null;
  readonly passed: boolean;
}

/** A metric value with its bootstrap percentile interval; null where undefined (e.g. AUROC on one class). */
export interface ReportInterval {
  readonly value: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

/** Messages from the extension host to the webview. */
export type HostToWebviewMessage = { readonly type: 'report'; readonly model: ReportModel } | { readonly type: 'empty'; readonly reason: string };

/** Messages from the webview to the extension host. */
export type WebviewToHostMessage = { readonly type: 'ready' } | { readonly type: 'runFull' } | { readonly type: 'acceptBaseline' };
