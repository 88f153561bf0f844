// A labelled tabular data set: a CSV or Parquet table with a label column, numeric feature columns and
// an optional group column (a site, a hospital, a region: results can be broken down by it). Opening
// reads the whole table and converts it at once: features to a row-major Float32Array (what the model
// takes), labels to class ids, groups to text. Every problem is an InputError (kind 'data') that names
// the file, the row (and line) and column, and points at the key of the data spec to fix.
import * as path from 'node:path';
import { InputError, type ConfigPath } from '../../errors';
import { readCsvTable } from './read-csv';
import { readParquetTable } from './read-parquet';
import { closestName, listNames, rowPlace, showCell, type Cell, type Table } from './table';

/** A tabular data spec of robustness.json. */
export interface TabularDataSpec {
  readonly format: 'csv' | 'parquet';
  /** The data file, relative to the folder of robustness.json. */
  readonly path: string;
  /** The column holding the class: a label name or a class id 0..K-1. */
  readonly label: string;
  /** The feature columns in the order the model takes them; default: every column but the label and group. */
  readonly features?: readonly string[];
  /** A column to break results down by (kept as text). */
  readonly group?: string;
}

export interface TabularExpectation {
  /** The class labels; label i names class id i. */
  readonly labels: readonly string[];
  /** JSON path of this data spec in robustness.json, e.g. ['shift', 'datasets', 'clinic-b', 'data']. */
  readonly configPath: ConfigPath;
  /** The model's feature count, when known. */
  readonly features?: number;
  /**
   * JSON path of the key that names the group column, when it is not the data spec's "group" (e.g.
   * ['shift', 'datasets', 'clinic-b', 'groups', 'column']). Default: [...configPath, 'group'].
   */
  readonly groupConfigPath?: ConfigPath;
}

export interface TabularDataset {
  /** Absolute path of the data file. */
  readonly source: string;
  /** Number of rows. */
  readonly count: number;
  readonly featureNames: readonly string[];
  readonly featureCount: number;
  /** count x featureCount values, row-major. */
  readonly features: Float32Array;
  /** Class id of each row. */
  readonly labels: Int32Array;
  /** Group of each row as text, when the spec names a group column. */
  readonly groups: readonly string[] | undefined;
}

/** Column names that pandas gives to a saved index; never a default feature. */
const PANDAS_INDEX = /^__index_level_\d+__$/;
/** Column names that often are a saved index or an id rather than a feature. */
const INDEX_LIKE = /^(|Unnamed: \d+|index|id|.*_id|__index_level_\d+__)$/i;
/** Text that stands for a missing value. */
const MISSING_TEXT = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?', '#n/a', 'missing']);
/** A decimal number as text (no hex, no "Infinity", surrounding blanks allowed). */
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
/** An integral class id as text: "2", "+2", "2.0". */
const INTEGRAL = /^\s*[+-]?\d+(?:\.0*)?\s*$/;

/** Opens the data set of `spec`; its path is relative to `configDir`. */
export async function openTabularDataset(spec: TabularDataSpec, configDir: string, expected: TabularExpectation): Promise<TabularDataset> {
  const specPath = expected.configPath;
  const file = path.resolve(configDir, spec.path);
  const table = await readTable(spec, file, specPath);
  return tabularDataset(table, spec, expected);
}

/** Reads the table of a spec in its format. */
export async function readTable(spec: Pick<TabularDataSpec, 'format'>, file: string, specPath: ConfigPath): Promise<Table> {
  switch (spec.format) {
    case 'csv':
      return readCsvTable(file, specPath);
    case 'parquet':
      return readParquetTable(file, specPath);
    default:
      throw new InputError(`unknown tabular data format ${JSON.stringify((spec as { format?: unknown }).format)}`, {
        kind: 'config',
        code: 'data-format-unknown',
        configPath: [...specPath, 'format'],
        fix: 'use "csv" or "parquet"',
      });
  }
}

/** Converts a table already read into a data set (the checks of openTabularDataset, without the file reading). */
export function tabularDataset(table: Table, spec: TabularDataSpec, expected: TabularExpectation): TabularDataset {
  const check = new Checker(table, spec, expected);
  check.notEmpty();
  check.columnExists(spec.label, 'label', [...expected.configPath, 'label']);
  const groupKey = expected.groupConfigPath ?? [...expected.configPath, 'group'];
  if (spec.group !== undefined) check.columnExists(spec.group, 'group', groupKey);
  const featureNames = check.featureNames();
  check.featureCount(featureNames);
  return {
    source: table.file,
    count: table.rowCount,
    featureNames,
    featureCount: featureNames.length,
    features: check.features(featureNames),
    labels: check.labels(),
    groups: spec.group === undefined ? undefined : check.groups(spec.group, groupKey),
  };
}

/** The checks and conversions, sharing the table, the spec and the error helpers. */
class Checker {
  private readonly name: string;

  constructor(
    private readonly table: Table,
    private readonly spec: TabularDataSpec,
    private readonly expected: TabularExpectation,
  ) {
    this.name = path.basename(table.file);
  }

  private fail(code: string, message: string, place: string, key: ConfigPath, fix: string, kind: 'data' | 'config' = 'data'): InputError {
    return new InputError(`${this.name}: ${message}`, { kind, code, file: this.table.file, place, configPath: key, fix });
  }

  private key(...keys: (string | number)[]): ConfigPath {
    return [...this.expected.configPath, ...keys];
  }

  notEmpty(): void {
    if (this.table.rowCount > 0) return;
    throw this.fail(
      'data-empty',
      `the table has no rows${this.table.columnNames.length > 0 ? ` (only the columns ${listNames(this.table.columnNames, 5)})` : ''}`,
      'file',
      this.key('path'),
      'write one row per sample below the header; check that the export did not filter out every row',
    );
  }

  /** Throws when the table has no column `column`, suggesting the closest name. */
  columnExists(column: string, role: string, key: ConfigPath, setting = role): void {
    const names = this.table.columnNames;
    if (names.includes(column)) return;
    const close = closestName(column, names);
    const only = names.length === 1 ? names[0] : undefined;
    const separator = only === undefined ? undefined : only.includes(';') ? ';' : only.includes('\t') ? 'tab' : undefined;
    const fix = separator
      ? `the file seems to separate fields with ${separator === ';' ? 'semicolons' : 'tabs'}, but CSV fields must be separated by commas: save it with df.to_csv(path, index=False)`
      : close !== undefined
        ? `did you mean ${JSON.stringify(close)}? Set ${JSON.stringify(setting)} to the column's exact name`
        : `set ${JSON.stringify(setting)} to one of the columns: ${listNames(names)}`;
    throw this.fail(
      'data-column-missing',
      `the table has no column ${JSON.stringify(column)} (the ${role} column)`,
      'header',
      key,
      fix,
    );
  }

  /** The feature columns: the spec's list (checked), or every column but the label, group and a pandas index. */
  featureNames(): string[] {
    const { label, group, features } = this.spec;
    if (features === undefined) {
      const names = this.table.columnNames.filter((n) => n !== label && n !== group && !PANDAS_INDEX.test(n));
      if (names.length === 0) {
        throw this.fail(
          'data-column-missing',
          `the table has no feature columns: its only columns are ${listNames(this.table.columnNames)}`,
          'header',
          this.key('path'),
          'export the feature columns together with the label column',
        );
      }
      return names;
    }
    if (features.length === 0) {
      throw this.fail('data-column-missing', '"features" is empty', 'header', this.key('features'), 'list the feature columns the model takes, in order, or leave "features" out to use every column but the label and group', 'config');
    }
    features.forEach((feature, k) => {
      if (feature === label) {
        throw this.fail(
          'data-feature-is-label',
          `"features" lists the label column ${JSON.stringify(label)}`,
          'header',
          this.key('features', k),
          'remove the label column from "features": the model must not see the answer',
          'config',
        );
      }
      const first = features.indexOf(feature);
      if (first !== k) {
        throw this.fail(
          'data-feature-duplicate',
          `"features" lists ${JSON.stringify(feature)} twice (entries ${first} and ${k})`,
          'header',
          this.key('features', k),
          'list each feature column once, in the order the model takes them',
          'config',
        );
      }
      this.columnExists(feature, 'feature', this.key('features', k), 'features');
    });
    return [...features];
  }

  featureCount(featureNames: readonly string[]): void {
    const wanted = this.expected.features;
    if (wanted === undefined || wanted === featureNames.length) return;
    const listed = this.spec.features !== undefined;
    const given = listed ? `"features" lists ${featureNames.length}` : `the table gives ${featureNames.length}`;
    const suspects = featureNames.filter((n) => INDEX_LIKE.test(n));
    const roles = [`the label ${JSON.stringify(this.spec.label)}`, ...(this.spec.group !== undefined ? [`the group ${JSON.stringify(this.spec.group)}`] : [])];
    const hint =
      suspects.length > 0 && featureNames.length > wanted
        ? `; ${listNames(suspects)} look${suspects.length === 1 ? 's' : ''} like an index or id column (pandas writes its index unless index=False)`
        : '';
    throw this.fail(
      'data-feature-count',
      `the model takes ${wanted} feature${wanted === 1 ? '' : 's'} but ${given}: ${listNames(featureNames, 40)}${listed ? '' : ` (every column but ${roles.join(' and ')})`}`,
      'header',
      this.key('features'),
      `list in "features" the ${wanted} columns the model was trained on, in training order${hint}`,
    );
  }

  /** The features as a row-major Float32Array. */
  features(featureNames: readonly string[]): Float32Array {
    const rows = this.table.rowCount;
    const width = featureNames.length;
    const out = new Float32Array(rows * width);
    featureNames.forEach((feature, k) => {
      const column = this.table.column(feature);
      if (column instanceof Float64Array) {
        for (let r = 0; r < rows; r++) {
          const v = column[r];
          if (!Number.isFinite(v)) throw this.badFeature(feature, r, v);
          out[r * width + k] = v;
        }
        return;
      }
      for (let r = 0; r < rows; r++) {
        const cell = column[r];
        let v: number;
        if (typeof cell === 'number') v = cell;
        else if (typeof cell === 'string') v = decimalOf(cell);
        else if (typeof cell === 'boolean') v = cell ? 1 : 0;
        else v = Number.NaN;
        if (!Number.isFinite(v)) throw this.badFeature(feature, r, cell);
        out[r * width + k] = v;
      }
    });
    return out;
  }

  private badFeature(feature: string, row: number, cell: Cell): InputError {
    const at = `${rowPlace(this.table, row)}, column ${JSON.stringify(feature)}`;
    const missing = cell === null || (typeof cell === 'number' && Number.isNaN(cell)) || (typeof cell === 'string' && MISSING_TEXT.has(cell.trim().toLowerCase()));
    if (missing) {
      return this.fail(
        'data-value',
        `${at} is missing (${cell === null ? 'null' : showCell(cell)}): missing feature values are not supported`,
        at,
        this.key('path'),
        'impute missing values (as the model\'s training pipeline does) before exporting the table, or drop those rows',
      );
    }
    if (typeof cell === 'number' || (typeof cell === 'string' && /^\s*[+-]?(inf|infinity)\s*$/i.test(cell))) {
      return this.fail('data-value', `${at} is ${showCell(cell)}: features must be finite numbers`, at, this.key('path'), 'replace or drop the rows with infinite values before exporting the table');
    }
    const textColumn = row === 0 && this.looksLikeText(feature);
    const decimalComma = typeof cell === 'string' && /^\s*[+-]?\d+,\d+\s*$/.test(cell);
    return this.fail(
      'data-value',
      `${at} holds ${showCell(cell)}, which is not a number${textColumn ? ` (the column holds text: ${listNames(this.sample(feature), 3)})` : ''}`,
      at,
      textColumn && this.spec.features !== undefined ? this.key('features', this.spec.features.indexOf(feature)) : this.key('path'),
      decimalComma
        ? 'write numbers with a decimal point, not a comma ("27.4")'
        : textColumn
          ? `feature columns must be numbers: encode ${JSON.stringify(feature)} the way the model's training pipeline did (e.g. one-hot columns) before exporting, or leave it out of "features"`
          : 'feature values must be numbers (true/false count as 1/0); fix or drop the row',
    );
  }

  /** True when the first few cells of a column are all non-numeric text. */
  private looksLikeText(feature: string): boolean {
    const sample = this.sample(feature);
    return sample.length > 0 && sample.every((s) => !DECIMAL.test(s) && booleanOf(s) === undefined && !MISSING_TEXT.has(s.trim().toLowerCase()));
  }

  private sample(feature: string): string[] {
    const column = this.table.column(feature);
    const values: string[] = [];
    for (let r = 0; r < Math.min(column.length, 20) && values.length < 3; r++) {
      const cell = column[r];
      if (typeof cell === 'string' && !values.includes(cell)) values.push(cell);
    }
    return values;
  }

  /** The class id of every row. */
  labels(): Int32Array {
    const { labels } = this.expected;
    const column = this.table.column(this.spec.label);
    const rows = this.table.rowCount;
    const out = new Int32Array(rows);
    const byName = new Map(labels.map((label, i) => [label, i]));
    const memo = new Map<string, number>();
    for (let r = 0; r < rows; r++) {
      const cell = column[r];
      let id: number | undefined;
      if (typeof cell === 'string') {
        id = memo.get(cell);
        if (id === undefined) {
          id = this.labelOfText(cell, r, byName);
          memo.set(cell, id);
        }
      } else {
        id = this.labelOfValue(cell, r, byName);
      }
      out[r] = id;
    }
    return out;
  }

  private labelOfText(cell: string, row: number, byName: ReadonlyMap<string, number>): number {
    const K = this.expected.labels.length;
    const trimmed = cell.trim();
    const named = byName.get(cell) ?? byName.get(trimmed);
    if (named !== undefined) return named;
    if (trimmed === '' || MISSING_TEXT.has(trimmed.toLowerCase())) throw this.missingLabel(row, cell);
    if (INTEGRAL.test(trimmed)) {
      const id = Number(trimmed);
      if (id >= 0 && id < K) return id;
      throw this.labelOutOfRange(row, cell);
    }
    const bool = booleanOf(trimmed);
    if (bool !== undefined && bool < K) return bool;
    throw this.unknownLabel(row, cell);
  }

  private labelOfValue(cell: number | boolean | null, row: number, byName: ReadonlyMap<string, number>): number {
    const K = this.expected.labels.length;
    if (cell === null || (typeof cell === 'number' && Number.isNaN(cell))) throw this.missingLabel(row, cell);
    if (typeof cell === 'boolean') {
      const named = byName.get(String(cell)) ?? byName.get(cell ? 'True' : 'False');
      if (named !== undefined) return named;
      if (Number(cell) < K) return Number(cell);
      throw this.labelOutOfRange(row, cell);
    }
    const named = byName.get(String(cell));
    if (named !== undefined) return named;
    if (Number.isInteger(cell)) {
      if (cell >= 0 && cell < K) return cell;
      throw this.labelOutOfRange(row, cell);
    }
    throw this.unknownLabel(row, cell);
  }

  private labelAt(row: number): string {
    return `${rowPlace(this.table, row)}, column ${JSON.stringify(this.spec.label)}`;
  }

  private labelList(): string {
    return listNames(this.expected.labels, 5);
  }

  private missingLabel(row: number, cell: Cell): InputError {
    const at = this.labelAt(row);
    return this.fail(
      'data-value',
      `${at} has no label (${cell === null ? 'null' : showCell(cell)})`,
      at,
      this.key('label'),
      'every row needs a label (a label name or a class id); drop the unlabelled rows before exporting',
    );
  }

  private labelOutOfRange(row: number, cell: Cell): InputError {
    const at = this.labelAt(row);
    const K = this.expected.labels.length;
    return this.fail(
      'data-label-out-of-range',
      `${at} holds ${showCell(cell)}, outside the class ids 0..${K - 1} (the config lists ${K} labels: ${this.labelList()})`,
      at,
      this.key('label'),
      `labels must be class ids 0..${K - 1} or label names; list every class in "labels", class 0 first`,
    );
  }

  private unknownLabel(row: number, cell: Cell): InputError {
    const at = this.labelAt(row);
    const K = this.expected.labels.length;
    const text = String(cell).trim();
    const caseMatch = this.expected.labels.find((l) => l.toLowerCase() === text.toLowerCase());
    return this.fail(
      'data-label-unknown',
      `${at} holds ${showCell(cell)}, which is neither a label name (${this.labelList()}) nor a class id 0..${K - 1}`,
      at,
      this.key('label'),
      caseMatch !== undefined
        ? `label names are case-sensitive: write ${JSON.stringify(caseMatch)}, or change the label in "labels"`
        : `add ${showCell(cell)} to "labels" if it is a class the model predicts, or fix the row`,
    );
  }

  /** The group of every row, as text. */
  groups(group: string, key: ConfigPath): string[] {
    const column = this.table.column(group);
    const rows = this.table.rowCount;
    const out = new Array<string>(rows);
    for (let r = 0; r < rows; r++) {
      const cell = column[r];
      const text = cell === null || (typeof cell === 'number' && Number.isNaN(cell)) ? '' : String(cell);
      if (text.trim() === '') {
        const at = `${rowPlace(this.table, r)}, column ${JSON.stringify(group)}`;
        throw this.fail('data-value', `${at} is empty: every row needs a group`, at, key, 'fill in the group of every row (or drop the rows without one) before exporting');
      }
      out[r] = text;
    }
    return out;
  }
}

/**
 * The number a text cell holds: a decimal number ("27.4", "-1e-3", ".5", " 3 "), or 1 / 0 for "true" /
 * "false" (any case); NaN for anything else (hexadecimal, "1,5", "", text). Infinity stays infinite.
 */
function decimalOf(text: string): number {
  const n = text.length;
  if (n === 0) return Number.NaN;
  const c0 = text.charCodeAt(0);
  // Fast path for the usual cells: they start with a digit, a sign or a point, and Number() parses them
  // exactly as the DECIMAL pattern would, except for hexadecimal, binary and octal literals ("0x1f").
  if ((c0 >= 0x30 && c0 <= 0x39) || c0 === 0x2d || c0 === 0x2b || c0 === 0x2e) {
    if (n > 1 && c0 === 0x30) {
      const c1 = text.charCodeAt(1) | 0x20;
      if (c1 === 0x78 || c1 === 0x62 || c1 === 0x6f) return Number.NaN;
    }
    return Number(text);
  }
  if (DECIMAL.test(text)) return Number(text);
  if (/^\s*[+-]?(inf|infinity)\s*$/i.test(text)) return text.includes('-') ? -Infinity : Infinity;
  return booleanOf(text) ?? Number.NaN;
}

/** 1 for "true", 0 for "false" (any case), else undefined. */
function booleanOf(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  return t === 'true' ? 1 : t === 'false' ? 0 : undefined;
}
