import { Operator, type OperatorContext } from '../../lib/operator.js';
import type { Row } from '../../lib/arrow-rows.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachRow } from './row-function-error.js';
import { requireOneFunction, type BatchFunction } from './transform-config.js';

export interface FilterConfig {
  /** Keeps the rows for which it returns true. */
  fn?: (row: Row) => boolean;
  /** Returns the kept rows of a split's table. */
  batchFn?: BatchFunction;
}

/** Keeps the rows that pass a predicate; a split that keeps no row produces no output. */
export class FilterOperator extends Operator<FilterConfig> {
  constructor(config: FilterConfig, context: OperatorContext) {
    super(config, context);
    requireOneFunction('FilterOperator', config);
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    if (this.config.batchFn) {
      const kept = await this.config.batchFn(payload.toTable());
      return kept.numRows === 0 ? null : SplitPayload.fromTable(kept, split.splitId);
    }
    const fn = this.config.fn!;
    const rows = payload.toRows();
    const kept: Row[] = [];
    forEachRow(rows, (row) => {
      if (fn(row)) kept.push(row);
    });
    return kept.length === 0 ? null : SplitPayload.fromRows(kept, split.splitId, payload.schema);
  }
}
