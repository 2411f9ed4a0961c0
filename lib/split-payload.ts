import { Schema, Table } from 'apache-arrow';
import { rowsToTable, tableToRows, tableValues, type Row, type RowsBase } from './arrow-rows.js';
import { rowsAt } from './row-view.js';
import { takeRows } from './arrow-take.js';
import { SchemaInferenceError } from './errors/index.js';

/**
 * The data of one split: an Arrow table, also viewable as rows. A payload built
 * from rows converts to Arrow only when something asks for the table (a Parquet
 * sink, a hop to another process), and a payload built from a table converts to
 * rows only once; both views are cached. A payload can also be some rows of a
 * table (what a filter keeps): only those rows are ever decoded. Treat the
 * data as read-only: in-process stages share it by reference.
 */
export class SplitPayload {
  readonly splitId: string;
  private table: Table | undefined;
  private rows: Row[] | undefined;
  private readonly schemaHint: Schema | undefined;
  /** The rows of `source` this payload holds, when it holds some rows of a table. */
  private readonly selection: { source: Table; indexes: Uint32Array } | undefined;
  /** The table rows were mapped from, row for row, whose columns the rows may copy. */
  private base: RowsBase | undefined;
  /** The table's columns' values, when its rows were made from them: what a map's rows are compared with. */
  private tableRowValues: Map<string, ArrayLike<unknown>> | undefined;
  private rowsFirst: boolean;

  private constructor(
    splitId: string, table: Table | undefined, rows: Row[] | undefined, schemaHint: Schema | undefined,
    selection?: { source: Table; indexes: Uint32Array }, base?: RowsBase,
  ) {
    this.splitId = splitId;
    this.table = table;
    this.rows = rows;
    this.schemaHint = schemaHint;
    this.selection = selection;
    this.base = base;
    this.rowsFirst = rows !== undefined;
  }

  static fromTable(table: Table, splitId: string): SplitPayload {
    return new SplitPayload(splitId, table, undefined, undefined);
  }

  /** The rows of `table` at `indexes` (ascending), decoded only when asked for. */
  static fromTableRows(table: Table, indexes: Uint32Array, splitId: string): SplitPayload {
    return new SplitPayload(splitId, undefined, undefined, table.schema, { source: table, indexes });
  }

  /**
   * @param schemaHint types to keep for same-named columns when the rows become
   *   a table; pass the input payload's `schema` from a row-wise transform.
   */
  static fromRows(rows: Row[], splitId: string, schemaHint?: Schema): SplitPayload {
    return new SplitPayload(splitId, undefined, rows, schemaHint);
  }

  /**
   * Rows mapped one for one from `input`'s rows. When `input` held a table,
   * the rows become a table at once, the columns whose values they copy
   * taken from it as they are (see `rowsToTable`), so what follows keeps working
   * on Arrow; rows that cannot be one table (a column of mixed types) stay
   * rows, as from {@link fromRows}.
   */
  static mappedFrom(input: SplitPayload, rows: Row[], splitId: string): SplitPayload {
    const base = input.table && input.tableRowValues && input.table.numRows === rows.length ? { table: input.table, values: input.tableRowValues } : undefined;
    const payload = new SplitPayload(splitId, undefined, rows, input.knownSchema, undefined, base);
    if (base) {
      try {
        payload.toTable();
      } catch (error) {
        if (!(error instanceof SchemaInferenceError)) throw error;
      }
      payload.base = undefined;
    }
    return payload;
  }

  get numRows(): number {
    if (this.selection) return this.selection.indexes.length;
    return this.rows ? this.rows.length : this.table!.numRows;
  }

  /**
   * The Arrow schema. A payload built from rows converts them to a table
   * (once, cached) to know it, and throws SchemaInferenceError if a column
   * mixes value types.
   */
  get schema(): Schema {
    return this.toTable().schema;
  }

  /**
   * The schema without converting anything: the table's if there is one,
   * else the hint the rows were given (undefined if none). What a row
   * transform passes as `schemaHint` to its output.
   */
  get knownSchema(): Schema | undefined {
    return this.table ? this.table.schema : this.schemaHint;
  }

  /**
   * The payload as Arrow data without building anything: its table and, for
   * some rows of a table, their indexes; undefined when it holds only rows.
   */
  get arrowRows(): { table: Table; indexes?: Uint32Array } | undefined {
    if (this.table) return { table: this.table };
    return this.selection && !this.rows ? { table: this.selection.source, indexes: this.selection.indexes } : undefined;
  }

  /**
   * True when the payload was made from rows (by a row function): they are
   * what it holds, and its table, if made, only their Arrow form (a key some
   * rows lack is null there). Else its rows are read from Arrow data.
   */
  get builtFromRows(): boolean {
    return this.rowsFirst;
  }

  /** True when the payload holds an Arrow table already (no conversion on `toTable()`). */
  get hasTable(): boolean {
    return this.table !== undefined;
  }

  toTable(): Table {
    if (!this.table && this.selection && !this.rows) this.table = takeRows(this.selection.source, this.selection.indexes);
    this.table ??= rowsToTable(this.toRows(), this.schemaHint, this.base);
    return this.table;
  }

  toRows(): Row[] {
    if (!this.rows && this.selection) this.rows = rowsAt(this.selection.source, this.selection.indexes);
    if (!this.rows) {
      this.tableRowValues = tableValues(this.table!);
      this.rows = tableToRows(this.table!, this.tableRowValues);
    }
    return this.rows;
  }

  /** The same data under another split id (no copy). */
  withSplitId(splitId: string): SplitPayload {
    const payload = new SplitPayload(splitId, this.table, this.rows, this.schemaHint, this.selection);
    payload.rowsFirst = this.rowsFirst;
    return payload;
  }
}
