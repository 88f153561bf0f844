// Sortable tables. Each sortable header holds a <button> (so Tab reaches it and Enter / Space sort), the sorted
// column carries aria-sort, and a live region says what changed. Cells are text only.
import { h } from './dom';

export type SortValue = number | string | null;
export type Direction = 'ascending' | 'descending';

export interface Column<R> {
  readonly key: string;
  readonly label: string;
  /** What the column sorts by; null sorts last either way. */
  readonly value: (row: R) => SortValue;
  /** The cell text (default: the value as text). */
  readonly text?: (row: R) => string;
  /** Fills the cell instead of text (still only text nodes and elements). */
  readonly cell?: (row: R, td: HTMLTableCellElement) => void;
  readonly numeric?: boolean;
  /** Header cell tooltip-free explanation, read by screen readers as the button's description. */
  readonly title?: string;
  readonly sortable?: boolean;
  /** The direction a first click sorts in (default: descending for numbers, ascending for text). */
  readonly firstDirection?: Direction;
}

export interface TableOptions<R> {
  readonly caption: string;
  readonly columns: readonly Column<R>[];
  readonly rows: readonly R[];
  readonly rowClass?: (row: R) => string | undefined;
  readonly sort?: { readonly key: string; readonly direction: Direction };
  readonly className?: string;
  /** Row header column key (th scope=row): the first column by default. */
  readonly rowHeader?: string;
}

function compare(a: SortValue, b: SortValue): number {
  if (a === null || b === null) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true, sensitivity: 'base' });
}

/** Stable sort; nulls last in both directions. */
export function sortRows<R>(rows: readonly R[], value: (row: R) => SortValue, direction: Direction): R[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, key: value(row) }))
    .sort((a, b) => {
      if (a.key === null || b.key === null) return a.key === b.key ? a.index - b.index : a.key === null ? 1 : -1;
      return sign * compare(a.key, b.key) || a.index - b.index;
    })
    .map((entry) => entry.row);
}

export function sortableTable<R>(options: TableOptions<R>): HTMLElement {
  const { columns } = options;
  const rowHeader = options.rowHeader ?? columns[0]?.key;
  let sort = options.sort;
  const table = h('table', { className: `rl-table ${options.className ?? ''}`.trim() });
  table.append(h('caption', { text: options.caption }));
  const headRow = h('tr');
  const tbody = h('tbody');
  const status = h('p', { className: 'rl-visually-hidden', attrs: { role: 'status', 'aria-live': 'polite' } });
  const headers = new Map<string, HTMLTableCellElement>();

  for (const column of columns) {
    const th = h('th', { attrs: { scope: 'col' }, className: column.numeric ? 'rl-num' : '' });
    if (column.sortable === false) {
      th.textContent = column.label;
    } else {
      const button = h('button', { className: 'rl-sort', attrs: { type: 'button' } }, h('span', { text: column.label }), h('span', { className: 'rl-sort-icon', attrs: { 'aria-hidden': 'true' } }));
      if (column.title) button.title = column.title;
      button.addEventListener('click', () => {
        const first = column.firstDirection ?? (column.numeric ? 'descending' : 'ascending');
        const direction: Direction = sort?.key === column.key ? (sort.direction === 'ascending' ? 'descending' : 'ascending') : first;
        sort = { key: column.key, direction };
        update();
        status.textContent = `Sorted by ${column.label}, ${direction}`;
      });
      th.append(button);
    }
    headers.set(column.key, th);
    headRow.append(th);
  }
  table.append(h('thead', {}, headRow), tbody);

  function update(): void {
    for (const [key, th] of headers) {
      if (sort?.key === key) th.setAttribute('aria-sort', sort.direction);
      else th.removeAttribute('aria-sort');
    }
    const column = sort && columns.find((c) => c.key === sort!.key);
    const rows = column ? sortRows(options.rows, column.value, sort!.direction) : [...options.rows];
    const fragment = document.createDocumentFragment();
    for (const row of rows) {
      const tr = h('tr');
      const extra = options.rowClass?.(row);
      if (extra) tr.className = extra;
      for (const c of columns) {
        const cell = c.key === rowHeader ? h('th', { attrs: { scope: 'row' } }) : h('td');
        if (c.numeric) cell.classList.add('rl-num');
        if (c.cell) c.cell(row, cell);
        else {
          const value = c.value(row);
          cell.textContent = c.text ? c.text(row) : value === null ? '–' : String(value);
        }
        tr.append(cell);
      }
      fragment.append(tr);
    }
    tbody.replaceChildren(fragment);
  }
  update();
  return h('div', { className: 'rl-table-wrap' }, table, status);
}
