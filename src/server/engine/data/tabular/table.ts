// A table read from a data file (CSV or Parquet), column by column. Values are kept as the file holds
// them: CSV cells stay text (tabular-dataset.ts converts them to numbers), Parquet cells are numbers,
// booleans or text. Missing values are null. Shared helpers for the readers and the data set live here.
import type { ConfigPath } from '../../errors';

export type Cell = string | number | boolean | null;

export interface Table {
  /** Absolute path of the file the table was read from. */
  readonly file: string;
  readonly rowCount: number;
  /** The column names in file order. */
  readonly columnNames: readonly string[];
  /** The values of one column, one per row (row 0 is the first data row). Throws for an unknown name. */
  column(name: string): ArrayLike<Cell>;
  /**
   * The 1-based line of the file on which data row `row` (0-based) starts, for text formats; undefined
   * for binary formats. A quoted cell can span lines, so this is not always row + 2.
   */
  lineOf?(row: number): number | undefined;
}

/** A table over columns already in memory. */
export class ColumnTable implements Table {
  private readonly columns: ReadonlyMap<string, ArrayLike<Cell>>;

  constructor(
    readonly file: string,
    readonly rowCount: number,
    readonly columnNames: readonly string[],
    columns: readonly ArrayLike<Cell>[],
    private readonly lines?: ArrayLike<number>,
  ) {
    this.columns = new Map(columnNames.map((name, i) => [name, columns[i]]));
  }

  column(name: string): ArrayLike<Cell> {
    const values = this.columns.get(name);
    if (!values) throw new RangeError(`no column "${name}" in ${this.file}`);
    return values;
  }

  lineOf(row: number): number | undefined {
    return this.lines?.[row];
  }
}

/** Where data row `row` (0-based) is, for messages: "row 17 (line 18)" or "row 17". */
export function rowPlace(table: Table, row: number): string {
  const line = table.lineOf?.(row);
  return line !== undefined ? `row ${row + 1} (line ${line})` : `row ${row + 1}`;
}

/** The config key that names the data file of a data spec at `specPath`, if the spec's path is known. */
export function keyOf(specPath: ConfigPath | undefined, key: string): ConfigPath | undefined {
  return specPath ? [...specPath, key] : undefined;
}

/** Levenshtein distance, case-insensitive (column names are short). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The column name closest to `name` (a different case, a typo, a plural), or undefined when none is close. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const normal = (s: string) => s.toLowerCase().replace(/[\s_\-.]/g, '');
  for (const candidate of candidates) {
    const d = normal(candidate) === normal(name) ? 0.5 : distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const allowed = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/** A list of names for a message: "a", "b", "c" and 4 more. */
export function listNames(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n));
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

/** A cell for a message: text quoted and shortened, others as they print. */
export function showCell(value: Cell | undefined): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}
