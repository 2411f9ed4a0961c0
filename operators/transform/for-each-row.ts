import type { Row } from '../../lib/arrow-rows.js';
import { RowFunctionError } from '../../lib/errors/index.js';

/**
 * How long a row loop runs before it lets the event loop run: a row function
 * that is slow, on a big split, must not hold back what else the worker's
 * thread or process does (progress, checkpoint triggers, heartbeats, which
 * would otherwise take the worker for hung).
 */
const SLICE_MS = 20;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Calls `visit(i)` for i in [0, count), yielding to the event loop every
 * {@link SLICE_MS} ms; what `visit` throws becomes a RowFunctionError naming
 * the row (1-based) and, through `rowAt`, its value.
 */
export async function forEachIndex(count: number, visit: (index: number) => void, rowAt: (index: number) => unknown): Promise<void> {
  let i = 0;
  let sliceEnd = performance.now() + SLICE_MS;
  try {
    for (; i < count; i++) {
      visit(i);
      if ((i & 15) === 15 && performance.now() > sliceEnd) {
        await nextTurn();
        sliceEnd = performance.now() + SLICE_MS;
      }
    }
  } catch (error) {
    throw new RowFunctionError(i + 1, rowAt(i), error);
  }
}

/** Calls `visit` on each row, as {@link forEachIndex} does. */
export function forEachRow(rows: readonly Row[], visit: (row: Row) => void): Promise<void> {
  return forEachIndex(rows.length, (i) => visit(rows[i]!), (i) => rows[i]);
}
