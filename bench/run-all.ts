// npm run bench: (a) corruption speed per image, (b) pipeline throughput against raw inference, (c) memory over
// N and 4N samples, (d) save-to-diagnostics latency of the built server (bench/save-to-diagnostics.ts), (e) the
// size and render time of the standalone HTML report (bench/report-size.ts), (f) the shift check on 100,000
// tabular rows with 1,000 bootstrap resamples (bench/shift-speed.ts). Prints the
// machine first (cores, load, a CPU-capacity probe): timings on a shared, busy machine are noisy; read ratios
// measured side by side in one run rather than absolute figures.
import { Worker } from 'node:worker_threads';
import { benchCorruptions } from './corruption-speed';
import { benchMemory } from './memory';
import { benchPipeline } from './pipeline-throughput';
import { benchSaveToDiagnostics } from './save-to-diagnostics';
import { benchReportSize } from './report-size';
import { benchShift } from './shift-speed';
import { cores, fmt, machineLine, workerKind } from './common';

/** Spin work per second with 1 and with `threads` threads for ~0.4 s each: how much parallel CPU we really get. */
async function cpuProbe(threads: number): Promise<{ one: number; all: number }> {
  const code = `const { parentPort } = require('node:worker_threads'); let x = 0, n = 0; const end = Date.now() + 400;
    while (Date.now() < end) { for (let i = 0; i < 20000; i++) x += Math.sqrt(i); n++; } parentPort.postMessage(n);`;
  const run = async (k: number) => {
    const counts = await Promise.all(Array.from({ length: k }, () => new Promise<number>((resolve, reject) => {
      const worker = new Worker(code, { eval: true });
      worker.once('message', (n: number) => { resolve(n); void worker.terminate(); });
      worker.once('error', reject);
    })));
    return counts.reduce((a, b) => a + b, 0);
  };
  return { one: await run(1), all: await run(threads) };
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (line: string) => console.log(line);
  const all = cores();
  log('Robustness Lens benchmarks');
  log(`machine: ${machineLine()}`);
  const probe = await cpuProbe(all);
  log(`CPU probe: ${all} threads of spin work did ${fmt(probe.all / probe.one, 2)}x the work of 1 thread (${all}x = all cores free).`);
  log('The machine may be shared (other sessions training models): absolute timings are noisy, ratios measured side');
  log(`by side are the figures to read. Workers: ${workerKind()}.`);
  log('');
  log('== (a) corruption speed ==');
  await benchCorruptions(log);
  log('');
  log('== (b) pipeline throughput (executePlan) vs raw inference ==');
  // The pipeline runs two busy threads; when the host runs others on our cores, two threads get less than twice
  // the work of one, and the pipeline's ratio to one-thread inference drops with it. Printed before and after.
  const probeLine = (when: string, p: { one: number; all: number }) => log(`CPU probe ${when}: ${all} threads did ${fmt(p.all / p.one, 2)}x the work of 1 thread.`);
  probeLine('before (b)', await cpuProbe(all));
  await benchPipeline(log);
  probeLine('after (b)', await cpuProbe(all));
  log('');
  log('== (c) memory over N and 4N samples ==');
  benchMemory(log);
  log('');
  log('== (d) save to diagnostics through the real server over LSP, threads 1 vs 2, idle vs busy ==');
  await benchSaveToDiagnostics(log);
  log('');
  log('== (e) report size and render time (bench/report-size.ts) ==');
  await benchReportSize(log);
  log('');
  log('== (f) shift check: 100,000 tabular rows, every metric with 1,000 bootstrap resamples (bench/shift-speed.ts) ==');
  await benchShift(log);
  log('');
  log(`load average at the end: ${require('node:os').loadavg().map((l: number) => l.toFixed(2)).join(' ')}; bench took ${fmt((performance.now() - started) / 1000, 0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
