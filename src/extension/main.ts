// Extension entry: starts the evaluation server and registers the commands and the report panel's serializer.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ExtensionContextState } from './context';
import { registerReportSerializer } from './report/report-panel';

let state: ExtensionContextState | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  state = new ExtensionContextState(context);
  // The serializer is registered before the server starts: VS Code revives the panel once activation is done.
  context.subscriptions.push(state, ...registerCommands(state), registerReportSerializer(state));
  if (!vscode.workspace.isTrusted) {
    // Restricted mode: the server checks robustness.json but loads no model. Trusting the workspace restarts it.
    void vscode.window.showInformationMessage(
      'Robustness Lens runs no models in an untrusted workspace (they are code). Trust the workspace to run robustness checks.',
      'Manage Workspace Trust',
    ).then((choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'));
    context.subscriptions.push(
      vscode.workspace.onDidGrantWorkspaceTrust(async () => {
        await state?.stop();
        await state?.start().catch(() => undefined);
      }),
    );
  }
  try {
    await state.start();
  } catch {
    void vscode.window.showErrorMessage('The Robustness Lens server did not start. See "Robustness: Show Log", then "Robustness: Restart Server".');
  }
}

export async function deactivate(): Promise<void> {
  await state?.stop();
  state = undefined;
}
