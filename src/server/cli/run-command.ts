// `robustness-lens run`: evaluates the model of robustness.json, prints the table, compares with the
// baseline, and writes JSON and the baseline on request.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../engine/config/load-config';
import { positionAt, rangeOfPath } from '../engine/config/parse-config';
import { InputError } from '../engine/errors';
import { evaluateWithExamples, type Evaluation } from '../engine/run/evaluate';
import { buildReportModel } from '../engine/outputs/report-model';
import { loadReportAssets, renderStandaloneHtml } from '../engine/outputs/standalone-html';
import { writeBaseline, writeFileAtomic } from '../engine/baseline/baseline-file';
import { compareWithBaselineFile } from '../engine/baseline/compare';
import { formatResultsTable } from '../engine/outputs/results-table';
import { TOOL_NAME, TOOL_VERSION } from '../engine/version';
import type { Results } from '../engine/results/results';
import { appendFrozenTestEntry, countFrozenTestEntries, frozenTestEntry } from '../engine/shift/frozen-test-log';
import { parseNonNegativeInteger, UsageError, type Output } from './cli-io';

export const RUN_USAGE = `${TOOL_NAME} run [--config PATH] [--smoke|--full|--final] [--json FILE] [--html FILE] [--seed N] [--threads N] [--workers N] [--write-baseline] [--quiet]
  Runs the robustness checks of robustness.json on its model and data and prints a table.
  --config PATH       the configuration (default: ./robustness.json)
  --smoke | --full    the quick on-save suite, or the full suite (default: --full)
  --final             the final evaluation: the shift check including the frozen target-test sets; it is
                      logged in .robustness/frozen-test-log.jsonl (smoke and full runs never touch them)
  --json FILE         also write the results as JSON (format: docs/results-format.md)
  --html FILE         also write the report as one self-contained HTML file (opens offline in any browser)
  --seed N            override the config's seed
  --threads N         onnxruntime threads (default 1)
  --workers N         corruption worker threads (default: up to cores - 1, started when a run is long; 0: none)
  --write-baseline    accept the results as the new baseline (.robustness/baseline.json)
  --quiet             print only errors and the final lines`;

export async function runCommand(rest: string[], output: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        smoke: { type: 'boolean' },
        full: { type: 'boolean' },
        final: { type: 'boolean' },
        json: { type: 'string' },
        html: { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
        workers: { type: 'string' },
        'write-baseline': { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options = parsed.values;
  if ([options.smoke, options.full, options.final].filter(Boolean).length > 1) throw new UsageError('choose one of --smoke, --full and --final');
  if (options.final && options['write-baseline']) throw new UsageError('--write-baseline takes a smoke or full run; the final evaluation is logged, not used as a baseline');
  const seed = options.seed === undefined ? undefined : parseNonNegativeInteger(options.seed, '--seed');
  const threads = options.threads === undefined ? undefined : parseNonNegativeInteger(options.threads, '--threads');
  const workers = options.workers === undefined ? undefined : parseNonNegativeInteger(options.workers, '--workers');
  const configFile = path.resolve(options.config ?? 'robustness.json');
  const kind = options.smoke ? 'smoke' : options.final ? 'final' : 'full';

  const loaded = await loadConfigFile(configFile);
  const shown = path.relative(process.cwd(), configFile) || configFile;
  for (const problem of loaded.problems) {
    const at = positionAt(loaded.text, problem.offset);
    output.err(`${shown}:${at.line + 1}:${at.character + 1}: ${problem.severity}: ${problem.message} [${problem.code}]`);
  }
  if (!loaded.config) return 2;
  const config = loaded.config;

  let results: Results;
  let examples: Evaluation['examples'] = [];
  try {
    let lastShown = -1;
    ({ results, examples } = await evaluateWithExamples(config, kind, {
      seed,
      threads,
      workers,
      onProgress: (p) => {
        const percent = Math.floor((100 * p.done) / p.total);
        if (!options.quiet && process.stderr.isTTY && percent !== lastShown) {
          lastShown = percent;
          process.stderr.write(`\r${kind} run: ${percent}% (${p.message})`.padEnd(60));
        }
      },
    }));
    if (!options.quiet && process.stderr.isTTY) process.stderr.write('\r'.padEnd(61) + '\r');
  } catch (error) {
    if (error instanceof InputError && error.details.configPath) {
      const range = rangeOfPath(loaded.tree, error.details.configPath);
      const at = positionAt(loaded.text, range.offset);
      output.err(`${shown}:${at.line + 1}:${at.character + 1}: error: ${error.describe()} [${error.details.code}]`);
      return 2;
    }
    throw error;
  }

  results = await compareWithBaselineFile(results, config);
  if (kind === 'final' && config.shift) {
    await appendFrozenTestEntry(config.shift.frozenLog, frozenTestEntry(results));
    const count = await countFrozenTestEntries(config.shift.frozenLog);
    const log = path.relative(process.cwd(), config.shift.frozenLog);
    output.err(`final evaluation ${count} logged in ${log}${count > config.shift.maxFrozenEvaluations ? `; warning: the frozen test set has now been evaluated ${count} times (allowed: ${config.shift.maxFrozenEvaluations}): its figures are no longer an unbiased estimate` : ''}`);
  }
  if (!options.quiet) {
    output.out(`${TOOL_NAME} ${TOOL_VERSION}: ${kind} run of ${shown} in ${(results.durationMs / 1000).toFixed(1)} s`);
    output.out(formatResultsTable(results));
  }
  if (options.json) {
    const jsonFile = path.resolve(options.json);
    await writeFileAtomic(jsonFile, JSON.stringify(results, null, 2) + '\n');
    output.out(`wrote results to ${path.relative(process.cwd(), jsonFile) || jsonFile}`);
  }
  if (options.html) {
    const htmlFile = path.resolve(options.html);
    const model = await buildReportModel(results, examples, `Robustness report: ${path.basename(config.dir)}`);
    await writeFileAtomic(htmlFile, renderStandaloneHtml(model, await loadReportAssets()));
    output.out(`wrote report to ${path.relative(process.cwd(), htmlFile) || htmlFile}`);
  }
  if (options['write-baseline']) {
    await writeBaseline(config.baseline, results);
    output.out(`wrote baseline ${path.relative(process.cwd(), config.baseline)}`);
    return 0;
  }
  const regressions = results.comparison?.regressions.length ?? 0;
  const failedChecks = results.shift?.checks.filter((c) => !c.passed).length ?? 0;
  if (regressions > 0) output.out(`${regressions} budget(s) exceeded against the baseline`);
  if (failedChecks > 0) output.out(`${failedChecks} shift check(s) failed`);
  return regressions > 0 || failedChecks > 0 ? 1 : 0;
}


