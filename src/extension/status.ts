// The language status item: idle, running, last result. Its link runs the smoke test until there are results, then
// opens the report of the folder that last finished a run.
import * as vscode from 'vscode';
import { ClientCommands, type ServerState } from '../shared/protocol';

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  /** The folder of the latest finished run: once there is one, the item opens its report. */
  private resultsFolderUri: string | undefined;

  constructor() {
    this.item = vscode.languages.createLanguageStatusItem('robustnessLens.status', { pattern: '**/robustness.json' });
    this.item.name = 'Robustness Lens';
    this.item.text = 'Robustness: starting';
    this.item.command = { title: 'Run Smoke Test', command: ClientCommands.runSmoke };
  }

  update(state: ServerState): void {
    this.item.busy = state.state === 'running';
    if (state.state === 'finished') this.resultsFolderUri = state.summary.folderUri;
    this.item.command =
      this.resultsFolderUri === undefined
        ? { title: 'Run Smoke Test', command: ClientCommands.runSmoke }
        : { title: 'Open Report', command: ClientCommands.openReport, arguments: [this.resultsFolderUri] };
    this.item.severity = vscode.LanguageStatusSeverity.Information;
    switch (state.state) {
      case 'idle':
        this.item.text = 'Robustness: idle';
        break;
      case 'running':
        this.item.text = `Robustness: ${state.kind} run${state.percent ? ` ${state.percent}%` : ''}`;
        break;
      case 'restricted':
        this.item.text = 'Robustness: restricted mode';
        this.item.detail = state.message;
        this.item.severity = vscode.LanguageStatusSeverity.Warning;
        this.item.command = { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' };
        break;
      case 'finished': {
        const s = state.summary;
        const failedChecks = s.shiftChecksFailed ?? 0;
        this.item.text =
          s.regressions > 0
            ? `Robustness: ${s.regressions} regression${s.regressions === 1 ? '' : 's'}`
            : failedChecks > 0
              ? `Robustness: ${failedChecks} shift budget${failedChecks === 1 ? '' : 's'} failed`
              : s.cleanAccuracy !== null
                ? `Robustness: clean ${(s.cleanAccuracy * 100).toFixed(1)}%`
                : `Robustness: shift checks pass`;
        const shift = s.shiftDatasets === undefined ? '' : `, ${s.shiftDatasets} shift data set(s)`;
        this.item.detail = `${s.kind} run, ${s.samples} samples, ${s.conditions} corrupted conditions${shift}, ${(s.durationMs / 1000).toFixed(1)} s`;
        if (s.regressions > 0 || failedChecks > 0) this.item.severity = vscode.LanguageStatusSeverity.Warning;
        break;
      }
      case 'failed':
        this.item.text = 'Robustness: failed';
        this.item.detail = state.message;
        this.item.severity = vscode.LanguageStatusSeverity.Error;
        break;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
