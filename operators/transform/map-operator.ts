import { Operator, type OperatorContext } from '../../lib/operator.js';
import type { Row } from '../../lib/arrow-rows.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachRow } from './row-function-error.js';
import { requireOneFunction, type BatchFunction } from './transform-config.js';

export interface MapConfig {
  /** Maps one row to one row. */
  fn?: (row: Row) => Row;
  /** Maps a split's table to a table with the same number of rows or not; faster than `fn`. */
  batchFn?: BatchFunction;
}

/** One output row per input row (`fn`), or one output table per input table (`batchFn`). */
export class MapOperator extends Operator<MapConfig> {
  constructor(config: MapConfig, context: OperatorContext) {
    super(config, context);
    requireOneFunction('MapOperator', config);
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    if (this.config.batchFn) return SplitPayload.fromTable(await this.config.batchFn(payload.toTable()), split.splitId);
    const fn = this.config.fn!;
    const rows = payload.toRows();
    const out: Row[] = [];
    forEachRow(rows, (row) => out.push(fn(row)));
    return SplitPayload.fromRows(out, split.splitId, payload.schema);
  }
}
