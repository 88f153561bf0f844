// Summary metrics of a corruption run, as the CIFAR-10-C / ImageNet-C papers report them:
// mean corruption accuracy over the 15 benchmark corruptions and over all 19, per-corruption error,
// and the corruption error CE / mCE and relative CE / relative mCE, normalised by AlexNet's ImageNet-C
// errors (imagenet preset) or by a reference model's results.
//   CE_c          = sum_s E_{s,c} / sum_s E^ref_{s,c}
//   relative CE_c = sum_s (E_{s,c} - E_clean) / sum_s (E^ref_{s,c} - E^ref_clean)
//   mCE, relative mCE = the means of CE_c, relative CE_c over the 15 benchmark corruptions.
// CE needs all five severities of every benchmark corruption; otherwise it is null with the reason.

export const BENCHMARK_15 = [
  'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
] as const;

/** AlexNet's ImageNet-C error per corruption, the mean over the five severities (Hendrycks & Dietterich 2019). */
export const ALEXNET_MEAN_ERRORS: Readonly<Record<(typeof BENCHMARK_15)[number], number>> = {
  gaussian_noise: 0.886428,
  shot_noise: 0.894468,
  impulse_noise: 0.92264,
  defocus_blur: 0.81988,
  glass_blur: 0.826268,
  motion_blur: 0.785948,
  zoom_blur: 0.79836,
  snow: 0.866816,
  frost: 0.826572,
  fog: 0.819324,
  brightness: 0.564592,
  contrast: 0.853204,
  elastic_transform: 0.646056,
  pixelate: 0.71784,
  jpeg_compression: 0.6065,
};
export const ALEXNET_CLEAN_ERROR = 0.4348;

export interface ConditionAccuracy {
  readonly corruption: string;
  readonly severity: number;
  readonly accuracy: number;
}

/** Errors of a normalising model: summed over severities 1-5 per corruption, and its clean error. */
export interface Normaliser {
  readonly name: string;
  /** sum over severities 1..5 of the error, per corruption. */
  readonly errorSums: Readonly<Record<string, number>>;
  readonly cleanError: number;
}

export const ALEXNET: Normaliser = {
  name: 'AlexNet (ImageNet-C)',
  errorSums: Object.fromEntries(Object.entries(ALEXNET_MEAN_ERRORS).map(([c, e]) => [c, 5 * e])),
  cleanError: ALEXNET_CLEAN_ERROR,
};

/** A normaliser from another results file (a reference model evaluated on the same corruptions). */
export function normaliserFromResults(name: string, cleanAccuracy: number, conditions: readonly ConditionAccuracy[]): Normaliser {
  const errorSums: Record<string, number> = {};
  for (const c of BENCHMARK_15) {
    const rows = conditions.filter((r) => r.corruption === c);
    if (new Set(rows.map((r) => r.severity)).size === 5) errorSums[c] = rows.reduce((a, r) => a + (1 - r.accuracy), 0);
  }
  return { name, errorSums, cleanError: 1 - cleanAccuracy };
}

export interface PerCorruption {
  readonly corruption: string;
  readonly meanAccuracy: number;
  readonly meanError: number;
  readonly severities: number;
  /** Corruption error (null when not all five severities ran or there is no normaliser). */
  readonly ce: number | null;
  readonly relativeCe: number | null;
}

export interface CorruptionSummary {
  /** Mean accuracy over every corruption and severity run. */
  readonly meanCorruptionAccuracy: number | null;
  /** Mean over the 15 benchmark corruptions (null unless all 15 ran). */
  readonly meanBenchmarkAccuracy: number | null;
  /** Mean over all 19 corruptions (null unless all 19 ran). */
  readonly meanAllAccuracy: number | null;
  readonly perCorruption: readonly PerCorruption[];
  readonly mCE: number | null;
  readonly relativeMCE: number | null;
  /** What CE is normalised by, or why there is no mCE. */
  readonly normalisation: string;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function summariseCorruptions(cleanAccuracy: number, conditions: readonly ConditionAccuracy[], normaliser: Normaliser | undefined): CorruptionSummary {
  const names = [...new Set(conditions.map((c) => c.corruption))];
  const cleanError = 1 - cleanAccuracy;
  const perCorruption: PerCorruption[] = names.map((corruption) => {
    const rows = conditions.filter((c) => c.corruption === corruption);
    const meanAccuracy = mean(rows.map((r) => r.accuracy))!;
    const complete = new Set(rows.map((r) => r.severity)).size === 5;
    const refSum = normaliser?.errorSums[corruption];
    let ce: number | null = null;
    let relativeCe: number | null = null;
    if (complete && normaliser && refSum !== undefined && refSum > 0) {
      const errorSum = rows.reduce((a, r) => a + (1 - r.accuracy), 0);
      ce = errorSum / refSum;
      const refRelative = refSum - 5 * normaliser.cleanError;
      relativeCe = refRelative > 0 ? (errorSum - 5 * cleanError) / refRelative : null;
    }
    return { corruption, meanAccuracy, meanError: 1 - meanAccuracy, severities: rows.length, ce, relativeCe };
  });
  const byName = new Map(perCorruption.map((p) => [p.corruption, p]));
  const benchmark = BENCHMARK_15.map((c) => byName.get(c));
  const allBenchmark = benchmark.every((p) => p !== undefined);
  const meanOf = (list: (PerCorruption | undefined)[]) => mean(list.map((p) => p!.meanAccuracy));
  const extras = ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'].map((c) => byName.get(c));
  let normalisation: string;
  let mCE: number | null = null;
  let relativeMCE: number | null = null;
  if (!normaliser) normalisation = 'none: CE is reported for the imagenet preset (AlexNet) or against a reference results file';
  else if (!allBenchmark) normalisation = `${normaliser.name}; mCE needs all 15 benchmark corruptions`;
  else if (!benchmark.every((p) => p!.ce !== null)) normalisation = `${normaliser.name}; mCE needs severities 1-5 of every benchmark corruption (and the reference's too)`;
  else {
    normalisation = normaliser.name;
    mCE = mean(benchmark.map((p) => p!.ce!));
    const relatives = benchmark.map((p) => p!.relativeCe);
    relativeMCE = relatives.every((r) => r !== null) ? mean(relatives as number[]) : null;
  }
  return {
    meanCorruptionAccuracy: mean(conditions.map((c) => c.accuracy)),
    meanBenchmarkAccuracy: allBenchmark ? meanOf(benchmark) : null,
    meanAllAccuracy: allBenchmark && extras.every((p) => p !== undefined) ? meanOf([...benchmark, ...extras]) : null,
    perCorruption,
    mCE,
    relativeMCE,
    normalisation,
  };
}
