// The error a run ends with when its AbortSignal fires (re-exported by execute-plan.ts). In its own file so
// that the corruption pool can throw it without importing the evaluation loop.

export class RunCancelled extends Error {
  constructor() {
    super('the run was cancelled');
    this.name = 'RunCancelled';
  }
}
