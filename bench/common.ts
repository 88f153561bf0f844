// Shared helpers of the benchmarks: the machine description, medians, the demo workspaces, a synthetic
// in-memory data set, and corruption pools started from the built worker (dist/corruption-worker.js, what the
// CLI and the server run) when it exists.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config } from '../src/server/engine/config/config';
import { loadConfigFile } from '../src/server/engine/config/load-config';
import { readLabels } from '../src/server/engine/data/labels';
import { openDataset } from '../src/server/engine/data/open-dataset';
import { loadClassifier, type ClassifierModel } from '../src/server/engine/model/load-model';
import { CorruptionPool, corruptBatch, setDefaultWorkerEntry, type WorkerEntry } from '../src/server/engine/run/corruption-pool';
import { FROST_TEXTURE_FILE, setFrostTextureFile } from '../src/server/engine/perturb/image/frost';
import type { ImageDataset, Sample } from '../src/server/engine/types';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const BUILT_WORKER = path.join(REPO_ROOT, 'dist', 'corruption-worker.js');

export function cores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const ort = (require('onnxruntime-node/package.json') as { version: string }).version;
  return `${cores()} cores (${cpu}), load average ${load}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(os.freemem() / 2 ** 30).toFixed(1)} free), node ${process.version}, onnxruntime-node ${ort}`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The worker entry the benchmarks use: the built one when present (same code the CLI runs), else the source. */
export function workerEntry(): WorkerEntry | undefined {
  return fs.existsSync(BUILT_WORKER) ? { file: BUILT_WORKER } : undefined;
}

/**
 * Makes this process run like the CLI and the server: pools start the built worker, and the frost textures come
 * from the build's file (dist/frost-textures.bin) when both exist.
 */
export function useBuiltFiles(): void {
  setDefaultWorkerEntry(workerEntry());
  const textures = path.join(REPO_ROOT, 'dist', FROST_TEXTURE_FILE);
  if (fs.existsSync(textures)) setFrostTextureFile(textures);
}

export function workerKind(): string {
  return fs.existsSync(BUILT_WORKER) ? 'built dist/corruption-worker.js' : 'TypeScript source under tsx (run npm run build for the built worker)';
}

/** A started pool whose workers have loaded their code (one tiny task each), so timings exclude start-up. */
export async function warmPool(size: number): Promise<CorruptionPool> {
  const pool = CorruptionPool.create(size, { entry: workerEntry() });
  if (!pool) throw new Error('no corruption worker found');
  const image = { height: 4, width: 4, channels: 3 as const, pixels: new Uint8Array(48) };
  const job = { corruption: 'contrast', severity: 1, preset: 'cifar' as const, seed: 0 };
  await corruptBatch(Array.from({ length: size }, () => image), Array.from({ length: size }, (_, i) => i), job, { pool, help: false });
  return pool;
}

export interface Demo {
  readonly name: string;
  readonly config: Config;
  readonly labels: string[];
  readonly dataset: ImageDataset;
  readonly model: ClassifierModel;
}

/** A demo workspace's data and model (or, with `modelFile`, another model with the same input). */
export async function openDemo(name: string, threads = 1, modelFile?: string): Promise<Demo> {
  const loaded = await loadConfigFile(path.join(REPO_ROOT, 'examples', name, 'robustness.json'));
  if (!loaded.config) throw new Error(`examples/${name}/robustness.json does not parse`);
  const config = loaded.config;
  const labels = await readLabels(config.labels as string[] | string, config.dir);
  const data = config.data as Parameters<typeof openDataset>[0];
  const dataset = await openDataset(data, config.dir, { height: config.input!.height, width: config.input!.width, channels: config.input!.channels, labels });
  const model = await loadClassifier(modelFile ?? config.model, config.input!, labels.length, { threads });
  return { name, config, labels, dataset, model };
}

export async function closeDemo(demo: Demo): Promise<void> {
  await demo.model.close();
  await demo.dataset.close();
}

/**
 * An in-memory data set of `count` samples that repeats `base` (sample i is base[i % base.length] with id i).
 * Every read hands out fresh pixel buffers, as a real loader does.
 */
export function repeatedDataset(base: readonly Sample[], count: number): ImageDataset {
  const first = base[0].image;
  return {
    source: '(in memory)',
    count,
    height: first.height,
    width: first.width,
    channels: first.channels,
    async read(ids) {
      return ids.map((id) => {
        const s = base[id % base.length];
        return { id, label: s.label, image: { ...s.image, pixels: s.image.pixels.slice() } };
      });
    },
    async close() {},
  };
}

export const fmt = (value: number, digits = 3): string => {
  if (!Number.isFinite(value)) return '-';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(digits);
};

export const pad = (text: string, width: number): string => (text.length >= width ? text : text + ' '.repeat(width - text.length));
export const padLeft = (text: string, width: number): string => (text.length >= width ? text : ' '.repeat(width - text.length) + text);

/**
 * True when this process was started on the bench file `name` (bench/NAME.ts under tsx, or .bench-out/NAME.js).
 * Not `require.main === module`: inside the bundle of run-all every bench file shares run-all's module object.
 */
export function startedAs(name: string): boolean {
  const entry = process.argv[1] ?? '';
  return path.basename(entry).replace(/\.(ts|js)$/, '') === name;
}
