// The one error type the engine throws for problems in the user's input (config, data, model).
// It names the file, the place in it, and the fix, so that the CLI can print it and the server can
// turn it into a diagnostic at the right range.

/** Where in the config a problem should be reported: a JSON path such as ['data', 'x']. */
export type ConfigPath = readonly (string | number)[];

export type InputErrorKind = 'config' | 'data' | 'model' | 'usage';

export interface InputErrorDetails {
  readonly kind: InputErrorKind;
  /** The file the problem is in (absolute path), when there is one. */
  readonly file?: string;
  /** A human description of the place inside the file ("sample 17", "header", "input 'x'"). */
  readonly place?: string;
  /** The config key whose value led to the problem, so the diagnostic can point at it. */
  readonly configPath?: ConfigPath;
  /** What the user can do about it. */
  readonly fix?: string;
  /** A stable code, e.g. 'model-input-mismatch'. */
  readonly code: string;
}

export class InputError extends Error {
  readonly details: InputErrorDetails;
  constructor(message: string, details: InputErrorDetails) {
    super(message);
    this.name = 'InputError';
    this.details = details;
  }

  /** One line for a terminal: "file (place): message. Fix: ..." */
  describe(): string {
    const { file, place, fix } = this.details;
    const where = file ? `${file}${place ? ` (${place})` : ''}: ` : place ? `${place}: ` : '';
    return `${where}${this.message}${fix ? `. Fix: ${fix}` : ''}`;
  }
}

export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}
