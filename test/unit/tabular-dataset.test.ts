// Tests of opening a tabular data set: features as a row-major Float32Array (the same from CSV and
// Parquet), label mapping (names, class ids, "1.0", booleans), groups, default and listed features, and
// every error: file, place, config path, code and message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { InputError } from '../../src/server/engine/errors';
import { openTabularDataset, type TabularDataSpec, type TabularExpectation } from '../../src/server/engine/data/tabular/tabular-dataset';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'tabular');
const fixture = (name: string) => path.join(FIXTURES, name);
const CONFIG_PATH = ['shift', 'datasets', 'clinic-b', 'data'] as const;
const RISK_FEATURES = ['age', 'bmi', 'systolic_bp', 'cholesterol', 'glucose', 'heart_rate', 'smoker', 'exercise_hours'];
const RISK: TabularExpectation = { labels: ['low', 'high'], configPath: CONFIG_PATH };
const THREE: TabularExpectation = { labels: ['alpha', 'beta', 'gamma'], configPath: CONFIG_PATH };

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-tabular-dataset-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let counter = 0;
/** Writes a file into the temp folder; returns its name relative to it (the "config folder"). */
async function writeTemp(name: string, content: string | ArrayBuffer): Promise<string> {
  const base = `${counter++}-${name}`;
  await fs.writeFile(path.join(dir, base), content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  return base;
}

const csvSpec = (file: string, extra: Partial<TabularDataSpec> = {}): TabularDataSpec => ({ format: 'csv', path: file, label: 'outcome', ...extra });
/** A spec for the patient-risk fixtures: label "outcome", group "site". */
const riskSpec = (file: string, extra: Partial<TabularDataSpec> = {}): TabularDataSpec => csvSpec(file, { group: 'site', ...extra });

/** Asserts an InputError with this code, file, config path and place; message + fix must match `pattern`. */
async function rejectsWith(
  promise: Promise<unknown>,
  expected: { code: string; file: string; configPath: readonly (string | number)[]; place?: string; kind?: 'data' | 'config'; pattern?: RegExp },
): Promise<InputError> {
  let caught: InputError | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.details.kind, expected.kind ?? 'data');
    assert.equal(error.details.code, expected.code, error.message);
    assert.equal(error.details.file, expected.file);
    assert.deepEqual(error.details.configPath, expected.configPath);
    if (expected.place !== undefined) assert.equal(error.details.place, expected.place);
    assert.ok(error.details.fix && error.details.fix.length > 0, 'has a fix');
    assert.ok(error.message.includes(path.basename(expected.file)), `message names the file: ${error.message}`);
    if (expected.pattern) assert.match(`${error.message}. Fix: ${error.details.fix}`, expected.pattern);
    caught = error;
    return true;
  });
  return caught!;
}

describe('openTabularDataset: reading', () => {
  it('reads features row-major, labels by name and groups as text; features default to every other column', async () => {
    const ds = await openTabularDataset(riskSpec('risk-40.csv'), FIXTURES, { ...RISK, features: 8 });
    assert.equal(ds.source, fixture('risk-40.csv'));
    assert.equal(ds.count, 40);
    assert.deepEqual(ds.featureNames, RISK_FEATURES);
    assert.equal(ds.featureCount, 8);
    assert.ok(ds.features instanceof Float32Array);
    assert.equal(ds.features.length, 40 * 8);
    assert.ok(ds.labels instanceof Int32Array);
    // Row 0 of risk-40.csv, read independently of the reader under test.
    const lines = (await fs.readFile(fixture('risk-40.csv'), 'utf8')).trim().split('\n');
    const header = lines[0].split(',');
    for (const r of [0, 17, 39]) {
      const cells = lines[r + 1].split(',');
      const expected = RISK_FEATURES.map((f) => Math.fround(Number(cells[header.indexOf(f)])));
      assert.deepEqual(Array.from(ds.features.subarray(r * 8, r * 8 + 8)), expected, `row ${r}`);
      assert.equal(ds.labels[r], cells[header.indexOf('outcome')] === 'high' ? 1 : 0);
      assert.equal(ds.groups?.[r], cells[header.indexOf('site')]);
    }
  });

  it('gives the same features, labels and groups from CSV and from Parquet', async () => {
    for (const [name, spec, expected] of [
      ['risk-40', { label: 'outcome', group: 'site' }, RISK],
      ['three-class-45', { label: 'class' }, THREE],
    ] as const) {
      const csv = await openTabularDataset({ format: 'csv', path: `${name}.csv`, ...spec }, FIXTURES, expected);
      const parquet = await openTabularDataset({ format: 'parquet', path: `${name}.parquet`, ...spec }, FIXTURES, expected);
      assert.equal(parquet.source, fixture(`${name}.parquet`));
      assert.deepEqual(parquet.featureNames, csv.featureNames);
      assert.deepEqual(parquet.features, csv.features, name);
      assert.deepEqual(parquet.labels, csv.labels, name);
      assert.deepEqual(parquet.groups, csv.groups, name);
    }
  });

  it('takes the listed features in the listed order, and no groups without a group column', async () => {
    const ds = await openTabularDataset(riskSpec('risk-40.csv', { features: ['glucose', 'age'], group: undefined }), FIXTURES, { ...RISK, features: 2 });
    const all = await openTabularDataset(riskSpec('risk-40.csv'), FIXTURES, RISK);
    assert.deepEqual(ds.featureNames, ['glucose', 'age']);
    assert.equal(ds.groups, undefined);
    for (let r = 0; r < 40; r++) {
      assert.equal(ds.features[r * 2], all.features[r * 8 + 4]);
      assert.equal(ds.features[r * 2 + 1], all.features[r * 8]);
    }
  });

  it('maps integer class ids, "1.0"-style ids, names, true/false, and trims blanks', async () => {
    const file = await writeTemp('ids.csv', 'x,outcome\n1,0\n2,1\n3,1.0\n4, high \n5,low\n6,false\n7,TRUE\n8,+0\n');
    const ds = await openTabularDataset(csvSpec(file), dir, RISK);
    assert.deepEqual(Array.from(ds.labels), [0, 1, 1, 1, 0, 0, 1, 0]);
    assert.deepEqual(ds.featureNames, ['x']);
  });

  it('prefers a label name over a class id when the names are numbers', async () => {
    const file = await writeTemp('numeric-names.csv', 'x,y\n1,1\n2,0\n3,2\n');
    const ds = await openTabularDataset({ format: 'csv', path: file, label: 'y' }, dir, { labels: ['1', '0', '2'], configPath: CONFIG_PATH });
    assert.deepEqual(Array.from(ds.labels), [0, 1, 2]);
  });

  it('maps Parquet booleans to 0/1 (labels and features), integers and names', async () => {
    const file = await writeTemp(
      'bool.parquet',
      parquetWriteBuffer({
        columnData: [
          { name: 'flag', type: 'BOOLEAN', data: [true, false, true] },
          { name: 'n', type: 'INT64', data: [1n, 2n, 3n] },
          { name: 'sick', type: 'BOOLEAN', data: [false, true, true] },
          { name: 'cls', type: 'INT64', data: [2n, 0n, 1n] },
          { name: 'name', type: 'STRING', data: ['beta', 'gamma', 'alpha'] },
        ],
      }),
    );
    const a = await openTabularDataset({ format: 'parquet', path: file, label: 'sick', features: ['flag', 'n'] }, dir, RISK);
    assert.deepEqual(Array.from(a.labels), [0, 1, 1]);
    assert.deepEqual(Array.from(a.features), [1, 1, 0, 2, 1, 3]);
    const b = await openTabularDataset({ format: 'parquet', path: file, label: 'cls', features: ['n'] }, dir, THREE);
    assert.deepEqual(Array.from(b.labels), [2, 0, 1]);
    const c = await openTabularDataset({ format: 'parquet', path: file, label: 'name', features: ['n'], group: 'cls' }, dir, THREE);
    assert.deepEqual(Array.from(c.labels), [1, 2, 0]);
    assert.deepEqual(c.groups, ['2', '0', '1']);
  });

  it('reads CSV true/false feature cells as 1/0 (pandas writes bool columns as True/False)', async () => {
    const file = await writeTemp('bool.csv', 'a,b,outcome\nTrue,1e-3,low\nFalse,-.5,high\n');
    const ds = await openTabularDataset(csvSpec(file), dir, RISK);
    assert.deepEqual(Array.from(ds.features), [1, Math.fround(1e-3), 0, -0.5]);
  });

  it('leaves a pandas index column (__index_level_0__) out of the default features', async () => {
    const file = await writeTemp(
      'index.parquet',
      parquetWriteBuffer({
        columnData: [
          { name: 'a', type: 'DOUBLE', data: [1, 2] },
          { name: 'outcome', type: 'STRING', data: ['low', 'high'] },
          { name: '__index_level_0__', type: 'INT64', data: [7n, 9n] },
        ],
      }),
    );
    const ds = await openTabularDataset({ format: 'parquet', path: file, label: 'outcome' }, dir, RISK);
    assert.deepEqual(ds.featureNames, ['a']);
  });

  it('resolves the path against the config folder', async () => {
    const ds = await openTabularDataset(riskSpec('tabular/risk-40.csv'), path.dirname(FIXTURES), RISK);
    assert.equal(ds.source, fixture('risk-40.csv'));
  });
});

describe('openTabularDataset: errors', () => {
  it('a missing file', async () => {
    await rejectsWith(openTabularDataset(csvSpec('no-such.csv'), dir, RISK), {
      code: 'data-file-missing',
      file: path.join(dir, 'no-such.csv'),
      configPath: [...CONFIG_PATH, 'path'],
      pattern: /the data file no-such\.csv does not exist/,
    });
    await rejectsWith(openTabularDataset({ ...csvSpec('no-such.parquet'), format: 'parquet' }, dir, RISK), {
      code: 'data-file-missing',
      file: path.join(dir, 'no-such.parquet'),
      configPath: [...CONFIG_PATH, 'path'],
    });
  });

  it('a missing label column, suggesting the closest column', async () => {
    await rejectsWith(openTabularDataset(riskSpec('missing-label.csv'), FIXTURES, RISK), {
      code: 'data-column-missing',
      file: fixture('missing-label.csv'),
      configPath: [...CONFIG_PATH, 'label'],
      place: 'header',
      pattern: /the table has no column "outcome" \(the label column\)\. Fix: did you mean "outcomes"\? Set "label"/,
    });
  });

  it('a missing group column, and a missing column with nothing close listing the columns', async () => {
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { group: 'Site' }), FIXTURES, RISK), {
      code: 'data-column-missing',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'group'],
      pattern: /no column "Site" \(the group column\).*did you mean "site"\?/,
    });
    const groupsKey = ['shift', 'datasets', 'clinic-b', 'groups', 'column'];
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { group: 'Site' }), FIXTURES, { ...RISK, groupConfigPath: groupsKey }), {
      code: 'data-column-missing',
      file: fixture('risk-40.csv'),
      configPath: groupsKey,
    });
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { group: 'hospital' }), FIXTURES, RISK), {
      code: 'data-column-missing',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'group'],
      pattern: /set "group" to one of the columns: "site", "age", "bmi"/,
    });
  });

  it('a missing feature column, pointing at its entry in "features"', async () => {
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { features: ['age', 'BMI', 'glucose'] }), FIXTURES, RISK), {
      code: 'data-column-missing',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'features', 1],
      pattern: /no column "BMI" \(the feature column\).*did you mean "bmi"\? Set "features"/,
    });
  });

  it('a semicolon-separated file', async () => {
    const file = await writeTemp('semicolons.csv', 'a;b;outcome\n1;2;low\n');
    await rejectsWith(openTabularDataset(csvSpec(file), dir, RISK), {
      code: 'data-column-missing',
      file: path.join(dir, file),
      configPath: [...CONFIG_PATH, 'label'],
      pattern: /separate fields with semicolons/,
    });
  });

  it('the label column or a repeated column listed in "features" (config errors)', async () => {
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { features: ['age', 'outcome'] }), FIXTURES, RISK), {
      code: 'data-feature-is-label',
      kind: 'config',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'features', 1],
      pattern: /"features" lists the label column "outcome"/,
    });
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { features: ['age', 'bmi', 'age'] }), FIXTURES, RISK), {
      code: 'data-feature-duplicate',
      kind: 'config',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'features', 2],
    });
  });

  it('a non-numeric feature value, naming the row, line and column', async () => {
    const file = fixture('non-numeric.csv');
    await rejectsWith(openTabularDataset(riskSpec('non-numeric.csv'), FIXTURES, RISK), {
      code: 'data-value',
      file,
      configPath: [...CONFIG_PATH, 'path'],
      place: 'row 7 (line 8), column "glucose"',
      pattern: /non-numeric\.csv: row 7 \(line 8\), column "glucose" holds "high", which is not a number/,
    });
  });

  it('a missing feature value, saying missing values must be imputed before export', async () => {
    await rejectsWith(openTabularDataset(riskSpec('missing-value.csv'), FIXTURES, RISK), {
      code: 'data-value',
      file: fixture('missing-value.csv'),
      configPath: [...CONFIG_PATH, 'path'],
      place: 'row 12 (line 13), column "bmi"',
      pattern: /row 12 \(line 13\), column "bmi" is missing \(""\): missing feature values are not supported.*impute missing values .* before exporting/,
    });
    const nan = await writeTemp('nan.csv', 'a,outcome\n1,low\nNaN,high\n');
    await rejectsWith(openTabularDataset(csvSpec(nan), dir, RISK), { code: 'data-value', file: path.join(dir, nan), configPath: [...CONFIG_PATH, 'path'], pattern: /row 2 \(line 3\), column "a" is missing \("NaN"\)/ });
  });

  it('a null or NaN feature value in Parquet, naming the row', async () => {
    const file = await writeTemp(
      'null.parquet',
      parquetWriteBuffer({
        columnData: [
          { name: 'a', type: 'DOUBLE', data: [1, 2, null] },
          { name: 'b', type: 'DOUBLE', data: Float64Array.from([1, Number.NaN, 3]), nullable: false },
          { name: 'outcome', type: 'STRING', data: ['low', 'high', 'low'] },
        ],
      }),
    );
    await rejectsWith(openTabularDataset({ format: 'parquet', path: file, label: 'outcome', features: ['a'] }, dir, RISK), {
      code: 'data-value',
      file: path.join(dir, file),
      configPath: [...CONFIG_PATH, 'path'],
      place: 'row 3, column "a"',
      pattern: /row 3, column "a" is missing \(null\): missing feature values are not supported/,
    });
    await rejectsWith(openTabularDataset({ format: 'parquet', path: file, label: 'outcome', features: ['b'] }, dir, RISK), {
      code: 'data-value',
      file: path.join(dir, file),
      configPath: [...CONFIG_PATH, 'path'],
      place: 'row 2, column "b"',
      pattern: /is missing \(NaN\)/,
    });
  });

  it('infinite values, hexadecimal and decimal commas are not numbers', async () => {
    const inf = await writeTemp('inf.csv', 'a,outcome\n1,low\n-inf,high\n');
    await rejectsWith(openTabularDataset(csvSpec(inf), dir, RISK), { code: 'data-value', file: path.join(dir, inf), configPath: [...CONFIG_PATH, 'path'], pattern: /is "-inf": features must be finite numbers/ });
    const hex = await writeTemp('hex.csv', 'a,outcome\n0x1f,low\n');
    await rejectsWith(openTabularDataset(csvSpec(hex), dir, RISK), { code: 'data-value', file: path.join(dir, hex), configPath: [...CONFIG_PATH, 'path'], pattern: /holds "0x1f", which is not a number/ });
    const comma = await writeTemp('comma.csv', 'a,outcome\n1.5,low\n"2,5",high\n');
    await rejectsWith(openTabularDataset(csvSpec(comma), dir, RISK), { code: 'data-value', file: path.join(dir, comma), configPath: [...CONFIG_PATH, 'path'], pattern: /holds "2,5".*decimal point, not a comma/ });
  });

  it('a text column used as a feature, pointing at its "features" entry', async () => {
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { features: ['age', 'site'] }), FIXTURES, RISK), {
      code: 'data-value',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'features', 1],
      pattern: /row 1 \(line 2\), column "site" holds "clinic-.", which is not a number \(the column holds text: .*encode "site" .*one-hot/,
    });
  });

  it('an unknown label value, naming the row, line and column and listing the labels', async () => {
    await rejectsWith(openTabularDataset(riskSpec('unknown-label.csv'), FIXTURES, RISK), {
      code: 'data-label-unknown',
      file: fixture('unknown-label.csv'),
      configPath: [...CONFIG_PATH, 'label'],
      place: 'row 9 (line 10), column "outcome"',
      pattern: /row 9 \(line 10\), column "outcome" holds "medium", which is neither a label name \("low", "high"\) nor a class id 0\.\.1.*add "medium" to "labels"/,
    });
    const cased = await writeTemp('case.csv', 'a,outcome\n1,low\n2,High\n');
    await rejectsWith(openTabularDataset(csvSpec(cased), dir, RISK), { code: 'data-label-unknown', file: path.join(dir, cased), configPath: [...CONFIG_PATH, 'label'], pattern: /case-sensitive: write "high"/ });
    const fraction = await writeTemp('fraction.csv', 'a,outcome\n1,0.5\n');
    await rejectsWith(openTabularDataset(csvSpec(fraction), dir, RISK), { code: 'data-label-unknown', file: path.join(dir, fraction), configPath: [...CONFIG_PATH, 'label'], pattern: /holds "0\.5"/ });
  });

  it('a class id out of range, from CSV and from Parquet', async () => {
    await rejectsWith(openTabularDataset({ format: 'csv', path: 'label-out-of-range.csv', label: 'class' }, FIXTURES, THREE), {
      code: 'data-label-out-of-range',
      file: fixture('label-out-of-range.csv'),
      configPath: [...CONFIG_PATH, 'label'],
      place: 'row 4 (line 5), column "class"',
      pattern: /holds "5", outside the class ids 0\.\.2 \(the config lists 3 labels: "alpha", "beta", "gamma"\)/,
    });
    const file = await writeTemp('oor.parquet', parquetWriteBuffer({ columnData: [{ name: 'a', type: 'DOUBLE', data: [1, 2] }, { name: 'y', type: 'INT64', data: [1n, -1n] }] }));
    await rejectsWith(openTabularDataset({ format: 'parquet', path: file, label: 'y' }, dir, RISK), {
      code: 'data-label-out-of-range',
      file: path.join(dir, file),
      configPath: [...CONFIG_PATH, 'label'],
      place: 'row 2, column "y"',
      pattern: /holds -1, outside the class ids 0\.\.1/,
    });
  });

  it('a missing label or group value', async () => {
    const file = await writeTemp('holes.csv', 'a,outcome,site\n1,low,x\n2,,y\n3,high,\n');
    await rejectsWith(openTabularDataset(csvSpec(file, { features: ['a'] }), dir, RISK), { code: 'data-value', file: path.join(dir, file), configPath: [...CONFIG_PATH, 'label'], place: 'row 2 (line 3), column "outcome"', pattern: /has no label/ });
    const noGaps = await writeTemp('group-hole.csv', 'a,outcome,site\n1,low,x\n3,high,\n');
    await rejectsWith(openTabularDataset(csvSpec(noGaps, { group: 'site' }), dir, RISK), { code: 'data-value', file: path.join(dir, noGaps), configPath: [...CONFIG_PATH, 'group'], place: 'row 2 (line 3), column "site"', pattern: /is empty: every row needs a group/ });
  });

  it('an empty table', async () => {
    await rejectsWith(openTabularDataset(riskSpec('empty.csv'), FIXTURES, RISK), {
      code: 'data-empty',
      file: fixture('empty.csv'),
      configPath: [...CONFIG_PATH, 'path'],
      pattern: /the table has no rows/,
    });
    const file = await writeTemp('empty.parquet', parquetWriteBuffer({ columnData: [{ name: 'a', type: 'DOUBLE', data: [] }, { name: 'outcome', type: 'STRING', data: [] }] }));
    await rejectsWith(openTabularDataset({ format: 'parquet', path: file, label: 'outcome' }, dir, RISK), { code: 'data-empty', file: path.join(dir, file), configPath: [...CONFIG_PATH, 'path'] });
  });

  it('a feature count different from the model\'s, naming the columns', async () => {
    const error = await rejectsWith(openTabularDataset(riskSpec('risk-40.csv'), FIXTURES, { ...RISK, features: 9 }), {
      code: 'data-feature-count',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'features'],
      pattern: /the model takes 9 features but the table gives 8: "age", "bmi", "systolic_bp", "cholesterol", "glucose", "heart_rate", "smoker", "exercise_hours" \(every column but the label "outcome" and the group "site"\).*list in "features" the 9 columns/,
    });
    assert.equal(error.details.place, 'header');
    // A pandas index written to the CSV is the usual extra column.
    const file = await writeTemp('with-index.csv', ',a,b,outcome\n0,1,2,low\n1,3,4,high\n');
    await rejectsWith(openTabularDataset(csvSpec(file, { group: 'b' }), dir, { ...RISK, features: 1 }), {
      code: 'data-feature-count',
      file: path.join(dir, file),
      configPath: [...CONFIG_PATH, 'features'],
      pattern: /the model takes 1 feature but the table gives 2: "", "a" \(every column but the label "outcome" and the group "b"\).*"" looks like an index or id column \(pandas writes its index unless index=False\)/,
    });
    await rejectsWith(openTabularDataset(riskSpec('risk-40.csv', { features: ['age', 'bmi'] }), FIXTURES, { ...RISK, features: 3 }), {
      code: 'data-feature-count',
      file: fixture('risk-40.csv'),
      configPath: [...CONFIG_PATH, 'features'],
      pattern: /the model takes 3 features but "features" lists 2: "age", "bmi"/,
    });
  });

  it('a ragged CSV row and an unterminated quote come through with the data spec\'s config path', async () => {
    await rejectsWith(openTabularDataset(riskSpec('ragged.csv'), FIXTURES, RISK), { code: 'data-parse', file: fixture('ragged.csv'), configPath: [...CONFIG_PATH, 'path'], place: 'line 6' });
    await rejectsWith(openTabularDataset(riskSpec('unterminated-quote.csv'), FIXTURES, RISK), { code: 'data-parse', file: fixture('unterminated-quote.csv'), configPath: [...CONFIG_PATH, 'path'], place: 'line 21' });
  });

  it('an unknown format (a config error)', async () => {
    await assert.rejects(openTabularDataset({ ...riskSpec('risk-40.csv'), format: 'xlsx' as 'csv' }, FIXTURES, RISK), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.details.code, 'data-format-unknown');
      assert.equal(error.details.kind, 'config');
      assert.deepEqual(error.details.configPath, [...CONFIG_PATH, 'format']);
      return true;
    });
  });
});
