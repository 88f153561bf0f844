// The extension's state shared by the commands: the client (which may be down), the log, the status item.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RunProgressNotification, ServerStateNotification, type RunProgressParams } from '../shared/protocol';
import { createClient } from './client';
import { StatusItem } from './status';

export class ExtensionContextState implements vscode.Disposable {
  client: LanguageClient | undefined;
  readonly output: vscode.LogOutputChannel;
  readonly status: StatusItem;
  /** Progress listeners of the runs this window started, by run id. */
  readonly progressListeners = new Map<string, (progress: RunProgressParams) => void>();
  private clientDisposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Robustness Lens', { log: true });
    this.status = new StatusItem();
  }

  async start(): Promise<void> {
    if (this.client) return;
    const client = createClient(this.extension, this.output);
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      this.status.update({ state: 'failed', folderUri: '', message: `the server did not start: ${(error as Error).message}` });
      this.output.error(`Robustness Lens server did not start: ${(error as Error).stack ?? error}`);
      throw error;
    }
    this.clientDisposables.push(
      client.onNotification(ServerStateNotification.type, (state) => this.status.update(state)),
      client.onNotification(RunProgressNotification.type, (progress) => this.progressListeners.get(progress.runId)?.(progress)),
    );
    this.status.update({ state: 'idle' });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientDisposables.forEach((d) => d.dispose());
    this.clientDisposables = [];
    if (client) await client.stop().catch((error) => this.output.warn(`stopping the server: ${error}`));
  }

  dispose(): void {
    void this.stop();
    this.status.dispose();
    this.output.dispose();
  }
}
