import { Operator, type OperatorContext } from '../../lib/operator.js';
import type { Row } from '../../lib/arrow-rows.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachRow } from './for-each-row.js';
import { describeValue, isRow, isThenable, requireOneFunction, requireTable, type BatchFunction } from './transform-config.js';

/** `In` and `Out` are the row types `fn` sees and yields (default: untyped rows). */
export interface FlatMapConfig<In extends object = Row, Out extends object = Row> {
  /** Maps one row to any number of rows. */
  fn?: (row: In) => Iterable<Out>;
  /** Maps a split's table to a table of any length. */
  batchFn?: BatchFunction;
}

/** Zero or more output rows per input row. */
export class FlatMapOperator<In extends object = Row, Out extends object = Row> extends Operator<FlatMapConfig<In, Out>> {
  constructor(config: FlatMapConfig<In, Out>, context: OperatorContext) {
    super(config, context);
    requireOneFunction('FlatMapOperator', config, new.target === FlatMapOperator);
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    if (this.config.batchFn) {
      const out = requireTable('FlatMapOperator', await this.config.batchFn(payload.toTable()));
      return out.numRows === 0 ? null : SplitPayload.fromTable(out, split.splitId);
    }
    const fn = this.config.fn! as unknown as (row: Row) => Iterable<Row>;
    const rows = payload.toRows();
    const out: Row[] = [];
    await forEachRow(rows, (row) => {
      const result = fn(row) as unknown;
      if (result === null || typeof result !== 'object' || !(Symbol.iterator in result) || isThenable(result)) {
        throw new TypeError(`FlatMapOperator fn must return an iterable of rows (an array, a generator), got ${describeValue(result)}`);
      }
      // All of a row's output or none: a row that throws halfway is set aside whole.
      const produced = [...(result as Iterable<unknown>)];
      const notRow = produced.find((one) => !isRow(one));
      if (notRow !== undefined) throw new TypeError(`FlatMapOperator fn must yield rows (objects), got ${describeValue(notRow)}`);
      for (const one of produced) out.push(one as Row);
    }, this.context);
    return out.length === 0 ? null : SplitPayload.fromRows(out, split.splitId, payload.knownSchema);
  }
}
