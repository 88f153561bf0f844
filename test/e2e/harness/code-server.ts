/**
 * Starts code-server (VS Code 1.100.3's server + web workbench, installed by scripts/install-code-server.sh
 * into .vscode-test/code-server/) for end-to-end tests, with throw-away user data, extensions and XDG folders.
 *
 *   const server = await startCodeServer({ workspaceFolder, extensionDevelopmentPath });
 *   const page = (await openWorkbench(server.url())).page;
 *   ...
 *   await server.stop();
 *
 * The workbench URL loads the extension under development through the `payload` query parameter
 * (`extensionDevelopmentPath`, and optionally `extensionTestsPath` to run a mocha suite in the extension host).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Repository root (this file lives in test/e2e/harness/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Where scripts/install-code-server.sh puts code-server. */
export const CODE_SERVER_DIR = path.join(REPO_ROOT, '.vscode-test', 'code-server');
export const CODE_SERVER_VERSION = '4.100.3';

/** Settings written to the temporary user-data-dir's User/settings.json to keep the UI quiet and offline. */
export const DEFAULT_USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'git.openRepositoryInParentFolders': 'never',
  'json.schemaDownload.enable': false,
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'chat.commandCenter.enabled': false,
  'files.autoSave': 'off',
  'window.commandCenter': false,
};

export interface StartCodeServerOptions {
  /** Folder opened by default (also passed as code-server's positional argument). */
  workspaceFolder?: string;
  /** Absolute path(s) of the extension(s) to load as "under development". */
  extensionDevelopmentPath?: string | string[];
  /** Absolute path of a JS module exporting `run(): Promise<void>`, run in the extension host (in-editor tests). */
  extensionTestsPath?: string;
  /** Fixed port; default: a free port chosen automatically. */
  port?: number;
  /** Merged over DEFAULT_USER_SETTINGS. */
  userSettings?: Record<string, unknown>;
  /** Default true. Set false for tests of workspace-trust behaviour. */
  disableWorkspaceTrust?: boolean;
  /** Extra command line arguments for code-server. */
  extraArgs?: string[];
  /** Extra environment variables for code-server (and so for the extension host). */
  env?: Record<string, string | undefined>;
  /** Milliseconds to wait for /healthz. Default 60000. */
  startTimeoutMs?: number;
}

export interface UrlOptions {
  /** Overrides the server's extensionTestsPath for this URL. */
  extensionTestsPath?: string;
  /** Additional payload entries, e.g. [['openFile', 'vscode-remote://…']]. */
  payload?: Array<[string, string]>;
  /** Omit extensionDevelopmentPath from the payload. */
  noExtensionDevelopment?: boolean;
}

export interface CodeServer {
  /** e.g. http://127.0.0.1:39123 */
  readonly baseUrl: string;
  readonly port: number;
  /** Temp folder holding user-data-dir, extensions-dir, XDG dirs and the log (removed by stop()). */
  readonly tempDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** code-server's captured stdout + stderr. */
  readonly logFile: string;
  /** The workbench URL for `folder` (default: workspaceFolder) loading the extension under development. */
  url(folder?: string, options?: UrlOptions): string;
  /** `vscode-remote://127.0.0.1:PORT/<abs path>` for a path on this machine. */
  remoteUri(absPath: string): string;
  /** Current content of the captured stdout/stderr. */
  readLog(): string;
  /** Copies the captured log and VS Code's own logs (exthost, remote agent…) into destDir. Returns the paths. */
  collectLogs(destDir: string, prefix: string): string[];
  /** SIGTERM, wait, SIGKILL after 5 s; removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/** Servers started and not yet stopped (used by failure reporting in workbench.ts). */
export const runningServers = new Set<CodeServer>();

/** Synchronous last-resort cleanups of running servers (kill the process group, remove the temp folder). */
const emergencyCleanups = new Set<() => void>();
let signalHooksInstalled = false;

/**
 * code-server runs in its own process group (so that stop() can reach the extension host too); therefore a
 * Ctrl+C or the test runner's SIGTERM would not reach it. Kill running servers on these signals, then let the
 * signal take its default course unless someone else handles it.
 */
function installSignalHooks(): void {
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      for (const cleanup of [...emergencyCleanups]) cleanup();
      emergencyCleanups.clear();
      process.removeListener(sig, handler);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

export function codeServerBinary(): string {
  const fromEnv = process.env.CODE_SERVER_BIN;
  if (fromEnv) return fromEnv;
  return path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Throws a clear error when code-server has not been installed. */
export function assertCodeServerInstalled(): void {
  const bin = codeServerBinary();
  if (!fs.existsSync(bin)) {
    throw new Error(
      `code-server is not installed (${bin} is missing). Run: scripts/install-code-server.sh ` +
        `(needs apt packages chromium, ripgrep, libkrb5-dev)`,
    );
  }
  if (!process.env.CODE_SERVER_BIN) {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'package.json'), 'utf8'),
    ) as { version?: string };
    if (pkg.version !== CODE_SERVER_VERSION) {
      throw new Error(
        `code-server ${pkg.version} found, ${CODE_SERVER_VERSION} expected: run scripts/install-code-server.sh --force`,
      );
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group led by pgid is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function cleanEnv(extra: Record<string, string | undefined>, dirs: { config: string; data: string; cache: string; state: string }) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    // Do not let an outer VS Code (e.g. when tests run from its terminal) leak into this one.
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  env.XDG_CONFIG_HOME = dirs.config;
  env.XDG_DATA_HOME = dirs.data;
  env.XDG_CACHE_HOME = dirs.cache;
  env.XDG_STATE_HOME = dirs.state;
  // code-server would otherwise read a password / port from these.
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  delete env.PORT;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function copyTree(src: string, dest: string, out: string[]): void {
  if (!fs.existsSync(src)) return;
  const st = fs.statSync(src);
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(src)) copyTree(path.join(src, name), path.join(dest, name), out);
  } else if (st.isFile()) {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
    out.push(dest);
  }
}

interface Attempt {
  child: ChildProcess;
  exited: Promise<number | null>;
  exitCode: () => number | null | undefined;
}

export async function startCodeServer(options: StartCodeServerOptions = {}): Promise<CodeServer> {
  assertCodeServerInstalled();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-code-server-'));
  const userDataDir = path.join(tempDir, 'user-data');
  const extensionsDir = path.join(tempDir, 'extensions');
  const xdg = {
    config: path.join(tempDir, 'xdg', 'config'),
    data: path.join(tempDir, 'xdg', 'data'),
    cache: path.join(tempDir, 'xdg', 'cache'),
    state: path.join(tempDir, 'xdg', 'state'),
  };
  for (const d of [userDataDir, extensionsDir, ...Object.values(xdg)]) fs.mkdirSync(d, { recursive: true });
  const logFile = path.join(tempDir, 'code-server.log');

  const settings = { ...DEFAULT_USER_SETTINGS, ...(options.userSettings ?? {}) };
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  // An explicit config file keeps code-server from writing a default one (with a random password).
  const configFile = path.join(tempDir, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');

  const disableTrust = options.disableWorkspaceTrust ?? true;
  const env = cleanEnv(options.env ?? {}, xdg);
  const logStream = fs.openSync(logFile, 'a');

  // Last resort when the test process dies without stop() (crash, signal, closed pipe), including while
  // starting: kill code-server's process group and remove the temp folder, synchronously.
  let currentPid: number | undefined;
  let cleanedUp = false;
  const emergencyCleanup = () => {
    if (cleanedUp) return;
    cleanedUp = true;
    emergencyCleanups.delete(emergencyCleanup);
    process.removeListener('exit', emergencyCleanup);
    if (currentPid) {
      try {
        process.kill(-currentPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      fs.closeSync(logStream);
    } catch {
      /* closed */
    }
    try {
      fs.rmSync(tempDir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  };
  installSignalHooks();
  emergencyCleanups.add(emergencyCleanup);
  process.once('exit', emergencyCleanup);

  const launch = (port: number): Attempt => {
    const args = [
      codeServerBinary(),
      '--config', configFile,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--cert', 'false',
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--disable-file-downloads',
      '--ignore-last-opened',
      ...(disableTrust ? ['--disable-workspace-trust'] : []),
      ...(options.extraArgs ?? []),
      ...(options.workspaceFolder ? [options.workspaceFolder] : []),
    ];
    fs.writeSync(logStream, `$ ${process.execPath} ${args.join(' ')}\n`);
    // Own process group, so that stop() can also reach the extension host and other children.
    const child = spawn(process.execPath, args, {
      cwd: options.workspaceFolder ?? tempDir,
      env,
      detached: true,
      stdio: ['ignore', logStream, logStream],
    });
    currentPid = child.pid;
    let code: number | null | undefined;
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (c, signal) => {
        code = c ?? (signal ? -1 : null);
        resolve(code);
      });
      child.on('error', (err) => {
        fs.writeSync(logStream, `spawn error: ${err.stack ?? err}\n`);
        code = -1;
        resolve(-1);
      });
    });
    return { child, exited, exitCode: () => code };
  };

  const readLog = () => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const tail = () => readLog().split('\n').slice(-40).join('\n');

  const waitHealthy = async (port: number, attempt: Attempt, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (attempt.exitCode() !== undefined) return false;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return true;
      } catch {
        /* not up yet */
      }
      await sleep(200);
    }
    throw new Error(`code-server did not answer /healthz within ${timeoutMs} ms. Log tail:\n${tail()}`);
  };

  let port = options.port ?? 0;
  let attempt: Attempt | undefined;
  const tries = options.port ? 1 : 3;
  try {
    for (let i = 0; i < tries; i++) {
      if (!options.port) port = await freePort();
      attempt = launch(port);
      if (await waitHealthy(port, attempt, options.startTimeoutMs ?? 60_000)) break;
      // Exited before becoming healthy: maybe the port was taken meanwhile; retry on another one.
      attempt = undefined;
    }
    if (!attempt) throw new Error(`code-server exited before becoming healthy. Log tail:\n${tail()}`);
  } catch (err) {
    emergencyCleanup();
    throw err;
  }

  const child = attempt.child;
  const exited = attempt.exited;
  const pid = child.pid!;
  const baseUrl = `http://127.0.0.1:${port}`;
  const remoteUri = (absPath: string) => {
    const p = path.resolve(absPath).split(path.sep).map(encodeURIComponent).join('/');
    return `vscode-remote://127.0.0.1:${port}${p.startsWith('/') ? '' : '/'}${p}`;
  };

  let stopped: Promise<void> | undefined;
  const server: CodeServer = {
    baseUrl,
    port,
    tempDir,
    userDataDir,
    extensionsDir,
    logFile,
    remoteUri,
    readLog,
    url(folder?: string, urlOptions: UrlOptions = {}) {
      const payload: Array<[string, string]> = [];
      if (options.extensionDevelopmentPath && !urlOptions.noExtensionDevelopment) {
        const dev = ([] as string[]).concat(options.extensionDevelopmentPath);
        for (const p of dev) payload.push(['extensionDevelopmentPath', remoteUri(p)]);
      }
      const testsPath = urlOptions.extensionTestsPath ?? options.extensionTestsPath;
      if (testsPath) payload.push(['extensionTestsPath', remoteUri(testsPath)]);
      payload.push(['skipWelcome', 'true']);
      payload.push(...(urlOptions.payload ?? []));
      const params: string[] = [];
      const f = folder ?? options.workspaceFolder;
      if (f) params.push(`folder=${encodeURIComponent(path.resolve(f))}`);
      params.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
      return `${baseUrl}/?${params.join('&')}`;
    },
    collectLogs(destDir: string, prefix: string) {
      const out: string[] = [];
      fs.mkdirSync(destDir, { recursive: true });
      const dest = path.join(destDir, `${prefix}-code-server.log`);
      fs.writeFileSync(dest, readLog());
      out.push(dest);
      copyTree(path.join(userDataDir, 'logs'), path.join(destDir, `${prefix}-vscode-logs`), out);
      return out;
    },
    stop() {
      stopped ??= (async () => {
        runningServers.delete(server);
        if (isAlive(pid)) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            /* already gone */
          }
          const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
          if (timedOut) {
            try {
              fs.writeSync(logStream, '[harness] code-server ignored SIGTERM for 5 s: SIGKILL\n');
            } catch {
              /* log closed */
            }
            try {
              process.kill(-pid, 'SIGKILL');
            } catch {
              /* gone */
            }
            await Promise.race([exited, sleep(2000)]);
          }
        }
        // Children (extension host, file watcher, pty host) normally exit with the server; make sure.
        for (let i = 0; i < 25 && groupAlive(pid); i++) await sleep(200);
        if (groupAlive(pid)) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        emergencyCleanup(); // group is gone by now: closes the log, removes the temp folder, unregisters
      })();
      return stopped;
    },
  };
  runningServers.add(server);
  return server;
}
