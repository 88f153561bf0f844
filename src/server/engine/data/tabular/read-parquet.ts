// Reads a Parquet file into a Table with hyparquet (pure JavaScript; reads uncompressed and Snappy
// files, the defaults of pandas/pyarrow, Spark and DuckDB). Numbers (int, float, double, decimal) become
// numbers, booleans stay booleans, text stays text, nulls (and nothing else) become null; 64-bit integers
// become numbers. Dates and timestamps become ISO text, nested values JSON text: neither is a usable
// feature, and tabular-dataset.ts says so when one is used as a feature. Problems are InputErrors.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parquetMetadata, parquetSchema, parquetScan, type DecodedArray, type FileMetaData } from 'hyparquet';
import { InputError, type ConfigPath } from '../../errors';
import { ColumnTable, keyOf, type Cell, type Table } from './table';

/**
 * Reads `file` (an absolute path). `specPath` is the JSON path of the data spec in robustness.json
 * (e.g. ['data']); errors point at its "path" or "format" key.
 */
export async function readParquetTable(file: string, specPath?: ConfigPath): Promise<Table> {
  const name = path.basename(file);
  const fail = (code: string, message: string, fix: string, key = 'path'): InputError =>
    new InputError(message, { kind: 'data', code, file, place: 'file', configPath: keyOf(specPath, key), fix });

  let bytes: Buffer;
  try {
    const stats = await fs.stat(file);
    if (!stats.isFile()) throw fail('data-file-missing', `${name} is a folder, not a Parquet file`, 'point "path" at a .parquet file');
    bytes = await fs.readFile(file);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(
      'data-file-missing',
      `the data file ${name} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`}`,
      'check the path; it is relative to the folder of robustness.json',
    );
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'PAR1' || bytes.toString('latin1', bytes.length - 4) !== 'PAR1') {
    const looksLikeCsv = bytes.length > 0 && !bytes.subarray(0, 4096).includes(0) && bytes.subarray(0, 4096).includes(0x2c);
    throw fail(
      'data-parse',
      bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'PAR1'
        ? `${name} is not a complete Parquet file (the footer is missing; was it cut short while being written?)`
        : `${name} is not a Parquet file${looksLikeCsv ? ' (it looks like CSV text)' : ''}`,
      looksLikeCsv ? 'set "format" to "csv"' : 'write the table with df.to_parquet(path, index=False), or set "format" to match the file',
      looksLikeCsv ? 'format' : 'path',
    );
  }

  try {
    const metadata = parquetMetadata(buffer);
    const rowCount = Number(metadata.num_rows);
    const names = parquetSchema(metadata).children.map((child) => child.element.name);
    const duplicate = names.find((n, k) => names.indexOf(n) !== k);
    if (duplicate !== undefined) {
      throw fail('data-parse', `${name} has two columns named ${JSON.stringify(duplicate)}`, 'give every column a distinct name');
    }
    const columns = await readColumns(buffer, metadata, names, rowCount);
    return new ColumnTable(file, rowCount, names, columns);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const detail = String((error as Error).message ?? error).split('\n')[0].slice(0, 200);
    const codec = /unsupported compression codec: (\w+)/i.exec(detail)?.[1];
    if (codec) {
      throw fail(
        'data-parse',
        `${name} is compressed with ${codec}, which Robustness Lens cannot read (it reads uncompressed and Snappy-compressed Parquet)`,
        `save it with Snappy compression: df.to_parquet(path, compression="snappy") in pandas, df.write_parquet(path, compression="snappy") in polars`,
      );
    }
    throw fail('data-parse', `${name} cannot be read as Parquet (${detail})`, 'write the table again with df.to_parquet(path, index=False)');
  }
}

/** Reads every column in full, as plain cells (numbers in a Float64Array when a column has no other kind). */
async function readColumns(buffer: ArrayBuffer, metadata: FileMetaData, names: readonly string[], rowCount: number): Promise<ArrayLike<Cell>[]> {
  const scan = await parquetScan({ file: buffer, metadata, columns: [...names] });
  const ranges = [...scan.ranges].sort((a, b) => a.rowStart - b.rowStart);
  let covered = 0;
  for (const range of ranges) {
    if (range.rowStart !== covered) throw new Error(`rows ${covered}..${range.rowStart - 1} are in no row group`);
    covered = range.rowEnd;
  }
  if (covered !== rowCount) throw new Error(`the row groups hold ${covered} rows but the footer says ${rowCount}`);
  const columns: ArrayLike<Cell>[] = [];
  for (const column of names) {
    const builder = new ColumnBuilder(rowCount);
    for (const range of ranges) builder.add(await scan.readColumn({ column, rowStart: range.rowStart, rowEnd: range.rowEnd }), range.rowStart);
    columns.push(builder.finish());
  }
  return columns;
}

/** Collects a column: numbers go into a Float64Array until a value of another kind turns it into a Cell[]. */
class ColumnBuilder {
  private numbers: Float64Array | undefined;
  private cells: Cell[] | undefined;

  constructor(private readonly rowCount: number) {
    this.numbers = new Float64Array(rowCount);
  }

  add(values: DecodedArray, offset: number): void {
    const length = values.length;
    if (this.numbers && (values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint32Array)) {
      this.numbers.set(values, offset);
      return;
    }
    for (let k = 0; k < length; k++) {
      const value = (values as ArrayLike<unknown>)[k];
      if (this.numbers) {
        if (typeof value === 'number') {
          this.numbers[offset + k] = value;
          continue;
        }
        if (typeof value === 'bigint') {
          this.numbers[offset + k] = Number(value);
          continue;
        }
        this.cells = Array.from(this.numbers) as Cell[];
        this.numbers = undefined;
      }
      this.cells![offset + k] = toCell(value);
    }
  }

  finish(): ArrayLike<Cell> {
    return this.numbers ?? this.cells ?? new Float64Array(this.rowCount);
  }
}

function toCell(value: unknown): Cell {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'undefined':
      return null;
    default:
      if (value === null) return null;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
      return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? Number(v) : v));
  }
}
