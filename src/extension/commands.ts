// Palette commands, made by factories over the shared state so that they behave while the server is down.
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import { AcceptBaselineRequest, RunFinalRequest, RunFullRequest, RunSmokeRequest, type RunResponse } from '../shared/protocol';
import type { ExtensionContextState } from './context';
import { ReportPanel } from './report/report-panel';

type Command = (...args: unknown[]) => unknown;

/** The workspace folder to act on: the one a quick fix names, the active editor's, else the first with a robustness.json. */
async function targetFolder(folderUri?: unknown): Promise<vscode.WorkspaceFolder | undefined> {
  if (typeof folderUri === 'string') {
    const named = vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(folderUri));
    if (named) return named;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const activeFolder = active && vscode.workspace.getWorkspaceFolder(active);
  if (activeFolder) return activeFolder;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    try {
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, 'robustness.json'));
      return folder;
    } catch {
      // no config in this folder
    }
  }
  return vscode.workspace.workspaceFolders?.[0];
}

function requireClient(state: ExtensionContextState) {
  if (!state.client) {
    void vscode.window.showErrorMessage('The Robustness Lens server is not running. Run "Robustness: Restart Server", and see "Robustness: Show Log".');
  }
  return state.client;
}

function reportRun(kind: string, response: RunResponse): void {
  if (response.status === 'completed') {
    const s = response.summary;
    const mean = s.meanCorruptionAccuracy === null ? '' : `, mean corruption accuracy ${(s.meanCorruptionAccuracy * 100).toFixed(1)}%`;
    const regressions = s.regressions > 0 ? `, ${s.regressions} regression(s) against the baseline` : '';
    const clean = s.cleanAccuracy === null ? '' : `: clean accuracy ${(s.cleanAccuracy * 100).toFixed(1)}%`;
    const shift = s.shiftDatasets === undefined ? '' : `, shift check on ${s.shiftDatasets} data set(s)${s.shiftChecksFailed ? ` with ${s.shiftChecksFailed} failed budget(s)` : ''}`;
    void vscode.window.showInformationMessage(`Robustness ${kind} run finished${clean}${mean}${regressions}${shift}.`);
  } else if (response.status === 'cancelled') {
    void vscode.window.showInformationMessage(`Robustness ${kind} run cancelled.`);
  } else {
    void vscode.window.showErrorMessage(`Robustness ${kind} run failed: ${response.message}`);
  }
}

const FINAL_CONFIRM = 'Evaluate the Frozen Test Set';

function runSuite(state: ExtensionContextState, kind: 'smoke' | 'full' | 'final'): Command {
  return async (folderUri?: unknown) => {
    const client = requireClient(state);
    if (!client) return;
    const folder = await targetFolder(folderUri);
    if (kind === 'final') {
      const answer = await vscode.window.showWarningMessage(
        'Final evaluation on the frozen test set?',
        {
          modal: true,
          detail:
            'This evaluates the data sets whose role is "target-test" and records it in .robustness/frozen-test-log.jsonl. Every look at the test set is a chance to tune on it: use target-dev while developing, and run this once for the final figures.',
        },
        FINAL_CONFIRM,
      );
      if (answer !== FINAL_CONFIRM) return { status: 'cancelled' } as RunResponse;
    }
    const runId = randomUUID();
    const title = kind === 'full' ? 'Robustness: full suite' : kind === 'final' ? 'Robustness: final evaluation on the frozen test set' : 'Robustness: smoke test';
    const response = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      let reported = 0;
      state.progressListeners.set(runId, (p) => {
        const percent = (100 * p.done) / Math.max(1, p.total);
        progress.report({ increment: percent - reported, message: `${Math.floor(percent)}% (${p.message})` });
        reported = percent;
      });
      try {
        const type = kind === 'full' ? RunFullRequest.type : kind === 'final' ? RunFinalRequest.type : RunSmokeRequest.type;
        return await client.sendRequest(type, { folderUri: folder?.uri.toString(), runId }, token);
      } finally {
        state.progressListeners.delete(runId);
      }
    });
    reportRun(kind, response);
    return response;
  };
}

function acceptBaseline(state: ExtensionContextState): Command {
  return async (folderUri?: unknown) => {
    const client = requireClient(state);
    if (!client) return;
    const folder = await targetFolder(folderUri);
    const response = await client.sendRequest(AcceptBaselineRequest.type, { folderUri: folder?.uri.toString() });
    if (response.status === 'written') {
      void vscode.window.showInformationMessage(`Robustness baseline written to ${vscode.workspace.asRelativePath(response.file)} (from the latest ${response.kind} results).`);
    } else {
      void vscode.window.showWarningMessage(response.message);
    }
    return response;
  };
}

/** Shows the report of the folder's latest results (or why there are none) in the singleton report panel. */
function openReport(state: ExtensionContextState): Command {
  return async (folderUri?: unknown) => {
    const folder = await targetFolder(folderUri);
    await ReportPanel.createOrShow(state, folder?.uri.toString());
  };
}

function restartServer(state: ExtensionContextState): Command {
  return async () => {
    await state.stop();
    await state.start();
    state.output.info('server restarted');
  };
}

export function registerCommands(state: ExtensionContextState): vscode.Disposable[] {
  const commands: Record<string, Command> = {
    'robustnessLens.runSmoke': runSuite(state, 'smoke'),
    'robustnessLens.runFull': runSuite(state, 'full'),
    'robustnessLens.finalEvaluation': runSuite(state, 'final'),
    'robustnessLens.acceptBaseline': acceptBaseline(state),
    'robustnessLens.openReport': openReport(state),
    'robustnessLens.showLog': () => state.output.show(true),
    'robustnessLens.restartServer': restartServer(state),
  };
  return Object.entries(commands).map(([id, fn]) => vscode.commands.registerCommand(id, fn));
}
