// The command-line edge: `robustness-lens run ...` runs the same engine as the editor, for CI.
// Exit codes: 0 ran and no budget exceeded; 1 a budget is exceeded against the baseline;
// 2 usage, config, data or model error.
import { isInputError } from './engine/errors';
import { RunCancelled } from './engine/run/execute-plan';
import { TOOL_NAME, TOOL_VERSION } from './engine/version';
import { consoleOutput, UsageError, type Output } from './cli/cli-io';
import { RUN_USAGE, runCommand } from './cli/run-command';
import { CORRUPT_USAGE, corruptCommand } from './cli/corrupt-command';

const USAGE = `Usage:
${RUN_USAGE}

${CORRUPT_USAGE}

Exit codes: 0 ran, no budget exceeded; 1 a budget is exceeded against the baseline; 2 usage, config, data or model error.`;

export async function main(argv: string[], output: Output = consoleOutput): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === '--version' || command === '-v') {
      output.out(TOOL_VERSION);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      output.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'run') return await runCommand(rest, output);
    if (command === 'corrupt') return await corruptCommand(rest, output);
    throw new UsageError(`unknown command "${command}"`);
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
