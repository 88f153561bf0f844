// A workspace for shift tests: a copy of the Fashion-MNIST demo plus two shifted copies of its images made with
// our own corruptions (contrast severity 4 as a target-dev set, fog severity 3 as the frozen test set) and a
// side file of groups (first and second half of the samples).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './lsp-client';
import { copyWorkspace } from './workspace';
import { encodeNpy, readNpy } from '../../src/server/engine/data/npy';
import { applyCorruption } from '../../src/server/engine/perturb/image/registry';

const DEMO = path.join(REPO_ROOT, 'examples', 'fashion-mnist');

async function shifted(folder: string, name: string, corruption: string, severity: number): Promise<void> {
  const x = await readNpy(path.join(folder, 'data', 'x.npy'));
  const [n, h, w] = x.shape;
  const out = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const image = { height: h, width: w, channels: 1, pixels: (x.data as Uint8Array).subarray(i * h * w, (i + 1) * h * w) };
    out.set(applyCorruption(image, corruption, severity, 'cifar', 0, i).pixels, i * h * w);
  }
  await fs.writeFile(path.join(folder, 'data', `${name}.npy`), encodeNpy('u1', [n, h, w], out));
}

export const GROUPS_CSV = ['sample,group', ...Array.from({ length: 500 }, (_, i) => `${i},${i < 250 ? 'first-half' : 'second-half'}`)].join('\n');

export async function makeShiftWorkspace(): Promise<string> {
  const folder = await copyWorkspace(DEMO);
  await shifted(folder, 'contrast', 'contrast', 4);
  await shifted(folder, 'fog', 'fog', 3);
  await fs.writeFile(path.join(folder, 'data', 'groups.csv'), GROUPS_CSV);
  return folder;
}

/** The shift section the tests start from: source, an identical copy, contrast (grouped), fog (frozen). */
export function shiftSection(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    datasets: {
      source: { role: 'source-heldout', data: { format: 'npy', x: 'data/x.npy', y: 'data/y.npy' } },
      copy: { role: 'target-dev', data: { format: 'npy', x: 'data/x.npy', y: 'data/y.npy' } },
      contrast: { role: 'target-dev', data: { format: 'npy', x: 'data/contrast.npy', y: 'data/y.npy' }, groups: { file: 'data/groups.csv' } },
      fog: { role: 'target-test', data: { format: 'npy', x: 'data/fog.npy', y: 'data/y.npy' } },
    },
    bootstrap: { resamples: 200 },
    checks: [
      { dataset: 'contrast', metric: 'accuracy', maxGap: 0.01 },
      { dataset: 'copy', metric: 'accuracy', min: 0.5 },
      { dataset: 'contrast', metric: 'accuracy', over: 'worst-group', min: 0.1 },
      { dataset: 'fog', metric: 'accuracy', min: 0.99 },
    ],
    ...extra,
  };
}

/** Writes robustness.json for the Fashion model with the shift section (and the corruption suite when asked). */
export async function writeShiftConfig(folder: string, shift: Record<string, unknown>, withData = false): Promise<string> {
  const file = path.join(folder, 'robustness.json');
  const config = {
    model: 'models/classifier.onnx',
    input: { layout: 'NCHW', size: [28, 28], channels: 1, scale: 255, mean: [0], std: [1] },
    labels: 'labels.txt',
    ...(withData ? { data: { format: 'npy', x: 'data/x.npy', y: 'data/y.npy' }, smoke: { samples: 64, corruptions: ['gaussian_noise'], severities: [3] } } : {}),
    shift,
    seed: 0,
  };
  await fs.writeFile(file, JSON.stringify(config, null, 2));
  return file;
}
