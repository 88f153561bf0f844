// A copy of a demo workspace opened in a real VS Code for the tests of one describe block: registers the
// before/after hooks that make and remove the copy, start and stop code-server, and open and close the browser.
import { after, before } from 'node:test';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { copyWorkspace, removeWorkspace } from '../../helpers/workspace';
import { REPO_ROOT, startCodeServer, type CodeServer } from './code-server';
import { openWorkbench, type Workbench } from './workbench';

export interface DemoOptions {
  /** Accept the demo model's smoke results as the baseline first (with the CLI), as a committed baseline would be. */
  readonly baseline?: boolean;
  /** Changes to the copy before VS Code opens it. */
  readonly prepare?: (folder: string) => Promise<void>;
  /** User settings for this VS Code. */
  readonly userSettings?: Record<string, unknown>;
}

export interface DemoInEditor {
  folder(): string;
  server(): CodeServer;
  workbench(): Workbench;
}

export function demoInEditor(demo: string, options: DemoOptions = {}): DemoInEditor {
  let folder: string;
  let server: CodeServer;
  let workbench: Workbench;
  before(async () => {
    folder = await copyWorkspace(demo);
    if (options.baseline) {
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', '--smoke', '--write-baseline', '--quiet'], { cwd: folder });
    }
    await options.prepare?.(folder);
    server = await startCodeServer({ workspaceFolder: folder, extensionDevelopmentPath: REPO_ROOT, userSettings: options.userSettings });
    workbench = await openWorkbench(server.url());
  });
  after(async () => {
    await workbench?.close();
    await server?.stop();
    if (folder) await removeWorkspace(folder);
  });
  return { folder: () => folder, server: () => server, workbench: () => workbench };
}
