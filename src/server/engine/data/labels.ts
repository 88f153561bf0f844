// The class labels of the config: an inline list, or the path of a text file with one label a line
// (trimmed; blank lines skipped). Label i is the name of class id i. The list must be non-empty and
// free of duplicates; problems are InputErrors pointing at the config key 'labels'.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';

const LABELS_PATH = ['labels'] as const;

/** Returns the labels: `value` itself when it is a list, else the lines of the file it names. */
export async function readLabels(value: readonly string[] | string, configDir: string): Promise<string[]> {
  if (typeof value !== 'string') {
    checkLabels([...value], undefined, (i) => `labels[${i}]`);
    return [...value];
  }
  const file = path.resolve(configDir, value);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new InputError(`the labels file ${path.basename(file)} ${reason}`, {
      kind: 'data',
      code: 'labels-file-missing',
      file,
      place: 'file',
      configPath: LABELS_PATH,
      fix: 'check the path; it is relative to the folder of robustness.json (or list the labels inline)',
    });
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const labels: string[] = [];
  const lineOf: number[] = [];
  lines.forEach((line, i) => {
    const label = line.trim();
    if (label.length > 0) {
      labels.push(label);
      lineOf.push(i + 1);
    }
  });
  checkLabels(labels, file, (i) => `line ${lineOf[i]}`);
  return labels;
}

/** Throws when `labels` is empty or repeats a label. `where(i)` names the place of label i. */
function checkLabels(labels: readonly string[], file: string | undefined, where: (index: number) => string): void {
  const source = file ? `the labels file ${path.basename(file)}` : 'the labels list';
  // An inline list is part of the config; a labels file is data.
  const kind = file ? 'data' : 'config';
  if (labels.length === 0) {
    throw new InputError(`${source} is empty`, {
      kind,
      code: 'labels-empty',
      file,
      place: file ? 'file' : undefined,
      configPath: LABELS_PATH,
      fix: file ? 'write one label a line, class 0 first' : 'list one label per class, class 0 first',
    });
  }
  const firstIndex = new Map<string, number>();
  const duplicates: string[] = [];
  let firstRepeat = -1;
  labels.forEach((label, i) => {
    const first = firstIndex.get(label);
    if (first === undefined) {
      firstIndex.set(label, i);
    } else {
      duplicates.push(`'${label}' (${where(first)} and ${where(i)})`);
      if (firstRepeat < 0) firstRepeat = i;
    }
  });
  if (duplicates.length > 0) {
    throw new InputError(`${source} repeats ${duplicates.length === 1 ? 'a label' : 'labels'}: ${duplicates.join(', ')}`, {
      kind,
      code: 'labels-duplicate',
      file,
      place: where(firstRepeat),
      configPath: LABELS_PATH,
      fix: 'give each class a distinct label; label i names class id i',
    });
  }
}
