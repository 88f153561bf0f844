// Corrupted images kept across runs. A corrupted image is a pure function of (the clean image, corruption,
// severity, preset, run seed, sample id, CORRUPTIONS_VERSION), so the server's smoke test on save, which reruns
// the same conditions on the same samples with a new model, can skip corrupting and go straight to inference.
//
// The clean samples of a data set are kept too (with their labels), so that a repeat run reads no image file, and
// so are the images as the model's input tensor (for one input description per group), so that it does not
// preprocess them again either.
//
// Keys carry a scope that names the data (its source and a fingerprint of its files, see dataFingerprint): changed
// data never hits an old entry. The server also clears the cache when a watched data file changes. Least recently
// used groups (one data set and condition) go first once the bytes held (pixels and tensors) pass `maxBytes`. Images are copied in and handed out read-only:
// callers must not write to them.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CleanDataSpec } from '../config/config';
import type { Image, Sample } from '../types';
import { CORRUPTIONS_VERSION } from '../perturb/image/registry';

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export interface ConditionKey {
  readonly corruption: string;
  readonly severity: number;
  readonly preset: string;
  readonly seed: number;
}

/** The kept images of one data set and condition (or its clean samples), by sample id. */
interface Group {
  readonly images: Map<number, Image>;
  /** Labels, for the clean samples. */
  readonly labels: Map<number, number>;
  /** The images as the model's input (preprocessed), for one input description (`tensorsFor`). */
  tensors: Map<number, Float32Array>;
  tensorsFor: string | undefined;
  bytes: number;
}

export class CorruptedImageCache {
  /** Groups in least-recently-used order (the first is evicted first). */
  private readonly groups = new Map<string, Group>();
  private held = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes = DEFAULT_CACHE_BYTES) {}

  /** The key of one data set and condition. */
  static prefix(scope: string, condition: ConditionKey): string {
    return `${scope}\u0000${CORRUPTIONS_VERSION}\u0000${condition.preset}\u0000${condition.seed}\u0000${condition.corruption}\u0000${condition.severity}`;
  }

  /** The key of a data set's clean samples (kept with their labels, so a run need not read them again). */
  static cleanPrefix(scope: string): string {
    return `${scope}\u0000clean`;
  }

  /** Marks a group as the most recently used. */
  private touch(key: string): Group | undefined {
    const group = this.groups.get(key);
    if (group) {
      this.groups.delete(key);
      this.groups.set(key, group);
    }
    return group;
  }

  /** The images of all `ids` in one group, or undefined when any is missing. */
  getAll(key: string, ids: readonly number[]): Image[] | undefined {
    const group = this.touch(key);
    const found: Image[] = [];
    for (const id of ids) {
      const image = group?.images.get(id);
      if (!image) {
        this.misses += ids.length;
        return undefined;
      }
      found.push(image);
    }
    this.hits += ids.length;
    return found;
  }

  /** The clean samples of all `ids`, or undefined when any is missing. */
  getSamples(key: string, ids: readonly number[]): Sample[] | undefined {
    const images = this.getAll(key, ids);
    if (!images) return undefined;
    const labels = this.groups.get(key)!.labels;
    return images.map((image, i) => ({ id: ids[i], label: labels.get(ids[i]) ?? -1, image }));
  }

  /** Stores copies of clean samples with their labels. */
  setSamples(key: string, samples: readonly Sample[]): void {
    this.setAll(
      key,
      samples.map((s) => s.id),
      samples.map((s) => s.image),
      samples.map((s) => s.label),
    );
  }

  /** Stores copies of the images (their buffers may be reused or shared by the caller). */
  setAll(key: string, ids: readonly number[], images: readonly Image[], labels?: readonly number[]): void {
    let group = this.touch(key);
    if (!group) {
      group = { images: new Map(), labels: new Map(), tensors: new Map(), tensorsFor: undefined, bytes: 0 };
      this.groups.set(key, group);
    }
    for (const [i, id] of ids.entries()) {
      const image = images[i];
      const old = group.images.get(id);
      if (old) {
        group.bytes -= old.pixels.byteLength;
        this.held -= old.pixels.byteLength;
      }
      group.images.set(id, { height: image.height, width: image.width, channels: image.channels, pixels: Uint8Array.from(image.pixels) });
      if (labels) group.labels.set(id, labels[i]);
      group.bytes += image.pixels.byteLength;
      this.held += image.pixels.byteLength;
    }
    this.evict();
  }

  /** The preprocessed inputs of all `ids` for the input description `input`, or undefined when any is missing. */
  getTensors(key: string, input: string, ids: readonly number[]): Float32Array[] | undefined {
    const group = this.groups.get(key);
    if (!group || group.tensorsFor !== input) return undefined;
    const found: Float32Array[] = [];
    for (const id of ids) {
      const tensor = group.tensors.get(id);
      if (!tensor) return undefined;
      found.push(tensor);
    }
    return found;
  }

  /** Keeps copies of the rows of a preprocessed batch (row i is sample ids[i]) for the input description `input`. */
  setTensors(key: string, input: string, ids: readonly number[], batch: Float32Array, perImage: number): void {
    let group = this.touch(key);
    if (!group) {
      group = { images: new Map(), labels: new Map(), tensors: new Map(), tensorsFor: undefined, bytes: 0 };
      this.groups.set(key, group);
    }
    if (group.tensorsFor !== input) {
      for (const t of group.tensors.values()) {
        group.bytes -= t.byteLength;
        this.held -= t.byteLength;
      }
      group.tensors = new Map();
      group.tensorsFor = input;
    }
    for (const [i, id] of ids.entries()) {
      const old = group.tensors.get(id);
      if (old) {
        group.bytes -= old.byteLength;
        this.held -= old.byteLength;
      }
      const row = batch.slice(i * perImage, (i + 1) * perImage);
      group.tensors.set(id, row);
      group.bytes += row.byteLength;
      this.held += row.byteLength;
    }
    this.evict();
  }

  /** Whole groups go, least recently used first (the one just written is the most recent). */
  private evict(): void {
    for (const [other, g] of this.groups) {
      if (this.held <= this.maxBytes) break;
      this.groups.delete(other);
      this.held -= g.bytes;
    }
  }

  get bytes(): number {
    return this.held;
  }

  /** Images held. */
  get size(): number {
    let count = 0;
    for (const g of this.groups.values()) count += g.images.size;
    return count;
  }

  clear(): void {
    this.groups.clear();
    this.held = 0;
  }
}

/**
 * Names a clean data set's current contents for cache keys: its paths with the size and modification time of the
 * npy files, or of an image folder and its label subfolders (files added, removed or renamed change a folder's
 * time) with the number of images.
 */
export async function dataFingerprint(data: CleanDataSpec, dir: string, count: number): Promise<string> {
  const stamp = async (file: string) => {
    const stat = await fs.stat(file);
    return `${file}:${stat.size}:${stat.mtimeMs}`;
  };
  if (data.format === 'npy') return [await stamp(path.resolve(dir, data.x)), await stamp(path.resolve(dir, data.y))].join('|');
  const root = path.resolve(dir, data.path);
  const entries = await fs.readdir(root, { withFileTypes: true });
  const folders = entries.filter((e) => e.isDirectory()).map((e) => path.join(root, e.name)).sort();
  return [await stamp(root), ...(await Promise.all(folders.map(stamp))), `count:${count}`].join('|');
}
