// Groups of an image folder: from subfolders (<group>/<label>/<image>), where a group folder without images is
// an empty group (n = 0, undefined metrics, left out of the worst group), and from a side file keyed by the image
// path relative to the data folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/lsp-client';
import { copyWorkspace, removeWorkspace } from '../helpers/workspace';
import { loadConfigFile } from '../../src/server/engine/config/load-config';
import { evaluate } from '../../src/server/engine/run/evaluate';

const DEMO = path.join(REPO_ROOT, 'examples', 'cifar-synth');
let folder: string;
const keys: string[] = [];

before(async () => {
  folder = await copyWorkspace(DEMO);
  const source = path.join(folder, 'data', 'test');
  for (const label of (await fs.readdir(source)).sort()) {
    const files = (await fs.readdir(path.join(source, label))).sort();
    for (const [i, file] of files.entries()) {
      const group = i % 2 === 0 ? 'even' : 'odd';
      await fs.mkdir(path.join(folder, 'grouped', group, label), { recursive: true });
      await fs.copyFile(path.join(source, label, file), path.join(folder, 'grouped', group, label, file));
      keys.push(`${label}/${file}`);
    }
  }
  await fs.mkdir(path.join(folder, 'grouped', 'empty', 'circle'), { recursive: true });
  const rows = ['sample,group', ...keys.map((k, i) => `${k},${i < 50 ? 'first-fifty' : 'rest'}`)];
  await fs.writeFile(path.join(folder, 'groups.csv'), rows.join('\n'));
});

after(async () => {
  await removeWorkspace(folder);
});

async function runWith(datasets: Record<string, unknown>) {
  const file = path.join(folder, 'robustness.json');
  const config = JSON.parse((await fs.readFile(path.join(DEMO, 'robustness.json'), 'utf8')).replace(/^\/\/.*$/gm, ''));
  delete config.data;
  await fs.writeFile(file, JSON.stringify({ ...config, shift: { datasets, bootstrap: { resamples: 50 } } }));
  const loaded = await loadConfigFile(file);
  assert.ok(loaded.config, JSON.stringify(loaded.problems));
  return (await evaluate(loaded.config, 'full', { workers: 0 })).shift!;
}

test('groups from subfolders, with an empty group folder reported as n = 0', async () => {
  const shift = await runWith({ grouped: { role: 'target-dev', data: { format: 'imagefolder', path: 'grouped' }, groups: { from: 'subfolder' } } });
  const [set] = shift.datasets;
  assert.equal(set.n, 200);
  assert.deepEqual(set.groups.map((g) => [g.group, g.n]), [['empty', 0], ['even', 100], ['odd', 100]]);
  assert.equal(set.groups[0].metrics.accuracy.value, null);
  assert.notEqual(set.worstGroup!.accuracy.group, 'empty', 'an empty group has no value to be the worst');
  assert.ok(set.metrics.accuracy.value! > 0.9, 'the robust demo model');
});

test('groups from a side file keyed by image path', async () => {
  const shift = await runWith({ plain: { role: 'target-dev', data: { format: 'imagefolder', path: 'data/test' }, groups: { file: 'groups.csv' } } });
  assert.deepEqual(shift.datasets[0].groups.map((g) => [g.group, g.n]), [['first-fifty', 50], ['rest', 150]]);
});
