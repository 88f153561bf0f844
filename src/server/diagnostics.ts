// Turns findings (config problems, input errors of a run, regressions against the baseline) into LSP
// diagnostics: on robustness.json where the fix goes, mirrored as a file-level diagnostic on the model
// (or data) file so that the Explorer badges it.
import type { ShiftResults } from './engine/shift/shift-results';
import { describeBound, formatValue, gapText } from './engine/outputs/shift-table';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { findNodeAtLocation, type Node } from 'jsonc-parser';
import type { ConfigProblem } from './engine/config/parse-config';
import { rangeOfPath } from './engine/config/parse-config';
import type { Config } from './engine/config/config';
import type { ConfigPath, InputError } from './engine/errors';
import type { Comparison, Regression } from './engine/results/results';
import { describeRegression } from './engine/outputs/results-table';

export const DIAGNOSTIC_SOURCE = 'robustness';

/** docs/diagnostics.md as shipped with the server (dist/ sits beside docs/), for codeDescription links. */
const DIAGNOSTICS_DOC = pathToFileURL(path.join(__dirname, '..', 'docs', 'diagnostics.md')).toString();

/** A diagnostic code with a link to its explanation in docs/diagnostics.md. */
function codeOf(code: string): Pick<Diagnostic, 'code' | 'codeDescription'> {
  return { code, codeDescription: { href: `${DIAGNOSTICS_DOC}#${code}` } };
}

/** Diagnostics grouped by document URI. */
export type DiagnosticsByUri = Map<string, Diagnostic[]>;

/** The config text with its syntax tree, to turn JSON paths into ranges. */
export interface ConfigSource {
  readonly uri: string;
  readonly text: string;
  readonly tree: Node | undefined;
}

const severities = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;
const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function fileUri(file: string): string {
  return pathToFileURL(file).toString();
}

function add(map: DiagnosticsByUri, uri: string, diagnostic: Diagnostic): void {
  const list = map.get(uri) ?? [];
  list.push(diagnostic);
  map.set(uri, list);
}

function toRange(source: ConfigSource, offset: number, length: number): Range {
  const document = TextDocument.create(source.uri, 'jsonc', 0, source.text);
  return { start: document.positionAt(offset), end: document.positionAt(offset + length) };
}

function rangeAt(source: ConfigSource, jsonPath: ConfigPath): Range {
  const { offset, length } = rangeOfPath(source.tree, jsonPath);
  return toRange(source, offset, length);
}

export function configProblemDiagnostics(source: ConfigSource, problems: readonly ConfigProblem[], into: DiagnosticsByUri = new Map()): DiagnosticsByUri {
  for (const problem of problems) {
    add(into, source.uri, {
      range: toRange(source, problem.offset, problem.length),
      severity: severities[problem.severity],
      source: DIAGNOSTIC_SOURCE,
      ...codeOf(problem.code),
      message: problem.message,
    });
  }
  return into;
}

/** An input error found while running (model, data, labels): on the config key, mirrored on the file. */
export function inputErrorDiagnostics(source: ConfigSource, error: InputError, into: DiagnosticsByUri = new Map()): DiagnosticsByUri {
  const { details } = error;
  const where = details.file ? `${details.file}${details.place ? ` (${details.place})` : ''}: ` : '';
  const message = `${where}${error.message}.${details.fix ? ` Fix: ${details.fix}.` : ''}`;
  const range = rangeAt(source, details.configPath ?? []);
  const mirrored = details.file && fileUri(details.file) !== source.uri ? fileUri(details.file) : undefined;
  add(into, source.uri, {
    range,
    severity: DiagnosticSeverity.Error,
    source: DIAGNOSTIC_SOURCE,
    ...codeOf(details.code),
    message,
    relatedInformation: mirrored ? [{ location: { uri: mirrored, range: FILE_START }, message: 'the file with the problem' }] : undefined,
  });
  if (mirrored) {
    add(into, mirrored, {
      range: FILE_START,
      severity: DiagnosticSeverity.Error,
      source: DIAGNOSTIC_SOURCE,
      ...codeOf(details.code),
      message: `${error.message}.${details.fix ? ` Fix: ${details.fix}.` : ''}`,
      relatedInformation: [{ location: { uri: source.uri, range }, message: 'configured here' }],
    });
  }
  return into;
}

/** Where a regression's fix goes: the corruption's entry in a suite's list, or the model for clean accuracy. */
function regressionPath(config: Config, source: ConfigSource, regression: Regression): ConfigPath {
  const has = (jsonPath: ConfigPath) => source.tree !== undefined && findNodeAtLocation(source.tree, jsonPath as (string | number)[]) !== undefined;
  if (regression.corruption === 'clean') return has(['budgets', 'cleanAccuracyDrop']) ? ['budgets', 'cleanAccuracyDrop'] : ['model'];
  const ownBudget = ['budgets', 'corruptions', regression.corruption, 'accuracyDrop'];
  if (has(ownBudget)) return ownBudget;
  for (const suite of ['smoke', 'full'] as const) {
    const list = source.tree && findNodeAtLocation(source.tree, [suite, 'corruptions']);
    if (list?.type === 'array') {
      const index = (list.children ?? []).findIndex((child) => child.value === regression.corruption);
      if (index >= 0) return [suite, 'corruptions', index];
    } else if (list?.type === 'string' && config[suite].corruptions.includes(regression.corruption)) {
      return [suite, 'corruptions'];
    }
  }
  return source.tree && findNodeAtLocation(source.tree, ['budgets', 'accuracyDrop']) ? ['budgets', 'accuracyDrop'] : ['model'];
}

export function regressionDiagnostics(config: Config, source: ConfigSource, comparison: Comparison, into: DiagnosticsByUri = new Map()): DiagnosticsByUri {
  const modelUri = fileUri(config.model);
  if (!comparison.comparable) {
    add(into, source.uri, {
      range: rangeAt(source, []),
      severity: DiagnosticSeverity.Information,
      source: DIAGNOSTIC_SOURCE,
      ...codeOf('baseline-not-comparable'),
      message: `The baseline ${comparison.baseline} no longer compares with this run (${comparison.reason}); no regressions are checked. Accept the new results as the baseline to compare again.`,
    });
    return into;
  }
  for (const regression of comparison.regressions) {
    const range = rangeAt(source, regressionPath(config, source, regression));
    const message = `${describeRegression(regression)} on ${regression.n} samples`;
    const severity = config.budgets.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
    add(into, source.uri, {
      range,
      severity,
      source: DIAGNOSTIC_SOURCE,
      ...codeOf('accuracy-regression'),
      message,
      relatedInformation: [{ location: { uri: modelUri, range: FILE_START }, message: 'the model that regressed' }],
    });
    add(into, modelUri, {
      range: FILE_START,
      severity,
      source: DIAGNOSTIC_SOURCE,
      ...codeOf('accuracy-regression'),
      message,
      relatedInformation: [{ location: { uri: source.uri, range }, message: 'budget and check configured here' }],
    });
  }
  return into;
}

/** Merges several groups of diagnostics. */
export function mergeDiagnostics(...groups: DiagnosticsByUri[]): DiagnosticsByUri {
  const merged: DiagnosticsByUri = new Map();
  for (const group of groups) for (const [uri, list] of group) for (const d of list) add(merged, uri, d);
  return merged;
}

/** Failed shift checks (budgets in shift.checks), each on its entry in robustness.json. */
export function shiftCheckDiagnostics(config: Config, source: ConfigSource, shift: ShiftResults, into: DiagnosticsByUri = new Map()): DiagnosticsByUri {
  const severity = config.shift?.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
  for (const check of shift.checks) {
    if (check.passed) continue;
    const dataset = shift.datasets.find((d) => d.name === check.dataset);
    const value =
      check.value === null
        ? `is undefined on this data (${check.metric === 'auroc' || check.metric === 'sensitivity' || check.metric === 'specificity' ? 'a class is missing' : 'no samples'})`
        : check.bound === 'maxGap'
          ? `is ${gapText(check.metric, check)}`
          : `is ${formatValue(check.metric, check.value)}${check.low !== null && check.high !== null ? ` [${formatValue(check.metric, check.low)}, ${formatValue(check.metric, check.high)}]` : ''}`;
    add(into, source.uri, {
      range: rangeAt(source, ['shift', 'checks', check.index]),
      severity,
      source: DIAGNOSTIC_SOURCE,
      ...codeOf('shift-check-failed'),
      message: `${check.dataset}: ${check.bound === 'maxGap' ? `the gap in ${check.metric} from the source` : check.over === 'all' ? check.metric : `${check.metric} (${check.over})`} ${value}; budget ${describeBound(check)}${dataset ? ` (${dataset.role}, ${dataset.n} samples, ${Math.round(shift.level * 100)}% interval)` : ''}`,
    });
  }
  return into;
}

/** A warning on each frozen target-test set once the final evaluation has run more often than allowed. */
export function frozenTestDiagnostics(config: Config, source: ConfigSource, evaluations: number, into: DiagnosticsByUri = new Map()): DiagnosticsByUri {
  const shift = config.shift;
  if (!shift || evaluations <= shift.maxFrozenEvaluations) return into;
  for (const dataset of shift.datasets.filter((d) => d.role === 'target-test')) {
    add(into, source.uri, {
      range: rangeAt(source, ['shift', 'datasets', dataset.name, 'role']),
      severity: DiagnosticSeverity.Warning,
      source: DIAGNOSTIC_SOURCE,
      ...codeOf('frozen-test-overused'),
      message: `The frozen test set has been evaluated ${evaluations} times (allowed: ${shift.maxFrozenEvaluations}, see ${path.relative(config.dir, shift.frozenLog).split(path.sep).join('/')}). Each look lets choices fit the test set, and its figures stop being an unbiased estimate: tune on target-dev, and keep a fresh test split for the final claim.`,
    });
  }
  return into;
}
