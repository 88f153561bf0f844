// The evaluation server: a language server that watches robustness.json, the model and the data,
// runs smoke tests on change, and answers the custom run/baseline requests of src/shared/protocol.ts.
// Runs over IPC (the extension), or standalone for other editors: node dist/server.js --stdio
import { fileURLToPath } from 'node:url';
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  CodeActionKind,
  type CodeAction,
  type Connection,
  type InitializeParams,
  type WorkspaceFolder,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  AcceptBaselineRequest,
  ClientCommands,
  DEFAULT_SERVER_SETTINGS,
  ReportRequest,
  RunFullRequest,
  RunFinalRequest,
  RunProgressNotification,
  RunSmokeRequest,
  ServerStateNotification,
  type RunParams,
  type RunResponse,
  type ServerSettings,
} from '../shared/protocol';
import { CONFIG_FILE_NAME } from './engine/config/config';
import { TOOL_NAME, TOOL_VERSION } from './engine/version';
import { FolderSession } from './workspace/folder-session';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { CorruptionPool } from './engine/run/corruption-pool';
import { CorruptedImageCache } from './engine/run/corrupted-image-cache';
import type { CancellationToken } from 'vscode-languageserver';

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const sessions = new Map<string, FolderSession>();
  let settings: ServerSettings = DEFAULT_SERVER_SETTINGS;
  let dynamicWatchers = false;
  // One pool of corruption workers for the whole server, made on first use and kept warm across runs:
  // repeated smoke tests then skip the workers' start-up and JIT warm-up.
  let pool: CorruptionPool | undefined;
  const sharedPool = () => {
    if (!pool?.usable) pool = CorruptionPool.create();
    return pool;
  };

  // Corrupted images kept across runs for all folders (keys name the data, see corrupted-image-cache.ts): a smoke
  // test after a model change only runs inference.
  const imageCache = new CorruptedImageCache();

  const log = (message: string) => connection.console.log(`[${new Date().toISOString()}] ${message}`);

  const addFolder = (folder: WorkspaceFolder) => {
    if (sessions.has(folder.uri)) return;
    const session = new FolderSession(fileURLToPath(folder.uri), folder.uri, {
      publish: (uri, diagnostics) => void connection.sendDiagnostics({ uri, diagnostics }),
      log,
      state: (state) => void connection.sendNotification(ServerStateNotification.type, state),
      settings: () => settings,
      openText: (uri) => documents.get(uri)?.getText(),
      pool: sharedPool,
      imageCache: () => imageCache,
    });
    sessions.set(folder.uri, session);
    void session.refreshConfig().then(() => {
      if (session.config && settings.runOnSave) session.scheduleSmoke();
    });
  };

  const removeFolder = (uri: string) => {
    sessions.get(uri)?.dispose();
    sessions.delete(uri);
  };

  const sessionFor = (folderUri: string | undefined): FolderSession | undefined => {
    if (folderUri) return sessions.get(folderUri);
    return [...sessions.values()].find((s) => s.config) ?? sessions.values().next().value;
  };

  const sessionOfConfig = (uri: string) => [...sessions.values()].find((s) => s.configUri === uri);

  connection.onInitialize((params: InitializeParams) => {
    const options = (params.initializationOptions ?? {}) as Partial<ServerSettings>;
    settings = { ...DEFAULT_SERVER_SETTINGS, ...options };
    dynamicWatchers = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    const folders = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : []);
    for (const folder of folders) addFolder(folder);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: TOOL_NAME, version: TOOL_VERSION },
    };
  });

  connection.onInitialized(() => {
    if (dynamicWatchers) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: `**/${CONFIG_FILE_NAME}` }, { globPattern: '**/*.{onnx,npy,png,jpg,jpeg,JPEG,txt,csv,parquet}' }],
      });
    }
    connection.workspace.onDidChangeWorkspaceFolders((event) => {
      event.removed.forEach((f) => removeFolder(f.uri));
      event.added.forEach(addFolder);
    });
    log(`${TOOL_NAME} ${TOOL_VERSION} server ready (${sessions.size} folder(s))`);
  });

  connection.onDidChangeConfiguration((change) => {
    const section = (change.settings as { robustnessLens?: Partial<ServerSettings> } | undefined)?.robustnessLens;
    if (section) settings = { ...settings, ...section };
  });

  documents.onDidChangeContent((event) => {
    const session = sessionOfConfig(event.document.uri);
    if (session) void session.refreshConfig();
  });
  documents.onDidClose((event) => {
    const session = sessionOfConfig(event.document.uri);
    if (session) void session.refreshConfig();
  });
  documents.onDidSave((event) => {
    const session = sessionOfConfig(event.document.uri);
    if (session && settings.runOnSave) session.scheduleSmoke();
  });

  connection.onDidChangeWatchedFiles((params) => {
    for (const change of params.changes) {
      let file: string;
      try {
        file = fileURLToPath(change.uri);
      } catch {
        continue;
      }
      for (const session of sessions.values()) {
        if (!session.watches(file)) continue;
        if (file === session.configFile) void session.refreshConfig();
        // Changed data: drop kept corrupted images (an image rewritten in place keeps its folder's time).
        else if (file !== session.config?.model) imageCache.clear();
        if (settings.runOnSave) session.scheduleSmoke();
      }
    }
  });

  const runRequest = (kind: 'smoke' | 'full' | 'final') => async (params: RunParams, token: CancellationToken): Promise<RunResponse> => {
    const session = sessionFor(params?.folderUri);
    if (!session) return { status: 'failed', message: `no workspace folder with a ${CONFIG_FILE_NAME} is open` };
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    let lastPercent = -1;
    return session.run(kind, {
      signal: controller.signal,
      onProgress: (progress) => {
        const percent = Math.floor((100 * progress.done) / Math.max(1, progress.total));
        if (params?.runId && percent !== lastPercent) {
          lastPercent = percent;
          void connection.sendNotification(RunProgressNotification.type, { runId: params.runId, ...progress });
        }
      },
    });
  };
  connection.onRequest(RunSmokeRequest.type, runRequest('smoke'));
  connection.onRequest(RunFullRequest.type, runRequest('full'));
  connection.onRequest(RunFinalRequest.type, runRequest('final'));

  connection.onRequest(AcceptBaselineRequest.type, async (params) => {
    const session = sessionFor(params?.folderUri);
    const written = await session?.acceptBaseline();
    if (!written) return { status: 'no-results', message: 'There are no results to accept yet: run the smoke test or the full suite first.' };
    log(`wrote baseline ${written.file} from the latest ${written.kind} results`);
    return { status: 'written', file: written.file, kind: written.kind };
  });

  // Quick fixes on our diagnostics in robustness.json: accept the results as the new baseline, open the report,
  // run the full suite.
  connection.onCodeAction((params) => {
    const session = sessionOfConfig(params.textDocument.uri);
    if (!session) return [];
    const ours = params.context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    const regressions = ours.filter((d) => d.code === 'accuracy-regression' || d.code === 'baseline-not-comparable');
    if (regressions.length === 0) return [];
    const folder = [session.folderUri];
    const accept: CodeAction = {
      title: 'Accept the latest results as the new baseline',
      kind: CodeActionKind.QuickFix,
      diagnostics: regressions,
      isPreferred: regressions.every((d) => d.code === 'baseline-not-comparable'),
      command: { title: 'Accept Results as Baseline', command: ClientCommands.acceptBaseline, arguments: folder },
    };
    const full: CodeAction = {
      title: 'Run the full suite',
      kind: CodeActionKind.QuickFix,
      diagnostics: regressions,
      command: { title: 'Run Full Suite', command: ClientCommands.runFull, arguments: folder },
    };
    const report: CodeAction = {
      title: 'Open the report',
      kind: CodeActionKind.QuickFix,
      diagnostics: regressions,
      command: { title: 'Open Report', command: ClientCommands.openReport, arguments: folder },
    };
    return [accept, report, full];
  });

  connection.onRequest(ReportRequest.type, async (params) => {
    const session = sessionFor(params?.folderUri);
    return (await session?.report()) ?? null;
  });

  connection.onShutdown(async () => {
    for (const session of sessions.values()) session.dispose();
    await pool?.close();
  });

  documents.listen(connection);
  connection.listen();
}

process.on('uncaughtException', (error) => {
  // Never die on a bug in one run: log it and keep serving.
  process.stderr.write(`${TOOL_NAME} server: uncaught exception: ${error.stack ?? error}\n`);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`${TOOL_NAME} server: unhandled rejection: ${(reason as Error)?.stack ?? reason}\n`);
});

if (require.main === module) {
  startServer(createConnection(ProposedFeatures.all));
}
