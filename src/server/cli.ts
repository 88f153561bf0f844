// The command-line edge: `robustness-lens run ...` runs the same engine as the editor, for CI.
// Exit codes: 0 ran and no budget exceeded; 1 a budget is exceeded against the baseline;
// 2 usage, config, data or model error.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile } from './engine/config/load-config';
import { positionAt, rangeOfPath } from './engine/config/parse-config';
import { InputError, isInputError } from './engine/errors';
import { evaluate } from './engine/run/evaluate';
import { RunCancelled } from './engine/run/execute-plan';
import { baselinePath, readBaseline, writeBaseline, writeFileAtomic } from './engine/baseline/baseline-file';
import { compareWithBaseline } from './engine/baseline/compare';
import { formatResultsTable } from './engine/outputs/results-table';
import { TOOL_NAME, TOOL_VERSION } from './engine/version';
import type { Results } from './engine/results/results';

const USAGE = `Usage: ${TOOL_NAME} run [--config PATH] [--smoke|--full] [--json FILE] [--seed N] [--threads N] [--write-baseline]

Runs the robustness checks of robustness.json on its model and data and prints a table.
  --config PATH       the configuration (default: ./robustness.json)
  --smoke | --full    the quick on-save suite, or the full suite (default: --full)
  --json FILE         also write the results as JSON (format: docs/results-format.md)
  --seed N            override the config's seed
  --threads N         onnxruntime threads (default 1)
  --write-baseline    accept the results as the new baseline (.robustness/baseline.json)
  --quiet             print only errors and the final line

Exit codes: 0 ran, no budget exceeded; 1 a budget is exceeded against the baseline; 2 usage, config, data or model error.`;

export class UsageError extends Error {}

interface Output {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: Output = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') };

export async function main(argv: string[], output: Output = consoleOutput): Promise<number> {
  try {
    return await runCommand(argv, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`${TOOL_NAME}: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (isInputError(error)) {
      output.err(`${TOOL_NAME}: error: ${error.describe()}`);
      return 2;
    }
    if (error instanceof RunCancelled) {
      output.err(`${TOOL_NAME}: cancelled`);
      return 2;
    }
    output.err(`${TOOL_NAME}: internal error: ${(error as Error).stack ?? error}`);
    return 2;
  }
}

async function runCommand(argv: string[], output: Output): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v') {
    output.out(TOOL_VERSION);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    output.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'run') throw new UsageError(`unknown command "${command}"`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        smoke: { type: 'boolean' },
        full: { type: 'boolean' },
        json: { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
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
  if (options.smoke && options.full) throw new UsageError('choose one of --smoke and --full');
  const seed = options.seed === undefined ? undefined : parseNonNegativeInteger(options.seed, '--seed');
  const threads = options.threads === undefined ? undefined : parseNonNegativeInteger(options.threads, '--threads');
  const configFile = path.resolve(options.config ?? 'robustness.json');
  const kind = options.smoke ? 'smoke' : 'full';

  const loaded = await loadConfigFile(configFile);
  const shown = path.relative(process.cwd(), configFile) || configFile;
  for (const problem of loaded.problems) {
    const at = positionAt(loaded.text, problem.offset);
    output.err(`${shown}:${at.line + 1}:${at.character + 1}: ${problem.severity}: ${problem.message} [${problem.code}]`);
  }
  if (!loaded.config) return 2;
  const config = loaded.config;

  let results: Results;
  try {
    let lastShown = -1;
    results = await evaluate(config, kind, {
      seed,
      threads,
      onProgress: (p) => {
        const percent = Math.floor((100 * p.done) / p.total);
        if (!options.quiet && process.stderr.isTTY && percent !== lastShown) {
          lastShown = percent;
          process.stderr.write(`\r${kind} run: ${percent}% (${p.message})`.padEnd(60));
        }
      },
    });
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

  const baselineFile = baselinePath(config.dir);
  const baseline = await readBaseline(baselineFile);
  if (baseline) {
    results = { ...results, comparison: compareWithBaseline(results, baseline, config.budgets.accuracyDrop, path.relative(config.dir, baselineFile)) };
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
  if (options['write-baseline']) {
    await writeBaseline(baselineFile, results);
    output.out(`wrote baseline ${path.relative(process.cwd(), baselineFile)}`);
    return 0;
  }
  const regressions = results.comparison?.regressions.length ?? 0;
  if (regressions > 0) {
    output.out(`${regressions} budget(s) exceeded against the baseline`);
    return 1;
  }
  return 0;
}

function parseNonNegativeInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} needs a non-negative integer, got "${text}"`);
  return Number(text);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`${TOOL_NAME}: internal error: ${error}\n`);
      process.exitCode = 2;
    },
  );
}
