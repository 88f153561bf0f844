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

function interval(value: Json, path: string): void {
  const o = object(value, path);
  number(o.value, `${path}.value`);
  number(o.low, `${path}.low`);
  number(o.high, `${path}.high`);
}

function metrics(value: Json, path: string): void {
  const o = object(value, path);
  for (const key of Object.keys(o)) interval(o[key], `${path}.${key}`);
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

  const summary = object(m.summary, 'model.summary');
  number(summary.cleanAccuracy, 'model.summary.cleanAccuracy');
  for (const key of ['meanCorruptionAccuracy', 'meanBenchmarkAccuracy', 'meanAllAccuracy', 'mCE', 'relativeMCE'] as const) {
    nullableNumber(summary[key], `model.summary.${key}`);
  }
  string(summary.normalisation, 'model.summary.normalisation');

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

  if (m.shift !== undefined) {
    const s = object(m.shift, 'model.shift');
    array(s.datasets, 'model.shift.datasets').forEach((item, i) => {
      const path = `model.shift.datasets[${i}]`;
      const d = object(item, path);
      string(d.name, `${path}.name`);
      string(d.role, `${path}.role`);
      metrics(d.metrics, `${path}.metrics`);
    });
    array(s.groups, 'model.shift.groups').forEach((item, i) => {
      const path = `model.shift.groups[${i}]`;
      const g = object(item, path);
      string(g.dataset, `${path}.dataset`);
      string(g.group, `${path}.group`);
      metrics(g.metrics, `${path}.metrics`);
    });
  }
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
