// Pre-generated corruptions in the official layouts, read instead of generated:
//  - CIFAR-10-C: <corruption>.npy of shape (5N, H, W, C) uint8, severity-major (the N images of severity 1
//    first), and labels.npy of shape (5N,);
//  - ImageNet-C: <corruption>/<severity>/<class>/*.JPEG (any PNG/JPEG), class folders named as the labels.
// Sample id i of a condition is the i-th image of that severity, so it lines up with sample i of the clean
// data (the CIFAR-10 test set, the ImageNet validation folder) when both keep the published order.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PregeneratedDataSpec } from '../config/config';
import { InputError } from '../errors';
import type { ImageDataset } from '../types';
import { openImageFolderDataset } from './image-folder-dataset';
import { openNpyDataset } from './npy-dataset';

export interface PregeneratedExpectation {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly labels: readonly string[];
  /** Number of clean samples: every severity must hold exactly this many. */
  readonly count: number;
}

/** The corrupted images of each (corruption, severity), opened on demand. */
export interface PregeneratedCorruptions {
  readonly source: string;
  /** Opens the images of one condition; sample ids line up with the clean data. */
  open(corruption: string, severity: number): Promise<ImageDataset>;
  /** Closes what open() left open; the datasets it returned must be closed first. */
  close(): Promise<void>;
}

const SEVERITIES = 5;

/** Checks that every requested condition is there, and returns a way to open each. */
export async function openPregenerated(
  spec: PregeneratedDataSpec,
  configDir: string,
  conditions: readonly { corruption: string; severity: number }[],
  expected: PregeneratedExpectation,
): Promise<PregeneratedCorruptions> {
  const folder = path.resolve(configDir, spec.path);
  const stat = await fs.stat(folder).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new InputError(`the ${spec.format === 'cifar10-c' ? 'CIFAR-10-C' : 'ImageNet-C'} folder was not found`, {
      kind: 'data',
      code: 'data-folder-missing',
      file: folder,
      configPath: ['data', 'path'],
      fix: 'check "data.path": it is relative to the folder of robustness.json',
    });
  }
  return spec.format === 'cifar10-c' ? openCifar10C(folder, conditions, expected) : openImageNetC(folder, conditions, expected);
}

async function openCifar10C(folder: string, conditions: readonly { corruption: string; severity: number }[], expected: PregeneratedExpectation): Promise<PregeneratedCorruptions> {
  const labels = path.join(folder, 'labels.npy');
  const corruptions = [...new Set(conditions.map((c) => c.corruption))];
  const missing = [];
  for (const name of ['labels', ...corruptions]) {
    if (!(await fs.stat(path.join(folder, `${name}.npy`)).catch(() => undefined))) missing.push(`${name}.npy`);
  }
  if (missing.length > 0) {
    throw new InputError(`the CIFAR-10-C folder lacks ${missing.join(', ')}`, {
      kind: 'data',
      code: 'pregenerated-missing',
      file: folder,
      configPath: ['data', 'path'],
      fix: `download the complete CIFAR-10-C folder, or remove the missing corruptions from the suite's "corruptions"`,
    });
  }
  // Open every file now, so that wrong shapes are reported before the run starts.
  const opened = new Map<string, ImageDataset>();
  try {
    for (const corruption of corruptions) {
      const dataset = await openNpyDataset(path.join(folder, `${corruption}.npy`), labels, {
        height: expected.height,
        width: expected.width,
        channels: expected.channels,
        classCount: expected.labels.length,
      });
      if (dataset.count !== SEVERITIES * expected.count) {
        await dataset.close();
        throw new InputError(`${corruption}.npy holds ${dataset.count} images; ${SEVERITIES} severities x ${expected.count} clean samples = ${SEVERITIES * expected.count} were expected`, {
          kind: 'data',
          code: 'pregenerated-shape',
          file: path.join(folder, `${corruption}.npy`),
          configPath: ['data', 'path'],
          fix: 'use the clean data the corrupted set was made from (e.g. the 10,000-image CIFAR-10 test set) in "data.clean"',
        });
      }
      opened.set(corruption, dataset);
    }
  } catch (error) {
    await Promise.all([...opened.values()].map((d) => d.close()));
    throw error;
  }
  return {
    source: folder,
    async open(corruption, severity) {
      const dataset = opened.get(corruption);
      if (!dataset) throw new RangeError(`${corruption} was not opened`);
      return severitySlice(dataset, (severity - 1) * expected.count, expected.count);
    },
    async close() {
      await Promise.all([...opened.values()].map((d) => d.close()));
    },
  };
}

/** A view of `count` samples of `dataset` from `offset` on, with ids 0..count-1. Closing it closes nothing. */
function severitySlice(dataset: ImageDataset, offset: number, count: number): ImageDataset {
  return {
    source: dataset.source,
    count,
    height: dataset.height,
    width: dataset.width,
    channels: dataset.channels,
    async read(ids) {
      const samples = await dataset.read(ids.map((id) => id + offset));
      return samples.map((sample, i) => ({ ...sample, id: ids[i] }));
    },
    async close() {
      // the underlying file stays open for the other severities; the run closes it
    },
  };
}

async function openImageNetC(folder: string, conditions: readonly { corruption: string; severity: number }[], expected: PregeneratedExpectation): Promise<PregeneratedCorruptions> {
  const missing: string[] = [];
  for (const { corruption, severity } of conditions) {
    const dir = path.join(folder, corruption, String(severity));
    if (!(await fs.stat(dir).catch(() => undefined))?.isDirectory()) missing.push(`${corruption}/${severity}`);
  }
  if (missing.length > 0) {
    throw new InputError(`the ImageNet-C folder lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`, {
      kind: 'data',
      code: 'pregenerated-missing',
      file: folder,
      configPath: ['data', 'path'],
      fix: 'complete the folder (<corruption>/<severity>/<class>/*.JPEG), or remove the missing corruptions or severities from the suite',
    });
  }
  return {
    source: folder,
    async open(corruption, severity) {
      const dir = path.join(folder, corruption, String(severity));
      const dataset = await openImageFolderDataset(dir, expected);
      if (dataset.count !== expected.count) {
        await dataset.close();
        throw new InputError(`${corruption}/${severity} holds ${dataset.count} images but the clean data holds ${expected.count}`, {
          kind: 'data',
          code: 'pregenerated-shape',
          file: dir,
          configPath: ['data', 'path'],
          fix: 'every severity folder must hold the same images, in the same class folders and names, as "data.clean"',
        });
      }
      return dataset;
    },
    async close() {
      // each condition's folder dataset is closed by whoever opened it
    },
  };
}
