// Bench (f): the shift check on 100,000 tabular rows through a small model (the tabular demo's logistic
// regression, 8 features), every metric with 1,000 bootstrap resamples, on a table written to a temporary folder
// (CSV and Parquet). Prints the total time, and the shares of reading, inference and metrics + bootstrap,
// against the target of 10 s on 2 cores.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeBenchTable } from '../scripts/data/make-tabular-data';
import { loadConfigFile } from '../src/server/engine/config/load-config';
import { evaluate } from '../src/server/engine/run/evaluate';
import { openTabularDataset } from '../src/server/engine/data/tabular/tabular-dataset';
import { loadClassifier } from '../src/server/engine/model/load-model';
import { MetricKernel, SHIFT_METRICS } from '../src/server/engine/shift/metric-kernel';
import { resampleCounts } from '../src/server/engine/shift/bootstrap';
import { toProbabilities } from '../src/server/engine/shift/scores';
import { fmt, startedAs } from './common';

const ROWS = 100_000;
const RESAMPLES = 1000;
const TARGET_S = 10;
const MODEL = path.resolve(__dirname, '..', 'examples', 'tabular-shift', 'models', 'risk.onnx');

export async function benchShift(log: (line: string) => void): Promise<void> {
  const { dir, csv, parquet, featureNames } = await writeBenchTable(undefined, ROWS, 8);
  try {
    for (const [format, file] of [['csv', csv], ['parquet', parquet]] as const) {
      const config = path.join(dir, `robustness-${format}.json`);
      await fs.writeFile(
        config,
        JSON.stringify({
          model: MODEL,
          labels: ['low', 'high'],
          shift: { datasets: { bench: { role: 'source-heldout', data: { format, path: path.basename(file), label: 'y', features: featureNames } } }, bootstrap: { resamples: RESAMPLES } },
        }),
      );
      const loaded = await loadConfigFile(config);
      if (!loaded.config) throw new Error(JSON.stringify(loaded.problems));
      // The whole check as a run does it.
      let t = performance.now();
      const results = await evaluate(loaded.config, 'full');
      const total = (performance.now() - t) / 1000;
      // Its parts, timed apart: reading the table, inference, metrics with the bootstrap.
      t = performance.now();
      const table = await openTabularDataset({ format, path: file, label: 'y', features: featureNames }, dir, { labels: ['low', 'high'], configPath: [] });
      const read = (performance.now() - t) / 1000;
      const model = await loadClassifier(MODEL, { kind: 'tabular', features: table.featureCount }, 2);
      t = performance.now();
      const raw = new Float32Array(table.count * 2);
      for (let start = 0; start < table.count; start += 4096) {
        const rows = Math.min(4096, table.count - start);
        raw.set(await model.infer(table.features.subarray(start * table.featureCount, (start + rows) * table.featureCount), rows), start * 2);
      }
      const inference = (performance.now() - t) / 1000;
      await model.close();
      t = performance.now();
      const { probabilities } = toProbabilities(raw, table.count, 2, 'auto', { name: 'bench', file });
      const kernel = new MetricKernel(probabilities, table.labels, 2, { positiveClass: 1, threshold: undefined });
      const out = new Float64Array(SHIFT_METRICS.length);
      resampleCounts(table.count, { seed: 0, resamples: RESAMPLES, stream: 'bench' }, (counts) => kernel.compute(counts, out));
      const metrics = (performance.now() - t) / 1000;
      const parts = read + inference + metrics;
      log(
        `${format.padEnd(8)} ${ROWS} rows x ${table.featureCount} features, ${SHIFT_METRICS.length} metrics x ${RESAMPLES} resamples: ` +
          `${fmt(total, 2)} s for the whole check (AUROC ${fmt(results.shift!.datasets[0].metrics.auroc.value ?? NaN, 3)}); ` +
          `parts: read ${fmt(read, 2)} s (${fmt((100 * read) / parts, 0)}%), inference ${fmt(inference, 2)} s (${fmt((100 * inference) / parts, 0)}%), ` +
          `metrics + bootstrap ${fmt(metrics, 2)} s (${fmt((100 * metrics) / parts, 0)}%)`,
      );
      log(`${total <= TARGET_S ? 'PASS' : 'MISS'} shift check on ${ROWS} ${format} rows with ${RESAMPLES} resamples: ${fmt(total, 2)} s <= ${TARGET_S} s`);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (startedAs('shift-speed')) {
  benchShift((line) => console.log(line)).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
