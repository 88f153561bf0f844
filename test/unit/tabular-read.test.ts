// Tests of reading tables: the CSV parser (RFC 4180: quotes, CRLF, BOM, line numbers, every parse
// error) and the Parquet reader (column types, nulls, bad files), and that both give the same table.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { InputError } from '../../src/server/engine/errors';
import { parseCsv, readCsvTable } from '../../src/server/engine/data/tabular/read-csv';
import { readParquetTable } from '../../src/server/engine/data/tabular/read-parquet';
import { closestName, rowPlace, type Table } from '../../src/server/engine/data/tabular/table';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'tabular');
const fixture = (name: string) => path.join(FIXTURES, name);
const SPEC = ['shift', 'datasets', 'clinic-b', 'data'] as const;

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rl-tabular-read-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function writeTemp(name: string, content: string | Uint8Array | ArrayBuffer): Promise<string> {
  const file = path.join(dir, `${counter++}-${name}`);
  await fs.writeFile(file, content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  return file;
}

const rowsOf = (table: Table) =>
  Array.from({ length: table.rowCount }, (_, r) => table.columnNames.map((name) => table.column(name)[r]));

/** Asserts a data InputError with this code, file, config path, place, and message/fix matching `pattern`. */
async function rejectsWith(promise: Promise<unknown>, expected: { code: string; file: string; configPath?: readonly (string | number)[]; place?: string; pattern?: RegExp }) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.equal(error.details.kind, 'data');
    assert.equal(error.details.code, expected.code, error.message);
    assert.equal(error.details.file, expected.file);
    assert.deepEqual(error.details.configPath, expected.configPath);
    if (expected.place !== undefined) assert.equal(error.details.place, expected.place);
    assert.ok(error.details.fix && error.details.fix.length > 0, 'has a fix');
    assert.ok(error.message.includes(path.basename(expected.file)), `message names the file: ${error.message}`);
    if (expected.pattern) assert.match(`${error.message}. Fix: ${error.details.fix}`, expected.pattern);
    return true;
  });
}

describe('readCsvTable', () => {
  it('reads RFC 4180: BOM, CRLF, quoted commas, doubled quotes, a line break inside a field, no final newline', async () => {
    const table = await readCsvTable(fixture('rfc4180.csv'));
    assert.equal(table.file, fixture('rfc4180.csv'));
    assert.deepEqual(table.columnNames, ['name', 'x', 'y value', 'label']);
    assert.equal(table.rowCount, 4);
    assert.deepEqual(rowsOf(table), [
      ['Smith, J.', '1.5', '-2', 'yes'],
      ['say "hi"', '0.25', '3e2', 'no'],
      ['two\r\nlines', '-0', '.5', 'yes'],
      ['plain', '7', '8', 'no'],
    ]);
    // The third row starts on line 4 and spans two lines, so the fourth starts on line 6.
    assert.deepEqual([0, 1, 2, 3].map((r) => table.lineOf?.(r)), [2, 3, 4, 6]);
    assert.equal(rowPlace(table, 3), 'row 4 (line 6)');
  });

  it('keeps every cell as text, empty fields as empty text', () => {
    const table = parseCsv('a,b,c\n1,,x\n"",2.50,\n', '/data/t.csv');
    assert.deepEqual(rowsOf(table), [
      ['1', '', 'x'],
      ['', '2.50', ''],
    ]);
  });

  it('skips blank lines (LF, CRLF or CR line ends) and counts them in line numbers', () => {
    const table = parseCsv('\na,b\r\n\r\n1,2\r3,4\n\n\n5,6', '/data/t.csv');
    assert.deepEqual(rowsOf(table), [
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
    assert.deepEqual([0, 1, 2].map((r) => table.lineOf?.(r)), [4, 5, 8]);
  });

  it('reads a header-only file as a table with no rows', async () => {
    const table = await readCsvTable(fixture('empty.csv'));
    assert.equal(table.rowCount, 0);
    assert.equal(table.columnNames.length, 10);
  });

  it('reads the fixtures: 40 rows, 10 columns, the site first and the outcome last', async () => {
    const table = await readCsvTable(fixture('risk-40.csv'));
    assert.equal(table.rowCount, 40);
    assert.deepEqual(table.columnNames, ['site', 'age', 'bmi', 'systolic_bp', 'cholesterol', 'glucose', 'heart_rate', 'smoker', 'exercise_hours', 'outcome']);
    assert.equal(table.lineOf?.(39), 41);
  });

  it('reports a row with too many fields, naming the line', async () => {
    const file = fixture('ragged.csv');
    await rejectsWith(readCsvTable(file, SPEC), {
      code: 'data-parse',
      file,
      configPath: [...SPEC, 'path'],
      place: 'line 6',
      pattern: /line 6 has 11 fields but the header \(line 1\) has 10.*quote fields that contain commas/,
    });
  });

  it('reports a row with too few fields, naming the line', async () => {
    const file = await writeTemp('short.csv', 'a,b,c\n1,2,3\n4,5\n');
    await rejectsWith(readCsvTable(file), { code: 'data-parse', file, configPath: undefined, place: 'line 3', pattern: /line 3 has 2 fields but the header \(line 1\) has 3/ });
  });

  it('reports a quote that is never closed, naming the line where it opens', async () => {
    const file = fixture('unterminated-quote.csv');
    await rejectsWith(readCsvTable(file, SPEC), {
      code: 'data-parse',
      file,
      configPath: [...SPEC, 'path'],
      place: 'line 21',
      pattern: /the quoted field that starts on line 21 is never closed/,
    });
  });

  it('reports text right after a closing quote', async () => {
    const file = await writeTemp('after-quote.csv', 'a,b\n1,2\n"x"y,3\n');
    await rejectsWith(readCsvTable(file), { code: 'data-parse', file, place: 'line 3', pattern: /line 3 has text right after the closing quote/ });
  });

  it('reports a header that names a column twice', async () => {
    const file = await writeTemp('dup.csv', 'a,b,a\n1,2,3\n');
    await rejectsWith(readCsvTable(file, SPEC), { code: 'data-parse', file, configPath: [...SPEC, 'path'], pattern: /names column "a" twice \(columns 1 and 3\)/ });
  });

  it('reports an empty file', async () => {
    const file = await writeTemp('nothing.csv', '\uFEFF\r\n\r\n');
    await rejectsWith(readCsvTable(file, SPEC), { code: 'data-empty', file, configPath: [...SPEC, 'path'], pattern: /has no header row/ });
  });

  it('reports a missing file and a folder', async () => {
    const missing = path.join(dir, 'missing.csv');
    await rejectsWith(readCsvTable(missing, SPEC), { code: 'data-file-missing', file: missing, configPath: [...SPEC, 'path'], place: 'file', pattern: /does not exist.*relative to the folder of robustness\.json/ });
    await rejectsWith(readCsvTable(dir, SPEC), { code: 'data-file-missing', file: dir, configPath: [...SPEC, 'path'], pattern: /is a folder/ });
  });

  it('tells to set the format when the file is Parquet or binary', async () => {
    const file = fixture('risk-40.parquet');
    await rejectsWith(readCsvTable(file, SPEC), { code: 'data-parse', file, configPath: [...SPEC, 'format'], pattern: /is a Parquet file.*set "format" to "parquet"/ });
    const binary = await writeTemp('binary.csv', new Uint8Array([1, 0, 2, 0, 3]));
    await rejectsWith(readCsvTable(binary, SPEC), { code: 'data-parse', file: binary, configPath: [...SPEC, 'path'], pattern: /not a text file/ });
  });
});

describe('readParquetTable', () => {
  it('reads numbers, 64-bit integers, booleans, text and nulls', async () => {
    const file = await writeTemp(
      'types.parquet',
      parquetWriteBuffer({
        columnData: [
          { name: 'd', type: 'DOUBLE', data: [1.5, null, -3] },
          { name: 'f', type: 'FLOAT', data: Float32Array.from([0.5, 1, 2]) },
          { name: 'i', type: 'INT32', data: Int32Array.from([1, 2, 3]), nullable: false },
          { name: 'l', type: 'INT64', data: [10n, 20n, null] },
          { name: 'b', type: 'BOOLEAN', data: [true, false, null] },
          { name: 's', type: 'STRING', data: ['x', null, 'z'] },
        ],
      }),
    );
    const table = await readParquetTable(file);
    assert.equal(table.file, file);
    assert.equal(table.rowCount, 3);
    assert.deepEqual(table.columnNames, ['d', 'f', 'i', 'l', 'b', 's']);
    assert.equal(table.lineOf?.(0), undefined);
    assert.equal(rowPlace(table, 1), 'row 2');
    assert.deepEqual(rowsOf(table), [
      [1.5, 0.5, 1, 10, true, 'x'],
      [null, 1, 2, 20, false, null],
      [-3, 2, 3, null, null, 'z'],
    ]);
    // Columns of plain numbers come as a Float64Array.
    assert.ok(table.column('f') instanceof Float64Array);
    assert.ok(table.column('i') instanceof Float64Array);
  });

  it('reads a file of several row groups in row order', async () => {
    const n = 2500;
    const file = await writeTemp(
      'groups.parquet',
      parquetWriteBuffer({ columnData: [{ name: 'k', type: 'DOUBLE', data: Float64Array.from({ length: n }, (_, i) => i) }], rowGroupSize: 1000 }),
    );
    const table = await readParquetTable(file);
    assert.equal(table.rowCount, n);
    const k = table.column('k');
    assert.ok(Array.from({ length: n }, (_, i) => k[i] === i).every(Boolean));
  });

  it('gives the same table as the CSV file of the same data (cells as numbers / text)', async () => {
    for (const name of ['risk-40', 'three-class-45']) {
      const csv = await readCsvTable(fixture(`${name}.csv`));
      const parquet = await readParquetTable(fixture(`${name}.parquet`));
      assert.deepEqual(parquet.columnNames, csv.columnNames);
      assert.equal(parquet.rowCount, csv.rowCount);
      for (const column of csv.columnNames) {
        const fromCsv = Array.from(csv.column(column), String);
        const fromParquet = Array.from(parquet.column(column), String);
        assert.deepEqual(fromParquet, fromCsv, `${name}: column ${column}`);
      }
    }
  });

  it('reports a file that is not Parquet, suggesting "csv" for CSV text', async () => {
    const file = fixture('risk-40.csv');
    await rejectsWith(readParquetTable(file, SPEC), { code: 'data-parse', file, configPath: [...SPEC, 'format'], pattern: /is not a Parquet file \(it looks like CSV text\).*set "format" to "csv"/ });
    const other = await writeTemp('junk.parquet', 'just some words\n');
    await rejectsWith(readParquetTable(other, SPEC), { code: 'data-parse', file: other, configPath: [...SPEC, 'path'], pattern: /is not a Parquet file.*to_parquet/ });
  });

  it('reports a truncated file', async () => {
    const bytes = await fs.readFile(fixture('risk-40.parquet'));
    const file = await writeTemp('cut.parquet', bytes.subarray(0, bytes.length - 100));
    await rejectsWith(readParquetTable(file, SPEC), { code: 'data-parse', file, configPath: [...SPEC, 'path'], pattern: /not a complete Parquet file/ });
  });

  it('reports a corrupt file with the reader\'s reason', async () => {
    const bytes = Buffer.from(await fs.readFile(fixture('risk-40.parquet')));
    // Keep the magic numbers but scramble the footer length.
    bytes.writeUInt32LE(0x7fffffff, bytes.length - 8);
    const file = await writeTemp('corrupt.parquet', bytes);
    await rejectsWith(readParquetTable(file, SPEC), { code: 'data-parse', file, configPath: [...SPEC, 'path'], pattern: /cannot be read as Parquet \(.+\)/ });
  });

  it('reports a compression codec it cannot read, with the fix', async () => {
    const file = await writeTemp(
      'gzip.parquet',
      parquetWriteBuffer({ columnData: [{ name: 'a', type: 'DOUBLE', data: [1, 2, 3] }], codec: 'GZIP', compressors: { GZIP: (input: Uint8Array) => input } }),
    );
    await rejectsWith(readParquetTable(file, SPEC), { code: 'data-parse', file, configPath: [...SPEC, 'path'], pattern: /compressed with GZIP.*compression="snappy"/ });
  });

  it('reports a missing file', async () => {
    const missing = path.join(dir, 'missing.parquet');
    await rejectsWith(readParquetTable(missing, SPEC), { code: 'data-file-missing', file: missing, configPath: [...SPEC, 'path'], pattern: /does not exist/ });
  });
});

describe('closestName', () => {
  it('finds a different case, a plural or a typo, and nothing for an unrelated name', () => {
    const names = ['site', 'Outcome', 'systolic_bp', 'age'];
    assert.equal(closestName('outcome', names), 'Outcome');
    assert.equal(closestName('ages', names), 'age');
    assert.equal(closestName('systolic-bp', names), 'systolic_bp');
    assert.equal(closestName('diagnosis', names), undefined);
  });
});
