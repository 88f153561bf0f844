// Extension entry: starts the evaluation server and registers the commands.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ExtensionContextState } from './context';

let state: ExtensionContextState | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  state = new ExtensionContextState(context);
  context.subscriptions.push(state, ...registerCommands(state));
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
