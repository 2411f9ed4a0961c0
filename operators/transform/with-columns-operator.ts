import { Table, type Vector } from 'apache-arrow';
import { columnOf, type Row } from '../../lib/arrow-rows.js';
import { OperatorConfigError } from '../../lib/errors/index.js';
import { Operator, type OperatorContext } from '../../lib/operator.js';
import { RowView } from '../../lib/row-view.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachIndex, forEachRow, payloadWithout } from './for-each-row.js';
import { describeValue, isThenable, refuseUnknownOptions } from './transform-config.js';

/** `In` is the row type the column functions see (default: untyped rows): `WithColumnsOperator<Order>`. */
export interface WithColumnsConfig<In extends object = Row> {
  /**
   * Each new column's value for a row: `{ total: (order) => order.price * order.qty }`.
   * A column named like an input column replaces it in its place; the others
   * follow the input's columns, in this object's order. A function sees each
   * row through a read-only view that is reused from row to row: read its
   * fields, do not keep it.
   */
  columns: { [name: string]: (row: Readonly<In>) => unknown };
}

/**
 * Adds (or replaces) columns computed from each row, keeping the other
 * columns as they are. Over Arrow data no row object is built: the functions
 * read the row through a view over the table's columns, and the output is the
 * input table's own columns plus the new ones. What Polars' `with_columns`
 * and Ray Data's `add_column` do; a `MapOperator` that returns
 * `{ ...row, total }` gives the same rows but builds two objects per row.
 */
export class WithColumnsOperator<In extends object = Row> extends Operator<WithColumnsConfig<In>> {
  private readonly columns: [string, (row: Row) => unknown][];

  constructor(config: WithColumnsConfig<In>, context: OperatorContext) {
    super(config, context);
    if (new.target === WithColumnsOperator) refuseUnknownOptions('WithColumnsOperator', config, ['columns']);
    const columns = config?.columns;
    if (columns === null || typeof columns !== 'object' || Object.keys(columns).length === 0) {
      throw new OperatorConfigError("WithColumnsOperator needs 'columns': an object of column names to row functions");
    }
    for (const [name, fn] of Object.entries(columns)) {
      if (typeof fn !== 'function') throw new OperatorConfigError(`WithColumnsOperator column '${name}' must be a function of the row, got ${typeof fn}`);
    }
    this.columns = (Object.entries(columns) as [string, (row: Row) => unknown][]).map(([name, fn]) => [name, synchronous(name, fn)]);
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    // Rows a function built are what the payload holds (a key some lack stays absent): they get the columns as rows.
    if (payload.builtFromRows || !payload.arrowRows) return SplitPayload.fromRows(await this.withColumnsOnRows(payload.toRows()), split.splitId, payload.knownSchema);
    return await this.withColumnsOnTable(payload.toTable(), split.splitId);
  }

  private async withColumnsOnTable(table: Table, splitId: string): Promise<SplitPayload> {
    const view = new RowView(table);
    const n = table.numRows;
    const computed = this.columns.map(() => new Array<unknown>(n));
    const bad = await forEachIndex(n, (i) => {
      const row = view.at(i);
      for (let c = 0; c < computed.length; c++) computed[c]![i] = this.columns[c]![1](row);
    }, (i) => ({ ...view.at(i) }), this.context);
    // A row set aside keeps no value; it is left out below.
    for (const i of bad) for (const values of computed) values[i] = null;
    const vectors: Record<string, Vector> = {};
    for (const field of table.schema.fields) vectors[field.name] = table.getChild(field.name) as Vector;
    this.columns.forEach(([name], c) => {
      vectors[name] = columnOf(name, computed[c]!, table.schema.fields.find((field) => field.name === name)?.type);
    });
    return payloadWithout(new Table(vectors), bad, splitId);
  }

  private async withColumnsOnRows(rows: Row[]): Promise<Row[]> {
    const out: Row[] = [];
    await forEachRow(rows, (row) => {
      const next: Row = { ...row };
      for (const [name, fn] of this.columns) next[name] = fn(row);
      out.push(next);
    }, this.context);
    return out;
  }
}

/** A column function whose promise (an async function's) is its row's error, not a value of the column. */
function synchronous(name: string, fn: (row: Row) => unknown): (row: Row) => unknown {
  return (row) => {
    const value = fn(row);
    if (isThenable(value)) throw new TypeError(`WithColumnsOperator column '${name}' must return a value, got ${describeValue(value)}`);
    return value;
  };
}
