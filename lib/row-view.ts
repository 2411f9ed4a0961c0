import type { Table, Vector } from 'apache-arrow';
import { columnValues, plainValueAt, type Row } from './arrow-rows.js';

/**
 * One row of an Arrow table at a time, without building an object per row:
 * a single object whose properties (one per column, enumerable, read-only)
 * read the row the view is `at`. A column is decoded the first time a
 * property reads it, so a predicate over one column of a wide table decodes
 * that column alone. The view is reused from row to row: a function given it
 * must not keep it (copy it, `{ ...row }`, to keep a row).
 */
export class RowView {
  /** The object a row function is given. */
  readonly row: Row;
  private index = 0;
  private readonly decoded = new Map<string, ArrayLike<unknown>>();

  constructor(private readonly table: Table) {
    const row: Row = {};
    for (const field of table.schema.fields) {
      const name = field.name;
      Object.defineProperty(row, name, { enumerable: true, get: () => this.column(name)[this.index] });
    }
    this.row = Object.freeze(row);
  }

  /** Points the view at row `index`. */
  at(index: number): Row {
    this.index = index;
    return this.row;
  }

  private column(name: string): ArrayLike<unknown> {
    let values = this.decoded.get(name);
    if (!values) {
      values = columnValues(this.table.getChild(name) as Vector);
      this.decoded.set(name, values);
    }
    return values;
  }
}

/** The rows of a table at `indexes`, as plain objects: only those rows are decoded. */
export function rowsAt(table: Table, indexes: ArrayLike<number>): Row[] {
  const rows = new Array<Row>(indexes.length);
  for (let i = 0; i < indexes.length; i++) rows[i] = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name) as Vector;
    const name = field.name;
    for (let i = 0; i < indexes.length; i++) rows[i]![name] = plainValueAt(vector, indexes[i]!);
  }
  return rows;
}
