import { Schema, Table } from 'apache-arrow';
import { rowsToTable, tableToRows, type Row } from './arrow-rows.js';

/**
 * The data of one split: an Arrow table, also viewable as rows. A payload built
 * from rows converts to Arrow only when something asks for the table (a Parquet
 * sink, a hop to another process), and a payload built from a table converts to
 * rows only once; both views are cached. Treat both as read-only: in-process
 * stages share them by reference.
 */
export class SplitPayload {
  readonly splitId: string;
  private table: Table | undefined;
  private rows: Row[] | undefined;
  private readonly schemaHint: Schema | undefined;

  private constructor(splitId: string, table: Table | undefined, rows: Row[] | undefined, schemaHint: Schema | undefined) {
    this.splitId = splitId;
    this.table = table;
    this.rows = rows;
    this.schemaHint = schemaHint;
  }

  static fromTable(table: Table, splitId: string): SplitPayload {
    return new SplitPayload(splitId, table, undefined, undefined);
  }

  /**
   * @param schemaHint types to keep for same-named columns when the rows become
   *   a table; pass the input payload's `schema` from a row-wise transform.
   */
  static fromRows(rows: Row[], splitId: string, schemaHint?: Schema): SplitPayload {
    return new SplitPayload(splitId, undefined, rows, schemaHint);
  }

  get numRows(): number {
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

  /** True when the payload holds an Arrow table already (no conversion on `toTable()`). */
  get hasTable(): boolean {
    return this.table !== undefined;
  }

  toTable(): Table {
    this.table ??= rowsToTable(this.rows!, this.schemaHint);
    return this.table;
  }

  toRows(): Row[] {
    this.rows ??= tableToRows(this.table!);
    return this.rows;
  }

  /** The same data under another split id (no copy). */
  withSplitId(splitId: string): SplitPayload {
    return new SplitPayload(splitId, this.table, this.rows, this.schemaHint);
  }
}
