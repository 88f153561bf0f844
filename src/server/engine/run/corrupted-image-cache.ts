// Corrupted images kept across runs. A corrupted image is a pure function of (the clean image, corruption,
// severity, preset, run seed, sample id, CORRUPTIONS_VERSION), so the server's smoke test on save, which reruns
// the same conditions on the same samples with a new model, can skip corrupting and go straight to inference.
//
// Keys carry a scope that names the data (its source and a fingerprint of its files, see dataFingerprint): changed
// data never hits an old entry. The server also clears the cache when a watched data file changes. Least recently
// used entries go first once the pixels held pass `maxBytes`. Images are copied in and handed out read-only:
// callers must not write to them.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CleanDataSpec } from '../config/config';
import type { Image } from '../types';
import { CORRUPTIONS_VERSION } from '../perturb/image/registry';

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export interface ConditionKey {
  readonly corruption: string;
  readonly severity: number;
  readonly preset: string;
  readonly seed: number;
}

export class CorruptedImageCache {
  private readonly entries = new Map<string, Image>();
  private held = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes = DEFAULT_CACHE_BYTES) {}

  /** The prefix of every key of one data set and condition. */
  static prefix(scope: string, condition: ConditionKey): string {
    return `${scope}\u0000${CORRUPTIONS_VERSION}\u0000${condition.preset}\u0000${condition.seed}\u0000${condition.corruption}\u0000${condition.severity}\u0000`;
  }

  /** The images of all `ids` under one prefix, or undefined when any is missing (then nothing counts as used). */
  getAll(prefix: string, ids: readonly number[]): Image[] | undefined {
    const found: Image[] = [];
    for (const id of ids) {
      const image = this.entries.get(prefix + id);
      if (!image) {
        this.misses += ids.length;
        return undefined;
      }
      found.push(image);
    }
    for (const [i, id] of ids.entries()) {
      // Most recently used last.
      this.entries.delete(prefix + id);
      this.entries.set(prefix + id, found[i]);
    }
    this.hits += ids.length;
    return found;
  }

  /** Stores copies of the images (their buffers may be reused or shared by the caller). */
  setAll(prefix: string, ids: readonly number[], images: readonly Image[]): void {
    for (const [i, id] of ids.entries()) {
      const image = images[i];
      const key = prefix + id;
      const old = this.entries.get(key);
      if (old) {
        this.held -= old.pixels.byteLength;
        this.entries.delete(key);
      }
      if (image.pixels.byteLength > this.maxBytes) continue;
      this.entries.set(key, { height: image.height, width: image.width, channels: image.channels, pixels: Uint8Array.from(image.pixels) });
      this.held += image.pixels.byteLength;
    }
    for (const [key, image] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(key);
      this.held -= image.pixels.byteLength;
    }
  }

  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
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
