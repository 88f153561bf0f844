// Test helper process: writes baselines over and over (each a little different and several MB large) until it
// is killed, so that a test can kill it in the middle of a write.
import { writeBaseline } from '../../src/server/engine/baseline/baseline-file';
import type { Results } from '../../src/server/engine/results/results';

const [file, templateJson] = process.argv.slice(2);
const template = JSON.parse(templateJson) as Results;
(async () => {
  for (let i = 0; ; i++) {
    // A few MB of labels make every write take long enough to be interrupted.
    const labels = Array.from({ length: 200_000 }, (_, k) => `label-${i}-${k}`);
    await writeBaseline(file, { ...template, labels, durationMs: i });
    process.stdout.write(`${i}\n`);
  }
})();
