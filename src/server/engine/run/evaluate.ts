// One evaluation from a parsed config to results: open the labels, data and model, plan, execute,
// summarise. This is what the CLI and the server both call.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { cleanDataOf, isPregenerated, type Config, type PregeneratedDataSpec } from '../config/config';
import { openPregenerated, type PregeneratedExpectation } from '../data/pregenerated-corruptions';
import type { ImageDataset, Sample } from '../types';
import { readLabels } from '../data/labels';
import { openDataset } from '../data/open-dataset';
import { loadClassifier } from '../model/load-model';
import { RESULTS_SCHEMA_VERSION, conditionKey, encodeBits, type Results, type RunKind } from '../results/results';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { executePlan, type Example, type ExecuteOptions } from './execute-plan';
import { expectedCalibrationError } from '../metrics/calibration';
import { planRun, type RunPlan } from './plan';
import { CORRUPTIONS_VERSION } from '../perturb/image/registry';
import { summariseCorruptions } from '../metrics/corruption-metrics';
import { loadNormaliser } from '../metrics/load-normaliser';

export interface EvaluateOptions extends ExecuteOptions {
  /** Overrides the config's seed. */
  readonly seed?: number;
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
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

export async function evaluateWithExamples(config: Config, kind: RunKind, options: EvaluateOptions = {}): Promise<Evaluation> {
  const started = Date.now();
  const labels = await readLabels(config.labels as string[] | string, config.dir);
  const configText = await fs.readFile(config.file);
  const dataset = await openDataset(cleanDataOf(config.data), config.dir, {
    height: config.input.height,
    width: config.input.width,
    channels: config.input.channels,
    labels,
  });
  try {
    const model = await loadClassifier(config.model, config.input, labels.length, { threads: options.threads });
    try {
      const plan = planRun(config, kind, dataset.count, options.seed ?? config.seed);
      const normaliser = await loadNormaliser(config, plan.preset);
      const pregenerated = isPregenerated(config.data)
        ? await openPregeneratedReader(config.data, config.dir, plan.conditions, { ...config.input, labels, count: dataset.count })
        : undefined;
      let outcomes;
      try {
        outcomes = await executePlan(plan, dataset, model, config.input, { ...options, pregenerated: pregenerated?.read });
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
      const results: Results = {
        schemaVersion: RESULTS_SCHEMA_VERSION,
        tool: { name: TOOL_NAME, version: TOOL_VERSION },
        kind,
        createdAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        config: { file: path.basename(config.file), sha256: createHash('sha256').update(configText).digest('hex') },
        model: { path: path.relative(config.dir, config.model).split(path.sep).join('/'), sha256: model.sha256 },
        data: { source: path.relative(config.dir, dataset.source).split(path.sep).join('/') || '.', count: dataset.count },
        seed: plan.seed,
        corruptionsVersion: CORRUPTIONS_VERSION,
        preset: plan.preset,
        labels,
        clean: { accuracy: cleanCorrect / n, correct: cleanCorrect, n },
        corruptions,
        summary: summariseCorruptions(cleanCorrect / n, corruptions, normaliser),
        samples: { ids: plan.sampleIds, correct: correctBits },
        calibration,
      };
      return { results, examples: outcomes.examples };
    } finally {
      await model.close();
    }
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
