/**
 * Playwright helpers driving VS Code's web workbench (served by code-server) in Debian's headless chromium.
 * Selectors and flags: /work/shared/notes/REAL-VSCODE.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, runningServers, type CodeServer } from './code-server';

export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface Workbench {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** console.error messages and uncaught page errors, in order. */
  consoleErrors: string[];
  /** Closes the browser. Idempotent. */
  close(): Promise<void>;
}

export interface OpenWorkbenchOptions {
  /** Runs after the page is created and before navigation (e.g. page.exposeFunction). */
  beforeGoto?: (page: Page) => Promise<void>;
  /** Wait for the extension host to be up (status bar rendered). Default true. */
  waitForRestored?: boolean;
  timeoutMs?: number;
  headless?: boolean;
}

const consoleErrorsByPage = new WeakMap<Page, string[]>();

/** Console errors collected so far for a page opened by openWorkbench. */
export function consoleErrors(page: Page): string[] {
  return consoleErrorsByPage.get(page) ?? [];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function assertChromium(): void {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run 'apt-get install chromium' (or set CHROMIUM_PATH)`);
  }
}

export async function openWorkbench(url: string, options: OpenWorkbenchOptions = {}): Promise<Workbench> {
  assertChromium();
  // Chromium's crash reporter writes into $XDG_CONFIG_HOME/chromium even with a temporary profile: keep it in
  // a temp folder too.
  const xdgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-chromium-'));
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: options.headless ?? true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(xdgDir, 'config'), XDG_CACHE_HOME: path.join(xdgDir, 'cache') },
    });
  } catch (err) {
    fs.rmSync(xdgDir, { recursive: true, force: true });
    throw err;
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await browser.close().catch(() => undefined);
    fs.rmSync(xdgDir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    // Clipboard access for copy/paste based helpers; harmless otherwise.
    await context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => undefined);
    const page = await context.newPage();
    const errors: string[] = [];
    consoleErrorsByPage.set(page, errors);
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.stack ?? err.message}`));
    if (options.beforeGoto) await options.beforeGoto(page);
    const timeout = options.timeoutMs ?? 60_000;
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
    await page.locator('.monaco-workbench').first().waitFor({ state: 'attached', timeout });
    if (options.waitForRestored ?? true) {
      await page.locator('#workbench\\.parts\\.statusbar').first().waitFor({ state: 'visible', timeout });
    }
    return { browser, context, page, consoleErrors: errors, close };
  } catch (err) {
    await close();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Quick input (command palette, quick open)

const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = '.quick-input-widget .quick-input-box input';
const QUICK_INPUT_ROWS = '.quick-input-widget .quick-input-list .monaco-list-row';

async function quickInputVisible(page: Page): Promise<boolean> {
  return page.locator(QUICK_INPUT_BOX).first().isVisible().catch(() => false);
}

async function closeQuickInput(page: Page): Promise<void> {
  for (let i = 0; i < 3 && (await quickInputVisible(page)); i++) {
    await page.keyboard.press('Escape');
    await sleep(150);
  }
}

/**
 * Opens a quick input with `key` (F1 or Control+P). The first key press right after the workbench appears
 * is sometimes swallowed (focus not yet in the workbench), so this focuses the workbench and retries.
 */
async function openQuickInput(page: Page, key: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let attempt = 0;
  while (Date.now() < deadline) {
    await closeQuickInput(page);
    if (attempt > 0) {
      // Give keyboard focus to the workbench: click on the status bar's empty area (no side effects).
      await page
        .locator('#workbench\\.parts\\.statusbar')
        .first()
        .click({ position: { x: 800, y: 5 }, timeout: 2000 })
        .catch(() => undefined);
    }
    await page.keyboard.press(key);
    try {
      await page.locator(QUICK_INPUT_BOX).first().waitFor({ state: 'visible', timeout: 2000 });
      return;
    } catch {
      attempt++;
    }
  }
  throw new Error(`quick input did not open with ${key} within ${timeoutMs} ms`);
}

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

interface RowSnapshot {
  index: number;
  label: string;
  focused: boolean;
}

/** Labels (without keybinding / description) of the rendered quick input rows, read in one go. */
async function quickInputRows(page: Page): Promise<RowSnapshot[]> {
  return page
    .$$eval(QUICK_INPUT_ROWS, (els) =>
      els.map((el) => {
        const e = el as unknown as {
          getAttribute(n: string): string | null;
          innerText: string;
          querySelector(s: string): { innerText: string } | null;
          classList: { contains(c: string): boolean };
        };
        return {
          index: Number(e.getAttribute('data-index') ?? '-1'),
          label: (e.querySelector('.label-name') ?? e).innerText,
          focused: e.classList.contains('focused'),
        };
      }),
    )
    .then((rows) => rows.map((r) => ({ ...r, label: normalize(r.label) })))
    .catch(() => []);
}

/**
 * Types `text` into an open quick input and accepts the row whose label equals `label` (or, failing an
 * exact match during the first half of the time, contains it). Returns false when no such row showed up.
 */
async function acceptRow(page: Page, text: string, label: string, timeoutMs: number): Promise<boolean> {
  const input = page.locator(QUICK_INPUT_BOX).first();
  await input.fill(text, { timeout: 5000 });
  const start = Date.now();
  const deadline = start + timeoutMs;
  while (Date.now() < deadline) {
    // The list is filled asynchronously; make sure it belongs to what we typed.
    const value = await input.inputValue({ timeout: 1000 }).catch(() => '');
    if (value !== text) {
      await input.fill(text, { timeout: 5000 }).catch(() => undefined);
      await sleep(150);
      continue;
    }
    const rows = await quickInputRows(page);
    const exact = rows.find((r) => r.label === label);
    const loose = Date.now() - start > timeoutMs / 2 ? rows.find((r) => r.label.includes(label)) : undefined;
    const hit = exact ?? loose;
    if (hit && (await selectRow(page, hit))) return true;
    await sleep(150);
  }
  if (process.env.E2E_DEBUG) {
    const value = await input.inputValue({ timeout: 1000 }).catch(() => '?');
    const rows = await quickInputRows(page);
    process.stderr.write(`[e2e] no row "${label}" for input ${JSON.stringify(value)}; rows: ${JSON.stringify(rows)}\n`);
  }
  return false;
}

async function selectRow(page: Page, row: RowSnapshot): Promise<boolean> {
  try {
    if (row.focused) {
      await page.keyboard.press('Enter');
    } else {
      await page.locator(`${QUICK_INPUT_ROWS}[data-index="${row.index}"]`).first().click({ timeout: 2000 });
    }
  } catch {
    return false; // the list re-rendered under us; the caller retries
  }
  await page
    .locator(QUICK_INPUT)
    .first()
    .waitFor({ state: 'hidden', timeout: 5000 })
    .catch(() => undefined);
  return true;
}

/**
 * Runs a command through the command palette by its full title as shown there ("Category: Title"),
 * e.g. runCommand(page, 'View: Toggle Minimap'). Retries while the command is not (yet) listed, e.g. while
 * the extension host is still registering contributions.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await openQuickInput(page, 'F1', Math.max(5000, deadline - Date.now()));
    const ok = await acceptRow(page, `>${title}`, title, Math.min(5000, Math.max(1000, deadline - Date.now())));
    if (ok) return;
    await closeQuickInput(page);
  }
  const rows = (await quickInputRows(page)).map((r) => r.label);
  await closeQuickInput(page);
  throw new Error(`command "${title}" not found in the palette within ${timeoutMs} ms (rows: ${JSON.stringify(rows)})`);
}

/** Opens a workspace file through Quick Open (Ctrl+P) by its name and waits for its editor tab. */
export async function openFile(page: Page, fileName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const base = path.basename(fileName);
  while (Date.now() < deadline) {
    await openQuickInput(page, 'Control+P', Math.max(5000, deadline - Date.now()));
    const ok = await acceptRow(page, fileName, base, Math.min(5000, Math.max(1000, deadline - Date.now())));
    if (ok) {
      await page
        .locator(`.tabs-container .tab[aria-label^="${base.replace(/"/g, '\\"')}"]`)
        .first()
        .waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
      return;
    }
    await closeQuickInput(page);
  }
  throw new Error(`could not open ${fileName} through Quick Open within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Problems panel

const MARKERS_PANEL = '.markers-panel';
const MARKERS_ROWS = '.markers-panel .monaco-list-row';

/** Makes the Problems panel visible (Ctrl+Shift+M toggles, so only pressed while it is hidden). */
export async function showProblems(page: Page, timeoutMs = 15_000): Promise<void> {
  const panel = page.locator(MARKERS_PANEL).first();
  if (await panel.isVisible().catch(() => false)) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await closeQuickInput(page);
    await page.keyboard.press('Control+Shift+M');
    try {
      await panel.waitFor({ state: 'visible', timeout: 2000 });
      return;
    } catch {
      if (await panel.isVisible().catch(() => false)) return;
    }
    // Fallback through the palette (keyboard focus may be in a place that swallows the shortcut).
    try {
      await runCommand(page, 'Problems: Focus on Problems View', 5000);
      await panel.waitFor({ state: 'visible', timeout: 2000 });
      return;
    } catch {
      /* retry */
    }
  }
  throw new Error(`the Problems panel did not become visible within ${timeoutMs} ms`);
}

export interface ProblemRow {
  /** Row text, whitespace-normalized (file rows: name, folder, count; marker rows: message, source, position). */
  text: string;
  /** The row's aria-label (marker rows: "Error: Property expected at line 1 and character 10. generated by json"). */
  ariaLabel: string;
  /** 'file' for resource rows, 'marker' for problems, 'other' otherwise (related information…). */
  kind: 'file' | 'marker' | 'other';
  /** 'error' | 'warning' | 'info' for marker rows. */
  severity?: 'error' | 'warning' | 'info';
}

/** All rows of the Problems panel (expanding collapsed file rows and scrolling the virtual list). */
export async function problemRows(page: Page): Promise<ProblemRow[]> {
  await showProblems(page);
  const list = page.locator(`${MARKERS_PANEL} .monaco-list`).first();
  const seen = new Map<number, ProblemRow>();

  const collect = async (): Promise<{ expanded: boolean }> => {
    const snapshot = await page.$$eval(MARKERS_ROWS, (els) =>
      els.map((el) => {
        const e = el as unknown as {
          getAttribute(n: string): string | null;
          innerText: string;
          querySelector(s: string): unknown;
        };
        return {
          index: Number(e.getAttribute('data-index') ?? '-1'),
          text: e.innerText,
          ariaLabel: e.getAttribute('aria-label') ?? '',
          expanded: e.getAttribute('aria-expanded'),
          marker: !!e.querySelector('.marker-icon'),
          file: !!e.querySelector('.monaco-icon-label.file-icon'),
          error: !!e.querySelector('.marker-icon.error, .codicon-error'),
          warning: !!e.querySelector('.marker-icon.warning, .codicon-warning'),
          info: !!e.querySelector('.marker-icon.info, .codicon-info'),
        };
      }),
    );
    let expanded = false;
    for (const r of snapshot) {
      if (r.expanded === 'false') {
        const row = page.locator(`${MARKERS_ROWS}[data-index="${r.index}"]`).first();
        await row.locator('.monaco-tl-twistie').first().click({ timeout: 2000 }).catch(() => undefined);
        expanded = true;
        continue;
      }
      const kind: ProblemRow['kind'] = r.marker ? 'marker' : r.file ? 'file' : 'other';
      const severity = r.marker ? (r.error ? 'error' : r.warning ? 'warning' : r.info ? 'info' : undefined) : undefined;
      seen.set(r.index, { text: normalize(r.text), ariaLabel: r.ariaLabel, kind, ...(severity ? { severity } : {}) });
    }
    return { expanded };
  };

  const scrollToTop = async () => {
    if ((await list.count()) === 0) return;
    await list.hover({ timeout: 2000 }).catch(() => undefined);
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, -5000);
    await sleep(50);
  };

  // Walk the (virtualized) list from the top, a few rows at a time; restart after expanding a file row.
  await scrollToTop();
  for (let round = 0; round < 500; round++) {
    const before = seen.size;
    if ((await collect()).expanded) {
      seen.clear();
      await sleep(200);
      await scrollToTop();
      continue;
    }
    if ((await list.count()) === 0) break;
    await list.hover({ timeout: 2000 }).catch(() => undefined);
    await page.mouse.wheel(0, 300);
    await sleep(100);
    if ((await collect()).expanded) {
      seen.clear();
      await sleep(200);
      await scrollToTop();
      continue;
    }
    if (seen.size === before) break;
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** Texts of all rows of the Problems panel, file rows included. */
export async function problems(page: Page): Promise<string[]> {
  return (await problemRows(page)).map((r) => r.text);
}

export type TextMatcher = RegExp | string | ((text: string) => boolean);

function matches(m: TextMatcher, text: string): boolean {
  if (typeof m === 'string') return text.includes(m);
  if (m instanceof RegExp) return m.test(text);
  return m(text);
}

/**
 * Polls the Problems panel until a row matches (substring, RegExp or predicate over the row text, and over
 * the aria-label for marker rows). Returns the matching row text.
 */
export async function waitForProblem(page: Page, matcher: TextMatcher, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: ProblemRow[] = [];
  while (Date.now() < deadline) {
    try {
      last = await problemRows(page);
    } catch {
      /* panel busy; retry */
    }
    const hit = last.find((r) => matches(matcher, r.text) || (r.ariaLabel && matches(matcher, r.ariaLabel)));
    if (hit) return hit.text;
    await sleep(500);
  }
  throw new Error(
    `no problem matching ${String(matcher)} within ${timeoutMs} ms; rows: ${JSON.stringify(last.map((r) => r.text))}`,
  );
}

/** Polls until no row matches (e.g. after fixing a file). */
export async function waitForNoProblem(page: Page, matcher: TextMatcher, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: ProblemRow[] = [];
  while (Date.now() < deadline) {
    last = await problemRows(page).catch(() => last);
    if (!last.some((r) => matches(matcher, r.text))) return;
    await sleep(500);
  }
  throw new Error(`a problem matching ${String(matcher)} was still listed after ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Notifications

/** Texts of the notification toasts currently shown (message, source and buttons). */
export async function notifications(page: Page): Promise<string[]> {
  const texts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
  return texts.map(normalize).filter(Boolean);
}

/** Polls the toasts until one matches; returns its text. */
export async function waitForNotification(page: Page, matcher: TextMatcher, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await notifications(page);
    const hit = last.find((t) => matches(matcher, t));
    if (hit) {
      // Let the fade-in finish, so that a screenshot taken next shows the toast.
      await page
        .locator('.notifications-toasts .notification-toast.notification-fade-in-done')
        .first()
        .waitFor({ state: 'visible', timeout: 2000 })
        .catch(() => undefined);
      return hit;
    }
    await sleep(250);
  }
  throw new Error(`no notification matching ${String(matcher)} within ${timeoutMs} ms; shown: ${JSON.stringify(last)}`);
}

// ---------------------------------------------------------------------------------------------
// Screenshots and failure reports

function safeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'screenshot';
}

/** Saves a full-page PNG into test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${safeName(name)}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: 15_000 });
  return file;
}

/**
 * Runs fn; on failure saves a screenshot, the browser console errors and the code-server logs (of `server`,
 * or of every running server) into test-results/, prints where they are, and rethrows.
 */
export async function withFailureScreenshot<T>(
  page: Page,
  name: string,
  fn: () => Promise<T>,
  server?: CodeServer,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const base = `${safeName(name)}-failure`;
    const saved: string[] = [];
    try {
      saved.push(await screenshot(page, base));
    } catch (e) {
      saved.push(`(screenshot failed: ${(e as Error).message})`);
    }
    try {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      const f = path.join(RESULTS_DIR, `${base}-console.log`);
      fs.writeFileSync(f, consoleErrors(page).join('\n') + '\n');
      saved.push(f);
    } catch {
      /* ignore */
    }
    const servers = server ? [server] : [...runningServers];
    servers.forEach((s, i) => {
      try {
        saved.push(...s.collectLogs(RESULTS_DIR, servers.length > 1 ? `${base}-${i}` : base).slice(0, 1));
      } catch {
        /* ignore */
      }
    });
    process.stderr.write(`[e2e] ${name} failed; saved:\n  ${saved.join('\n  ')}\n`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// In-editor (extension host) test suites

export interface ExtensionTestsResult {
  /** Exit code reported through window.codeAutomationExit (0 = all tests passed). */
  exitCode: number;
  /** Lines received through window.codeAutomationLog, in order ("[level] text"). */
  log: string[];
  /** Browser console messages seen meanwhile (extension host output forwarded to the page). */
  console: string[];
}

export interface RunExtensionTestsOptions {
  /** Folder to open (default: the server's workspaceFolder). */
  folder?: string;
  /** Absolute path of the compiled mocha entry (exports run()); default: the server's extensionTestsPath. */
  extensionTestsPath?: string;
  /** Called for each log line as it arrives. */
  onLog?: (line: string) => void;
  timeoutMs?: number;
}

function formatAutomationArgs(args: unknown): string {
  if (Array.isArray(args)) return args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/**
 * Opens the workbench with `extensionTestsPath` in the payload, so that the extension host loads the suite
 * and runs it instead of waiting for a user; resolves with the exit code the workbench reports through
 * window.codeAutomationExit (the same hook VS Code's own smoke/integration tests use).
 */
export async function runExtensionTests(
  server: CodeServer,
  options: RunExtensionTestsOptions = {},
): Promise<ExtensionTestsResult> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const log: string[] = [];
  const consoleLines: string[] = [];
  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => (resolveExit = r));
  const push = (line: string) => {
    log.push(line);
    options.onLog?.(line);
  };
  const url = server.url(options.folder, options.extensionTestsPath ? { extensionTestsPath: options.extensionTestsPath } : {});
  const wb = await openWorkbench(url, {
    waitForRestored: false,
    timeoutMs: 120_000,
    beforeGoto: async (page) => {
      page.on('console', (msg) => consoleLines.push(`[${msg.type()}] ${msg.text()}`));
      await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
        const text = formatAutomationArgs(args);
        for (const line of text.split('\n')) push(`[${String(type)}] ${line}`);
      });
      await page.exposeFunction('codeAutomationExit', (code: unknown) => {
        resolveExit(typeof code === 'number' ? code : Number(code));
      });
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the in-editor tests did not finish within ${timeoutMs} ms; log:\n${log.join('\n')}`)),
        timeoutMs,
      );
    });
    const exitCode = await Promise.race([exit, timeout]);
    return { exitCode, log, console: consoleLines };
  } catch (err) {
    await screenshot(wb.page, 'in-editor-tests-timeout').catch(() => undefined);
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    await wb.close();
  }
}
