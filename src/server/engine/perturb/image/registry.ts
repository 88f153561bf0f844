// The list of the 19 common corruptions, the ones implemented so far, and `applyCorruption`, the one entry point
// that validates the name and severity and seeds the corruption's random stream from
// (run seed, corruption, severity, sample id).
import { InputError } from '../../errors';
import type { Corruption, Image, ParameterPreset } from '../../types';
import { seedFor } from '../random';
import { checkSeverity } from './common';
import { brightness } from './brightness';
import { contrast } from './contrast';
import { defocusBlur } from './defocus-blur';
import { elasticTransform } from './elastic-transform';
import { fog } from './fog';
import { glassBlur } from './glass-blur';
import { motionBlur } from './motion-blur';
import { snow } from './snow';
import { zoomBlur } from './zoom-blur';
import { frost } from './frost';
import { gaussianBlur } from './gaussian-blur';
import { gaussianNoise } from './gaussian-noise';
import { impulseNoise } from './impulse-noise';
import { jpegCompression } from './jpeg-compression';
import { pixelate } from './pixelate';
import { saturate } from './saturate';
import { shotNoise } from './shot-noise';
import { speckleNoise } from './speckle-noise';
import { spatter } from './spatter';

/**
 * The version of the corruption implementations: raise it whenever any corruption's output bytes change for the
 * same (image, seed), so that baselines made with other outputs are reported as not comparable instead of
 * giving false regressions.
 */
export const CORRUPTIONS_VERSION = 1;

/** All 19 corruption names, in the order of the ImageNet-C / CIFAR-10-C tables (and of the reference arrays). */
export const CORRUPTION_NAMES = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'glass_blur',
  'motion_blur',
  'zoom_blur',
  'snow',
  'frost',
  'fog',
  'brightness',
  'contrast',
  'elastic_transform',
  'pixelate',
  'jpeg_compression',
  'speckle_noise',
  'gaussian_blur',
  'spatter',
  'saturate',
] as const;

export type CorruptionName = (typeof CORRUPTION_NAMES)[number];

/** The 15 benchmark corruptions (mCE is averaged over these); the last 4 names are the extra held-out ones. */
export const BENCHMARK_CORRUPTIONS: readonly CorruptionName[] = CORRUPTION_NAMES.slice(0, 15);

const IMPLEMENTED: readonly Corruption[] = [
  gaussianNoise,
  shotNoise,
  impulseNoise,
  defocusBlur,
  glassBlur,
  motionBlur,
  zoomBlur,
  snow,
  frost,
  fog,
  brightness,
  contrast,
  elasticTransform,
  pixelate,
  jpegCompression,
  speckleNoise,
  gaussianBlur,
  spatter,
  saturate,
];

const BY_NAME = new Map<string, Corruption>(IMPLEMENTED.map((c) => [c.name, c]));

/** True for one of the 19 known names (implemented or not). */
export function isCorruptionName(name: string): name is CorruptionName {
  return (CORRUPTION_NAMES as readonly string[]).includes(name);
}

/** The implementation of a corruption, or undefined when the name is unknown or not implemented yet. */
export function getCorruption(name: string): Corruption | undefined {
  return BY_NAME.get(name);
}

/** The implemented corruptions, in table order. */
export function implementedCorruptions(): Corruption[] {
  return CORRUPTION_NAMES.map((n) => BY_NAME.get(n)).filter((c): c is Corruption => c !== undefined);
}

/** Levenshtein distance (insert, delete, substitute all cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

/**
 * The known corruption name closest to `name` (case, spaces and hyphens normalised to the snake_case spelling),
 * for "did you mean" messages; undefined when nothing is reasonably close (more than a third of the letters differ).
 */
export function suggestCorruption(name: string): string | undefined {
  const normalised = name.trim().toLowerCase().replace(/[\s-]+/g, '_');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of CORRUPTION_NAMES) {
    const d = editDistance(normalised, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Accept up to max(2, a third of the name's length) edits: typos, not different words.
  const limit = Math.max(2, Math.floor(Math.max(normalised.length, 1) / 3));
  return bestDistance <= limit ? best : undefined;
}

/**
 * Applies one corruption at one severity to one image with the parameter preset, drawing its random numbers from
 * the stream seeded by (runSeed, name, severity, sampleId). Throws InputError for an unknown name or a severity
 * that is not an integer 1..5.
 */
export function applyCorruption(image: Image, name: string, severity: number, preset: ParameterPreset, runSeed: number, sampleId: number): Image {
  const corruption = BY_NAME.get(name);
  if (!corruption) {
    const suggestion = suggestCorruption(name);
    throw new InputError(`unknown corruption '${name}'`, {
      kind: 'config',
      code: 'unknown-corruption',
      fix: suggestion ? `did you mean '${suggestion}'? Known corruptions: ${CORRUPTION_NAMES.join(', ')}` : `use one of ${CORRUPTION_NAMES.join(', ')}`,
    });
  }
  checkSeverity(severity, name);
  return corruption.apply(image, severity, { preset, random: seedFor(runSeed, name, severity, sampleId) });
}
