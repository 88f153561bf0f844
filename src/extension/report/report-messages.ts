// Validation of the messages the report webview posts to the extension host. The webview runs the report app,
// but its messages still cross a trust boundary: anything that is not exactly one of WebviewToHostMessage is
// rejected (the panel logs and ignores it). Pure, so it is unit-tested without VS Code.
import type { WebviewToHostMessage } from '../../shared/report-model';

const TYPES: ReadonlySet<string> = new Set<WebviewToHostMessage['type']>(['ready', 'runFull', 'acceptBaseline']);

/** The message, narrowed to the union, or undefined when it is not one (unknown type, wrong shape, extra fields). */
export function parseWebviewMessage(value: unknown): WebviewToHostMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'type') return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  return { type } as WebviewToHostMessage;
}

/** A short, single-line description of a rejected message for the log (bounded: the webview chooses its size). */
export function describeMessage(value: unknown, maxLength = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > maxLength ? `${text.slice(0, maxLength)}… (${text.length} characters)` : text;
}
