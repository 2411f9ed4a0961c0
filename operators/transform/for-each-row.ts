import type { Row } from '../../lib/arrow-rows.js';
import { RowFunctionError } from '../../lib/errors/index.js';

/** Calls `visit` on each row; what it throws becomes a RowFunctionError naming the row. */
export function forEachRow(rows: readonly Row[], visit: (row: Row) => void): void {
  let i = 0;
  try {
    for (; i < rows.length; i++) visit(rows[i]!);
  } catch (error) {
    throw new RowFunctionError(i + 1, rows[i], error);
  }
}
