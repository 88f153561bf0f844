// Test helper: starts the built server (dist/server.js --stdio) and talks to it over a real LSP
// connection (the client side of vscode-languageserver-protocol).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  ExitNotification,
  RegistrationRequest,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { ServerStateNotification, RunProgressNotification, type ServerState, type RunProgressParams } from '../../src/shared/protocol';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SERVER_JS = path.join(REPO_ROOT, 'dist', 'server.js');

export interface TestServer {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcessWithoutNullStreams;
  /** Latest diagnostics per URI. */
  readonly diagnostics: Map<string, Diagnostic[]>;
  readonly states: ServerState[];
  readonly progress: RunProgressParams[];
  readonly stderr: string[];
  /** Resolves when `predicate` holds for the diagnostics, checked on every publish. */
  waitForDiagnostics(predicate: (all: Map<string, Diagnostic[]>) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  waitForState(predicate: (state: ServerState) => boolean, timeoutMs?: number): Promise<ServerState>;
  stop(): Promise<void>;
}

/** Starts the server on one workspace folder, or several. */
export async function startServer(folders: string | readonly string[], settings: Record<string, unknown> = {}): Promise<TestServer> {
  const folderList = typeof folders === 'string' ? [folders] : folders;
  const child = spawn(process.execPath, [SERVER_JS, '--stdio'], { stdio: 'pipe' });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const diagnostics = new Map<string, Diagnostic[]>();
  const states: ServerState[] = [];
  const progress: RunProgressParams[] = [];
  const stderr: string[] = [];
  const diagnosticWaiters = new Set<() => void>();
  const stateWaiters = new Set<(state: ServerState) => void>();
  child.stderr.on('data', (chunk) => stderr.push(String(chunk)));
  connection.onNotification(PublishDiagnosticsNotification.type, (params: PublishDiagnosticsParams) => {
    diagnostics.set(params.uri, params.diagnostics);
    for (const waiter of [...diagnosticWaiters]) waiter();
  });
  connection.onNotification(ServerStateNotification.type, (state) => {
    states.push(state);
    for (const waiter of [...stateWaiters]) waiter(state);
  });
  connection.onNotification(RunProgressNotification.type, (p) => {
    progress.push(p);
  });
  connection.onRequest(RegistrationRequest.type, () => undefined);
  connection.onNotification('window/logMessage', () => undefined);
  connection.listen();
  const workspaceFolders = folderList.map((folder) => ({ uri: pathToFileURL(folder).toString(), name: path.basename(folder) }));
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: workspaceFolders[0].uri,
    workspaceFolders,
    capabilities: { workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } },
    initializationOptions: { debounceMs: 50, ...settings },
  });
  await connection.sendNotification(InitializedNotification.type, {});

  return {
    connection,
    process: child,
    diagnostics,
    states,
    progress,
    stderr,
    waitForDiagnostics(predicate, timeoutMs = 30_000, what = 'diagnostics') {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(diagnostics)) {
            clearTimeout(timer);
            diagnosticWaiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          diagnosticWaiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; diagnostics now: ${JSON.stringify([...diagnostics], null, 1)}\nserver stderr: ${stderr.join('')}`));
        }, timeoutMs);
        diagnosticWaiters.add(check);
        check();
      });
    },
    waitForState(predicate, timeoutMs = 30_000) {
      return new Promise<ServerState>((resolve, reject) => {
        const check = (state: ServerState) => {
          if (predicate(state)) {
            clearTimeout(timer);
            stateWaiters.delete(check);
            resolve(state);
          }
        };
        const timer = setTimeout(() => {
          stateWaiters.delete(check);
          reject(new Error(`timed out waiting for a server state; states so far: ${JSON.stringify(states)}`));
        }, timeoutMs);
        stateWaiters.add(check);
      });
    },
    async stop() {
      try {
        await Promise.race([connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 3000))]);
        await connection.sendNotification(ExitNotification.type);
      } catch {
        // already gone
      }
      connection.dispose();
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 3000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

export function uriOf(file: string): string {
  return pathToFileURL(file).toString();
}

/** The text of a diagnostic's message (LSP 3.18 allows markup). */
export function messageOf(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}
