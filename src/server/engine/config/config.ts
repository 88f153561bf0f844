// The resolved configuration: robustness.json after parsing, validation and defaults.
import type { ParameterPreset } from '../types';
import type { ShiftSpec } from './shift-config';

/** Clean images: npy arrays or an image folder. Corruptions are generated from them. */
export type CleanDataSpec =
  | { readonly format: 'npy'; readonly x: string; readonly y: string }
  | { readonly format: 'imagefolder'; readonly path: string };

/** Pre-generated corruptions (the official CIFAR-10-C / ImageNet-C layouts) with their clean images. */
export type PregeneratedDataSpec =
  | { readonly format: 'cifar10-c'; readonly path: string; readonly clean: CleanDataSpec }
  | { readonly format: 'imagenet-c'; readonly path: string; readonly clean: CleanDataSpec };

export type DataSpec = CleanDataSpec | PregeneratedDataSpec;

export function isPregenerated(data: DataSpec): data is PregeneratedDataSpec {
  return data.format === 'cifar10-c' || data.format === 'imagenet-c';
}

/** The clean images of any data spec. */
export function cleanDataOf(data: DataSpec): CleanDataSpec {
  return isPregenerated(data) ? data.clean : data;
}

export interface InputSpec {
  readonly layout: 'NCHW' | 'NHWC';
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly scale: number;
  /** One value per channel (a single configured value is repeated). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface SuiteSpec {
  /** Number of samples to use; undefined means all. */
  readonly samples: number | undefined;
  readonly corruptions: readonly string[];
  readonly severities: readonly number[];
}

export interface Config {
  /** Absolute path of robustness.json. */
  readonly file: string;
  /** Folder of robustness.json: relative paths resolve against it. */
  readonly dir: string;
  /** Absolute path of the model. */
  readonly model: string;
  /** How images become the input tensor; undefined for tabular models (shift data sets that are tables only). */
  readonly input: InputSpec | undefined;
  /** Inline labels, or the path (as written, relative to dir) of a labels file. */
  readonly labels: readonly string[] | string;
  /** The images of the corruption suite; undefined when the config has only a shift check. */
  readonly data: DataSpec | undefined;
  /** The distribution-shift check, when robustness.json has a "shift" section. */
  readonly shift: ShiftSpec | undefined;
  readonly smoke: SuiteSpec;
  readonly full: SuiteSpec;
  readonly preset: ParameterPreset | 'auto';
  /** Absolute path of a reference model's results file that normalises CE / mCE, if one is named. */
  readonly reference: string | undefined;
  readonly budgets: Budgets;
  /** Absolute path of the baseline results file. */
  readonly baseline: string;
  readonly seed: number;
}

/** When a result counts as a regression against the baseline. */
export interface Budgets {
  /** Largest allowed accuracy drop under each corruption and severity (a fraction). */
  readonly accuracyDrop: number;
  /** Largest allowed drop in clean accuracy. */
  readonly cleanAccuracyDrop: number;
  /** Per-corruption overrides of accuracyDrop. */
  readonly corruptions: Readonly<Record<string, { readonly accuracyDrop: number }>>;
  /** Level of the one-sided exact McNemar test a drop must pass to count. */
  readonly significance: number;
  /** How regressions are shown. */
  readonly severity: 'warning' | 'error';
}

export const CONFIG_FILE_NAME = 'robustness.json';
export const DEFAULT_BASELINE_FILE = '.robustness/baseline.json';
export const DEFAULT_SIGNIFICANCE = 0.05;
export const DEFAULT_SMOKE_SAMPLES = 256;
export const DEFAULT_SMOKE_CORRUPTIONS = ['gaussian_noise', 'gaussian_blur'] as const;
export const DEFAULT_ACCURACY_DROP = 0.02;
