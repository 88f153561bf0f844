// The extension's state shared by the commands: the client (which may be down), the log, the status item, and the
// events the report panel follows (the client started, a run finished).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RunProgressNotification, ServerStateNotification, type RunProgressParams, type RunSummary } from '../shared/protocol';
import { createClient } from './client';
import { StatusItem } from './status';

export class ExtensionContextState implements vscode.Disposable {
  client: LanguageClient | undefined;
  readonly output: vscode.LogOutputChannel;
  readonly status: StatusItem;
  /** Progress listeners of the runs this window started, by run id. */
  readonly progressListeners = new Map<string, (progress: RunProgressParams) => void>();
  private clientDisposables: vscode.Disposable[] = [];
  private readonly didStartClient = new vscode.EventEmitter<LanguageClient>();
  private readonly didFinishRun = new vscode.EventEmitter<RunSummary>();
  /** Fires when the server has started (at activation and after a restart). */
  readonly onDidStartClient = this.didStartClient.event;
  /** Fires when a run finished, or the baseline changed the latest results (the server's 'finished' state). */
  readonly onDidFinishRun = this.didFinishRun.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Robustness Lens', { log: true });
    this.status = new StatusItem();
  }

  /** The client, waiting a little while when it is down (e.g. during a restart); undefined when it stays down. */
  async readyClient(waitMs = 10_000): Promise<LanguageClient | undefined> {
    if (this.client) return this.client;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        subscription.dispose();
        resolve(this.client);
      }, waitMs);
      const subscription = this.onDidStartClient((client) => {
        clearTimeout(timer);
        subscription.dispose();
        resolve(client);
      });
    });
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
      client.onNotification(ServerStateNotification.type, (state) => {
        this.status.update(state);
        if (state.state === 'finished') this.didFinishRun.fire(state.summary);
      }),
      client.onNotification(RunProgressNotification.type, (progress) => this.progressListeners.get(progress.runId)?.(progress)),
    );
    this.status.update({ state: 'idle' });
    this.didStartClient.fire(client);
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
    this.didStartClient.dispose();
    this.didFinishRun.dispose();
    this.status.dispose();
    this.output.dispose();
  }
}
