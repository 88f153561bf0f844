// The report model: everything the report app (media/) renders, as plain JSON-safe data. The server builds
// it from results; the webview receives it by message, the standalone HTML file embeds it. Every string in it
// may come from a model, data or config and is untrusted: the app sets them with textContent only.

export const REPORT_MODEL_VERSION = 1;

export interface ReportModel {
  readonly version: number;
  readonly header: ReportHeader;
  readonly summary: ReportSummary;
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

export interface ReportShift {
  readonly datasets: readonly { readonly name: string; readonly role: string; readonly metrics: Readonly<Record<string, ReportInterval>> }[];
  readonly groups: readonly { readonly dataset: string; readonly group: string; readonly metrics: Readonly<Record<string, ReportInterval>> }[];
}

export interface ReportInterval {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/** Messages from the extension host to the webview. */
export type HostToWebviewMessage = { readonly type: 'report'; readonly model: ReportModel } | { readonly type: 'empty'; readonly reason: string };

/** Messages from the webview to the extension host. */
export type WebviewToHostMessage = { readonly type: 'ready' } | { readonly type: 'runFull' } | { readonly type: 'acceptBaseline' };
