// One shift data set through the model: opens its data (npy or image folder for image models, CSV or Parquet for
// tabular models), attaches per-sample groups (subfolders, a column, or a side file), runs inference in batches
// and turns the scores into probability rows (scores.ts). Data problems are InputErrors that point at the data
// set's entry in robustness.json.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { InputSpec } from '../config/config';
import { isTabular, type ShiftDatasetSpec } from '../config/shift-config';
import { InputError, isInputError, type ConfigPath } from '../errors';
import { openDataset } from '../data/open-dataset';
import type { ImageFolderDataset } from '../data/image-folder-dataset';
import { openTabularDataset } from '../data/tabular/tabular-dataset';
import { readCsvTable } from '../data/tabular/read-csv';
import { preprocessBatch } from '../model/preprocess';
import type { ClassifierModel } from '../model/load-model';
import type { ImageDataset } from '../types';
import { RunCancelled } from '../run/cancelled';
import { toProbabilities } from './scores';
import type { ScoredDataset } from './evaluate-dataset';

const IMAGE_BATCH = 64;
const TABLE_BATCH = 4096;

export interface ScoreOptions {
  readonly dir: string;
  readonly labels: readonly string[];
  readonly scores: 'auto' | 'probabilities' | 'logits';
  readonly signal?: AbortSignal;
  /** Samples scored so far in this data set, and its size. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The model that fits the data set's kind: opened by the caller once the kind (and feature count) is known. */
export interface ModelSource {
  image(input: InputSpec): Promise<ClassifierModel>;
  tabular(features: number, featureNames?: readonly string[], configPath?: ConfigPath): Promise<ClassifierModel>;
}

/** Re-points an InputError raised for a "data" entry at this data set's entry in the shift section. */
function relocate(error: unknown, spec: ShiftDatasetSpec): unknown {
  if (!isInputError(error)) return error;
  const at = error.details.configPath ?? [];
  const within = at[0] === 'data' ? at.slice(1) : at.length === 0 ? [] : undefined;
  if (within === undefined) return error;
  const relocated = new InputError(error.message, { ...error.details, configPath: ['shift', 'datasets', spec.name, 'data', ...within] });
  relocated.stack = error.stack;
  return relocated;
}

/**
 * Scores of `rows` rows of `perRow` values. A model with a fixed batch size gets batches of exactly that size,
 * the last one padded with copies of its first row (whose scores are dropped).
 */
async function inferRows(model: ClassifierModel, data: Float32Array, rows: number, perRow: number): Promise<Float32Array> {
  const size = model.fixedBatch;
  if (size === undefined) return model.infer(data, rows);
  const K = model.classCount;
  const scores = new Float32Array(rows * K);
  const batch = new Float32Array(size * perRow);
  for (let start = 0; start < rows; start += size) {
    const count = Math.min(size, rows - start);
    batch.set(data.subarray(start * perRow, (start + count) * perRow));
    for (let r = count; r < size; r++) batch.copyWithin(r * perRow, 0, perRow);
    scores.set((await model.infer(batch, size)).subarray(0, count * K), start * K);
  }
  return scores;
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RunCancelled();
}

export async function scoreDataset(spec: ShiftDatasetSpec, input: InputSpec | undefined, models: ModelSource, options: ScoreOptions): Promise<ScoredDataset> {
  const at: ConfigPath = ['shift', 'datasets', spec.name];
  const K = options.labels.length;
  let raw: Float32Array;
  let labels: Int32Array;
  let source: string;
  let groups: string[] | undefined;
  let declaredGroups: string[] | undefined;
  let keys: (i: number) => string;
  try {
    if (isTabular(spec.data)) {
      const table = await openTabularDataset(
        { ...spec.data, group: spec.groups && 'column' in spec.groups ? spec.groups.column : undefined },
        options.dir,
        { labels: options.labels, configPath: [...at, 'data'], groupConfigPath: [...at, 'groups', 'column'] },
      );
      const model = await models.tabular(table.featureCount, table.featureNames, [...at, 'data', 'features']);
      raw = new Float32Array(table.count * K);
      for (let start = 0; start < table.count; start += TABLE_BATCH) {
        checkCancelled(options.signal);
        const rows = Math.min(TABLE_BATCH, table.count - start);
        const scores = await inferRows(model, table.features.subarray(start * table.featureCount, (start + rows) * table.featureCount), rows, table.featureCount);
        raw.set(scores, start * K);
        options.onProgress?.(start + rows, table.count);
      }
      labels = table.labels;
      source = table.source;
      groups = table.groups ? [...table.groups] : undefined;
      keys = (i) => String(i);
    } else {
      if (!input) {
        throw new InputError(`"${spec.name}" holds images, and robustness.json has no "input" saying how images become the model's input`, {
          kind: 'config',
          code: 'config-missing',
          configPath: at,
          fix: 'add "input" (e.g. { "layout": "NCHW", "size": [28, 28], "channels": 1 }), or use a CSV / Parquet table for a tabular model',
        });
      }
      const model = await models.image(input);
      const expected = { height: input.height, width: input.width, channels: input.channels, labels: options.labels };
      const parts: { dataset: ImageDataset; group?: string; prefix: string }[] = [];
      try {
        if (spec.groups && 'from' in spec.groups && spec.data.format === 'imagefolder') {
          const root = path.resolve(options.dir, spec.data.path);
          const entries = await fs.readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
            throw new InputError(error.code === 'ENOENT' ? 'the data folder does not exist' : `cannot read the data folder (${error.code})`, { kind: 'data', code: 'data-missing', file: root, configPath: [...at, 'data', 'path'], fix: 'check the path: it is relative to the folder of robustness.json' });
          });
          const names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
          if (names.length === 0) {
            throw new InputError('groups {"from": "subfolder"} expects <group>/<label>/<image> folders, and the data folder has no subfolders', { kind: 'data', code: 'data-groups', file: root, configPath: [...at, 'groups'], fix: 'lay the folder out as <group>/<label>/<image>, or drop "groups"' });
          }
          declaredGroups = names;
          for (const name of names) {
            try {
              parts.push({ dataset: await openDataset({ format: 'imagefolder', path: path.join(root, name) }, options.dir, expected), group: name, prefix: `${name}/` });
            } catch (error) {
              // A group folder without images is an empty group (reported with n = 0), not an error.
              if (isInputError(error) && error.details.code === 'data-empty') continue;
              throw error;
            }
          }
        } else {
          parts.push({ dataset: await openDataset(spec.data, options.dir, expected), prefix: '' });
        }
        const total = parts.reduce((a, p) => a + p.dataset.count, 0);
        raw = new Float32Array(total * K);
        labels = new Int32Array(total);
        const sampleKeys: string[] = [];
        groups = declaredGroups ? [] : undefined;
        let done = 0;
        for (const part of parts) {
          const files = (part.dataset as Partial<ImageFolderDataset>).files;
          const root = part.dataset.source;
          for (let start = 0; start < part.dataset.count; start += IMAGE_BATCH) {
            checkCancelled(options.signal);
            const ids = Array.from({ length: Math.min(IMAGE_BATCH, part.dataset.count - start) }, (_, j) => start + j);
            const samples = await part.dataset.read(ids);
            const scores = await inferRows(model, preprocessBatch(samples.map((s) => s.image), input), samples.length, input.height * input.width * input.channels);
            raw.set(scores.subarray(0, samples.length * K), done * K);
            samples.forEach((s, j) => {
              labels[done + j] = s.label;
              sampleKeys.push(files ? part.prefix + path.relative(root, files[s.id]).split(path.sep).join('/') : String(done + j));
              groups?.push(part.group!);
            });
            done += samples.length;
            options.onProgress?.(done, total);
          }
        }
        keys = (i) => sampleKeys[i];
        source = parts.length === 1 ? parts[0].dataset.source : path.resolve(options.dir, (spec.data as { path: string }).path);
      } finally {
        for (const part of parts) await part.dataset.close();
      }
    }
    if (spec.groups && 'file' in spec.groups) groups = await readGroupFile(path.resolve(options.dir, spec.groups.file), labels.length, keys, [...at, 'groups', 'file']);
  } catch (error) {
    throw relocate(error, spec);
  }
  if (labels.length === 0) {
    throw new InputError(`the data set "${spec.name}" has no samples`, { kind: 'data', code: 'data-empty', file: source, configPath: [...at, 'data'], fix: 'point it at labelled data' });
  }
  const { probabilities, read } = toProbabilities(raw, labels.length, K, options.scores, { name: spec.name, file: source });
  return {
    name: spec.name,
    role: spec.role,
    source: path.relative(options.dir, source).split(path.sep).join('/') || '.',
    probabilities,
    labels,
    scores: read,
    groups,
    declaredGroups,
  };
}

/**
 * A side file of groups: CSV with a header and two columns (sample, group). The sample is the row index from 0
 * (npy, tables) or the image path relative to the data folder. Every row must name a sample; samples that no
 * row names are in the group "(none)".
 */
async function readGroupFile(file: string, count: number, keyOf: (i: number) => string, configPath: ConfigPath): Promise<string[]> {
  const table = await readCsvTable(file).catch((error: unknown) => {
    if (isInputError(error)) throw new InputError(error.message, { ...error.details, configPath });
    throw error;
  });
  if (table.columnNames.length < 2) {
    throw new InputError(`the groups file has ${table.columnNames.length} column(s); it needs two: sample, group`, { kind: 'data', code: 'data-groups', file, place: 'header', configPath, fix: 'write a header "sample,group" and one row per sample' });
  }
  const sampleColumn = table.column(table.columnNames[0]);
  const groupColumn = table.column(table.columnNames[1]);
  const index = new Map<string, number>();
  for (let i = 0; i < count; i++) index.set(keyOf(i), i);
  const groups = new Array<string>(count).fill('(none)');
  for (let r = 0; r < table.rowCount; r++) {
    const key = String(sampleColumn[r] ?? '').trim();
    const sample = index.get(key);
    if (sample === undefined) {
      const example = count > 0 ? ` (samples are named like "${keyOf(0)}")` : '';
      throw new InputError(`row ${r + 1} names the sample "${key}", which the data set does not have${example}`, {
        kind: 'data',
        code: 'data-groups-unmatched',
        file,
        place: `line ${r + 2}`,
        configPath,
        fix: 'name samples by their row index from 0 (npy, tables) or their image path relative to the data folder, and remove rows for samples that are not in the data',
      });
    }
    groups[sample] = String(groupColumn[r] ?? '');
  }
  return groups;
}
