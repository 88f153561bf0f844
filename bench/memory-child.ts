// Child process of bench (c): runs executePlan once over a synthetic in-memory data set of N samples (the
// Fashion-MNIST demo repeated) and prints its memory as JSON on stdout: RSS of the process (includes the worker
// threads), V8 heap and ArrayBuffer memory of the main thread, their peaks sampled at every progress report.
// (Not getrusage's maxRSS: after fork it starts from the parent's RSS.)
// node --import tsx bench/memory-child.ts N WORKERS
import { implementedCorruptions } from '../src/server/engine/perturb/image/registry';
import { executePlan } from '../src/server/engine/run/execute-plan';
import type { RunPlan } from '../src/server/engine/run/plan';
import { closeDemo, openDemo, repeatedDataset, useBuiltFiles } from './common';

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  const workers = Number(process.argv[3]);
  const demo = await openDemo('fashion-mnist', 1);
  try {
    const base = await demo.dataset.read(Array.from({ length: demo.dataset.count }, (_, i) => i));
    const dataset = repeatedDataset(base, count);
    const plan: RunPlan = {
      kind: 'full',
      seed: 0,
      preset: 'cifar',
      sampleIds: Array.from({ length: count }, (_, i) => i),
      conditions: implementedCorruptions()
        .slice(0, 4)
        .map((c) => ({ corruption: c.name, severity: 3 })),

    };
    let peakHeap = 0;
    let peakBuffers = 0;
    let peakRss = 0;
    const sample = () => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
    };
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    // Workers from the built script (what the CLI runs), started at once.
    useBuiltFiles();
    const started = performance.now();
    await executePlan(plan, dataset, demo.model, demo.config.input!, { workers, onProgress: sample });
    sample();
    const seconds = (performance.now() - started) / 1000;
    // What the run left behind once garbage is collected (ArrayBuffer memory is freed by a concurrent sweeper).
    for (let i = 0; i < 2; i++) {
      global.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = process.memoryUsage();
    const retained = after.heapUsed + after.arrayBuffers;
    process.stdout.write(JSON.stringify({ count, workers, rssBefore, peakRss, peakHeap, peakBuffers, retained, seconds, images: count * (1 + plan.conditions.length) }) + '\n');
  } finally {
    await closeDemo(demo);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
