// The custom messages between the extension (client) and the evaluation server. Both sides import
// this file; one namespace per message.
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { ReportModel } from './report-model';

/** smoke: on save; full: on demand; final: the frozen test set's final evaluation. */
export type RunKindName = 'smoke' | 'full' | 'final';

/** A short account of one finished run, for status items and messages. */
export interface RunSummary {
  readonly folderUri: string;
  readonly kind: RunKindName;
  /** Null for a run without the corruption suite (a config with only a shift check). */
  readonly cleanAccuracy: number | null;
  readonly meanCorruptionAccuracy: number | null;
  readonly conditions: number;
  readonly samples: number;
  readonly regressions: number;
  /** False when there was a baseline that does not compare; undefined when there is no baseline. */
  readonly baselineComparable?: boolean;
  readonly durationMs: number;
  /** With a shift check: how many of its budgets failed, and how many data sets it evaluated. */
  readonly shiftChecksFailed?: number;
  readonly shiftDatasets?: number;
}

export interface RunParams {
  /** The workspace folder to run in; the first folder with a robustness.json when absent. */
  readonly folderUri?: string;
  /** A client-chosen id that progress notifications carry. */
  readonly runId?: string;
}

export type RunResponse =
  | { readonly status: 'completed'; readonly summary: RunSummary }
  | { readonly status: 'cancelled' }
  | { readonly status: 'failed'; readonly message: string };

export namespace RunSmokeRequest {
  export const method = 'robustness/runSmoke';
  export const type = new RequestType<RunParams, RunResponse, void>(method);
}

export namespace RunFullRequest {
  export const method = 'robustness/runFull';
  export const type = new RequestType<RunParams, RunResponse, void>(method);
}

/** The final evaluation on the frozen target-test sets (the client confirms with the user first). */
export namespace RunFinalRequest {
  export const method = 'robustness/runFinal';
  export const type = new RequestType<RunParams, RunResponse, void>(method);
}

export interface AcceptBaselineParams {
  readonly folderUri?: string;
}

export type AcceptBaselineResponse =
  | { readonly status: 'written'; readonly file: string; readonly kind: RunKindName }
  | { readonly status: 'no-results'; readonly message: string };

export namespace AcceptBaselineRequest {
  export const method = 'robustness/acceptBaseline';
  export const type = new RequestType<AcceptBaselineParams, AcceptBaselineResponse, void>(method);
}

export interface ReportParams {
  readonly folderUri?: string;
}

/** The report model of the latest results of a folder (undefined when nothing ran yet). */
export namespace ReportRequest {
  export const method = 'robustness/report';
  export const type = new RequestType<ReportParams, ReportModel | null, void>(method);
}

export interface RunProgressParams {
  readonly runId: string;
  readonly done: number;
  readonly total: number;
  readonly message: string;
}

export namespace RunProgressNotification {
  export const method = 'robustness/runProgress';
  export const type = new NotificationType<RunProgressParams>(method);
}

export type ServerState =
  | { readonly state: 'idle' }
  | { readonly state: 'running'; readonly kind: RunKindName; readonly folderUri: string; readonly percent?: number }
  | { readonly state: 'restricted'; readonly message: string }
  | { readonly state: 'finished'; readonly summary: RunSummary }
  | { readonly state: 'failed'; readonly folderUri: string; readonly message: string };

export namespace ServerStateNotification {
  export const method = 'robustness/state';
  export const type = new NotificationType<ServerState>(method);
}

/** Settings the client passes in initializationOptions and workspace/didChangeConfiguration. */
export interface ServerSettings {
  readonly runOnSave: boolean;
  readonly debounceMs: number;
  readonly threads: number;
  /** A smoke test running longer than this is stopped (it is meant to be quick). */
  readonly smokeTimeLimitMs: number;
  /** False in an untrusted workspace: configs are checked, but no model is loaded and nothing runs. */
  readonly trusted: boolean;
}

export const DEFAULT_SERVER_SETTINGS: ServerSettings = { runOnSave: true, debounceMs: 300, threads: 1, smokeTimeLimitMs: 30_000, trusted: true };

/** The client commands that quick fixes and other server-made commands invoke. */
export const ClientCommands = {
  acceptBaseline: 'robustnessLens.acceptBaseline',
  runFull: 'robustnessLens.runFull',
  finalEvaluation: 'robustnessLens.finalEvaluation',
  runSmoke: 'robustnessLens.runSmoke',
  openReport: 'robustnessLens.openReport',
} as const;
