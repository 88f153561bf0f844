// One evaluation from a parsed config to results: open the labels, data and model, plan, execute,
// summarise; then the shift check. This is what the CLI and the server both call.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { cleanDataOf, isPregenerated, type Config, type DataSpec, type InputSpec, type PregeneratedDataSpec } from '../config/config';
import { openPregenerated, type PregeneratedExpectation } from '../data/pregenerated-corruptions';
import type { ImageDataset, Sample } from '../types';
import { readLabels } from '../data/labels';
import { openDataset } from '../data/open-dataset';
import { InputError } from '../errors';
import { ModelCache } from '../model/model-cache';
import { runShift } from '../shift/run-shift';
import { RESULTS_SCHEMA_VERSION, conditionKey, encodeBits, type Results, type ResultsHeader, type RunKind, type SuiteResults } from '../results/results';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { CorruptedImageCache, dataFingerprint } from './corrupted-image-cache';
import { executePlan, type Example, type ExecuteOptions } from './execute-plan';
import { expectedCalibrationError } from '../metrics/calibration';
import { planRun, type RunPlan } from './plan';
import { CORRUPTIONS_VERSION } from '../perturb/image/registry';
import { summariseCorruptions } from '../metrics/corruption-metrics';
import { loadNormaliser } from '../metrics/load-normaliser';

export interface EvaluateOptions extends Omit<ExecuteOptions, 'cache'> {
  /** Overrides the config's seed. */
  readonly seed?: number;
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
  /** Corrupted images kept across runs (the server keeps one); scoped here by a fingerprint of the data. */
  readonly imageCache?: CorruptedImageCache;
}

/** Results and the example inputs the report's gallery shows (not part of the results file). */
export interface Evaluation {
  readonly results: Results;
  /** Index 0 clean, then one list per condition of results.corruptions. */
  readonly examples: readonly Example[][];
}

export async function evaluate(config: Config, kind: RunKind, options: EvaluateOptions = {}): Promise<Results> {
  return (await evaluateWithExamples(config, kind, options)).results;
}

/**
 * A run: the corruption suite (when the config has "data"; not in the final evaluation) and the shift check
 * (when it has "shift"; the final evaluation adds the frozen target-test sets).
 */
export async function evaluateWithExamples(config: Config, kind: RunKind, options: EvaluateOptions = {}): Promise<Evaluation> {
  const started = Date.now();
  if (kind === 'final' && !config.shift) {
    throw new InputError('the final evaluation runs the shift check on the frozen test set, and robustness.json has no "shift" section', {
      kind: 'usage',
      code: 'final-without-shift',
      configPath: [],
      fix: 'add "shift" with a data set whose role is "target-test"',
    });
  }
  const labels = await readLabels(config.labels as string[] | string, config.dir);
  const configText = await fs.readFile(config.file);
  const seed = options.seed ?? config.seed;
  const models = new ModelCache(config.model, labels.length, options.threads);
  try {
    const runsSuite = config.data !== undefined && config.input !== undefined && kind !== 'final';
    const suite = runsSuite ? await evaluateSuite(config, config.data!, config.input!, kind as 'smoke' | 'full', labels, seed, models, options) : undefined;
    const shift = config.shift
      ? await runShift(config, config.shift, {
          kind,
          seed,
          labels,
          models,
          signal: options.signal,
          onProgress: (message, fraction) => options.onProgress?.({ done: Math.round(fraction * 1000), total: 1000, message }),
        })
      : undefined;
    const header: ResultsHeader = {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      kind,
      createdAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      config: { file: path.basename(config.file), sha256: createHash('sha256').update(configText).digest('hex') },
      model: { path: path.relative(config.dir, config.model).split(path.sep).join('/'), sha256: models.sha256() },
      seed,
      labels,
    };
    const results: Results = suite ? { ...header, ...suite.results, ...(shift ? { shift } : {}) } : { ...header, ...(shift ? { shift } : {}) };
    return { results, examples: suite?.examples ?? [] };
  } finally {
    await models.close();
  }
}

/** The corruption suite's part of the results, and the gallery's examples. */
async function evaluateSuite(
  config: Config,
  data: DataSpec,
  input: InputSpec,
  kind: 'smoke' | 'full',
  labels: string[],
  seed: number,
  models: ModelCache,
  options: EvaluateOptions,
): Promise<{ results: SuiteResults; examples: readonly Example[][] }> {
  const dataset = await openDataset(cleanDataOf(data), config.dir, { height: input.height, width: input.width, channels: input.channels, labels });
  try {
    const model = await models.image(input);
    const plan = planRun(config, kind, dataset.count, seed);
    const normaliser = await loadNormaliser(config, plan.preset);
    const pregenerated = isPregenerated(data) ? await openPregeneratedReader(data, config.dir, plan.conditions, { ...input, labels, count: dataset.count }) : undefined;
    let outcomes;
    try {
      const cache = options.imageCache && !pregenerated ? { store: options.imageCache, scope: await dataFingerprint(cleanDataOf(data), config.dir, dataset.count) } : undefined;
      outcomes = await executePlan(plan, dataset, model, input, { ...options, pregenerated: pregenerated?.read, cache });
    } finally {
      await pregenerated?.close();
    }
    const count = (bits: Uint8Array) => bits.reduce((a, b) => a + b, 0);
    const n = plan.sampleIds.length;
    const cleanCorrect = count(outcomes.clean);
    const corruptions = plan.conditions.map((condition, k) => {
      const correct = count(outcomes.conditions[k]);
      return { corruption: condition.corruption, severity: condition.severity, accuracy: correct / n, correct, n };
    });
    const correctBits: Record<string, string> = { clean: encodeBits(outcomes.clean) };
    plan.conditions.forEach((c, k) => (correctBits[conditionKey(c.corruption, c.severity)] = encodeBits(outcomes.conditions[k])));
    const calibration = [{ corruption: 'clean', severity: 0 }, ...plan.conditions].map((c, k) => ({
      condition: conditionKey(c.corruption, c.severity),
      ece: expectedCalibrationError(outcomes.calibration[k]),
      bins: outcomes.calibration[k],
    }));
    const results: SuiteResults = {
      data: { source: path.relative(config.dir, dataset.source).split(path.sep).join('/') || '.', count: dataset.count },
      corruptionsVersion: CORRUPTIONS_VERSION,
      preset: plan.preset,
      clean: { accuracy: cleanCorrect / n, correct: cleanCorrect, n },
      corruptions,
      summary: summariseCorruptions(cleanCorrect / n, corruptions, normaliser),
      samples: { ids: plan.sampleIds, correct: correctBits },
      calibration,
    };
    return { results, examples: outcomes.examples };
  } finally {
    await dataset.close();
  }
}

/** Reads pre-generated conditions by index, opening each condition's images once. */
async function openPregeneratedReader(
  spec: PregeneratedDataSpec,
  dir: string,
  conditions: RunPlan['conditions'],
  expected: PregeneratedExpectation,
): Promise<{ read: (condition: number, ids: readonly number[]) => Promise<Sample[]>; close: () => Promise<void> }> {
  const source = await openPregenerated(spec, dir, conditions, expected);
  const opened = new Map<number, Promise<ImageDataset>>();
  return {
    read(condition, ids) {
      let dataset = opened.get(condition);
      if (!dataset) {
        dataset = source.open(conditions[condition].corruption, conditions[condition].severity);
        opened.set(condition, dataset);
      }
      return dataset.then((d) => d.read(ids));
    },
    async close() {
      const datasets = await Promise.allSettled(opened.values());
      for (const d of datasets) if (d.status === 'fulfilled') await d.value.close();
      await source.close();
    },
  };
}
