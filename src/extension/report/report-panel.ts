// The report panel (host side): one webview panel at a time, showing the latest results of one workspace folder.
// Made by "Robustness: Open Report" (createOrShow) or after a window reload by the serializer (revive). It asks
// the server for the report model (ReportRequest), posts it to the report app (media/report/), and asks again
// when a run of its folder finishes. As in vscode-extension-samples' webview-sample: a singleton, scripts only
// from dist/media through asWebviewUri, a strict CSP with a nonce, and messages validated on arrival.
import * as vscode from 'vscode';
import { ClientCommands, ReportRequest } from '../../shared/protocol';
import type { HostToWebviewMessage, ReportModel, WebviewToHostMessage } from '../../shared/report-model';
import type { ExtensionContextState } from '../context';
import { createNonce, reportHtml } from './report-html';
import { describeMessage, parseWebviewMessage } from './report-messages';

export const REPORT_VIEW_TYPE = 'robustnessLens.report';
const TITLE = 'Robustness Report';
/** workspaceState key: the folder the panel shows, for the serializer after a window reload. */
const FOLDER_KEY = 'robustnessLens.report.folderUri';

export const NO_RESULTS_REASON = 'No results yet: run the smoke test or the full suite to see the report of this folder here.';

/** dist/media: the only folder the webview may load from. */
function mediaRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'media');
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [mediaRoot(extensionUri)] };
}

/** Canonical form of a folder URI string, so that the client's and the server's spellings compare equal. */
function sameFolder(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return vscode.Uri.parse(a).toString() === vscode.Uri.parse(b).toString();
  } catch {
    return a === b;
  }
}

/** The report model the webview saved (the app calls setState(model)), as far as its shape tells. */
function savedModel(state: unknown): ReportModel | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const { version, header } = state as { version?: unknown; header?: unknown };
  if (typeof version !== 'number' || typeof header !== 'object' || header === null) return undefined;
  if (typeof (header as { title?: unknown }).title !== 'string') return undefined;
  return state as ReportModel;
}

export class ReportPanel implements vscode.Disposable {
  private static current: ReportPanel | undefined;

  /** The message the webview should show now (posted on every 'ready', since a hidden webview loses its page). */
  private latest: HostToWebviewMessage | undefined;
  /** True between the page's 'ready' and the page going away (hidden with retainContextWhenHidden false). */
  private webviewReady = false;
  /** Increases with each request, so that a slow answer never replaces a newer one. */
  private requestSeq = 0;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows the panel (creating it, or revealing the open one) with the latest results of the folder. */
  static async createOrShow(state: ExtensionContextState, folderUri: string | undefined): Promise<ReportPanel> {
    const open = ReportPanel.current;
    if (open) {
      open.panel.reveal(); // in the group it is in
      open.setFolder(folderUri);
      await open.refresh();
      return open;
    }
    // Beside the editor (usually robustness.json) when there is one, so that both stay in view.
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, TITLE, column, {
      ...webviewOptions(state.extension.extensionUri),
      // The app is cheap to re-render from the model; keeping a hidden webview alive costs memory.
      retainContextWhenHidden: false,
      enableFindWidget: true,
    });
    const created = new ReportPanel(panel, state, folderUri);
    await created.refresh();
    return created;
  }

  /** Restores the panel after a window reload: shows what the webview saved at once, then asks the server. */
  static async revive(panel: vscode.WebviewPanel, state: ExtensionContextState, saved: unknown): Promise<void> {
    ReportPanel.current?.dispose();
    const folderUri = state.extension.workspaceState.get<string>(FOLDER_KEY);
    const known = folderUri !== undefined && vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(folderUri)) !== undefined;
    const revived = new ReportPanel(panel, state, known ? folderUri : undefined);
    const model = savedModel(saved);
    if (model) revived.show({ type: 'report', model });
    // The server starts with no results in memory until it makes some: keep the saved model until then.
    await revived.refresh({ keepShownModel: model !== undefined });
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly state: ExtensionContextState,
    private folderUri: string | undefined,
  ) {
    ReportPanel.current = this;
    const webview = panel.webview;
    webview.options = webviewOptions(state.extension.extensionUri);
    void state.extension.workspaceState.update(FOLDER_KEY, folderUri);
    this.updateTitle();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden a hidden webview's page is gone; it says 'ready' again when shown.
        if (!panel.visible) this.webviewReady = false;
      }),
      state.onDidFinishRun((summary) => {
        if (this.folderUri === undefined || sameFolder(summary.folderUri, this.folderUri)) void this.refresh();
      }),
      // A server that just started has no results in memory yet: keep showing the model until it has some.
      state.onDidStartClient(() => void this.refresh({ keepShownModel: true })),
    );
    this.render();
  }

  private render(): void {
    const webview = this.panel.webview;
    const media = mediaRoot(this.state.extension.extensionUri);
    this.webviewReady = false;
    webview.html = reportHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css')).toString(),
      nonce: createNonce(),
    });
  }

  private setFolder(folderUri: string | undefined): void {
    if (sameFolder(folderUri, this.folderUri)) return;
    this.folderUri = folderUri;
    this.latest = undefined;
    void this.state.extension.workspaceState.update(FOLDER_KEY, folderUri);
    this.updateTitle();
  }

  /** Asks the server for the folder's latest report model and shows it (or why there is none). */
  async refresh(options: { keepShownModel?: boolean } = {}): Promise<void> {
    const seq = ++this.requestSeq;
    const client = await this.state.readyClient();
    if (this.disposed || seq !== this.requestSeq) return;
    if (!client) {
      this.show({ type: 'empty', reason: 'The Robustness Lens server is not running: run "Robustness: Restart Server", and see "Robustness: Show Log".' });
      return;
    }
    let model: ReportModel | null;
    try {
      model = await client.sendRequest(ReportRequest.type, { folderUri: this.folderUri });
    } catch (error) {
      if (this.disposed || seq !== this.requestSeq) return;
      this.state.output.error(`report: the server did not answer ${ReportRequest.method}: ${(error as Error)?.message ?? error}`);
      if (options.keepShownModel && this.latest?.type === 'report') return;
      this.show({ type: 'empty', reason: `The report could not be loaded (${(error as Error)?.message ?? error}). See "Robustness: Show Log".` });
      return;
    }
    if (this.disposed || seq !== this.requestSeq) return;
    if (model) {
      this.show({ type: 'report', model });
    } else if (!(options.keepShownModel && this.latest?.type === 'report')) {
      this.show({ type: 'empty', reason: NO_RESULTS_REASON });
    }
  }

  private show(message: HostToWebviewMessage): void {
    this.latest = message;
    this.post();
  }

  /** "Robustness Report", with the folder's name when several folders are open. */
  private updateTitle(): void {
    const folder = this.folderUri === undefined ? undefined : vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(this.folderUri));
    const several = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    this.panel.title = several && folder ? `${TITLE}: ${folder.name}` : TITLE;
  }

  private post(): void {
    if (!this.webviewReady || !this.latest || this.disposed) return;
    void this.panel.webview.postMessage(this.latest).then(
      (delivered) => delivered || this.state.output.debug('report: a message to a hidden webview was dropped; it is sent again when the page is back'),
      (error) => this.state.output.warn(`report: posting to the webview failed: ${error}`),
    );
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.state.output.warn(`report: ignored an unknown message from the webview: ${describeMessage(raw)}`);
      return;
    }
    void this.handle(message);
  }

  private async handle(message: WebviewToHostMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.webviewReady = true;
        this.post();
        return;
      case 'runFull':
        // The server's 'finished' state then refreshes the panel.
        await vscode.commands.executeCommand(ClientCommands.runFull, this.folderUri);
        return;
      case 'acceptBaseline':
        // Accepting also ends in a 'finished' state (the results now compare with themselves): that refreshes.
        await vscode.commands.executeCommand(ClientCommands.acceptBaseline, this.folderUri);
        return;
      default: {
        const never: never = message;
        this.state.output.warn(`report: unhandled message ${describeMessage(never)}`);
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ReportPanel.current === this) ReportPanel.current = undefined;
    this.panel.dispose();
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
  }
}

/** Restores the report panel after a window reload (needs the activation event onWebviewPanel:robustnessLens.report). */
export function registerReportSerializer(state: ExtensionContextState): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: unknown) {
      await ReportPanel.revive(panel, state, saved);
    },
  });
}
