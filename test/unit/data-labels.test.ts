// Tests of reading the class labels: inline lists, labels files, and their errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../src/server/engine/errors';
import { readLabels } from '../../src/server/engine/data/labels';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-data-labels-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function rejectsWithLabelsError(promise: Promise<unknown>, code: string, file: string | undefined, extra?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.details.code, code, error.message);
    assert.deepEqual(error.details.configPath, ['labels']);
    assert.equal(error.details.file, file);
    assert.equal(error.details.kind, file ? 'data' : 'config');
    assert.ok(error.details.fix && error.details.fix.length > 0, 'has a fix');
    if (file) assert.ok(error.message.includes(path.basename(file)), `message names the file: ${error.message}`);
    if (extra) assert.match(`${error.message} ${error.details.fix}`, extra);
    return true;
  });
}

describe('readLabels', () => {
  it('returns an inline list as it is', async () => {
    const list = ['T-shirt/top', 'Trouser', ' Pullover '];
    const labels = await readLabels(list, dir);
    assert.deepEqual(labels, list);
    assert.notEqual(labels, list, 'a copy, not the config object');
  });

  it('reads a labels file relative to the config folder: trimmed, blank lines skipped, BOM and CRLF handled', async () => {
    await fs.mkdir(path.join(dir, 'meta'), { recursive: true });
    await fs.writeFile(path.join(dir, 'meta', 'labels.txt'), '\uFEFFairplane\r\n  automobile  \r\n\r\n\tbird\n\n');
    assert.deepEqual(await readLabels('meta/labels.txt', dir), ['airplane', 'automobile', 'bird']);
    assert.deepEqual(await readLabels(path.join(dir, 'meta', 'labels.txt'), '/elsewhere'), ['airplane', 'automobile', 'bird']);
  });

  it('a missing labels file', async () => {
    await rejectsWithLabelsError(readLabels('missing-labels.txt', dir), 'labels-file-missing', path.join(dir, 'missing-labels.txt'), /robustness\.json/);
  });

  it('an empty list', async () => {
    await rejectsWithLabelsError(readLabels([], dir), 'labels-empty', undefined);
  });

  it('a labels file with only blank lines', async () => {
    const file = path.join(dir, 'blank.txt');
    await fs.writeFile(file, '\n  \n\n');
    await rejectsWithLabelsError(readLabels('blank.txt', dir), 'labels-empty', file);
  });

  it('duplicate labels in a list are named', async () => {
    await rejectsWithLabelsError(readLabels(['cat', 'dog', 'cat', 'bird', 'dog'], dir), 'labels-duplicate', undefined, /'cat' \(labels\[0\] and labels\[2\]\).*'dog'/);
  });

  it('duplicate labels in a file are named with their lines', async () => {
    const file = path.join(dir, 'dup.txt');
    await fs.writeFile(file, 'cat\n\ndog\ncat\n');
    await rejectsWithLabelsError(readLabels('dup.txt', dir), 'labels-duplicate', file, /'cat' \(line 1 and line 4\)/);
  });
});
