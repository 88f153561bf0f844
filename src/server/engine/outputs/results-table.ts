// Formats results as a plain-text table for a terminal.
import { hasSuite, type Regression, type Results, type SuiteRun } from '../results/results';
import { formatShiftTable } from './shift-table';
import { formatP } from '../stats/mcnemar';

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatResultsTable(results: Results): string {
  const parts: string[] = [];
  if (hasSuite(results)) parts.push(formatSuiteTable(results));
  else parts.push(`model ${results.model.path} (sha256 ${results.model.sha256.slice(0, 12)})  seed ${results.seed}`);
  if (results.shift) parts.push(formatShiftTable(results.shift));
  return parts.join('\n\n');
}

function formatSuiteTable(results: SuiteRun): string {
  const lines: string[] = [];
  const severities = [...new Set(results.corruptions.map((c) => c.severity))].sort((a, b) => a - b);
  const names = [...new Set(results.corruptions.map((c) => c.corruption))];
  const nameWidth = Math.max(18, ...names.map((n) => n.length + 2));
  const cell = (text: string) => text.padStart(8);
  lines.push(
    `model ${results.model.path} (sha256 ${results.model.sha256.slice(0, 12)})  data ${results.data.source} (${results.clean.n} of ${results.data.count} samples)  seed ${results.seed}  preset ${results.preset}`,
  );
  lines.push('');
  lines.push('corruption'.padEnd(nameWidth) + severities.map((s) => cell(`s${s}`)).join('') + (severities.length > 1 ? cell('mean') : ''));
  lines.push('clean'.padEnd(nameWidth) + cell(percent(results.clean.accuracy)));
  for (const name of names) {
    const row = severities.map((s) => results.corruptions.find((c) => c.corruption === name && c.severity === s));
    const present = row.filter((r) => r !== undefined);
    const mean = present.reduce((a, r) => a + r!.accuracy, 0) / present.length;
    lines.push(name.padEnd(nameWidth) + row.map((r) => cell(r ? percent(r.accuracy) : '-')).join('') + (severities.length > 1 ? cell(percent(mean)) : ''));
  }
  lines.push('');
  const summary = results.summary;
  if (summary.meanCorruptionAccuracy !== null) {
    lines.push(`mean corruption accuracy ${percent(summary.meanCorruptionAccuracy)} over ${names.length} corruption(s) x ${severities.length} severit${severities.length === 1 ? 'y' : 'ies'}; clean ${percent(results.clean.accuracy)}`);
  }
  if (summary.meanBenchmarkAccuracy !== null) {
    const all = summary.meanAllAccuracy === null ? '' : `; over all 19: ${percent(summary.meanAllAccuracy)}`;
    lines.push(`mean accuracy over the 15 benchmark corruptions ${percent(summary.meanBenchmarkAccuracy)}${all}`);
  }
  if (summary.mCE !== null) {
    const relative = summary.relativeMCE === null ? '' : `, relative mCE ${(summary.relativeMCE * 100).toFixed(1)}%`;
    lines.push(`mCE ${(summary.mCE * 100).toFixed(1)}%${relative} (normalised by ${summary.normalisation})`);
  }
  const comparison = results.comparison;
  if (comparison) {
    if (!comparison.comparable) lines.push(`baseline ${comparison.baseline} does not compare: ${comparison.reason}`);
    else if (comparison.regressions.length === 0) lines.push(`baseline ${comparison.baseline}: no regressions beyond the budget`);
    else {
      lines.push(`baseline ${comparison.baseline}: ${comparison.regressions.length} regression(s) beyond the budget:`);
      for (const r of comparison.regressions) lines.push(`  ${describeRegression(r)}`);
    }
    if (comparison.comparable && comparison.insignificantDrops.length > 0) {
      lines.push(`${comparison.insignificantDrops.length} drop(s) beyond the budget that are not significant on ${comparison.insignificantDrops[0].n} samples (not regressions):`);
      for (const r of comparison.insignificantDrops) lines.push(`  ${describeRegression(r)}`);
    }
  }
  return lines.join('\n');
}

/** Percentage points, with one decimal only when it is not zero: "2 pp", "11.3 pp". */
function pp(fraction: number): string {
  const value = Math.round(fraction * 1000) / 10;
  return `${Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)} pp`;
}

/** "gaussian_noise s3: accuracy 61.2% (baseline 72.5%, -11.3 pp, budget 2 pp, p < 0.001)" */
export function describeRegression(r: Regression): string {
  const what = r.corruption === 'clean' ? 'clean' : `${r.corruption} s${r.severity}`;
  return `${what}: accuracy ${percent(r.current)} (baseline ${percent(r.baseline)}, -${pp(r.drop)}, budget ${pp(r.budget)}, ${formatP(r.p)})`;
}
