// Starts the evaluation server over IPC and keeps the LanguageClient.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { ServerSettings } from '../shared/protocol';

export function readSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration('robustnessLens');
  return {
    runOnSave: config.get<boolean>('runOnSave', true),
    debounceMs: config.get<number>('debounceMs', 300),
    threads: config.get<number>('threads', 1),
    smokeTimeLimitMs: config.get<number>('smokeTimeLimitMs', 30_000),
    trusted: vscode.workspace.isTrusted,
  };
}

export function createClient(context: vscode.ExtensionContext, outputChannel: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', pattern: '**/robustness.json' }],
    initializationOptions: readSettings(),
    outputChannel,
    traceOutputChannel: outputChannel,
    synchronize: { configurationSection: 'robustnessLens' },
  };
  return new LanguageClient('robustnessLens', 'Robustness Lens', serverOptions, clientOptions);
}
