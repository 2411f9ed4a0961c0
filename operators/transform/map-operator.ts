import { Operator, type OperatorContext } from '../../lib/operator.js';
import type { Row } from '../../lib/arrow-rows.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachRow } from './for-each-row.js';
import { describeValue, isRow, requireOneFunction, requireTable, type BatchFunction } from './transform-config.js';

/**
 * `In` and `Out` are the row types `fn` sees and returns (plain objects; the
 * defaults are untyped rows): `new Stage('priced', MapOperator<Order, Priced>, { fn: (order) => ... })`.
 */
export interface MapConfig<In extends object = Row, Out extends object = Row> {
  /** Maps one row to one row. */
  fn?: (row: In) => Out;
  /** Maps a split's table to a table with the same number of rows or not; faster than `fn`. */
  batchFn?: BatchFunction;
}

/** One output row per input row (`fn`), or one output table per input table (`batchFn`). */
export class MapOperator<In extends object = Row, Out extends object = Row> extends Operator<MapConfig<In, Out>> {
  constructor(config: MapConfig<In, Out>, context: OperatorContext) {
    super(config, context);
    requireOneFunction('MapOperator', config, new.target === MapOperator);
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    if (this.config.batchFn) return SplitPayload.fromTable(requireTable('MapOperator', await this.config.batchFn(payload.toTable())), split.splitId);
    // Rows are whatever the upstream produced; `In` and `Out` are the user's word for their shape.
    const fn = this.config.fn! as unknown as (row: Row) => Row;
    const rows = payload.toRows();
    const out: Row[] = [];
    const bad = await forEachRow(rows, (row) => {
      const mapped = fn(row) as unknown;
      if (!isRow(mapped)) throw new TypeError(`MapOperator fn must return a row (an object), got ${describeValue(mapped)}`);
      out.push(mapped as Row);
    }, this.context);
    // Rows set aside break the one-for-one mapping that lets unchanged columns be kept.
    return bad.length === 0 ? SplitPayload.mappedFrom(payload, out, split.splitId) : SplitPayload.fromRows(out, split.splitId, payload.knownSchema);
  }
}
