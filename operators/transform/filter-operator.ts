import type { Table } from 'apache-arrow';
import { Operator, type OperatorContext } from '../../lib/operator.js';
import { RowView } from '../../lib/row-view.js';
import type { Row } from '../../lib/arrow-rows.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachIndex, forEachRow } from './for-each-row.js';
import { describeValue, requireOneFunction, requireTable, type BatchFunction } from './transform-config.js';

/** `In` is the row type `fn` sees (default: untyped rows): `FilterOperator<Priced>`. */
export interface FilterConfig<In extends object = Row> {
  /** Keeps the rows for which it returns true. */
  fn?: (row: In) => boolean;
  /** Returns the kept rows of a split's table. */
  batchFn?: BatchFunction;
}

/** Keeps the rows that pass a predicate; a split that keeps no row produces no output. */
export class FilterOperator<In extends object = Row> extends Operator<FilterConfig<In>> {
  constructor(config: FilterConfig<In>, context: OperatorContext) {
    super(config, context);
    requireOneFunction('FilterOperator', config, new.target === FilterOperator);
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    if (this.config.batchFn) {
      const kept = requireTable('FilterOperator', await this.config.batchFn(payload.toTable()));
      return kept.numRows === 0 ? null : SplitPayload.fromTable(kept, split.splitId);
    }
    const fn = passes(this.config.fn! as unknown as (row: Row) => unknown);
    // An Arrow table not yet seen as rows is filtered through a row view: only the kept rows are ever built.
    if (payload.hasTable) return await filterTable(payload.toTable(), fn, split.splitId, this.context);
    const rows = payload.toRows();
    const kept: Row[] = [];
    await forEachRow(rows, (row) => {
      if (fn(row)) kept.push(row);
    }, this.context);
    return kept.length === 0 ? null : SplitPayload.fromRows(kept, split.splitId, payload.knownSchema);
  }
}

/** `fn` made to answer true or false: anything else (nothing returned, a promise) is the row function's error, not a no. */
function passes(fn: (row: Row) => unknown): (row: Row) => boolean {
  return (row) => {
    const keep = fn(row);
    if (typeof keep !== 'boolean') throw new TypeError(`FilterOperator fn must return true or false, got ${describeValue(keep)}`);
    return keep;
  };
}

/** The rows of `table` that pass `fn`, which sees each row through a reused, read-only view. */
async function filterTable(table: Table, fn: (row: Row) => boolean, splitId: string, context: OperatorContext): Promise<SplitPayload | null> {
  const view = new RowView(table);
  const kept = new Uint32Array(table.numRows);
  let count = 0;
  await forEachIndex(table.numRows, (i) => {
    if (fn(view.at(i))) kept[count++] = i;
  }, (i) => ({ ...view.at(i) }), context);
  return count === 0 ? null : SplitPayload.fromTableRows(table, kept.slice(0, count), splitId);
}
