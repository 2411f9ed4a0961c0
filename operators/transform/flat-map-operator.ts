import { Operator, type OperatorContext } from '../../lib/operator.js';
import type { Row } from '../../lib/arrow-rows.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachRow } from './row-function-error.js';
import { requireOneFunction, type BatchFunction } from './transform-config.js';

export interface FlatMapConfig {
  /** Maps one row to any number of rows. */
  fn?: (row: Row) => Iterable<Row>;
  /** Maps a split's table to a table of any length. */
  batchFn?: BatchFunction;
}

/** Zero or more output rows per input row. */
export class FlatMapOperator extends Operator<FlatMapConfig> {
  constructor(config: FlatMapConfig, context: OperatorContext) {
    super(config, context);
    requireOneFunction('FlatMapOperator', config);
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    if (this.config.batchFn) {
      const out = await this.config.batchFn(payload.toTable());
      return out.numRows === 0 ? null : SplitPayload.fromTable(out, split.splitId);
    }
    const fn = this.config.fn!;
    const rows = payload.toRows();
    const out: Row[] = [];
    forEachRow(rows, (row) => {
      for (const produced of fn(row)) out.push(produced);
    });
    return out.length === 0 ? null : SplitPayload.fromRows(out, split.splitId, payload.schema);
  }
}
