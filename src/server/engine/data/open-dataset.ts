// Opening the data set that the config's "data" entry describes: resolves its paths against the
// config's folder and hands over to the loader of its format (npy-dataset.ts, image-folder-dataset.ts).
import * as path from 'node:path';
import { InputError } from '../errors';
import type { ImageDataset } from '../types';
import { openImageFolderDataset } from './image-folder-dataset';
import { openNpyDataset } from './npy-dataset';

export type DataSource =
  | { readonly format: 'npy'; readonly x: string; readonly y: string }
  | { readonly format: 'imagefolder'; readonly path: string };

export interface DatasetExpectation {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** The class labels; label i names class id i. */
  readonly labels: readonly string[];
}

/** Opens the data set; paths in `data` may be relative to `configDir`. */
export async function openDataset(data: DataSource, configDir: string, expected: DatasetExpectation): Promise<ImageDataset> {
  switch (data.format) {
    case 'npy':
      return openNpyDataset(path.resolve(configDir, data.x), path.resolve(configDir, data.y), {
        height: expected.height,
        width: expected.width,
        channels: expected.channels,
        classCount: expected.labels.length,
      });
    case 'imagefolder':
      return openImageFolderDataset(path.resolve(configDir, data.path), expected);
    default: {
      const format = (data as { format?: unknown }).format;
      throw new InputError(`unknown data format ${JSON.stringify(format)}`, {
        kind: 'config',
        code: 'data-format-unknown',
        place: 'data.format',
        configPath: ['data', 'format'],
        fix: 'use "npy" (with "x" and "y") or "imagefolder" (with "path")',
      });
    }
  }
}
