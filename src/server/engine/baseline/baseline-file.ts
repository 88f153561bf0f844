// Reads and writes the baseline (.robustness/baseline.json by default): a results file meant to be
// committed. Writes are atomic: a temporary file in the same folder, then a rename.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import type { Results } from '../results/results';

/** Writes text to a file atomically (never half-written, even if the process dies mid-write). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

export async function writeBaseline(file: string, results: Results): Promise<void> {
  const { comparison: _comparison, ...withoutComparison } = results;
  await writeFileAtomic(file, JSON.stringify(withoutComparison, null, 2) + '\n');
}

/** The baseline, or undefined when there is none. A damaged file is an InputError naming the fix. */
export async function readBaseline(file: string): Promise<Results | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Results;
    if (typeof value !== 'object' || value === null || typeof value.schemaVersion !== 'number' || !value.clean || !Array.isArray(value.corruptions)) {
      throw new Error('not a results file');
    }
    return value;
  } catch (error) {
    throw new InputError(`the baseline is not a valid results file (${(error as Error).message})`, {
      kind: 'data',
      code: 'baseline-invalid',
      file,
      fix: 'delete it and accept new results as the baseline (Robustness: Accept Results as Baseline, or robustness-lens run --write-baseline)',
    });
  }
}
