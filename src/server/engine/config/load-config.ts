// Reads robustness.json from disk and parses it.
import { promises as fs } from 'node:fs';
import { InputError } from '../errors';
import { parseConfig, type ParsedConfig } from './parse-config';

export interface LoadedConfig extends ParsedConfig {
  readonly file: string;
  readonly text: string;
}

export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'configuration file not found' : `cannot read the configuration (${code})`, {
      kind: 'usage',
      code: 'config-missing',
      file,
      fix: 'create robustness.json at the root of the workspace folder (see the README), or pass --config PATH',
    });
  }
  return { ...parseConfig(text, file), file, text };
}
