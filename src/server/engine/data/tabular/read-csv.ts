// Reads a CSV file (RFC 4180) into a Table: the first record is the header, fields are separated by
// commas, a field may be quoted with " (a doubled "" inside stands for one "), and quoted fields may
// hold commas and line breaks. Lines end in LF or CRLF; a UTF-8 byte order mark is skipped; blank lines
// are skipped (as pandas does). Every cell stays text: tabular-dataset.ts converts feature cells to
// numbers, so that an error can quote the cell as written. A record with more or fewer fields than the
// header, or a quote that is never closed, is an InputError naming the line.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError, type ConfigPath } from '../../errors';
import { ColumnTable, keyOf, type Table } from './table';

/** Largest CSV file read (V8 strings are limited to about 512 M characters). */
const MAX_CSV_BYTES = 400 * 1024 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads `file` (an absolute path). `specPath` is the JSON path of the data spec in robustness.json
 * (e.g. ['data']); errors point at its "path" or "format" key.
 */
export async function readCsvTable(file: string, specPath?: ConfigPath): Promise<Table> {
  const name = path.basename(file);
  const pathKey = keyOf(specPath, 'path');
  let bytes: Buffer;
  try {
    const stats = await fs.stat(file);
    if (!stats.isFile()) {
      throw new InputError(`${name} is a folder, not a CSV file`, {
        kind: 'data',
        code: 'data-file-missing',
        file,
        place: 'file',
        configPath: pathKey,
        fix: 'point "path" at a .csv file',
      });
    }
    if (stats.size > MAX_CSV_BYTES) {
      throw new InputError(`${name} is ${Math.round(stats.size / 1024 / 1024)} MB, more than the ${MAX_CSV_BYTES / 1024 / 1024} MB a CSV file may have`, {
        kind: 'data',
        code: 'data-too-large',
        file,
        place: 'file',
        configPath: pathKey,
        fix: 'save the table as Parquet (df.to_parquet(...), "format": "parquet"), or use a sample of the rows',
      });
    }
    bytes = await fs.readFile(file);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`the data file ${name} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`}`, {
      kind: 'data',
      code: 'data-file-missing',
      file,
      place: 'file',
      configPath: pathKey,
      fix: 'check the path; it is relative to the folder of robustness.json',
    });
  }
  checkLooksLikeText(bytes, file, specPath);
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseCsv(text, file, specPath);
}

/** Rejects Parquet files and other binary files early, with the fix. */
function checkLooksLikeText(bytes: Buffer, file: string, specPath: ConfigPath | undefined): void {
  const name = path.basename(file);
  if (bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'PAR1') {
    throw new InputError(`${name} is a Parquet file, but "format" is "csv"`, {
      kind: 'data',
      code: 'data-parse',
      file,
      place: 'file',
      configPath: keyOf(specPath, 'format'),
      fix: 'set "format" to "parquet"',
    });
  }
  const head = bytes.subarray(0, 4096);
  if (head.includes(0)) {
    throw new InputError(`${name} is not a text file (it holds NUL bytes), so it cannot be read as CSV`, {
      kind: 'data',
      code: 'data-parse',
      file,
      place: 'file',
      configPath: keyOf(specPath, 'path'),
      fix: 'point "path" at a UTF-8 CSV file (df.to_csv(path, index=False)), or set "format" to match the file',
    });
  }
}

/** Parses CSV text (BOM already removed) into a column table. Exported for tests. */
export function parseCsv(text: string, file: string, specPath?: ConfigPath): Table {
  const name = path.basename(file);
  const n = text.length;
  let i = 0;
  let line = 1;
  const fail = (message: string, place: string, fix: string): InputError =>
    new InputError(`${name}: ${message}`, { kind: 'data', code: 'data-parse', file, place, configPath: keyOf(specPath, 'path'), fix });

  /** Reads one field starting at i; leaves i on the comma, line break or end that follows it. */
  const field = (): string => {
    if (text.charCodeAt(i) !== QUOTE) {
      const start = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === COMMA || c === LF || c === CR) break;
        i++;
      }
      return text.slice(start, i);
    }
    const quoteLine = line;
    let value = '';
    let segment = i + 1;
    for (;;) {
      const q = text.indexOf('"', segment);
      if (q < 0) {
        throw fail(
          `the quoted field that starts on line ${quoteLine} is never closed`,
          `line ${quoteLine}`,
          'close the quote, and write a " inside a quoted field as "" (RFC 4180)',
        );
      }
      line += lineBreaks(text, segment, q);
      if (text.charCodeAt(q + 1) === QUOTE) {
        value += text.slice(segment, q + 1);
        segment = q + 2;
        continue;
      }
      value += text.slice(segment, q);
      i = q + 1;
      break;
    }
    if (i < n) {
      const c = text.charCodeAt(i);
      if (c !== COMMA && c !== LF && c !== CR) {
        throw fail(
          `line ${line} has text right after the closing quote of a field (${JSON.stringify(text.slice(i, i + 10))})`,
          `line ${line}`,
          'quote the whole field, and write a " inside a quoted field as ""',
        );
      }
    }
    return value;
  };

  /** Steps over the line break at i (nothing to do at the end of the text). */
  const endOfRecord = (): void => {
    if (i >= n) return;
    if (text.charCodeAt(i) === CR) i++;
    if (i < n && text.charCodeAt(i) === LF) i++;
    line++;
  };

  const skipBlankLines = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) return;
      endOfRecord();
    }
  };

  skipBlankLines();
  if (i >= n) {
    throw new InputError(`${name} is empty: it has no header row`, {
      kind: 'data',
      code: 'data-empty',
      file,
      place: 'file',
      configPath: keyOf(specPath, 'path'),
      fix: 'write a header row with the column names, then one row per sample (df.to_csv(path, index=False))',
    });
  }

  // The header.
  const headerLine = line;
  const header: string[] = [];
  for (;;) {
    header.push(field());
    if (i < n && text.charCodeAt(i) === COMMA) {
      i++;
      continue;
    }
    endOfRecord();
    break;
  }
  const seen = new Map<string, number>();
  header.forEach((column, k) => {
    const first = seen.get(column);
    if (first !== undefined) {
      throw fail(
        `the header names column ${JSON.stringify(column)} twice (columns ${first + 1} and ${k + 1})`,
        `line ${headerLine} (header)`,
        'give every column a distinct name',
      );
    }
    seen.set(column, k);
  });

  // The records, stored column by column.
  const width = header.length;
  const columns: string[][] = header.map(() => []);
  const lines: number[] = [];
  const ragged = (recordLine: number, fields: number): InputError =>
    fail(
      `line ${recordLine} has ${fields} field${fields === 1 ? '' : 's'} but the header (line ${headerLine}) has ${width}`,
      `line ${recordLine}`,
      fields > width
        ? 'every row must have one field per header column; quote fields that contain commas ("1,5")'
        : 'every row must have one field per header column; write an empty field for a missing value',
    );
  skipBlankLines();
  while (i < n) {
    const recordLine = line;
    let k = 0;
    for (;;) {
      const value = field();
      if (k >= width) {
        // Count the rest of the record's fields for the message.
        let extra = k + 1;
        while (i < n && text.charCodeAt(i) === COMMA) {
          i++;
          field();
          extra++;
        }
        throw ragged(recordLine, extra);
      }
      columns[k++].push(value);
      if (i < n && text.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      endOfRecord();
      break;
    }
    if (k < width) throw ragged(recordLine, k);
    lines.push(recordLine);
    skipBlankLines();
  }
  return new ColumnTable(file, lines.length, header, columns, lines);
}

/** Number of line breaks (LF, CRLF or a lone CR) in text[from, to). */
function lineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let j = from; j < to; j++) {
    const c = text.charCodeAt(j);
    if (c === LF) count++;
    else if (c === CR && text.charCodeAt(j + 1) !== LF) count++;
  }
  return count;
}
