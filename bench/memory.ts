// Bench (c): memory of executePlan over N and 4N samples (a synthetic in-memory data set repeating the
// Fashion-MNIST demo), each in a fresh process, with and without worker threads. Flat memory means a ratio
// of ~1 between the 4N and N runs: nothing but the per-sample outcome bits may grow with N.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultWorkerCount } from '../src/server/engine/run/corruption-pool';
import { fmt, pad, padLeft } from './common';

interface ChildResult {
  readonly count: number;
  readonly workers: number;
  readonly rssBefore: number;
  readonly peakRss: number;
  readonly peakHeap: number;
  readonly peakBuffers: number;
  /** Heap + ArrayBuffer memory after the run and a full GC. */
  readonly retained: number;
  readonly seconds: number;
  readonly images: number;
}

function runChild(count: number, workers: number): ChildResult {
  // Bundled like this process (npm run bench: .bench-out/memory-child.js), or the TypeScript source under tsx.
  const bundled = path.join(path.dirname(process.argv[1] ?? ''), 'memory-child.js');
  const child = path.basename(path.dirname(bundled)) === '.bench-out' && fs.existsSync(bundled) ? [bundled] : ['--import', 'tsx', path.join(__dirname, 'memory-child.ts')];
  const result = spawnSync(process.execPath, ['--expose-gc', ...child, String(count), String(workers)], {
    encoding: 'utf8',
    cwd: path.join(__dirname, '..'),
  });
  if (result.status !== 0) throw new Error(`memory child failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as ChildResult;
}

const mb = (bytes: number) => fmt(bytes / 2 ** 20, 1);

export function benchMemory(log: (line: string) => void, n = 2000): { ratio: number }[] {
  const out: { ratio: number }[] = [];
  log(`executePlan over N = ${n} and 4N = ${4 * n} samples (28x28 grey, 4 conditions, batch 64), one fresh process each; MiB.`);
  log('peak heap / buffers: main thread, sampled during the run (garbage included); retained: heap + buffers after the run and a full GC.');
  log(`${pad('workers', 9)}${padLeft('samples', 8)}${padLeft('RSS before', 12)}${padLeft('peak RSS', 10)}${padLeft('peak heap', 11)}${padLeft('peak buffers', 14)}${padLeft('retained', 10)}${padLeft('img/s', 8)}`);
  for (const workers of [0, defaultWorkerCount()]) {
    const small = runChild(n, workers);
    const large = runChild(4 * n, workers);
    for (const r of [small, large]) {
      log(`${pad(String(workers), 9)}${padLeft(String(r.count), 8)}${padLeft(mb(r.rssBefore), 12)}${padLeft(mb(r.peakRss), 10)}${padLeft(mb(r.peakHeap), 11)}${padLeft(mb(r.peakBuffers), 14)}${padLeft(mb(r.retained), 10)}${padLeft(fmt(r.images / r.seconds, 0), 8)}`);
    }
    const ratio = large.peakRss / small.peakRss;
    const growth = (large.peakRss - large.rssBefore) / Math.max(1, small.peakRss - small.rssBefore);
    log(
      `  ${workers} worker(s): 4N / N peak RSS ${fmt(ratio, 2)}x (growth during the run ${fmt(growth, 2)}x), peak heap ${fmt(large.peakHeap / small.peakHeap, 2)}x, peak buffers ${fmt(large.peakBuffers / small.peakBuffers, 2)}x, retained after GC ${fmt(large.retained / small.retained, 2)}x`,
    );
    out.push({ ratio });
  }
  return out;
}
