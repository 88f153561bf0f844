// A labelled image data set stored as one subfolder per label (torchvision's ImageFolder layout):
//   data/test/cat/001.png, data/test/dog/a.jpg, ...
// Subfolder names must be labels from the config; labels without a subfolder simply have no samples.
// Images are .png, .jpg and .jpeg files (any case) directly inside a label folder. Sample ids follow
// the labels' order, then file names within a folder (sorted by UTF-16 code units, locale-free).
// Other entries (files of other types, nested folders, hidden entries such as .DS_Store) are skipped
// and listed in `ignoredFiles`. Opening lists the files only; images are decoded on demand in read()
// (see decode-image.ts for the conversion to the configured size and channels), plain PNGs in worker threads when
// the caller offers a decoder (the corruption pool: see decode-png-files.ts).
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import type { ImageDataset, ReadOptions, Sample } from '../types';
import { decodeImageFile, type PixelFormat } from './decode-image';
import { mapLimited } from './map-limited';

export interface ImageFolderExpectation extends PixelFormat {
  readonly labels: readonly string[];
}

/** An image-folder data set, its image files (absolute paths, in sample id order) and the files it skipped. */
export type ImageFolderDataset = ImageDataset & { readonly files: readonly string[]; readonly ignoredFiles: string[] };

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg']);
const DATA_PATH = ['data', 'path'] as const;
/** Images decoded at once by read(). */
const DECODE_CONCURRENCY = 4;

/** Lists the data set's files; throws an InputError (kind 'data') when the layout does not fit the labels. */
export async function openImageFolderDataset(folder: string, expected: ImageFolderExpectation): Promise<ImageFolderDataset> {
  const name = path.basename(folder);
  const fail = (code: string, message: string, fix: string): InputError =>
    new InputError(message, { kind: 'data', code, file: folder, place: 'folder', configPath: DATA_PATH, fix });

  let entries: Dirent[];
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') {
      throw fail('data-not-folder', `${name} is a file, not a folder`, 'for "format": "imagefolder" give a folder with one subfolder per label');
    }
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw fail('data-folder-missing', `the data folder ${name} ${reason}`, 'check the path; it is relative to the folder of robustness.json');
  }

  const ignoredFiles: string[] = [];
  const labelFolders = new Map<number, string>();
  const unknown: string[] = [];
  for (const entry of sortByName(entries)) {
    const full = path.join(folder, entry.name);
    if (entry.name.startsWith('.') || !(await isDirectory(full, entry))) {
      ignoredFiles.push(full);
      continue;
    }
    const index = expected.labels.indexOf(entry.name);
    if (index < 0) unknown.push(entry.name);
    else labelFolders.set(index, full);
  }
  if (unknown.length > 0) {
    const list = expected.labels.map((l) => `'${l}'`).join(', ');
    const caseHint = unknown
      .map((u) => [u, expected.labels.find((l) => l.toLowerCase() === u.toLowerCase())])
      .filter(([, l]) => l !== undefined)
      .map(([u, l]) => `rename '${u}' to '${l}'`);
    throw fail(
      'data-unknown-label-folder',
      `${name} has ${unknown.length === 1 ? 'a subfolder' : 'subfolders'} matching no label: ${unknown.map((u) => `'${u}'`).join(', ')}; the labels are ${list}`,
      caseHint.length > 0
        ? `${caseHint.join(', ')} (names must match the labels exactly)`
        : 'name each subfolder after one of the labels, or add the missing labels to "labels" in robustness.json',
    );
  }

  const files: string[] = [];
  const labelIds: number[] = [];
  for (let label = 0; label < expected.labels.length; label++) {
    const labelFolder = labelFolders.get(label);
    if (labelFolder === undefined) continue;
    for (const entry of sortByName(await fs.readdir(labelFolder, { withFileTypes: true }))) {
      const full = path.join(labelFolder, entry.name);
      const isImage = !entry.name.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase()) && !(await isDirectory(full, entry));
      if (isImage) {
        files.push(full);
        labelIds.push(label);
      } else {
        ignoredFiles.push(full);
      }
    }
  }
  if (files.length === 0) {
    throw fail(
      'data-empty',
      `${name} holds no images (.png, .jpg or .jpeg) in its label subfolders`,
      `provide at least one sample: put images in one subfolder per label, e.g. ${name}/${expected.labels[0] ?? 'label'}/0001.png`,
    );
  }
  return new ImageFolder(folder, files, Int32Array.from(labelIds), expected, ignoredFiles);
}

/**
 * The error for the files of one read that cannot be decoded: the first one's (its file, place and fix), its
 * message extended with how many of the files read together fail too, naming up to five of them.
 */
function unreadableImages(failures: readonly { readonly k: number; readonly error: InputError }[], files: readonly string[]): InputError {
  const sorted = [...failures].sort((a, b) => a.k - b.k);
  const first = sorted[0].error;
  if (sorted.length === 1) return first;
  const others = sorted.slice(1).map((f) => path.basename(files[f.k]));
  const named = others.length > 5 ? `${others.slice(0, 5).join(', ')} and ${others.length - 5} more` : others.join(', ');
  return new InputError(`${first.message}; ${others.length} more of the ${files.length} images read with it cannot be read either: ${named}`, first.details);
}

/** Entries sorted by name in UTF-16 code-unit order, so that ids do not depend on the locale. */
function sortByName(entries: Dirent[]): Dirent[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** True for a folder, following symbolic links. */
async function isDirectory(full: string, entry: Dirent): Promise<boolean> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  try {
    return (await fs.stat(full)).isDirectory();
  } catch {
    return false; // a dangling link
  }
}

class ImageFolder implements ImageFolderDataset {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  private closed = false;

  constructor(
    readonly source: string,
    readonly files: readonly string[],
    private readonly labelIds: Int32Array,
    private readonly expected: ImageFolderExpectation,
    readonly ignoredFiles: string[],
  ) {
    this.count = files.length;
    this.height = expected.height;
    this.width = expected.width;
    this.channels = expected.channels;
  }

  async read(ids: readonly number[], options: ReadOptions = {}): Promise<Sample[]> {
    if (this.closed) throw new Error(`read from ${this.source} after close`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.count) throw new RangeError(`sample id ${id} is outside 0..${this.count - 1}`);
    }
    const distinct = [...new Set(ids)];
    // The decoder (worker threads) takes the plain PNGs; every other file, and every error, goes the general way.
    const decoded = options.decoder ? await options.decoder.decodeFiles(distinct.map((id) => this.files[id]), this.expected) : undefined;
    // Every file is tried, so that an error can say how many of them cannot be read, not only the first.
    const failures: { readonly k: number; readonly error: InputError }[] = [];
    const images = await mapLimited(distinct, DECODE_CONCURRENCY, async (id, k) => {
      const fast = decoded?.[k];
      if (fast) return fast;
      try {
        return await decodeImageFile(this.files[id], this.expected, {
          place: `sample ${id} (label '${this.expected.labels[this.labelIds[id]]}')`,
          configPath: DATA_PATH,
        });
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        failures.push({ k, error });
        return undefined;
      }
    });
    if (failures.length > 0) throw unreadableImages(failures, distinct.map((id) => this.files[id]));
    const imageById = new Map(distinct.map((id, k) => [id, images[k]!]));
    const handedOut = new Set<number>();
    return ids.map((id) => {
      const image = imageById.get(id)!;
      // A repeated id gets its own copy, so that no two samples share pixel memory.
      const own = handedOut.has(id) ? { ...image, pixels: image.pixels.slice() } : image;
      handedOut.add(id);
      return { id, label: this.labelIds[id], image: own };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
