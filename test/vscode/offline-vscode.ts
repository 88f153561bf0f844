/**
 * Implementation of test/vscode/offline-vscode, the stand-in VS Code executable for @vscode/test-electron
 * (runTests({ vscodeExecutablePath })) on machines without internet: it starts code-server (the same VS Code
 * version's server + web workbench), opens the workbench in headless chromium with the extension under
 * development and `extensionTestsPath` in the payload, prints the extension host's output and exits with the
 * code the workbench reports through window.codeAutomationExit.
 *
 * Understood arguments: --extensionDevelopmentPath (repeatable), --extensionTestsPath, one folder; everything
 * else desktop-only (--no-sandbox, --user-data-dir, --extensions-dir, --disable-updates …) is ignored, since
 * code-server gets fresh temporary ones. Environment: OFFLINE_VSCODE_TIMEOUT_MS (default 600000).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCodeServer, type CodeServer } from '../e2e/harness/code-server';
import { runExtensionTests } from '../e2e/harness/workbench';

interface Parsed {
  extensionDevelopmentPaths: string[];
  extensionTestsPath?: string;
  folder?: string;
  ignored: string[];
}

const VALUE_FLAGS = new Set(['--extensionDevelopmentPath', '--extensionTestsPath', '--user-data-dir', '--extensions-dir', '--locale', '--log']);

function parseArgs(argv: string[]): Parsed {
  const out: Parsed = { extensionDevelopmentPaths: [], ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name = arg;
    let value: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      name = arg.slice(0, arg.indexOf('='));
      value = arg.slice(arg.indexOf('=') + 1);
    } else if (VALUE_FLAGS.has(arg)) {
      value = argv[++i];
    }
    if (name === '--extensionDevelopmentPath' && value) out.extensionDevelopmentPaths.push(path.resolve(value));
    else if (name === '--extensionTestsPath' && value) out.extensionTestsPath = path.resolve(value);
    else if (!arg.startsWith('-') && !out.folder) out.folder = path.resolve(arg);
    else out.ignored.push(value !== undefined && !arg.includes('=') ? `${arg} ${value}` : arg);
  }
  return out;
}

function resolveTestsModule(p: string): string {
  // test-electron users often pass the module path without extension (e.g. out/test/suite/index).
  for (const candidate of [p, `${p}.js`, path.join(p, 'index.js')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return p;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.ignored.length) console.log(`[offline-vscode] ignoring desktop-only arguments: ${args.ignored.join(' ')}`);
  if (!args.extensionTestsPath) {
    console.error('[offline-vscode] only test runs are supported: pass --extensionTestsPath=<module exporting run()>');
    return 2;
  }
  const extensionTestsPath = resolveTestsModule(args.extensionTestsPath);
  if (args.folder && !(fs.existsSync(args.folder) && fs.statSync(args.folder).isDirectory())) {
    console.error(`[offline-vscode] ${args.folder} is not a folder (workspace files and single files are not supported)`);
    return 2;
  }

  // (On SIGINT/SIGTERM the harness kills code-server itself; see installSignalHooks in code-server.ts.)
  let server: CodeServer | undefined;
  try {
    server = await startCodeServer({
      workspaceFolder: args.folder,
      extensionDevelopmentPath: args.extensionDevelopmentPaths,
      extensionTestsPath,
    });
    console.log(`[offline-vscode] code-server ${server.baseUrl}: running ${extensionTestsPath}`);
    const result = await runExtensionTests(server, {
      timeoutMs: Number(process.env.OFFLINE_VSCODE_TIMEOUT_MS ?? 600_000),
      onLog: (line) => console.log(line),
    });
    if (result.exitCode !== 0) {
      console.log('[offline-vscode] code-server log tail:');
      console.log(server.readLog().split('\n').slice(-40).join('\n'));
    }
    return result.exitCode;
  } finally {
    await server?.stop().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[offline-vscode] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
