// Child of bench (b), one fresh process per measurement: the first executePlan of a process, as the CLI runs
// one (no warm-up of this thread's JIT, of the worker threads or of the frost textures), then raw inference of
// the same batches in the same process, warmed up. Prints one JSON line:
// { images, coldSeconds, raw } (raw in images per second).
// node .bench-out/pipeline-cold-child.js DEMO MODE [MODEL]   (MODE: in-thread | default | workers)
import { implementedCorruptions } from '../src/server/engine/perturb/image/registry';
import { preprocessBatch } from '../src/server/engine/model/preprocess';
import { defaultWorkerCount } from '../src/server/engine/run/corruption-pool';
import { DEFAULT_BATCH_SIZE, executePlan } from '../src/server/engine/run/execute-plan';
import { resolvePreset, type RunPlan } from '../src/server/engine/run/plan';
import { closeDemo, openDemo, useBuiltFiles } from './common';

async function main(): Promise<void> {
  const [name, mode, modelFile] = process.argv.slice(2);
  if (!name || !['in-thread', 'default', 'workers'].includes(mode)) throw new Error('usage: pipeline-cold-child DEMO in-thread|default|workers [MODEL]');
  useBuiltFiles();
  const demo = await openDemo(name, 1, modelFile || undefined);
  try {
    const { config, dataset, model } = demo;
    const plan: RunPlan = {
      kind: 'full',
      seed: config.seed,
      preset: resolvePreset(config.preset, config.input!.height, config.input!.width),
      sampleIds: Array.from({ length: dataset.count }, (_, i) => i),
      conditions: implementedCorruptions().map((c) => ({ corruption: c.name, severity: 3 })),
    };
    const passes = 1 + plan.conditions.length;
    const images = plan.sampleIds.length * passes;
    const started = performance.now();
    await executePlan(plan, dataset, model, config.input!, mode === 'in-thread' ? { workers: 0 } : mode === 'workers' ? { workers: defaultWorkerCount() } : {});
    const coldSeconds = (performance.now() - started) / 1000;
    // Raw inference: the same batches, preprocessed in advance, after a warm-up pass.
    const batches: { tensor: Float32Array; rows: number }[] = [];
    for (let start = 0; start < plan.sampleIds.length; start += DEFAULT_BATCH_SIZE) {
      const samples = await dataset.read(plan.sampleIds.slice(start, start + DEFAULT_BATCH_SIZE));
      batches.push({ tensor: preprocessBatch(samples.map((s) => s.image), config.input!).slice(), rows: samples.length });
    }
    for (const b of batches) await model.infer(b.tensor, b.rows);
    const t = performance.now();
    for (let p = 0; p < passes; p++) for (const b of batches) await model.infer(b.tensor, b.rows);
    const raw = images / ((performance.now() - t) / 1000);
    console.log(JSON.stringify({ images, coldSeconds, raw }));
  } finally {
    await closeDemo(demo);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
