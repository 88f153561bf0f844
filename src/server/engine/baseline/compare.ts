// Compares results with a baseline on the samples both evaluated (a smoke run compares with a full
// baseline on its own samples): a drop in accuracy beyond the budget is a regression. A baseline made
// with another seed, preset or data, or sharing no samples, is reported as not comparable, never as a
// regression.
import { conditionKey, decodeBits, type Comparison, type Regression, type Results } from '../results/results';

export function compareWithBaseline(current: Results, baseline: Results, budget: number, baselinePath: string): Comparison {
  const reason = incomparability(current, baseline);
  if (reason) return { baseline: baselinePath, comparable: false, reason, regressions: [] };
  const common = commonSamples(current.samples.ids, baseline.samples.ids);
  if (common.current.length === 0) {
    return { baseline: baselinePath, comparable: false, reason: 'the baseline and this run share no samples', regressions: [] };
  }
  const regressions: Regression[] = [];
  const conditions = [{ corruption: 'clean', severity: 0 }, ...current.corruptions];
  for (const { corruption, severity } of conditions) {
    const key = conditionKey(corruption, severity);
    const before = baseline.samples.correct[key];
    const after = current.samples.correct[key];
    if (before === undefined || after === undefined) continue;
    const beforeBits = decodeBits(before, baseline.samples.ids.length);
    const afterBits = decodeBits(after, current.samples.ids.length);
    let correctBefore = 0;
    let correctAfter = 0;
    for (let i = 0; i < common.current.length; i++) {
      correctBefore += beforeBits[common.baseline[i]];
      correctAfter += afterBits[common.current[i]];
    }
    const n = common.current.length;
    // Decide in whole samples so that floating-point noise cannot tip the decision.
    if (correctBefore - correctAfter > budget * n + 1e-9) {
      regressions.push({
        corruption,
        severity,
        metric: 'accuracy',
        baseline: correctBefore / n,
        current: correctAfter / n,
        drop: (correctBefore - correctAfter) / n,
        budget,
        n,
      });
    }
  }
  return { baseline: baselinePath, comparable: true, regressions };
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

function incomparability(current: Results, baseline: Results): string | undefined {
  if (baseline.schemaVersion !== current.schemaVersion) return `the baseline has results format ${baseline.schemaVersion}, this version writes ${current.schemaVersion}`;
  if (baseline.seed !== current.seed) return `the baseline used seed ${baseline.seed}, this run seed ${current.seed}`;
  if (baseline.preset !== current.preset) return `the baseline used the ${baseline.preset} preset, this run ${current.preset}`;
  if (baseline.data.source !== current.data.source || baseline.data.count !== current.data.count) {
    return `the baseline was made on other data (${baseline.data.source}, ${baseline.data.count} samples; now ${current.data.source}, ${current.data.count})`;
  }
  return undefined;
}
