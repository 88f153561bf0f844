// The state of one workspace folder: its robustness.json, the runs (one in flight at a time, a newer
// smoke request cancels a running smoke test), the latest results and the diagnostics they give.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Diagnostic } from 'vscode-languageserver';
import { CONFIG_FILE_NAME, isPregenerated, type Config, type DataSpec } from '../engine/config/config';
import type { ShiftDataSpec } from '../engine/config/shift-config';
import { appendFrozenTestEntry, countFrozenTestEntries, frozenTestEntry } from '../engine/shift/frozen-test-log';
import { parseConfig, rangeOfPath, type ParsedConfig } from '../engine/config/parse-config';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { isInputError } from '../engine/errors';
import { evaluateWithExamples } from '../engine/run/evaluate';
import type { Example } from '../engine/run/execute-plan';
import { buildReportModel } from '../engine/outputs/report-model';
import type { ReportModel } from '../../shared/report-model';
import type { CorruptionPool } from '../engine/run/corruption-pool';
import type { CorruptedImageCache } from '../engine/run/corrupted-image-cache';
import { RunCancelled, type Progress } from '../engine/run/execute-plan';
import { writeBaseline } from '../engine/baseline/baseline-file';
import { compareWithBaselineFile } from '../engine/baseline/compare';
import { hasSuite, type Results, type RunKind } from '../engine/results/results';
import {
  configProblemDiagnostics,
  fileUri,
  inputErrorDiagnostics,
  mergeDiagnostics,
  regressionDiagnostics,
  shiftCheckDiagnostics,
  frozenTestDiagnostics,
  type ConfigSource,
  type DiagnosticsByUri,
} from '../diagnostics';
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { RunResponse, RunSummary, ServerSettings, ServerState } from '../../shared/protocol';

export interface SessionHost {
  publish(uri: string, diagnostics: Diagnostic[]): void;
  log(message: string): void;
  state(state: ServerState): void;
  settings(): ServerSettings;
  /** The text of robustness.json when it is open in the editor (possibly unsaved). */
  openText(uri: string): string | undefined;
  /** The server's corruption workers, kept warm across runs (undefined: each run decides). */
  pool(): CorruptionPool | undefined;
  /** Corrupted images kept across runs (undefined: none kept). */
  imageCache?(): CorruptedImageCache | undefined;
}

interface ActiveRun {
  readonly kind: RunKind;
  readonly controller: AbortController;
}

export class FolderSession {
  readonly configFile: string;
  readonly configUri: string;
  private parsed: (ParsedConfig & { text: string }) | undefined;
  private configDiagnostics: DiagnosticsByUri = new Map();
  private runDiagnostics: DiagnosticsByUri = new Map();
  /** The frozen test set's overuse warning (from the log of final evaluations). */
  private frozenDiagnostics: DiagnosticsByUri = new Map();
  private published = new Set<string>();
  private latest: Results | undefined;
  private latestExamples: readonly Example[][] = [];
  private active: ActiveRun | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingSmoke: AbortController[] = [];
  private debounceTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    readonly folder: string,
    readonly folderUri: string,
    private readonly host: SessionHost,
  ) {
    this.configFile = path.join(folder, CONFIG_FILE_NAME);
    this.configUri = fileUri(this.configFile);
  }

  /** The parsed config when it has no errors. */
  get config(): Config | undefined {
    return this.parsed?.config;
  }

  get latestResults(): Results | undefined {
    return this.latest;
  }

  /** Re-reads robustness.json (the open editor's text when open) and publishes its problems. */
  async refreshConfig(): Promise<void> {
    let text = this.host.openText(this.configUri);
    if (text === undefined) {
      try {
        text = await fs.readFile(this.configFile, 'utf8');
      } catch {
        this.parsed = undefined;
        this.configDiagnostics = new Map();
        this.runDiagnostics = new Map();
        this.publishAll();
        return;
      }
    }
    this.parsed = { ...parseConfig(text, this.configFile), text };
    this.configDiagnostics = configProblemDiagnostics(this.source(), this.parsed.problems);
    await this.refreshFrozenDiagnostics();
    this.publishAll();
  }

  /** Counts the final evaluations in the frozen test log and warns past the allowed number. */
  private async refreshFrozenDiagnostics(): Promise<void> {
    const config = this.config;
    this.frozenDiagnostics = new Map();
    if (!config?.shift) return;
    try {
      this.frozenDiagnostics = frozenTestDiagnostics(config, this.source(), await countFrozenTestEntries(config.shift.frozenLog));
    } catch (error) {
      this.host.log(`cannot read the frozen test log ${config.shift.frozenLog}: ${(error as Error).message}`);
    }
  }

  /** True when a change of this file should re-run the smoke test. */
  watches(file: string): boolean {
    const resolved = path.resolve(file);
    if (resolved === this.configFile) return true;
    const config = this.config;
    if (!config) return false;
    if (resolved === config.model) return true;
    if (typeof config.labels === 'string' && resolved === path.resolve(config.dir, config.labels)) return true;
    const inside = (parent: string) => resolved === parent || resolved.startsWith(parent + path.sep);
    const watchedBy = (data: DataSpec | ShiftDataSpec): boolean => {
      if (data.format === 'npy') return resolved === path.resolve(config.dir, data.x) || resolved === path.resolve(config.dir, data.y);
      if (data.format === 'cifar10-c' || data.format === 'imagenet-c') return inside(path.resolve(config.dir, data.path)) || watchedBy(data.clean);
      if (data.format === 'imagefolder') return inside(path.resolve(config.dir, data.path));
      return resolved === path.resolve(config.dir, data.path); // a table
    };
    if (config.data && watchedBy(config.data)) return true;
    // Shift data sets the smoke test sees (never the frozen test set: changing it must not trigger a look).
    return (config.shift?.datasets ?? []).some(
      (d) => d.role !== 'target-test' && (watchedBy(d.data) || (d.groups !== undefined && 'file' in d.groups && resolved === path.resolve(config.dir, d.groups.file))),
    );
  }

  /** Schedules a smoke test after the debounce delay; a newer call restarts the delay. */
  scheduleSmoke(): void {
    if (this.disposed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.run('smoke');
    }, this.host.settings().debounceMs);
  }

  /**
   * Runs a suite. One run at a time per folder: a new run cancels a running or waiting smoke test and
   * waits for a running full suite.
   */
  run(kind: RunKind, options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {}): Promise<RunResponse> {
    for (const pending of this.pendingSmoke) pending.abort();
    this.pendingSmoke = [];
    if (this.active?.kind === 'smoke') this.active.controller.abort();
    const controller = new AbortController();
    if (kind === 'smoke') this.pendingSmoke.push(controller);
    options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const job = this.queue.then(() => this.execute(kind, controller, options.onProgress));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async execute(kind: RunKind, controller: AbortController, onProgress?: (p: Progress) => void): Promise<RunResponse> {
    this.pendingSmoke = this.pendingSmoke.filter((c) => c !== controller);
    if (controller.signal.aborted || this.disposed) return { status: 'cancelled' };
    const settings = this.host.settings();
    if (!settings.trusted) {
      const message = 'this workspace is not trusted, so Robustness Lens does not load its models; trust it (Workspaces: Manage Workspace Trust) to run checks';
      this.host.state({ state: 'restricted', message });
      return { status: 'failed', message };
    }
    await this.refreshConfig();
    const config = this.config;
    if (!config || !this.parsed) {
      const message = this.parsed ? `${CONFIG_FILE_NAME} has errors; see the Problems panel` : `no ${CONFIG_FILE_NAME} in ${this.folder}`;
      return { status: 'failed', message };
    }
    this.active = { kind, controller };
    this.host.state({ state: 'running', kind, folderUri: this.folderUri, percent: 0 });
    const started = Date.now();
    // A smoke test is meant to be quick: past the time limit it is stopped, with advice.
    let timedOut = false;
    const timer =
      kind === 'smoke'
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, settings.smokeTimeLimitMs)
        : undefined;
    let shownPercent = 0;
    const progress = (p: Progress) => {
      onProgress?.(p);
      const percent = Math.floor((10 * p.done) / Math.max(1, p.total)) * 10;
      if (percent !== shownPercent) {
        shownPercent = percent;
        this.host.state({ state: 'running', kind, folderUri: this.folderUri, percent });
      }
    };
    try {
      const evaluation = await evaluateWithExamples(config, kind, { signal: controller.signal, onProgress: progress, threads: settings.threads, pool: this.host.pool(), imageCache: this.host.imageCache?.() });
      const results = await compareWithBaselineFile(evaluation.results, config);
      this.latest = results;
      this.latestExamples = evaluation.examples;
      this.runDiagnostics = results.comparison ? regressionDiagnostics(config, this.source(), results.comparison) : new Map();
      if (results.shift) shiftCheckDiagnostics(config, this.source(), results.shift, this.runDiagnostics);
      if (kind === 'final' && config.shift) {
        await appendFrozenTestEntry(config.shift.frozenLog, frozenTestEntry(results));
        await this.refreshFrozenDiagnostics();
      }
      this.publishAll();
      const summary = summarise(this.folderUri, results);
      const clean = summary.cleanAccuracy === null ? '' : `clean ${(summary.cleanAccuracy * 100).toFixed(1)}%, `;
      const shiftText = results.shift ? `, ${summary.shiftChecksFailed ?? 0} of ${results.shift.checks.length} shift check(s) failed` : '';
      this.host.log(`${kind} run of ${this.configFile} finished in ${Date.now() - started} ms: ${clean}${summary.regressions} regression(s)${shiftText}`);
      this.host.state({ state: 'finished', summary });
      return { status: 'completed', summary };
    } catch (error) {
      if (timedOut) {
        const message = `the smoke test took longer than ${settings.smokeTimeLimitMs / 1000} s and was stopped; lower "smoke.samples" or the number of corruptions, or raise the setting robustnessLens.smokeTimeLimitMs`;
        this.runDiagnostics = new Map([[this.configUri, [smokeTooSlowDiagnostic(this.source(), message)]]]);
        this.publishAll();
        this.host.log(message);
        this.host.state({ state: 'failed', folderUri: this.folderUri, message });
        return { status: 'failed', message };
      }
      if (error instanceof RunCancelled || controller.signal.aborted) {
        this.host.log(`${kind} run of ${this.configFile} cancelled after ${Date.now() - started} ms`);
        this.host.state({ state: 'idle' });
        return { status: 'cancelled' };
      }
      if (isInputError(error)) {
        this.runDiagnostics = inputErrorDiagnostics(this.source(), error);
        this.publishAll();
        this.host.log(`${kind} run of ${this.configFile} stopped: ${error.describe()}`);
        this.host.state({ state: 'failed', folderUri: this.folderUri, message: error.describe() });
        return { status: 'failed', message: error.describe() };
      }
      const message = `internal error while running: ${(error as Error).message ?? error}`;
      this.host.log(`${message}\n${(error as Error).stack ?? ''}`);
      this.runDiagnostics = new Map([
        [this.configUri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, severity: DiagnosticSeverity.Error, source: 'robustness', code: 'internal-error', message: `Robustness Lens ${message}. See "Robustness: Show Log".` }]],
      ]);
      this.publishAll();
      this.host.state({ state: 'failed', folderUri: this.folderUri, message });
      return { status: 'failed', message };
    } finally {
      clearTimeout(timer);
      if (this.active?.controller === controller) this.active = undefined;
    }
  }

  /** The report model of the latest results, or undefined when nothing ran yet. */
  async report(): Promise<ReportModel | undefined> {
    if (!this.latest) return undefined;
    return buildReportModel(this.latest, this.latestExamples, `Robustness report: ${path.basename(this.folder)}`);
  }

  /** Writes the latest results as the baseline (atomically) and re-checks them against it. */
  async acceptBaseline(): Promise<{ file: string; kind: RunKind } | undefined> {
    const results = this.latest;
    const config = this.config;
    if (!results || !config || !hasSuite(results) || results.kind === 'final') return undefined;
    const file = config.baseline;
    await writeBaseline(file, results);
    const { comparison: _old, ...rest } = results;
    this.latest = { ...rest, comparison: { baseline: path.relative(config.dir, file).split(path.sep).join('/'), comparable: true, regressions: [], insignificantDrops: [], changes: [] } };
    this.runDiagnostics = new Map();
    this.publishAll();
    this.host.state({ state: 'finished', summary: summarise(this.folderUri, this.latest) });
    return { file, kind: results.kind };
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.debounceTimer);
    this.active?.controller.abort();
    for (const pending of this.pendingSmoke) pending.abort();
    for (const uri of this.published) this.host.publish(uri, []);
    this.published.clear();
  }

  private source(): ConfigSource {
    return { uri: this.configUri, text: this.parsed?.text ?? '', tree: this.parsed?.tree };
  }

  private publishAll(): void {
    const merged = mergeDiagnostics(this.configDiagnostics, this.frozenDiagnostics, this.runDiagnostics);
    for (const uri of this.published) if (!merged.has(uri)) this.host.publish(uri, []);
    for (const [uri, list] of merged) this.host.publish(uri, list);
    this.published = new Set(merged.keys());
  }
}

function smokeTooSlowDiagnostic(source: ConfigSource, message: string): Diagnostic {
  const { offset, length } = rangeOfPath(source.tree, ['smoke', 'samples']);
  const document = TextDocument.create(source.uri, 'jsonc', 0, source.text);
  return {
    range: { start: document.positionAt(offset), end: document.positionAt(offset + length) },
    severity: DiagnosticSeverity.Warning,
    source: 'robustness',
    code: 'smoke-too-slow',
    message: `${message.charAt(0).toUpperCase()}${message.slice(1)}.`,
  };
}

function summarise(folderUri: string, results: Results): RunSummary {
  const suite = hasSuite(results) ? results : undefined;
  return {
    folderUri,
    kind: results.kind,
    cleanAccuracy: suite ? suite.clean.accuracy : null,
    meanCorruptionAccuracy: suite ? suite.summary.meanCorruptionAccuracy : null,
    conditions: suite ? suite.corruptions.length : 0,
    samples: suite ? suite.clean.n : (results.shift?.datasets.reduce((a, d) => a + d.n, 0) ?? 0),
    ...(results.shift ? { shiftChecksFailed: results.shift.checks.filter((c) => !c.passed).length, shiftDatasets: results.shift.datasets.length } : {}),
    regressions: results.comparison?.regressions.length ?? 0,
    baselineComparable: results.comparison?.comparable,
    durationMs: results.durationMs,
  };
}
