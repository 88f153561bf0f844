// Test helper: copies a demo or fixture workspace into a temporary folder that a test may change freely.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export async function copyWorkspace(source: string): Promise<string> {
  const target = await fs.mkdtemp(path.join(os.tmpdir(), 'robustness-lens-test-'));
  await fs.cp(source, target, { recursive: true, filter: (file) => !file.includes(`${path.sep}.robustness`) });
  return target;
}

export async function removeWorkspace(folder: string): Promise<void> {
  await fs.rm(folder, { recursive: true, force: true });
}
