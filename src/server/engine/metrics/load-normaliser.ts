// Chooses what CE / mCE are normalised by: a reference model's results file when the config names one,
// AlexNet's ImageNet-C errors for the imagenet preset, nothing otherwise (CIFAR-10-C figures are
// reported unnormalised).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config/config';
import { InputError } from '../errors';
import type { ParameterPreset } from '../types';
import { ALEXNET, normaliserFromResults, type Normaliser } from './corruption-metrics';

export async function loadNormaliser(config: Config, preset: ParameterPreset): Promise<Normaliser | undefined> {
  if (config.reference) return readReference(config.reference, config.dir);
  return preset === 'imagenet' ? ALEXNET : undefined;
}

async function readReference(file: string, dir: string): Promise<Normaliser> {
  const fail = (message: string, fix: string) =>
    new InputError(message, { kind: 'config', code: 'reference-invalid', file, configPath: ['reference'], fix });
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw fail('the reference results file was not found', 'write it with `robustness-lens run --full --json FILE` on the reference model, or fix the path in "reference"');
  }
  let value: { clean?: { accuracy?: unknown }; corruptions?: unknown };
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(`the reference results file is not valid JSON (${(error as Error).message})`, 'point "reference" at a results file written by `robustness-lens run --json`');
  }
  const clean = value?.clean?.accuracy;
  const corruptions = value?.corruptions;
  if (typeof clean !== 'number' || !Array.isArray(corruptions)) {
    throw fail('the reference file has no clean.accuracy or corruptions list', 'point "reference" at a results file written by `robustness-lens run --json`');
  }
  const rows = corruptions.filter(
    (r): r is { corruption: string; severity: number; accuracy: number } =>
      typeof r?.corruption === 'string' && typeof r?.severity === 'number' && typeof r?.accuracy === 'number',
  );
  return normaliserFromResults(path.relative(dir, file).split(path.sep).join('/'), clean, rows);
}
