// Checks the shape of what the extension host posts (and of restored webview state) before the app uses it:
// every field the app reads is checked for its type. A bad message becomes a readable error, never an exception
// in the middle of rendering.
import { REPORT_MODEL_VERSION, type HostToWebviewMessage, type ReportModel } from '../../src/shared/report-model';

export type Validation<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

class ShapeError extends Error {}

type Json = unknown;

function fail(path: string, expected: string, value: Json): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new ShapeError(`${path}: expected ${expected}, got ${got}`);
}

function object(value: Json, path: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  return value as Record<string, Json>;
}

function array(value: Json, path: string, max = 1_000_000): Json[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  if (value.length > max) throw new ShapeError(`${path}: more than ${max} entries`);
  return value;
}

function string(value: Json, path: string): string {
  if (typeof value !== 'string') fail(path, 'a string', value);
  return value;
}

function number(value: Json, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number', value);
  return value;
}

function nullableNumber(value: Json, path: string): number | null {
  return value === null ? null : number(value, path);
}

function boolean(value: Json, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'a boolean', value);
  return value;
}

function optional<T>(value: Json, path: string, check: (value: Json, path: string) => T): T | undefined {
  return value === undefined ? undefined : check(value, path);
}

// The distribution-shift section. Values that may be undefined (a metric on one class) are null, never absent.

function numberOrNull(value: Json, path: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number or null', value);
  return value;
}

function quoted(value: Json): string {
  return typeof value === 'string' ? `'${value.slice(0, 40)}'` : value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function shiftInterval(value: Json, path: string): void {
  const o = object(value, path);
  for (const key of ['value', 'low', 'high'] as const) numberOrNull(o[key], `${path}.${key}`);
}

function shiftMetrics(value: Json, path: string): void {
  const o = object(value, path);
  for (const key of Object.keys(o)) shiftInterval(o[key], `${path}.${key}`);
}

function shiftBins(value: Json, path: string): void {
  array(value, path).forEach((bin, j) => {
    const b = object(bin, `${path}[${j}]`);
    for (const key of ['lower', 'upper', 'count', 'meanConfidence', 'accuracy'] as const) number(b[key], `${path}[${j}].${key}`);
  });
}

function rocCurve(value: Json, path: string): void {
  const c = object(value, path);
  string(c.label, `${path}.label`);
  numberOrNull(c.auc, `${path}.auc`);
  array(c.points, `${path}.points`).forEach((point, k) => {
    const at = `${path}.points[${k}]`;
    if (!Array.isArray(point)) fail(at, 'a [false positive rate, true positive rate] pair', point);
    if (point.length !== 2) throw new ShapeError(`${at}: expected a [false positive rate, true positive rate] pair, got ${point.length} ${point.length === 1 ? 'entry' : 'entries'}`);
    number(point[0], `${at}[0]`);
    number(point[1], `${at}[1]`);
  });
}

function shiftDataset(value: Json, path: string): void {
  const d = object(value, path);
  string(d.name, `${path}.name`);
  string(d.role, `${path}.role`);
  number(d.n, `${path}.n`);
  shiftMetrics(d.metrics, `${path}.metrics`);
  optional(d.gaps, `${path}.gaps`, shiftMetrics);
  optional(d.worstGroup, `${path}.worstGroup`, (worst, at) => {
    const o = object(worst, at);
    for (const key of Object.keys(o)) {
      const w = object(o[key], `${at}.${key}`);
      string(w.group, `${at}.${key}.group`);
      number(w.value, `${at}.${key}.value`);
    }
  });
  optional(d.averageGroup, `${path}.averageGroup`, (average, at) => {
    const o = object(average, at);
    for (const key of Object.keys(o)) number(o[key], `${at}.${key}`);
  });
  array(d.roc, `${path}.roc`).forEach((curve, j) => rocCurve(curve, `${path}.roc[${j}]`));
  const calibration = object(d.calibration, `${path}.calibration`);
  numberOrNull(calibration.ece, `${path}.calibration.ece`);
  shiftBins(calibration.bins, `${path}.calibration.bins`);
}

function checkShift(value: Json, path: string): void {
  const s = object(value, path);
  array(s.metrics, `${path}.metrics`).forEach((key, i) => string(key, `${path}.metrics[${i}]`));
  const level = number(s.level, `${path}.level`);
  if (!(level > 0 && level < 1)) throw new ShapeError(`${path}.level: expected a confidence level between 0 and 1 (0.95), got ${level}`);
  number(s.resamples, `${path}.resamples`);
  optional(s.positiveClass, `${path}.positiveClass`, string);
  array(s.datasets, `${path}.datasets`).forEach((item, i) => shiftDataset(item, `${path}.datasets[${i}]`));
  array(s.groups, `${path}.groups`).forEach((item, i) => {
    const at = `${path}.groups[${i}]`;
    const g = object(item, at);
    string(g.dataset, `${at}.dataset`);
    string(g.group, `${at}.group`);
    number(g.n, `${at}.n`);
    shiftMetrics(g.metrics, `${at}.metrics`);
  });
  array(s.checks, `${path}.checks`).forEach((item, i) => {
    const at = `${path}.checks[${i}]`;
    const c = object(item, at);
    string(c.dataset, `${at}.dataset`);
    string(c.metric, `${at}.metric`);
    string(c.over, `${at}.over`);
    if (c.bound !== 'min' && c.bound !== 'max' && c.bound !== 'maxGap') throw new ShapeError(`${at}.bound: expected 'min', 'max' or 'maxGap', got ${quoted(c.bound)}`);
    number(c.limit, `${at}.limit`);
    for (const key of ['value', 'low', 'high'] as const) numberOrNull(c[key], `${at}.${key}`);
    boolean(c.passed, `${at}.passed`);
  });
  boolean(s.frozenTest, `${path}.frozenTest`);
}

function checkModel(value: Json): ReportModel {
  const m = object(value, 'model');
  const version = number(m.version, 'model.version');
  if (version !== REPORT_MODEL_VERSION) throw new ShapeError(`model.version: this report app reads version ${REPORT_MODEL_VERSION}, got ${version}`);

  const header = object(m.header, 'model.header');
  for (const key of ['title', 'modelPath', 'modelSha256', 'dataSource', 'preset', 'kind', 'createdAt', 'toolVersion'] as const) {
    string(header[key], `model.header.${key}`);
  }
  for (const key of ['dataCount', 'samples', 'seed'] as const) number(header[key], `model.header.${key}`);
  array(header.labels, 'model.header.labels').forEach((label, i) => string(label, `model.header.labels[${i}]`));

  if (m.summary !== undefined) {
    // Absent for a run with only a shift check.
    const summary = object(m.summary, 'model.summary');
    number(summary.cleanAccuracy, 'model.summary.cleanAccuracy');
    for (const key of ['meanCorruptionAccuracy', 'meanBenchmarkAccuracy', 'meanAllAccuracy', 'mCE', 'relativeMCE'] as const) {
      nullableNumber(summary[key], `model.summary.${key}`);
    }
    string(summary.normalisation, 'model.summary.normalisation');
  }

  array(m.conditions, 'model.conditions').forEach((item, i) => {
    const path = `model.conditions[${i}]`;
    const c = object(item, path);
    string(c.corruption, `${path}.corruption`);
    number(c.severity, `${path}.severity`);
    number(c.accuracy, `${path}.accuracy`);
    number(c.n, `${path}.n`);
    optional(c.ece, `${path}.ece`, number);
  });

  array(m.calibration, 'model.calibration').forEach((item, i) => {
    const path = `model.calibration[${i}]`;
    const c = object(item, path);
    string(c.condition, `${path}.condition`);
    number(c.ece, `${path}.ece`);
    array(c.bins, `${path}.bins`).forEach((bin, j) => {
      const b = object(bin, `${path}.bins[${j}]`);
      for (const key of ['lower', 'upper', 'count', 'meanConfidence', 'accuracy'] as const) number(b[key], `${path}.bins[${j}].${key}`);
    });
  });

  array(m.gallery, 'model.gallery').forEach((item, i) => {
    const path = `model.gallery[${i}]`;
    const g = object(item, path);
    string(g.corruption, `${path}.corruption`);
    number(g.severity, `${path}.severity`);
    number(g.sampleId, `${path}.sampleId`);
    string(g.label, `${path}.label`);
    string(g.prediction, `${path}.prediction`);
    boolean(g.correct, `${path}.correct`);
    string(g.image, `${path}.image`);
  });

  if (m.baseline !== undefined) {
    const b = object(m.baseline, 'model.baseline');
    string(b.file, 'model.baseline.file');
    boolean(b.comparable, 'model.baseline.comparable');
    optional(b.reason, 'model.baseline.reason', string);
    array(b.changes, 'model.baseline.changes').forEach((item, i) => {
      const path = `model.baseline.changes[${i}]`;
      const c = object(item, path);
      string(c.corruption, `${path}.corruption`);
      for (const key of ['severity', 'baseline', 'current'] as const) number(c[key], `${path}.${key}`);
    });
    array(b.regressions, 'model.baseline.regressions').forEach((item, i) => {
      const path = `model.baseline.regressions[${i}]`;
      const r = object(item, path);
      string(r.corruption, `${path}.corruption`);
      for (const key of ['severity', 'baseline', 'current', 'drop', 'budget', 'p'] as const) number(r[key], `${path}.${key}`);
      boolean(r.significant, `${path}.significant`);
    });
  }

  if (m.shift !== undefined) checkShift(m.shift, 'model.shift');
  return value as ReportModel;
}

function attempt<T>(check: () => T): Validation<T> {
  try {
    return { ok: true, value: check() };
  } catch (error) {
    if (error instanceof ShapeError) return { ok: false, error: error.message };
    throw error;
  }
}

export function validateReportModel(value: unknown): Validation<ReportModel> {
  return attempt(() => checkModel(value));
}

export function validateHostMessage(value: unknown): Validation<HostToWebviewMessage> {
  return attempt((): HostToWebviewMessage => {
    const message = object(value, 'message');
    if (message.type === 'report') return { type: 'report', model: checkModel(message.model) };
    if (message.type === 'empty') return { type: 'empty', reason: string(message.reason, 'message.reason') };
    throw new ShapeError(`message.type: expected 'report' or 'empty', got ${typeof message.type === 'string' ? `'${message.type.slice(0, 40)}'` : typeof message.type}`);
  });
}
