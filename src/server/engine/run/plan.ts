// A run plan: plain data saying which samples, corruptions and severities a run evaluates.
// Smoke and full runs differ only in their plan.
import type { Config } from '../config/config';
import type { ParameterPreset } from '../types';
import type { RunKind } from '../results/results';
import { seedFor } from '../perturb/random';

export interface Condition {
  readonly corruption: string;
  readonly severity: number;
}

export interface RunPlan {
  readonly kind: RunKind;
  readonly seed: number;
  readonly preset: ParameterPreset;
  /** Sample ids, ascending. */
  readonly sampleIds: readonly number[];
  readonly conditions: readonly Condition[];
}

/** The documented rule of "preset": "auto": cifar parameters below 112 pixels on the shorter side, imagenet otherwise. */
export function resolvePreset(preset: Config['preset'], height: number, width: number): ParameterPreset {
  if (preset !== 'auto') return preset;
  return Math.min(height, width) < 112 ? 'cifar' : 'imagenet';
}

/** Chooses `count` of `total` sample ids with a seeded partial shuffle; all ids when count >= total. */
export function chooseSamples(total: number, count: number | undefined, seed: number): number[] {
  if (count === undefined || count >= total) return Array.from({ length: total }, (_, i) => i);
  const ids = Array.from({ length: total }, (_, i) => i);
  const random = seedFor(seed, 'sample-selection', 0, 0);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random.next() * (total - i));
    const t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
  }
  return ids.slice(0, count).sort((a, b) => a - b);
}

export function planRun(config: Config, kind: RunKind, datasetCount: number, seed = config.seed): RunPlan {
  if (!config.input) throw new Error('the corruption suite needs an image config with "input"');
  const suite = kind === 'smoke' ? config.smoke : config.full;
  const conditions: Condition[] = [];
  for (const corruption of suite.corruptions) {
    for (const severity of suite.severities) conditions.push({ corruption, severity });
  }
  return {
    kind,
    seed,
    preset: resolvePreset(config.preset, config.input.height, config.input.width),
    sampleIds: chooseSamples(datasetCount, suite.samples, seed),
    conditions,
  };
}
