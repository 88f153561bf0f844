// What the CLI commands share: where they print, and the error for bad command lines.

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const consoleOutput: Output = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') };

/** A bad command line: the CLI prints the message and the usage and exits 2. */
export class UsageError extends Error {}

export function parseNonNegativeInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} needs a non-negative integer, got "${text}"`);
  return Number(text);
}
