// Bench (b): throughput of the real executePlan (read -> corrupt -> preprocess -> infer) on the two demo models,
// as a ratio to raw onnxruntime inference of the same batches.
//
// Fair comparison: a run pushes n x (1 + conditions) images through the model (clean + every condition), so both
// sides are counted in images through the model per second. "Raw" runs the same session (same threads and
// options) on the same batch size, on tensors preprocessed in advance, (1 + conditions) passes over the samples.
// The plan: every implemented corruption at severity 3 over all the demo's samples.
// Also shown: corruption alone (the pool, no inference) as images per second, which bounds the pipeline when
// corrupting a sample costs more than inferring it; and the first run of a fresh process, as the CLI makes it
// (bench/pipeline-cold-child.ts), whose time is mostly one-time start-up on runs this short.
// The headline (PASS/MISS against the issue's 0.85x) is the steady state: the server's warm worker pool, each run
// timed between two raw inference passes and divided by their mean (pairedRatio), median of 9 such runs after 10
// warm-up runs (V8 tiers the code up over about ten runs; the first ones are printed too). Two busy
// threads on a shared 2-vCPU host vary by +-10% from run to run; pairing keeps slow spells of the machine out
// of the ratio, and the range of the runs is printed beside it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { preprocessBatch } from '../src/server/engine/model/preprocess';
import { implementedCorruptions } from '../src/server/engine/perturb/image/registry';
import { corruptBatch, defaultWorkerCount, shareImages, type CorruptionPool } from '../src/server/engine/run/corruption-pool';
import { DEFAULT_BATCH_SIZE, executePlan, type ExecuteOptions } from '../src/server/engine/run/execute-plan';
import { resolvePreset, type RunPlan } from '../src/server/engine/run/plan';
import { CorruptedImageCache } from '../src/server/engine/run/corrupted-image-cache';
import { closeDemo, cores, REPO_ROOT, fmt, median, openDemo, pad, padLeft, useBuiltFiles, warmPool, type Demo } from './common';

const REPEATS = 3;
const TARGET_RATIO = 0.85;

function planFor(demo: Demo): RunPlan {
  const { config, dataset } = demo;
  return {
    kind: 'full',
    seed: config.seed,
    preset: resolvePreset(config.preset, config.input!.height, config.input!.width),
    sampleIds: Array.from({ length: dataset.count }, (_, i) => i),
    conditions: implementedCorruptions().map((c) => ({ corruption: c.name, severity: 3 })),

  };
}

/** One timed pass of raw inference: (1 + conditions) passes over pre-made batches; images per second. */
type RawPass = () => Promise<number>;

/** Raw inference of the plan's images on pre-made tensors (same session and batch size as the pipeline). */
async function rawPass(demo: Demo, plan: RunPlan, batchSize: number): Promise<RawPass> {
  const { model, dataset, config } = demo;
  const batches: { tensor: Float32Array; rows: number }[] = [];
  for (let start = 0; start < plan.sampleIds.length; start += batchSize) {
    const samples = await dataset.read(plan.sampleIds.slice(start, start + batchSize));
    batches.push({ tensor: preprocessBatch(samples.map((s) => s.image), config.input!).slice(), rows: samples.length });
  }
  const passes = 1 + plan.conditions.length;
  for (const b of batches) await model.infer(b.tensor, b.rows); // warm up
  return async () => {
    const t = performance.now();
    for (let p = 0; p < passes; p++) for (const b of batches) await model.infer(b.tensor, b.rows);
    return (plan.sampleIds.length * passes) / ((performance.now() - t) / 1000);
  };
}

/** Images through the model per second for raw inference, median of REPEATS passes. */
async function rawThroughput(raw: RawPass): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) rates.push(await raw());
  return median(rates);
}

/** Runs of the steady state, each timed between two raw passes: the ratio is read from neighbours. */
const PAIRED_RUNS = 9;
/**
 * Runs of a new pool before the steady state. V8 keeps tiering up the pipeline's code for about ten runs: with
 * --trace-opt on fashion-mnist, the pool's runs 1-12 compiled 26, 10, 20, 10, 2, 7, 5, 5, 7, 5, 3 and 0 functions
 * (on background threads, which take CPU from the two busy ones, and re-optimising after deopts), and their ratios
 * to raw rose from 0.67-0.85 (runs 2-8) to 0.81-0.96 (runs 9-14) in six series of 14 runs.
 */
const PAIRED_WARM_UP = 10;

interface PairedRatio {
  readonly median: number;
  readonly low: number;
  readonly high: number;
  /** Median images per second of the pipeline and of raw inference over the runs. */
  readonly pipeline: number;
  readonly raw: number;
  /** The first three runs of the pool (still tiering up), as ratios to the raw pass run before them. */
  readonly firstRuns: readonly number[];
}

/**
 * The pipeline's throughput as a ratio to raw inference measured right beside it: each run is timed between two
 * raw passes and divided by their mean, so a change in the machine's speed (other tenants of a shared host) moves
 * both sides of a ratio alike; the median and range of PAIRED_RUNS ratios after PAIRED_WARM_UP runs (whose first
 * three are kept as ratios to a raw pass run before them: what a new pool gives while V8 still tiers up).
 */
async function pairedRatio(demo: Demo, plan: RunPlan, options: ExecuteOptions, raw: RawPass): Promise<PairedRatio> {
  const images = plan.sampleIds.length * (1 + plan.conditions.length);
  const run = async () => {
    const t = performance.now();
    await executePlan(plan, demo.dataset, demo.model, demo.config.input!, options);
    return images / ((performance.now() - t) / 1000);
  };
  const firstRaw = await raw();
  const firstRuns: number[] = [];
  for (let r = 0; r < PAIRED_WARM_UP; r++) {
    const rate = await run();
    if (r < 3) firstRuns.push(rate / firstRaw);
  }
  const ratios: number[] = [];
  const pipelineRates: number[] = [];
  const rawRates: number[] = [];
  let before = await raw();
  for (let r = 0; r < PAIRED_RUNS; r++) {
    const rate = await run();
    const after = await raw();
    ratios.push(rate / ((before + after) / 2));
    pipelineRates.push(rate);
    rawRates.push(before);
    before = after;
  }
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios), pipeline: median(pipelineRates), raw: median(rawRates), firstRuns };
}

/** Images through the model per second for executePlan with the options (pools it starts use the built worker). */
async function pipelineThroughput(demo: Demo, plan: RunPlan, options: ExecuteOptions): Promise<number> {
  const images = plan.sampleIds.length * (1 + plan.conditions.length);
  const run = () => executePlan(plan, demo.dataset, demo.model, demo.config.input!, options);
  await run(); // warm up
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    await run();
    rates.push(images / ((performance.now() - t) / 1000));
  }
  return median(rates);
}

/** Corruption alone through the pool (no inference), in the same images-through-the-model units. */
async function corruptionOnlyThroughput(demo: Demo, plan: RunPlan, pool: CorruptionPool, batchSize: number): Promise<number> {
  const images = plan.sampleIds.length * (1 + plan.conditions.length);
  const once = async () => {
    for (let start = 0; start < plan.sampleIds.length; start += batchSize) {
      const samples = await demo.dataset.read(plan.sampleIds.slice(start, start + batchSize));
      const shared = shareImages(samples.map((s) => s.image));
      const ids = samples.map((s) => s.id);
      // All conditions of the batch in flight at once, as the pipeline keeps the workers busy.
      await Promise.all(plan.conditions.map((c) => corruptBatch(shared, ids, { corruption: c.corruption, severity: c.severity, preset: plan.preset, seed: plan.seed }, { pool, help: false })));
    }
  };
  await once();
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    await once();
    rates.push(images / ((performance.now() - t) / 1000));
  }
  return median(rates);
}

export interface PipelineResult {
  readonly demo: string;
  readonly raw: number;
  /** Steady state: the server's warm pool, images through the model per second. */
  readonly pipeline: number;
  /** Its ratio to raw inference, measured side by side (see pairedRatio). */
  readonly ratio: number;
}

/** The demos, and the cifar-synth data with a model of a real CIFAR classifier's cost (scripts/models/make_bench_model.py). */
const CASES: readonly { readonly demo: string; readonly label: string; readonly model?: string }[] = [
  { demo: 'fashion-mnist', label: 'fashion-mnist' },
  { demo: 'cifar-synth', label: 'cifar-synth' },
  { demo: 'cifar-synth', label: 'cifar-synth data, a model of ResNet-20 cost (43 M multiply-adds, untrained)', model: path.join(REPO_ROOT, 'bench', 'models', 'resnet20-cost.onnx') },
];

const COLD_RUNS = 3;

interface ColdRun {
  readonly images: number;
  readonly coldSeconds: number;
  readonly raw: number;
}

/** The first run of a fresh process, as the CLI makes it (bench/pipeline-cold-child.ts), median of COLD_RUNS. */
function coldRun(demo: string, mode: 'in-thread' | 'default', model?: string): ColdRun {
  const bundled = path.join(path.dirname(process.argv[1] ?? ''), 'pipeline-cold-child.js');
  const child = path.basename(path.dirname(bundled)) === '.bench-out' && fs.existsSync(bundled) ? [bundled] : ['--import', 'tsx', path.join(__dirname, 'pipeline-cold-child.ts')];
  const runs: ColdRun[] = [];
  for (let r = 0; r < COLD_RUNS; r++) {
    const result = spawnSync(process.execPath, [...child, demo, mode, model ?? ''], { encoding: 'utf8', cwd: REPO_ROOT });
    if (result.status !== 0) throw new Error(`pipeline-cold-child failed (${result.status}): ${result.stderr}`);
    runs.push(JSON.parse(result.stdout.trim().split('\n').pop()!) as ColdRun);
  }
  runs.sort((a, b) => a.coldSeconds - b.coldSeconds);
  return runs[COLD_RUNS >> 1];
}

export async function benchPipeline(log: (line: string) => void, cases = CASES): Promise<PipelineResult[]> {
  const defaultWorkers = defaultWorkerCount();
  const all = cores();
  // Pools that executePlan starts use the built worker, and frost textures come from the build, as in the CLI.
  useBuiltFiles();
  const results: PipelineResult[] = [];
  const row = (label: string, rate: number, raw: number) => log(`  ${pad(label, 66)}${padLeft(fmt(rate, 0), 8)} img/s ${padLeft(fmt(rate / raw, 2), 6)}x raw`);
  log(`images through the model per second, median of ${REPEATS} runs after a warm-up run; batch ${DEFAULT_BATCH_SIZE} unless said`);
  for (const { demo: name, label, model: modelFile } of cases) {
    let headline: { raw: number; warm: PairedRatio; kept: number; bound: number } | undefined;
    for (const threads of [1, 2]) {
      const demo = await openDemo(name, threads, modelFile);
      try {
        const plan = planFor(demo);
        const n = plan.sampleIds.length;
        if (threads === 1) log(`${label}: ${n} samples x (1 clean + ${plan.conditions.length} conditions: every implemented corruption, severity 3) = ${n * (1 + plan.conditions.length)} images`);
        log(` onnxruntime intraOpNumThreads ${threads}, allow_spinning 0:`);
        const rawRun = await rawPass(demo, plan, DEFAULT_BATCH_SIZE);
        const raw = await rawThroughput(rawRun);
        log(`  ${pad('raw inference (same session and batches, tensors made in advance)', 66)}${padLeft(fmt(raw, 0), 8)} img/s`);
        const pool = await warmPool(defaultWorkers);
        try {
          if (threads === 2) {
            row(`pipeline, ${defaultWorkers} worker(s), warm pool`, await pipelineThroughput(demo, plan, { pool }), raw);
            continue;
          }
          row('pipeline, workers: 0 (everything in this thread)', await pipelineThroughput(demo, plan, { workers: 0 }), raw);
          row(`pipeline, workers: ${defaultWorkers}, started for each run`, await pipelineThroughput(demo, plan, { workers: defaultWorkers }), raw);
          const warm = await pairedRatio(demo, plan, { pool }, rawRun);
          log(
            `  ${pad(`pipeline, ${defaultWorkers} worker(s), warm pool (the server keeps one across runs)`, 66)}${padLeft(fmt(warm.pipeline, 0), 8)} img/s ${padLeft(fmt(warm.median, 2), 6)}x raw ` +
              `(median of ${PAIRED_RUNS} runs after ${PAIRED_WARM_UP} warm-up runs, each against raw passes run just before and after it: ${fmt(warm.low, 2)}-${fmt(warm.high, 2)}x)`,
          );
          log(`  ${pad(`  its first runs, while V8 still tiers up the code`, 66)}${padLeft('', 8)}     ${warm.firstRuns.map((r) => fmt(r, 2)).join(', ')}x raw`);
          for (const batchSize of [32, 128]) row(`pipeline, ${defaultWorkers} worker(s), warm pool, batch ${batchSize}`, await pipelineThroughput(demo, plan, { pool, batchSize }), raw);
          const corruptionOnly = await corruptionOnlyThroughput(demo, plan, pool, DEFAULT_BATCH_SIZE);
          row(`corruption alone, ${defaultWorkers} worker(s), no inference (what they can feed)`, corruptionOnly, raw);
          // Every image costs one inference and (but for clean ones) one corruption: on `all` cores no schedule
          // can beat all / (CPU time per image), nor raw inference (it runs in one thread). Reading and
          // preprocessing are left out, so the bound is optimistic.
          const bound = Math.min(raw, all / (1 / raw + defaultWorkers / corruptionOnly));
          row(`bound: ${all} cores fully busy with inference + corruption`, bound, raw);
          // The server keeps corrupted images across runs: a smoke test after a model change only infers.
          const kept = await pipelineThroughput(demo, plan, { pool, cache: { store: new CorruptedImageCache(), scope: name } });
          row(`pipeline, warm pool, corrupted images kept across runs (server)`, kept, raw);
          headline = { raw, warm, kept, bound };
        } finally {
          await pool.close();
        }
        if (all !== defaultWorkers) {
          const wide = await warmPool(all);
          try {
            row(`pipeline, ${all} workers (one per core), warm pool`, await pipelineThroughput(demo, plan, { pool: wide }), raw);
          } finally {
            await wide.close();
          }
        }
      } finally {
        await closeDemo(demo);
      }
    }
    // The CLI: one run per process, everything cold (JIT of this thread and of any worker, caches).
    log(` first run of a fresh process (the CLI), median of ${COLD_RUNS} processes, against raw inference measured warm in each:`);
    const cold: Record<string, ColdRun> = {};
    for (const mode of ['in-thread', 'default'] as const) {
      const run = coldRun(name, mode, modelFile);
      cold[mode] = run;
      const rate = run.images / run.coldSeconds;
      row(`first run, ${mode === 'default' ? 'default workers (started once the run proves long)' : 'workers: 0'}: ${fmt(run.coldSeconds, 2)} s`, rate, run.raw);
    }
    if (headline) {
      const { raw, warm, kept, bound } = headline;
      results.push({ demo: label, raw: warm.raw, pipeline: warm.pipeline, ratio: warm.median });
      log(
        `${warm.median >= TARGET_RATIO ? 'PASS' : 'MISS'} ${label}: pipeline throughput (steady state, the server's warm pool) ${fmt(warm.pipeline, 0)} img/s = ${fmt(warm.median, 2)}x raw inference ` +
          `(runs ${fmt(warm.low, 2)}-${fmt(warm.high, 2)}x; ${all}-core bound ${fmt(bound / raw, 2)}x; target >= ${TARGET_RATIO}x)`,
      );
      log(`${kept / raw >= TARGET_RATIO ? 'PASS' : 'MISS'} ${label}: repeat runs in the server (corrupted images kept) ${fmt(kept / raw, 2)}x raw inference (target >= ${TARGET_RATIO}x)`);
      const first = cold.default;
      log(
        `info ${label}: a fresh process's first run takes ${fmt(first.coldSeconds, 2)} s = ${fmt(first.images / first.coldSeconds / first.raw, 2)}x raw inference; ` +
          `the difference from the steady state is one-time start-up (JIT warm-up of every corruption, model and code loading), not throughput`,
      );
    }
  }
  return results;
}
