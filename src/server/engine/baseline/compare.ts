// Compares results with a baseline on the samples both evaluated (a smoke run compares with a full
// baseline on its own samples). A regression is a drop in accuracy beyond its budget that is also
// significant by the one-sided exact McNemar test on the per-sample outcomes: a linter that cries wolf gets
// switched off. A baseline made with another seed, preset, data or corruption implementation, or sharing no
// samples, is reported as not comparable, never as a regression.
import * as path from 'node:path';
import type { Budgets, Config } from '../config/config';
import { CORRUPTIONS_VERSION } from '../perturb/image/registry';
import { conditionKey, decodeBits, hasSuite, type Comparison, type Regression, type Results, type SuiteRun } from '../results/results';
import { mcnemarWorse } from '../stats/mcnemar';
import { readBaseline } from './baseline-file';

/** The budget of one condition: per-corruption override, clean budget, or the global one. */
export function budgetFor(budgets: Budgets, corruption: string): number {
  if (corruption === 'clean') return budgets.cleanAccuracyDrop;
  return budgets.corruptions[corruption]?.accuracyDrop ?? budgets.accuracyDrop;
}

export function compareWithBaseline(current: SuiteRun, baseline: SuiteRun, budgets: Budgets, baselinePath: string): Comparison {
  const reason = incomparability(current, baseline);
  if (reason) return { baseline: baselinePath, comparable: false, reason, regressions: [], insignificantDrops: [], changes: [] };
  const common = commonSamples(current.samples.ids, baseline.samples.ids);
  const n = common.current.length;
  if (n === 0) {
    return { baseline: baselinePath, comparable: false, reason: 'the baseline and this run share no samples', regressions: [], insignificantDrops: [], changes: [] };
  }
  const regressions: Regression[] = [];
  const insignificantDrops: Regression[] = [];
  const changes: Comparison['changes'][number][] = [];
  const conditions = [{ corruption: 'clean', severity: 0 }, ...current.corruptions];
  for (const { corruption, severity } of conditions) {
    const key = conditionKey(corruption, severity);
    const before = baseline.samples.correct[key];
    const after = current.samples.correct[key];
    if (before === undefined || after === undefined) continue;
    const beforeAll = decodeBits(before, baseline.samples.ids.length);
    const afterAll = decodeBits(after, current.samples.ids.length);
    const beforeBits = Uint8Array.from(common.baseline, (i) => beforeAll[i]);
    const afterBits = Uint8Array.from(common.current, (i) => afterAll[i]);
    const correctBefore = beforeBits.reduce((a, b) => a + b, 0);
    const correctAfter = afterBits.reduce((a, b) => a + b, 0);
    changes.push({ corruption, severity, baseline: correctBefore / n, current: correctAfter / n });
    const budget = budgetFor(budgets, corruption);
    // Decide in whole samples so that floating-point noise cannot tip the decision.
    if (correctBefore - correctAfter <= budget * n + 1e-9) continue;
    const test = mcnemarWorse(beforeBits, afterBits);
    const finding: Regression = {
      corruption,
      severity,
      metric: 'accuracy',
      baseline: correctBefore / n,
      current: correctAfter / n,
      drop: (correctBefore - correctAfter) / n,
      budget,
      n,
      p: test.p,
      worse: test.worse,
      better: test.better,
    };
    (test.p < budgets.significance ? regressions : insignificantDrops).push(finding);
  }
  return { baseline: baselinePath, comparable: true, regressions, insignificantDrops, changes };
}

/** The results with their comparison against the config's baseline file, when there is one (corruption suite only). */
export async function compareWithBaselineFile(results: Results, config: Config): Promise<Results> {
  if (!hasSuite(results)) return results;
  const baseline = await readBaseline(config.baseline);
  if (!baseline) return results;
  const shown = path.relative(config.dir, config.baseline).split(path.sep).join('/');
  if (!hasSuite(baseline)) {
    return { ...results, comparison: { baseline: shown, comparable: false, reason: 'the baseline has no corruption-suite results', regressions: [], insignificantDrops: [], changes: [] } };
  }
  return { ...results, comparison: compareWithBaseline(results, baseline, config.budgets, shown) };
}

/** Positions of the shared sample ids in each run's id list (both lists ascending). */
function commonSamples(current: readonly number[], baseline: readonly number[]): { current: number[]; baseline: number[] } {
  const result = { current: [] as number[], baseline: [] as number[] };
  let i = 0;
  let j = 0;
  while (i < current.length && j < baseline.length) {
    if (current[i] === baseline[j]) {
      result.current.push(i++);
      result.baseline.push(j++);
    } else if (current[i] < baseline[j]) i++;
    else j++;
  }
  return result;
}

function incomparability(current: SuiteRun, baseline: SuiteRun): string | undefined {
  if (baseline.schemaVersion !== current.schemaVersion) return `the baseline has results format ${baseline.schemaVersion}, this version writes ${current.schemaVersion}`;
  if (baseline.corruptionsVersion !== current.corruptionsVersion) {
    return `the baseline was made with other corruption implementations (version ${baseline.corruptionsVersion ?? 'unknown'}, now ${current.corruptionsVersion})`;
  }
  if (baseline.seed !== current.seed) return `the baseline used seed ${baseline.seed}, this run seed ${current.seed}`;
  if (baseline.preset !== current.preset) return `the baseline used the ${baseline.preset} preset, this run ${current.preset}`;
  if (baseline.data.source !== current.data.source || baseline.data.count !== current.data.count) {
    return `the baseline was made on other data (${baseline.data.source}, ${baseline.data.count} samples; now ${current.data.source}, ${current.data.count})`;
  }
  return undefined;
}
