// The results of a run: a versioned JSON document (documented in docs/results-format.md).
// Baselines are results files too.

import type { CorruptionSummary } from '../metrics/corruption-metrics';
import type { CalibrationBins } from '../metrics/calibration';
import type { ShiftResults } from '../shift/shift-results';

export const RESULTS_SCHEMA_VERSION = 1;

/** smoke: on save; full: on demand; final: the frozen test set's final evaluation (shift check only). */
export type RunKind = 'smoke' | 'full' | 'final';

export interface ConditionResult {
  readonly corruption: string;
  readonly severity: number;
  readonly accuracy: number;
  readonly correct: number;
  readonly n: number;
}

export interface Regression {
  /** 'clean' or a corruption name. */
  readonly corruption: string;
  /** 0 for clean accuracy. */
  readonly severity: number;
  readonly metric: 'accuracy';
  readonly baseline: number;
  readonly current: number;
  /** baseline - current, a fraction. */
  readonly drop: number;
  readonly budget: number;
  /** Number of samples both runs evaluated. */
  readonly n: number;
  /** One-sided exact McNemar p-value of "worse than the baseline". */
  readonly p: number;
  /** Samples right in the baseline and wrong now, and the other way round. */
  readonly worse: number;
  readonly better: number;
}

export interface Comparison {
  /** Path of the baseline file, relative to the config folder. */
  readonly baseline: string;
  /** False when the baseline was made on other samples, seed or preset: nothing is compared then. */
  readonly comparable: boolean;
  readonly reason?: string;
  /** Drops beyond the budget that are significant: the regressions. */
  readonly regressions: readonly Regression[];
  /** Drops beyond the budget that are not significant (too few samples to tell): reported, not flagged. */
  readonly insignificantDrops: readonly Regression[];
  /** Accuracy now and in the baseline on the shared samples, per condition both ran ('clean' has severity 0). */
  readonly changes: readonly { readonly corruption: string; readonly severity: number; readonly baseline: number; readonly current: number }[];
}

/** What every results file has. */
export interface ResultsHeader {
  readonly schemaVersion: number;
  readonly tool: { readonly name: string; readonly version: string };
  readonly kind: RunKind;
  readonly createdAt: string;
  readonly durationMs: number;
  readonly config: { readonly file: string; readonly sha256: string };
  readonly model: { readonly path: string; readonly sha256: string };
  readonly seed: number;
  readonly labels: readonly string[];
}

/** The corruption suite's part: present when robustness.json has "data". */
export interface SuiteResults {
  readonly data: { readonly source: string; readonly count: number };
  /** The version of the corruption implementations (see registry.ts). */
  readonly corruptionsVersion: number;
  readonly preset: 'cifar' | 'imagenet';
  readonly clean: { readonly accuracy: number; readonly correct: number; readonly n: number };
  readonly corruptions: readonly ConditionResult[];
  readonly summary: CorruptionSummary;
  /**
   * Per-sample outcomes, compact: the sample ids used, and for 'clean' and each 'corruption/severity' a
   * base64 bit set (bit i set = sample ids[i] classified correctly).
   */
  readonly samples: { readonly ids: readonly number[]; readonly correct: Readonly<Record<string, string>> };
  /**
   * Calibration of the top-class confidence for 'clean' and each 'corruption/severity': the expected
   * calibration error over 15 equal-width bins, and the bins (count, sum of confidences, number correct).
   */
  readonly calibration: readonly ConditionCalibration[];
  readonly comparison?: Comparison;
}

/** A results file: the header, the corruption suite's part (with "data"), the shift check's (with "shift"). */
export type Results = ResultsHeader & (SuiteResults | NoSuite) & { readonly shift?: ShiftResults };

/** A run without the corruption suite (a config with only a shift check). */
export interface NoSuite {
  readonly data?: undefined;
  readonly clean?: undefined;
  readonly comparison?: undefined;
}

/** Results that include the corruption suite. */
export type SuiteRun = ResultsHeader & SuiteResults & { readonly shift?: ShiftResults };

export function hasSuite(results: Results): results is SuiteRun {
  return results.clean !== undefined;
}

export interface ConditionCalibration {
  readonly condition: string;
  readonly ece: number;
  readonly bins: CalibrationBins;
}

export function conditionKey(corruption: string, severity: number): string {
  return corruption === 'clean' ? 'clean' : `${corruption}/${severity}`;
}

/** Packs booleans into a base64 bit set. */
export function encodeBits(bits: ArrayLike<number | boolean>): string {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) bytes[i >> 3] |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}

/** Unpacks a base64 bit set of `length` bits. */
export function decodeBits(text: string, length: number): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  const bits = new Uint8Array(length);
  for (let i = 0; i < length; i++) bits[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return bits;
}
