// The frozen test log (.robustness/frozen-test-log.jsonl): one JSON line per final evaluation of the frozen
// target-test sets, with the time, the model's hash and the results. The file is only ever appended to (one
// write of one whole line with O_APPEND), never rewritten, so no entry is lost; it is meant to be committed,
// so that the number of looks at the test set is part of the project's history.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Results } from '../results/results';

export interface FrozenTestEntry {
  readonly time: string;
  readonly model: { readonly path: string; readonly sha256: string };
  readonly config: { readonly sha256: string };
  readonly seed: number;
  readonly datasets: readonly { readonly name: string; readonly role: string; readonly n: number; readonly metrics: Readonly<Record<string, number | null>> }[];
  readonly checks: readonly { readonly dataset: string; readonly metric: string; readonly bound: string; readonly limit: number; readonly value: number | null; readonly passed: boolean }[];
}

export function frozenTestEntry(results: Results): FrozenTestEntry {
  const shift = results.shift;
  return {
    time: results.createdAt,
    model: results.model,
    config: { sha256: results.config.sha256 },
    seed: results.seed,
    datasets: (shift?.datasets ?? []).map((d) => ({
      name: d.name,
      role: d.role,
      n: d.n,
      metrics: Object.fromEntries(Object.entries(d.metrics).map(([m, i]) => [m, i.value])),
    })),
    checks: (shift?.checks ?? []).map((c) => ({ dataset: c.dataset, metric: c.metric, bound: c.bound, limit: c.limit, value: c.value, passed: c.passed })),
  };
}

/** Appends one entry as one line, creating the folder and file when needed. */
export async function appendFrozenTestEntry(file: string, entry: FrozenTestEntry): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const handle = await fs.open(file, 'a');
  try {
    await handle.write(`${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** How many final evaluations the log records (non-empty lines; 0 when there is no log). */
export async function countFrozenTestEntries(file: string): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  return text.split('\n').filter((line) => line.trim() !== '').length;
}
