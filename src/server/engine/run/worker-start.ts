// When a run with the default worker count starts its workers (execute-plan.ts): it starts in the calling thread
// and starts workers only once it proves long, because a fresh worker costs ~30 ms to start plus its own JIT
// warm-up. Measured: a fresh process's first run of the demos (0.8 s) took 1.1-1.4 s with a worker from the start;
// a short run never wins that back and a long one hardly notices it.
// The run is long when
// - at the first step after AFTER_MS, the rest would take COLD_REMAINING_MS at the speed so far (in a fresh
//   process that speed is the JIT's cold start, several times below the steady speed: a run that looks long even
//   so is long);
// - or, when the third batch starts, the remaining batches would take REMAINING_MS at the speed of the second one
//   (warm by then).

const AFTER_MS = 300;
const COLD_REMAINING_MS = 10_000;
const REMAINING_MS = 2000;

export class WorkerStart {
  private coldChecked = false;
  private secondBatchStarted: number | undefined;
  /** True once the answer is known (started, or the run is short). */
  private decided = false;

  constructor(private readonly batchCount: number) {}

  /**
   * Called before each step: `elapsed` ms since the run started, `done` of `total` images through the model,
   * `batch` the step's batch index, `firstOfBatch` whether it is the batch's first step. True: start them now.
   */
  atStep(elapsed: number, done: number, total: number, batch: number, firstOfBatch: boolean): boolean {
    if (this.decided) return false;
    if (firstOfBatch && batch === 1) this.secondBatchStarted = elapsed;
    let start = false;
    if (!this.coldChecked && elapsed >= AFTER_MS) {
      this.coldChecked = true;
      start = done > 0 && ((total - done) * elapsed) / done >= COLD_REMAINING_MS;
    }
    if (!start && firstOfBatch && batch === 2 && this.secondBatchStarted !== undefined) {
      start = (this.batchCount - 2) * (elapsed - this.secondBatchStarted) >= REMAINING_MS;
      this.decided = true;
    }
    if (start) this.decided = true;
    return start;
  }
}
